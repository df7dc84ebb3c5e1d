"""/api/loans/… for restructuring and writing off loans (issue 16). Staff prepare by permission (loans officers,
treasurer, administrators); the credit committee votes through the same workflow as the admin's buttons (two
distinct members, never the preparer or the borrower). The services are portal/loans/restructure.py and
write_off.py."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.loans.models import Loan, LoanRestructure, LoanWriteOff, ProposalStatus
from portal.loans.restructure import MAX_HOLIDAY_MONTHS, MAX_TERM_MONTHS, restructure_decide, restructure_prepare
from portal.loans.write_off import write_off_decide, write_off_prepare
from portal.society.serializer_fields import MoneyField

from .loans_views import CONFLICT
from .permissions import HasModelPermission
from .reports_views import ApproveSerializer


class RestructureInSerializer(serializers.Serializer):
    term_months = serializers.IntegerField(min_value=1, max_value=MAX_TERM_MONTHS, help_text="Months of instalments.")
    annual_rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        default=None,
        help_text="% a year; the loan's own rate when left out.",
    )
    holiday_months = serializers.IntegerField(
        min_value=0,
        max_value=MAX_HOLIDAY_MONTHS,
        default=0,
        help_text="Months with no instalment first; their interest falls due with the first instalment.",
    )
    reason = serializers.CharField(max_length=1000, help_text="Why, for the committee.")


class RestructureSerializer(serializers.ModelSerializer):
    loan = serializers.UUIDField(source="loan_id", read_only=True)
    principal_before = MoneyField(read_only=True)
    interest_capitalised = MoneyField(read_only=True)
    penalty_capitalised = MoneyField(read_only=True)
    new_principal = MoneyField(read_only=True, help_text="What the new schedule repays (0.00 until applied).")
    step = serializers.CharField(source="waiting_for", read_only=True)
    classification_held = serializers.CharField(
        read_only=True,
        help_text="The class kept until the loan has paid `cure_payments` instalments on time; empty until applied.",
    )

    class Meta:
        model = LoanRestructure
        fields = [
            "id",
            "loan",
            "status",
            "step",
            "term_months",
            "annual_rate",
            "holiday_months",
            "reason",
            "prepared_at",
            "decided_at",
            "decision_reason",
            "applied_on",
            "principal_before",
            "interest_capitalised",
            "penalty_capitalised",
            "new_principal",
            "schedule_version",
            "classification_held",
            "cure_payments",
            "cured_on",
        ]
        read_only_fields = fields


class WriteOffInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why, for the committee.")


class WriteOffSerializer(serializers.ModelSerializer):
    loan = serializers.UUIDField(source="loan_id", read_only=True)
    member = serializers.CharField(source="loan.member.membership_number", read_only=True)
    principal = MoneyField(read_only=True)
    interest = MoneyField(read_only=True)
    penalty = MoneyField(read_only=True)
    recovered = MoneyField(read_only=True)
    memo_balance = MoneyField(read_only=True, help_text="Written off less recovered: still owed off the books.")
    step = serializers.CharField(source="waiting_for", read_only=True)

    class Meta:
        model = LoanWriteOff
        fields = [
            "id",
            "loan",
            "member",
            "status",
            "step",
            "reason",
            "prepared_at",
            "decided_at",
            "decision_reason",
            "written_off_on",
            "principal",
            "interest",
            "penalty",
            "recovered",
            "memo_balance",
        ]
        read_only_fields = fields


class RestructurePrepareView(APIView):
    """POST …/loans/<loan id>/restructure/ {"term_months", "annual_rate"?, "holiday_months"?, "reason"}: prepare a
    restructure from the outstanding balance; it waits for the credit committee (201)."""

    permission_classes = [HasModelPermission("loans.prepare_loanrestructure")]

    @extend_schema(request=RestructureInSerializer, responses={201: RestructureSerializer, 409: CONFLICT})
    def post(self, request, pk):
        loan = get_object_or_404(Loan, pk=pk)
        data = RestructureInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = restructure_prepare(loan=loan, by=request.user, **data.validated_data)
        return Response(RestructureSerializer(record).data, status=status.HTTP_201_CREATED)


class RestructureApproveView(APIView):
    """POST …/restructures/<id>/approve/ {"action": "approve" (default) or "reject", "reason": required to reject}:
    one committee member's vote; the second approval carries the restructure out."""

    permission_classes = [HasModelPermission("loans.change_loanrestructure")]

    @extend_schema(
        request=ApproveSerializer,
        responses={200: RestructureSerializer, 403: OpenApiResponse(description="Not a voter here."), 409: CONFLICT},
    )
    def post(self, request, pk):
        record = get_object_or_404(LoanRestructure, pk=pk)
        vote = ApproveSerializer(data=request.data)
        vote.is_valid(raise_exception=True)
        record = restructure_decide(restructure=record, user=request.user, **vote.validated_data)
        return Response(RestructureSerializer(record).data)


class WriteOffPrepareView(APIView):
    """POST …/loans/<loan id>/write-off/ {"reason"}: prepare writing off a loss-class loan (201); 409 when the loan
    is not active, not classified loss, or already has a proposal waiting."""

    permission_classes = [HasModelPermission("loans.prepare_loanwriteoff")]

    @extend_schema(request=WriteOffInSerializer, responses={201: WriteOffSerializer, 409: CONFLICT})
    def post(self, request, pk):
        loan = get_object_or_404(Loan, pk=pk)
        data = WriteOffInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = write_off_prepare(loan=loan, by=request.user, reason=data.validated_data["reason"])
        return Response(WriteOffSerializer(record).data, status=status.HTTP_201_CREATED)


class WriteOffApproveView(APIView):
    """POST …/write-offs/<id>/approve/ {"action", "reason"}: one committee member's vote; the second approval posts
    the write-off."""

    permission_classes = [HasModelPermission("loans.change_loanwriteoff")]

    @extend_schema(
        request=ApproveSerializer,
        responses={200: WriteOffSerializer, 403: OpenApiResponse(description="Not a voter here."), 409: CONFLICT},
    )
    def post(self, request, pk):
        record = get_object_or_404(LoanWriteOff, pk=pk)
        vote = ApproveSerializer(data=request.data)
        vote.is_valid(raise_exception=True)
        record = write_off_decide(write_off=record, user=request.user, **vote.validated_data)
        return Response(WriteOffSerializer(record).data)


class WrittenOffListView(generics.ListAPIView):
    """GET …/write-offs/: the written-off loans' memo records (amount written off, recovered, still owed)."""

    serializer_class = WriteOffSerializer
    permission_classes = [HasModelPermission("loans.view_loanwriteoff")]

    def get_queryset(self):
        return LoanWriteOff.objects.filter(status=ProposalStatus.APPLIED).select_related("loan__member")
