"""Membership exits and deaths (issue 16), services in portal/loans/membership_exit.py and member_death.py.

- POST /api/members/me/exit-notice/ — the member gives notice for themselves.
- POST /api/members/<pk>/exit-notice/ — a clerk gives notice for a member (members.give_exit_notice).
- GET  /api/members/<pk>/exit/ — the exit, its figures and payables (the member, or staff who read exits).
- POST /api/members/<pk>/exit-settlement/ — prepare (members.prepare_exit_settlement).
- POST /api/members/<pk>/exit-settlement/approve/ — approve and post (members.approve_exit_settlement; not the
  preparer).
- POST /api/members/<pk>/death/ — record a death, multipart with the document (members.record_death).
- POST /api/members/exit-payables/<id>/pay/ — pay a refund out (members.pay_exit_refund).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.finance.banking.models import BankAccount
from portal.loans.member_death import member_death_record
from portal.loans.membership_exit import (
    exit_notice_give,
    exit_refund_pay,
    exit_settlement_approve,
    exit_settlement_prepare,
)
from portal.members.models import ExitPayable, Member, MemberExit

from .loans_views import CONFLICT
from .member_views import member_visible_to
from .permissions import HasModelPermission, IsMember

EXITS_READ = "members.view_memberexit"


class ExitPayableSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExitPayable
        fields = ["id", "payee", "share_percent", "amount", "paid_on", "reference"]
        read_only_fields = fields


class MemberExitSerializer(serializers.ModelSerializer):
    membership_number = serializers.CharField(source="member.membership_number", read_only=True)
    share_receiver = serializers.CharField(
        source="share_receiver.membership_number", read_only=True, allow_null=True, default=None
    )
    payables = ExitPayableSerializer(many=True, read_only=True)
    share_capital_treatment = serializers.ChoiceField(
        choices=[("", "Not chosen yet"), ("transfer", "Transfer to another member"), ("refund", "Refund")],
        read_only=True,
        help_text="How the share capital leaves: chosen when the settlement is prepared (empty until then).",
    )

    class Meta:
        model = MemberExit
        fields = [
            "id",
            "membership_number",
            "kind",
            "status",
            "reason",
            "notice_given_on",
            "settle_from",
            "died_on",
            "share_capital_treatment",
            "share_receiver",
            "deposits",
            "share_capital",
            "loans_offset",
            "insurance_cleared",
            "loans_left",
            "refund_payable",
            "prepared_at",
            "approved_at",
            "payables",
        ]
        read_only_fields = fields


class NoticeInSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class SettlementInSerializer(serializers.Serializer):
    share_capital = serializers.ChoiceField(
        choices=["transfer", "refund"], help_text="Transfer to another member, or refund (if the by-laws allow)."
    )
    share_receiver = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="The receiving membership number."
    )


class DeathInSerializer(serializers.Serializer):
    died_on = serializers.DateField(help_text="Not in the future, nor before the member joined.")
    document = serializers.FileField(required=False, help_text="The death certificate or burial permit.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

    def validate_died_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("The date of death cannot be in the future.")
        member = self.context.get("member")
        if member is not None and member.join_date and value < member.join_date:
            raise serializers.ValidationError("The date of death is before the member joined.")
        return value


class PayInSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    bank_account = serializers.UUIDField(required=False, help_text="Defaults to the primary bank account.")
    date = serializers.DateField(required=False)


def _exit_of(member: Member) -> MemberExit:
    record = MemberExit.objects.filter(member=member).first()
    if record is None:
        raise Http404
    return record


def _staff_member(request, pk) -> Member:
    member = member_visible_to(request.user, pk)
    if member.user_id == request.user.pk:  # staff do not settle or record their own membership
        raise Http404
    return member


class MyExitNoticeView(APIView):
    """POST /api/members/me/exit-notice/: give notice to leave the SACCO."""

    permission_classes = [IsMember]

    @extend_schema(request=NoticeInSerializer, responses={201: MemberExitSerializer, 409: CONFLICT})
    def post(self, request):
        data = NoticeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = exit_notice_give(member=request.user.member, by=request.user, reason=data.validated_data["reason"])
        return Response(MemberExitSerializer(record).data, status=status.HTTP_201_CREATED)


class ExitNoticeView(APIView):
    """POST /api/members/<pk>/exit-notice/: a clerk records a member's notice."""

    permission_classes = [HasModelPermission("members.give_exit_notice")]

    @extend_schema(request=NoticeInSerializer, responses={201: MemberExitSerializer, 409: CONFLICT})
    def post(self, request, pk):
        member = _staff_member(request, pk)
        data = NoticeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = exit_notice_give(member=member, by=request.user, reason=data.validated_data["reason"])
        return Response(MemberExitSerializer(record).data, status=status.HTTP_201_CREATED)


class MemberExitView(APIView):
    """GET /api/members/<pk>/exit/: the member's own exit, or anyone's for staff who read exits."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MemberExitSerializer, 404: OpenApiResponse(description="No exit for this member.")})
    def get(self, request, pk):
        member = member_visible_to(request.user, pk, EXITS_READ)
        return Response(MemberExitSerializer(_exit_of(member)).data)


class ExitSettlementView(APIView):
    """POST /api/members/<pk>/exit-settlement/: prepare the settlement (the maker)."""

    permission_classes = [HasModelPermission("members.prepare_exit_settlement")]

    @extend_schema(request=SettlementInSerializer, responses={200: MemberExitSerializer, 409: CONFLICT})
    def post(self, request, pk):
        member = _staff_member(request, pk)
        data = SettlementInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receiver = None
        number = data.validated_data["share_receiver"].strip()
        if number:
            receiver = Member.objects.filter(membership_number__iexact=number).first()
            if receiver is None:
                return Response({"share_receiver": [f"No member {number!r}."]}, status=400)
        record = exit_settlement_prepare(
            member_exit=_exit_of(member),
            by=request.user,
            share_capital=data.validated_data["share_capital"],
            share_receiver=receiver,
        )
        return Response(MemberExitSerializer(record).data)


class ExitSettlementApproveView(APIView):
    """POST /api/members/<pk>/exit-settlement/approve/: approve and post (the checker, not the preparer)."""

    permission_classes = [HasModelPermission("members.approve_exit_settlement")]

    @extend_schema(request=None, responses={200: MemberExitSerializer, 409: CONFLICT})
    def post(self, request, pk):
        member = _staff_member(request, pk)
        record = exit_settlement_approve(member_exit=_exit_of(member), by=request.user)
        return Response(MemberExitSerializer(MemberExit.objects.get(pk=record.pk)).data)


class DeathView(APIView):
    """POST /api/members/<pk>/death/: record a member's death (date, document)."""

    permission_classes = [HasModelPermission("members.record_death")]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=DeathInSerializer, responses={201: MemberExitSerializer, 409: CONFLICT})
    def post(self, request, pk):
        member = _staff_member(request, pk)
        data = DeathInSerializer(data=request.data, context={"member": member})
        data.is_valid(raise_exception=True)
        record = member_death_record(
            member=member,
            died_on=data.validated_data["died_on"],
            document=data.validated_data.get("document"),
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response(MemberExitSerializer(record).data, status=status.HTTP_201_CREATED)


class ExitPayablePayView(APIView):
    """POST /api/members/exit-payables/<id>/pay/: pay a refund out (Dr 2400 / Cr bank)."""

    permission_classes = [HasModelPermission("members.pay_exit_refund")]

    @extend_schema(request=PayInSerializer, responses={200: ExitPayableSerializer, 409: CONFLICT})
    def post(self, request, pk):
        payable = get_object_or_404(ExitPayable, pk=pk)
        data = PayInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = None
        if data.validated_data.get("bank_account"):
            account = BankAccount.objects.filter(pk=data.validated_data["bank_account"]).first()
            if account is None:
                return Response({"bank_account": ["No such bank account."]}, status=400)
        paid = exit_refund_pay(
            payable=payable,
            by=request.user,
            reference=data.validated_data["reference"],
            bank_account=account,
            date=data.validated_data.get("date"),
        )
        return Response(ExitPayableSerializer(paid).data)
