"""/api/transactions/bank-accounts/: the SACCO's bank and M-Pesa accounts (T4)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.finance.banking.models import BankAccount, BankAccountKind, BankTransaction, MatchMethod
from portal.finance.banking.reconciliation import (
    StatementInvalid,
    bank_transaction_reconcile,
    bank_transactions_match,
    reconcile_candidates,
    statement_import,
)
from portal.finance.banking.services import bank_account_create, bank_account_set_primary
from portal.finance.ledger.models import JournalLine
from portal.society.file_reader import FileRejected, upload_read

from .lookups import BankAccountField
from .params import query_uuid
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
        account = bank_account_create(**data.validated_data)
        return Response(BankAccountSerializer(account).data, status=status.HTTP_201_CREATED)


class BankAccountSetPrimaryView(APIView):
    """POST …/<id>/set-as-primary/: this account becomes the only primary one."""

    permission_classes = [HasModelPermission("finance.change_bankaccount")]

    @extend_schema(request=None, responses={200: BankAccountSerializer})
    def post(self, request, pk):
        account = get_object_or_404(BankAccount, pk=pk)
        account = bank_account_set_primary(bank_account=account)
        return Response(BankAccountSerializer(account).data)


class BankTransactionSerializer(serializers.ModelSerializer):
    reconciled = serializers.BooleanField(read_only=True)
    matched_line = serializers.IntegerField(source="matched_line_id", read_only=True, allow_null=True)
    match_method = serializers.ChoiceField(
        choices=[("", "Not matched"), *MatchMethod.choices], read_only=True, help_text="Empty until matched."
    )

    class Meta:
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


class CandidateLineSerializer(serializers.ModelSerializer):
    """A ledger line on the bank's account that this statement line may be matched to (POST …/reconcile/
    {"line": id})."""

    amount = serializers.SerializerMethodField(help_text="Signed like the statement: money in is positive.")
    entry = serializers.UUIDField(source="entry_id", read_only=True)
    memo = serializers.CharField(source="entry.memo", read_only=True)
    source = serializers.CharField(source="entry.source", read_only=True)

    class Meta:
        model = JournalLine
        fields = ["id", "date", "amount", "entry", "memo", "source", "description"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_amount(self, line):
        return f"{line.debit - line.credit:.2f}"


class BankTransactionDetailSerializer(BankTransactionSerializer):
    candidates = serializers.SerializerMethodField(
        help_text="Unmatched ledger lines on this bank account with the same amount, nearest date first (empty once "
        "matched): the ids to reconcile by hand."
    )

    class Meta(BankTransactionSerializer.Meta):
        fields = [*BankTransactionSerializer.Meta.fields, "candidates"]
        read_only_fields = fields

    @extend_schema_field(CandidateLineSerializer(many=True))
    def get_candidates(self, bank_transaction):
        return CandidateLineSerializer(reconcile_candidates(bank_transaction), many=True).data


class StatementUploadSerializer(serializers.Serializer):
    bank_account = BankAccountField()
    file = serializers.FileField()


class StatementImportedSerializer(serializers.Serializer):
    statement = serializers.UUIDField()
    created = serializers.BooleanField(help_text="False when this very file was imported before (nothing new).")
    rows = serializers.IntegerField()
    matched = serializers.IntegerField(help_text="Lines matched automatically now.")


class BankTransactionListView(generics.ListAPIView):
    """GET: statement lines (?bank_account=<id>&reconciled=true|false). POST multipart {bank_account, file}: import a
    bank or M-Pesa statement (CSV/XLSX; once per file; every bad row named, nothing stored) and auto-match it."""

    serializer_class = BankTransactionSerializer

    def get_permissions(self):
        perm = "finance.add_bankstatement" if self.request.method == "POST" else "finance.view_banktransaction"
        return [HasModelPermission(perm)()]

    def get_queryset(self):
        queryset = BankTransaction.objects.all()
        if account := query_uuid(self.request.query_params, "bank_account"):
            queryset = queryset.filter(bank_account_id=account)
        reconciled = self.request.query_params.get("reconciled")
        if reconciled in ("true", "false"):
            queryset = queryset.filter(matched_line__isnull=reconciled == "false")
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("bank_account", OpenApiTypes.UUID, required=False),
            OpenApiParameter("reconciled", str, enum=["true", "false"], required=False),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": StatementUploadSerializer},
        responses={
            201: StatementImportedSerializer,
            200: OpenApiResponse(StatementImportedSerializer, description="This file was imported before."),
        },
    )
    def post(self, request):
        data = StatementUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = data.validated_data["bank_account"]
        upload = data.validated_data["file"]
        try:
            result = statement_import(
                bank_account=account, content=upload_read(upload), file_name=upload.name, by=request.user
            )
        except FileRejected as exc:  # too big: refused before it is read
            return Response({"file": [str(exc)]}, status=400)
        except StatementInvalid as exc:  # kept here: a ValidationError answered row by row, not by field
            errors = [{"row": row, "field": field, "message": message} for row, field, message in exc.rows]
            return Response({"rows": errors}, status=400)
        body = {
            "statement": str(result.statement.pk),
            "created": result.created,
            "rows": result.statement.transactions.count(),
            "matched": result.matched,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class BankTransactionDetailView(generics.RetrieveAPIView):
    """GET …/bank-transactions/<id>/: one statement line, with the ledger lines it may be matched to by hand."""

    serializer_class = BankTransactionDetailSerializer
    permission_classes = [HasModelPermission("finance.view_banktransaction")]
    queryset = BankTransaction.objects.select_related("bank_account")


class ReconcileSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="A journal line id from GET …/bank-transactions/<id>/ (`candidates`). Leave it out to run the "
        "automatic matching again for this bank account.",
    )


class BankTransactionReconcileView(APIView):
    """POST …/bank-transactions/<id>/reconcile/ {"line": <journal line id>}: match by hand; without "line", try the
    automatic rules again for this account."""

    permission_classes = [HasModelPermission("finance.change_banktransaction")]

    @extend_schema(request=ReconcileSerializer, responses={200: BankTransactionSerializer})
    def post(self, request, pk):
        bank_transaction = get_object_or_404(BankTransaction.objects.select_related("bank_account"), pk=pk)
        data = ReconcileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line_id = data.validated_data.get("line")
        if line_id is None:
            bank_transactions_match(bank_account=bank_transaction.bank_account, by=request.user)
            bank_transaction.refresh_from_db()
            return Response(BankTransactionSerializer(bank_transaction).data)
        line = JournalLine.objects.filter(pk=line_id).first()
        if line is None:
            return Response({"line": ["No such ledger line."]}, status=400)
        bank_transaction = bank_transaction_reconcile(bank_transaction=bank_transaction, line=line, by=request.user)
        return Response(BankTransactionSerializer(bank_transaction).data)
