"""/api/transactions/expenses/, /income/ and /batches/ (T2, T3): the SACCO's own money, for finance staff."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.finance.banking.services import bank_account_primary
from portal.finance.cashbook.batches import batch_create, batch_process, batch_validate
from portal.finance.cashbook.models import (
    BatchItemKind,
    ExpenseCategory,
    IncomeCategory,
    SaccoExpense,
    SaccoIncome,
    TransactionBatch,
)
from portal.finance.cashbook.services import expense_record, income_record
from portal.society.serializer_fields import MoneyField, MoneyTextField

from .lookups import BankAccountField
from .permissions import HasModelPermission


class _RecordSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    date = serializers.DateField(read_only=True)
    category = serializers.CharField(source="category.name", read_only=True)
    amount = MoneyField(read_only=True)
    transaction_cost = MoneyField(read_only=True)
    bank_account = serializers.CharField(source="bank_account.name", read_only=True)
    description = serializers.CharField(read_only=True)
    reference = serializers.CharField(read_only=True)
    has_receipt = serializers.SerializerMethodField()
    journal_entry = serializers.UUIDField(source="entry_id", read_only=True)

    def get_has_receipt(self, obj) -> bool:
        return bool(obj.receipt)


class ExpenseSerializer(_RecordSerializer):
    payee = serializers.CharField(read_only=True)


class IncomeSerializer(_RecordSerializer):
    payer = serializers.CharField(read_only=True)


class _RecordInSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="Category name or id.", max_length=100)
    amount = MoneyTextField()
    transaction_cost = MoneyTextField(required=False, allow_blank=True, default="0")
    bank_account = BankAccountField(required=False, allow_null=True, default=None)
    date = serializers.DateField(required=False, allow_null=True, default=None)
    description = serializers.CharField(allow_blank=True, default="", max_length=255)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    receipt = serializers.FileField(required=False, allow_null=True, default=None)


class ExpenseInSerializer(_RecordInSerializer):
    payee = serializers.CharField(allow_blank=True, default="", max_length=150)


class IncomeInSerializer(_RecordInSerializer):
    payer = serializers.CharField(allow_blank=True, default="", max_length=150)


def _category(model, text):
    text = str(text).strip()
    if text.isascii() and text.isdigit():
        return model.objects.filter(pk=int(text)).first() if len(text) <= 9 else None
    return model.objects.filter(name__iexact=text).first()


class _CashbookView(generics.ListAPIView):
    model = None
    category_model = None
    in_serializer = None
    app_perm = ""

    def get_permissions(self):
        action = "add" if self.request.method == "POST" else "view"
        return [HasModelPermission(f"finance.{action}_{self.model._meta.model_name}")()]

    def get_queryset(self):
        queryset = self.model.objects.select_related("category", "bank_account").order_by("-date", "-recorded_at")
        category = self.request.query_params.get("category")
        if category:
            queryset = queryset.filter(category__name__iexact=category)
        return queryset

    def _record(self, data, request):
        raise NotImplementedError

    def post(self, request):
        data = self.in_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        category = _category(self.category_model, values.pop("category"))
        values["bank_account"] = values["bank_account"] or bank_account_primary()
        record, created = self._record(category=category, recorded_by=request.user, **values)
        return Response(
            self.serializer_class(record).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ExpenseListView(_CashbookView):
    """GET lists expenses (?category=); POST records one (multipart for a receipt): Dr expense / Cr bank."""

    serializer_class = ExpenseSerializer
    model = SaccoExpense
    category_model = ExpenseCategory
    in_serializer = ExpenseInSerializer

    def _record(self, **kwargs):
        return expense_record(**kwargs)

    @extend_schema(request=ExpenseInSerializer, responses={201: ExpenseSerializer})
    def post(self, request):
        return super().post(request)


class IncomeListView(_CashbookView):
    """GET lists other income; POST records one: Dr bank / Cr income."""

    serializer_class = IncomeSerializer
    model = SaccoIncome
    category_model = IncomeCategory
    in_serializer = IncomeInSerializer

    def _record(self, **kwargs):
        return income_record(**kwargs)

    @extend_schema(request=IncomeInSerializer, responses={201: IncomeSerializer})
    def post(self, request):
        return super().post(request)


class BatchItemSerializer(serializers.Serializer):
    """One line, kept as text so that validation names what is wrong with it; lengths are the columns'."""

    kind = serializers.ChoiceField(choices=BatchItemKind.choices)
    member = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    amount = MoneyTextField(max_length=30)
    period = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)
    date = serializers.DateField(required=False, allow_null=True, default=None)
    counterparty = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class BatchSerializer(serializers.ModelSerializer):
    items = BatchItemSerializer(many=True, read_only=True)
    bank_account = serializers.CharField(source="bank_account.name", read_only=True)

    class Meta:
        model = TransactionBatch
        fields = [
            "id",
            "name",
            "bank_account",
            "status",
            "errors",
            "created_at",
            "validated_at",
            "processed_at",
            "items",
        ]


class BatchInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    bank_account = BankAccountField(required=False, allow_null=True, default=None)
    items = BatchItemSerializer(many=True, allow_empty=False)


class BatchListView(generics.ListAPIView):
    """GET lists batches; POST creates one and validates it at once (errors by line; nothing posted)."""

    serializer_class = BatchSerializer

    def get_permissions(self):
        action = "add" if self.request.method == "POST" else "view"
        return [HasModelPermission(f"finance.{action}_transactionbatch")()]

    def get_queryset(self):
        return TransactionBatch.objects.select_related("bank_account").prefetch_related("items")

    @extend_schema(request=BatchInSerializer, responses={201: BatchSerializer})
    def post(self, request):
        data = BatchInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bank_account = values["bank_account"] or bank_account_primary()
        if bank_account is None:  # no account named and no primary one
            return Response({"bank_account": ["No such bank account."]}, status=status.HTTP_400_BAD_REQUEST)
        batch = batch_create(
            name=values["name"], bank_account=bank_account, items=values["items"], created_by=request.user
        )
        batch_validate(batch=batch)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class ProcessBatchView(APIView):
    """POST /api/transactions/batches/<pk>/process-batch/: post every line or none."""

    permission_classes = [HasModelPermission("finance.process_transactionbatch")]

    @extend_schema(
        request=None,
        responses={
            200: BatchSerializer,
            400: OpenApiResponse(BatchSerializer, description="Lines were refused (see errors); nothing posted."),
            409: OpenApiResponse(
                inline_serializer("BatchNotProcessable", {"detail": serializers.CharField()}),
                description="The batch is already processed (or not ready).",
            ),
        },
    )
    def post(self, request, pk):
        batch = get_object_or_404(TransactionBatch, pk=pk)
        errors = batch_process(batch=batch, processed_by=request.user)
        body = BatchSerializer(batch).data
        return Response(body, status=status.HTTP_400_BAD_REQUEST if errors else status.HTTP_200_OK)
