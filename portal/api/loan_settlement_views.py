"""/api/loans/loans/<id>/settlement-quote/ and …/settle/ (issue 16): early settlement.

The quote is read by whoever may read the loan: the member for their own loan (another member's is a 404, as for
every loan path), staff who read loans for any. Settling posts money received, so it needs the right to record
repayments (Clerks, Treasurer, Administrators: docs/roles.md); the member pays by the usual channels and the office
records it. The rule behind the figures is in portal/loans/settlement.py."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.loans.models import Loan, LoanStatus
from portal.loans.selectors import loans_visible_to
from portal.loans.settlement import loan_settle_early, settlement_quote_of
from portal.society.serializer_fields import MONEY_HELP, MoneyField

from .loans_views import CONFLICT, RepaymentOutSerializer
from .lookups import BankAccountField
from .permissions import HasModelPermission


class SettlementQuoteSerializer(serializers.Serializer):
    amount = MoneyField(read_only=True, help_text="What settles the loan: principal + interest + penalty.")
    principal = MoneyField(read_only=True, help_text="All the principal left.")
    interest = MoneyField(
        read_only=True,
        help_text="Interest fallen due and unpaid, plus the product's months of interest still charged on early "
        "settlement (usually none).",
    )
    penalty = MoneyField(read_only=True, help_text="Penalties charged and unpaid.")
    waived_interest = MoneyField(read_only=True, help_text="Interest not yet due that settling today saves.")
    as_of = serializers.DateField(read_only=True, help_text="The day the quote was computed for (today).")
    valid_until = serializers.DateField(
        read_only=True,
        help_text="The last day this amount settles the loan: the day before the next instalment falls due, or "
        "today when something is overdue (a penalty may be charged from tomorrow).",
    )


class SettleInSerializer(serializers.Serializer):
    amount = MoneyField(help_text="At least the quote's amount; anything above it goes to deposits. " + MONEY_HELP)
    reference = serializers.CharField(
        allow_blank=True, max_length=100, help_text="M-Pesa code or bank slip: the same reference settles once."
    )
    date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The day the money came in; default today."
    )
    bank_account = BankAccountField(
        required=False, allow_null=True, default=None, help_text="The account it came into; default the primary one."
    )


class SettlementQuoteView(APIView):
    """GET …/loans/<id>/settlement-quote/: what settles the loan today. 409 when the loan is not active."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SettlementQuoteSerializer, 409: CONFLICT})
    def get(self, request, pk):
        loan = get_object_or_404(loans_visible_to(user=request.user).select_related("product"), pk=pk)
        if loan.status != LoanStatus.ACTIVE:
            return Response({"detail": "This loan is not active; there is nothing to settle."}, status=409)
        return Response(SettlementQuoteSerializer(settlement_quote_of(loan=loan)).data)


class SettleView(APIView):
    """POST …/loans/<id>/settle/ {"amount", "reference", "date"?, "bank_account"?}: settle and close the loan,
    release its guarantors. Once per reference: a retry answers the same payment (200, created false). An amount
    below the quote is a 400 on `amount`; a loan already closed a 409."""

    permission_classes = [HasModelPermission("loans.record_repayment")]

    @extend_schema(
        request=SettleInSerializer,
        responses={
            201: RepaymentOutSerializer,
            200: RepaymentOutSerializer,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        loan = get_object_or_404(Loan, pk=pk)
        data = SettleInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = loan_settle_early(
            loan=loan,
            amount=values["amount"],
            reference=values["reference"],
            date=values["date"],
            bank_account=values["bank_account"],
            recorded_by=request.user,
        )
        repayment = result.repayment
        body = {
            "id": repayment.pk,
            "amount": repayment.amount,
            "penalty": repayment.penalty_part,
            "interest": repayment.interest_part,
            "principal": repayment.principal_part,
            "overpayment": repayment.overpayment,
            "loan_status": Loan.objects.values_list("status", flat=True).get(pk=loan.pk),
            "created": result.created,
        }
        return Response(RepaymentOutSerializer(body).data, status=201 if result.created else 200)
