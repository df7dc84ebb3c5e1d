"""/api/loans/… for guarantors after a loan is paid out (issue 16): recovery from guarantors (maker-checker),
guarantors' claims on borrowers, and guarantor substitution.

- POST /api/loans/loans/<id>/guarantor-recovery/ — prepare (Treasurer, Administrators): notices to the guarantors;
- POST /api/loans/guarantor-recoveries/<id>/approve/ — another person with the same permission posts it;
- POST /api/loans/guarantor-recoveries/<id>/cancel/ — drop a prepared one (nothing was posted);
- GET /api/loans/guarantor-recoveries/ — staff who read the loan book;
- GET /api/loans/guarantor-claims/ — a member sees the claims they hold as guarantor; loan-book readers see all;
- POST /api/loans/guarantor-claims/<id>/repay/ {"amount", "reference"} — the borrower paid the guarantor back
  through the office (those who record repayments): Dr bank / Cr 2000 [guarantor];
- POST /api/loans/guarantees/<id>/substitute/ {"guarantor"} — the borrower (their own loan's guarantee; another
  member's is a 404) or staff with *substitute guarantor*. The new guarantor answers with …/guarantees/<id>/accept/.
"""

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.loans.guarantor_recovery import (
    guarantor_claim_repay,
    guarantor_recovery_approve,
    guarantor_recovery_cancel,
    guarantor_recovery_prepare,
)
from portal.loans.guarantor_substitution import SUBSTITUTE, guarantor_substitute
from portal.loans.models import Guarantee, GuarantorClaim, GuarantorRecovery, Loan
from portal.society.serializer_fields import MoneyField, MoneyTextField

from .loans_views import CONFLICT
from .lookups import members_by_label
from .permissions import HasModelPermission

RECOVER = "loans.recover_from_guarantors"
VIEW_CLAIMS = "loans.view_guarantorclaim"
VIEW_RECOVERIES = "loans.view_guarantorrecovery"


class GuarantorClaimSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    recovery = serializers.UUIDField(source="recovery_id")
    loan = serializers.UUIDField(source="loan_id")
    guarantor = serializers.CharField(source="guarantor.membership_number")
    borrower = serializers.CharField(source="borrower.membership_number")
    borrower_name = serializers.CharField(source="borrower.user.get_full_name")
    amount = MoneyField(read_only=True, help_text="What the guarantor's deposits paid into the loan.")
    recovered_back = MoneyField(read_only=True, help_text="What the guarantor has had back from the borrower.")
    outstanding = MoneyField(read_only=True, help_text="amount − recovered_back: the claim still open.")
    date = serializers.DateField(source="repayment.date")
    reference = serializers.CharField(source="repayment.reference")


class GuarantorRecoverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    loan = serializers.UUIDField(source="loan_id")
    status = serializers.CharField()
    days_past_due = serializers.IntegerField()
    notices_sent = serializers.IntegerField()
    prepared_by = serializers.CharField(source="prepared_by.email")
    prepared_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.email", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    date = serializers.DateField(allow_null=True)
    total = MoneyField(read_only=True, help_text="Σ recovered from the guarantors (0 until approved).")
    claims = GuarantorClaimSerializer(many=True, read_only=True)


def _recoveries():
    return GuarantorRecovery.objects.select_related("prepared_by", "decided_by").prefetch_related(
        "claims__guarantor", "claims__borrower__user", "claims__repayment"
    )


def _claims_for(user):
    claims = GuarantorClaim.objects.select_related("guarantor", "borrower__user", "repayment")
    if user.has_perm(VIEW_CLAIMS):
        return claims
    return claims.filter(guarantor__user=user)


class PrepareInSerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text="The day the notices are sent and the figures worked out (default today)."
    )


class RecoveryApproveInSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The posting date (default today; not in the future).")


def _date(data) -> datetime.date:
    date = data.get("date") or timezone.localdate()
    if date > timezone.localdate():
        raise serializers.ValidationError({"date": ["The date cannot be in the future."]})
    return date


class GuarantorRecoveryPrepareView(APIView):
    """POST /api/loans/loans/<id>/guarantor-recovery/ {"date": optional}: the loan is in default (days past due at
    least the society's setting); each guarantor is told what will be recovered from their deposits. 409 when the
    loan is not in default, is closed, has no accepted guarantee or already has a recovery waiting."""

    permission_classes = [HasModelPermission(RECOVER)]

    @extend_schema(request=PrepareInSerializer, responses={201: GuarantorRecoverySerializer, 409: CONFLICT})
    def post(self, request, pk):
        loan = get_object_or_404(Loan, pk=pk)
        data = PrepareInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery = guarantor_recovery_prepare(loan=loan, by=request.user, today=_date(data.validated_data))
        return Response(
            GuarantorRecoverySerializer(_recoveries().get(pk=recovery.pk)).data, status=status.HTTP_201_CREATED
        )


class GuarantorRecoveryApproveView(APIView):
    """POST /api/loans/guarantor-recoveries/<id>/approve/ {"date": optional}: a second person (never the one who
    prepared it) approves; each guarantor's share is posted from their deposits to the loan."""

    permission_classes = [HasModelPermission(RECOVER)]

    @extend_schema(request=RecoveryApproveInSerializer, responses={200: GuarantorRecoverySerializer, 409: CONFLICT})
    def post(self, request, pk):
        recovery = get_object_or_404(GuarantorRecovery, pk=pk)
        data = RecoveryApproveInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        guarantor_recovery_approve(recovery=recovery, by=request.user, date=_date(data.validated_data))
        return Response(GuarantorRecoverySerializer(_recoveries().get(pk=recovery.pk)).data)


class GuarantorRecoveryCancelView(APIView):
    """POST /api/loans/guarantor-recoveries/<id>/cancel/: drop a prepared recovery (nothing was posted)."""

    permission_classes = [HasModelPermission(RECOVER)]

    @extend_schema(request=None, responses={200: GuarantorRecoverySerializer, 409: CONFLICT})
    def post(self, request, pk):
        recovery = get_object_or_404(GuarantorRecovery, pk=pk)
        guarantor_recovery_cancel(recovery=recovery, by=request.user)
        return Response(GuarantorRecoverySerializer(_recoveries().get(pk=recovery.pk)).data)


class GuarantorRecoveryListView(generics.ListAPIView):
    """GET /api/loans/guarantor-recoveries/: every recovery from guarantors, newest first (loan-book readers)."""

    serializer_class = GuarantorRecoverySerializer
    permission_classes = [HasModelPermission(VIEW_RECOVERIES)]

    def get_queryset(self):
        return _recoveries().order_by("-prepared_at")


class GuarantorClaimListView(generics.ListAPIView):
    """GET /api/loans/guarantor-claims/: what guarantors paid for borrowers, and so claim from them. A member sees
    only the claims they hold; staff who read the loan book see all."""

    serializer_class = GuarantorClaimSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GuarantorClaim.objects.none()
        return _claims_for(self.request.user).order_by("-created_at", "-pk")


class SubstituteInSerializer(serializers.Serializer):
    guarantor = serializers.CharField(max_length=64, help_text="The new guarantor's membership number (or member id).")


class SubstitutionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    old_guarantee = serializers.UUIDField(source="old_guarantee_id")
    new_guarantee = serializers.UUIDField(source="new_guarantee_id")
    guarantor = serializers.CharField(source="new_guarantee.guarantor.membership_number")
    amount = MoneyField(source="new_guarantee.amount", read_only=True)
    status = serializers.CharField(source="new_guarantee.status", help_text="The new guarantee's status.")
    created_at = serializers.DateTimeField()


class GuaranteeSubstituteView(APIView):
    """POST /api/loans/guarantees/<id>/substitute/ {"guarantor"}: propose a new guarantor in place of this one on an
    active loan. The borrower acts on their own loan's guarantees (anyone else's is a 404); staff need *substitute
    guarantor*. The new guarantor accepts or declines like any request; on acceptance the old one is released."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SubstituteInSerializer, responses={201: SubstitutionSerializer, 409: CONFLICT})
    def post(self, request, pk):
        guarantees = Guarantee.objects.all()
        if not request.user.has_perm(SUBSTITUTE):
            guarantees = guarantees.filter(application__member__user=request.user)
        guarantee = get_object_or_404(guarantees, pk=pk)
        data = SubstituteInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = data.validated_data["guarantor"]
        new_guarantor = members_by_label([label]).get(label)
        substitution = guarantor_substitute(guarantee=guarantee, new_guarantor=new_guarantor, by=request.user)
        return Response(SubstitutionSerializer(substitution).data, status=status.HTTP_201_CREATED)


class ClaimRepayInSerializer(serializers.Serializer):
    amount = MoneyTextField(help_text="What the borrower paid back to the guarantor through the office.")
    reference = serializers.CharField(max_length=100, help_text="Receipt or slip number: the same one posts once.")
    date = serializers.DateField(required=False, help_text="Default today; not in the future.")


class GuarantorClaimRepayView(APIView):
    """POST /api/loans/guarantor-claims/<id>/repay/ {"amount", "reference", "date"}: money the borrower paid back to
    the guarantor came in to the bank; it is credited to the guarantor's deposits and the claim's recovered_back
    grows by it (never beyond the claim: 400 naming amount)."""

    permission_classes = [HasModelPermission("loans.record_repayment")]

    @extend_schema(request=ClaimRepayInSerializer, responses={200: GuarantorClaimSerializer})
    def post(self, request, pk):
        claim = get_object_or_404(GuarantorClaim, pk=pk)
        data = ClaimRepayInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        guarantor_claim_repay(
            claim=claim, amount=values["amount"], reference=values["reference"], by=request.user, date=_date(values)
        )
        return Response(GuarantorClaimSerializer(_claims_for(request.user).get(pk=claim.pk)).data)
