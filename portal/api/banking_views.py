"""/api/transactions/bank-accounts/: the SACCO's bank and M-Pesa accounts (T4)."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.finance.banking.models import BankAccount, BankAccountKind
from portal.finance.banking.services import bank_account_create, bank_account_set_primary

from .errors import validation_error_response
from .permissions import HasModelPermission


class BankAccountSerializer(serializers.ModelSerializer):
    ledger_code = serializers.CharField(source="ledger_account.code", read_only=True)

    class Meta:
        model = BankAccount
        fields = ["id", "name", "kind", "bank_name", "branch", "account_number", "ledger_code", "is_primary", "active"]
        read_only_fields = ["id", "ledger_code", "is_primary", "active"]


class BankAccountCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=BankAccountKind.choices)
    bank_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    branch = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    account_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class BankAccountListView(generics.ListAPIView):
    """GET lists the accounts (primary first); POST creates one with its own ledger account."""

    serializer_class = BankAccountSerializer
    queryset = BankAccount.objects.select_related("ledger_account")

    def get_permissions(self):
        perm = "finance.add_bankaccount" if self.request.method == "POST" else "finance.view_bankaccount"
        return [HasModelPermission(perm)()]

    @extend_schema(request=BankAccountCreateSerializer, responses={201: BankAccountSerializer})
    def post(self, request):
        data = BankAccountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            account = bank_account_create(**data.validated_data)
        except ValidationError as exc:
            return validation_error_response(exc)
        return Response(BankAccountSerializer(account).data, status=status.HTTP_201_CREATED)


class BankAccountSetPrimaryView(APIView):
    """POST …/<id>/set-as-primary/: this account becomes the only primary one."""

    permission_classes = [HasModelPermission("finance.change_bankaccount")]

    @extend_schema(request=None, responses={200: BankAccountSerializer})
    def post(self, request, pk):
        account = get_object_or_404(BankAccount, pk=pk)
        try:
            account = bank_account_set_primary(bank_account=account)
        except ValidationError as exc:
            return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response(BankAccountSerializer(account).data)


class BankTransactionSerializer(serializers.ModelSerializer):
    reconciled = serializers.BooleanField(read_only=True)
    matched_line = serializers.IntegerField(source="matched_line_id", read_only=True)

    class Meta:
        from portal.finance.banking.models import BankTransaction

        model = BankTransaction
        fields = [
            "id",
            "bank_account",
            "date",
            "reference",
            "description",
            "amount",
            "reconciled",
            "matched_line",
            "match_method",
            "matched_at",
        ]
        read_only_fields = fields


class StatementUploadSerializer(serializers.Serializer):
    bank_account = serializers.UUIDField()
    file = serializers.FileField()


class BankTransactionListView(generics.ListAPIView):
    """GET: statement lines (?bank_account=<id>&reconciled=true|false). POST multipart {bank_account, file}: import a
    bank or M-Pesa statement (CSV/XLSX; once per file; every bad row named, nothing stored) and auto-match it."""

    serializer_class = BankTransactionSerializer

    def get_permissions(self):
        perm = "finance.add_bankstatement" if self.request.method == "POST" else "finance.view_banktransaction"
        return [HasModelPermission(perm)()]

    def get_queryset(self):
        from portal.finance.banking.models import BankTransaction

        queryset = BankTransaction.objects.all()
        if account := self.request.query_params.get("bank_account"):
            queryset = queryset.filter(bank_account_id=account)
        reconciled = self.request.query_params.get("reconciled")
        if reconciled in ("true", "false"):
            queryset = queryset.filter(matched_line__isnull=reconciled == "false")
        return queryset

    @extend_schema(request={"multipart/form-data": StatementUploadSerializer}, responses={201: None})
    def post(self, request):
        from portal.finance.banking.reconciliation import StatementInvalid, statement_import
        from portal.finance.file_reader import FileRejected, upload_read

        data = StatementUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = BankAccount.objects.filter(pk=data.validated_data["bank_account"]).first()
        if account is None:
            return Response({"bank_account": ["No such bank account."]}, status=400)
        upload = data.validated_data["file"]
        try:
            result = statement_import(
                bank_account=account, content=upload_read(upload), file_name=upload.name, by=request.user
            )
        except FileRejected as exc:  # too big: refused before it is read
            return Response({"file": [str(exc)]}, status=400)
        except StatementInvalid as exc:
            errors = [{"row": row, "field": field, "message": message} for row, field, message in exc.rows]
            return Response({"rows": errors}, status=400)
        except ValidationError as exc:
            return validation_error_response(exc)
        body = {
            "statement": str(result.statement.pk),
            "created": result.created,
            "rows": result.statement.transactions.count(),
            "matched": result.matched,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class BankTransactionReconcileView(APIView):
    """POST …/bank-transactions/<id>/reconcile/ {"line": <journal line id>}: match by hand; without "line", try the
    automatic rules again for this account."""

    permission_classes = [HasModelPermission("finance.change_banktransaction")]

    @extend_schema(request=None, responses={200: BankTransactionSerializer})
    def post(self, request, pk):
        from portal.finance.banking.models import BankTransaction
        from portal.finance.banking.reconciliation import bank_transaction_reconcile, bank_transactions_match
        from portal.finance.ledger.models import JournalLine

        bank_transaction = get_object_or_404(BankTransaction.objects.select_related("bank_account"), pk=pk)
        line_id = request.data.get("line")
        if line_id in (None, ""):
            bank_transactions_match(bank_account=bank_transaction.bank_account, by=request.user)
            bank_transaction.refresh_from_db()
            return Response(BankTransactionSerializer(bank_transaction).data)
        line = JournalLine.objects.filter(pk=line_id).first() if str(line_id).isdigit() else None
        if line is None:
            return Response({"line": ["No such ledger line."]}, status=400)
        try:
            bank_transaction = bank_transaction_reconcile(bank_transaction=bank_transaction, line=line, by=request.user)
        except ValidationError as exc:
            return validation_error_response(exc)
        return Response(BankTransactionSerializer(bank_transaction).data)
