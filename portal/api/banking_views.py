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
