"""Staff actions on loan repayments (issue 16): `POST /api/loans/repayments/<id>/reverse/ {"reason", "code"}`
takes back a repayment posted in error (portal/loans/reversal.py).

Money leaves the loan book, so the rule is the admin's *Reverse* action's: the permission *reverse loan
repayments* (Treasurer and Administrators, docs/roles.md) and the second factor proved just now — a code in the body
(TOTP, emailed or backup), or a browser session that passed one within the portal's fresh window, exactly as the
guarantor's answer asks (loans_views._GuaranteeAnswerView)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.loans.models import LoanRepayment, LoanRepaymentReversal
from portal.loans.reversal import REASON_MAX, repayment_reverse
from portal.members.otp import otp_is_fresh, otp_verify
from portal.society.serializer_fields import MoneyField

from .loans_views import CONFLICT, MAIL_DOWN, SecondFactorInSerializer, SecondFactorThrottle, _GuaranteeAnswerView
from .permissions import HasModelPermission

REVERSE_REPAYMENTS = "loans.reverse_loanrepayment"


class ReverseInSerializer(SecondFactorInSerializer):
    reason = serializers.CharField(
        max_length=REASON_MAX,
        help_text="Why the repayment is reversed (wrong member, amount or reference); shown in the audit trail and "
        "on the member's statement.",
    )


class ReallocatedSerializer(serializers.Serializer):
    reference = serializers.CharField(source="repayment.reference")
    repayment = serializers.UUIDField(source="repayment_id", help_text="The repayment as first allocated.")
    reapplied_as = serializers.UUIDField(source="reapplied_as_id", help_text="The same money, allocated again.")
    penalty_part = MoneyField(source="reapplied_as.penalty_part", read_only=True)
    interest_part = MoneyField(source="reapplied_as.interest_part", read_only=True)
    principal_part = MoneyField(source="reapplied_as.principal_part", read_only=True)
    overpayment = MoneyField(source="reapplied_as.overpayment", read_only=True)


class ReversalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    repayment = serializers.UUIDField(source="repayment_id")
    loan = serializers.UUIDField(source="repayment.loan_id")
    reference = serializers.CharField(source="repayment.reference")
    amount = MoneyField(source="repayment.amount", read_only=True)
    reason = serializers.CharField()
    entry = serializers.IntegerField(source="entry_id", help_text="The contra journal entry.")
    returned_to = serializers.CharField(
        help_text="The ledger account the money went back to: the bank it came in to, or 2300 Unallocated receipts."
    )
    loan_reopened = serializers.BooleanField()
    loan_status = serializers.CharField(source="repayment.loan.status")
    reallocated = ReallocatedSerializer(many=True, source="reallocations.all")
    reversed_by = serializers.CharField(source="reversed_by.email", allow_null=True, default=None)
    reversed_at = serializers.DateTimeField()


class RepaymentReverseView(APIView):
    """POST /api/loans/repayments/<id>/reverse/ {"reason", "code"}: reverse a repayment posted in error. Contra
    entries; the instalments as they were before it; later repayments of the loan re-allocated; money from a
    check-off row or M-Pesa back to 2300 Unallocated receipts, a counter or bank payment back out of its bank
    account. 400 without a reason, 403 without the permission or a fresh second factor, 409 when already reversed."""

    permission_classes = [HasModelPermission(REVERSE_REPAYMENTS)]
    throttle_classes = [SecondFactorThrottle]

    @extend_schema(
        request=ReverseInSerializer,
        responses={
            200: ReversalSerializer,
            403: OpenApiResponse(description="No permission, or the second-factor code is missing or not valid."),
            404: OpenApiResponse(description="No such repayment."),
            409: CONFLICT,
            503: MAIL_DOWN,
        },
    )
    def post(self, request, pk):
        repayment = get_object_or_404(LoanRepayment, pk=pk)
        data = ReverseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["code"].strip()
        session_fresh = isinstance(request.successful_authenticator, SessionAuthentication) and otp_is_fresh(
            request._request
        )
        if not session_fresh:
            if not code:
                return _GuaranteeAnswerView._code_needed(request.user)
            if otp_verify(user=request.user, token=code, request=request._request) is None:
                return Response(
                    {"detail": "The second-factor code is not valid.", "code": ["That code is not valid."]},
                    status=status.HTTP_403_FORBIDDEN,
                )
        reversal = repayment_reverse(repayment=repayment, by=request.user, reason=data.validated_data["reason"])
        return Response(ReversalSerializer(_with_details(reversal)).data)


def _with_details(reversal: LoanRepaymentReversal) -> LoanRepaymentReversal:
    reversal = LoanRepaymentReversal.objects.select_related("repayment__loan", "reversed_by", "entry").get(
        pk=reversal.pk
    )
    credit = reversal.entry.lines.filter(credit__gt=0, loan__isnull=True).exclude(account__code="2000").first()
    reversal.returned_to = credit.account.code if credit is not None else ""
    return reversal
