"""Staff endpoints from the seed: status toggles and second-factor reset. Each checks a permission and calls
one service."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.members.models import Member, MemberStatus, User
from portal.members.otp import otp_devices_reset
from portal.members.services import MemberStatusError, member_status_set, user_active_toggle
from portal.notifications.drafts import mass_email_draft_create
from portal.notifications.mass_email import mass_email_queue

from .permissions import HasModelPermission

ACCOUNT_ID = OpenApiParameter(
    "user_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The account: a member's `id` (as /api/members/ answers) or the login's own user id.",
)


def _account_for(account_id) -> User:
    """The login behind a member id or a user id (the seed's paths say user id, but no answer gives one)."""
    user = User.objects.filter(Q(pk=account_id) | Q(member__pk=account_id)).first()
    if user is None:
        raise Http404("No member or user with this id.")
    return user


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class MemberStatusOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    membership_number = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()


class UserStatusOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The user id of the login.")
    member_id = serializers.SerializerMethodField(help_text="The member's id, when the login belongs to a member.")
    email = serializers.EmailField()
    is_active = serializers.BooleanField()

    def get_member_id(self, user) -> str | None:
        member = getattr(user, "member", None)
        return str(member.pk) if member is not None else None


class OtpResetOutSerializer(UserStatusOutSerializer):
    devices_removed = serializers.IntegerField()


class MemberToggleActiveView(APIView):
    """POST /api/members/<pk>/toggle-active/: active ↔ inactive (a reason is needed to deactivate)."""

    permission_classes = [HasModelPermission("members.change_member")]

    @extend_schema(request=ReasonSerializer, responses={200: MemberStatusOutSerializer})
    def post(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = MemberStatus.INACTIVE if member.status == MemberStatus.ACTIVE else MemberStatus.ACTIVE
        try:
            member = member_status_set(
                member=member,
                status=target,
                reason=data.validated_data["reason"],
                by=request.user,
                request=request._request,
            )
        except MemberStatusError as exc:  # kept here: a ValueError about this request's `reason` field
            return Response({"reason": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(MemberStatusOutSerializer(member).data)


class UserToggleStatusView(APIView):
    """POST /api/auth/admin/toggle-user-status/<id>/: enable or disable a login (a member id or a user id).
    Disabling revokes the person's API tokens (portal/members/tokens.py)."""

    permission_classes = [HasModelPermission("members.change_user")]

    @extend_schema(request=ReasonSerializer, responses={200: UserStatusOutSerializer}, parameters=[ACCOUNT_ID])
    def post(self, request, user_id):
        user = _account_for(user_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = user_active_toggle(
                user=user, by=request.user, reason=data.validated_data["reason"], request=request._request
            )
        except MemberStatusError as exc:  # kept here: a ValueError about this request's `reason` field
            return Response({"reason": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(UserStatusOutSerializer(user).data)


class ResetUserOtpView(APIView):
    """POST /api/auth/admin/reset-user-otp/<id>/: remove the person's second-factor devices (M11) and revoke
    their API tokens. The id is a member id or a user id."""

    permission_classes = [HasModelPermission("members.change_user")]

    @extend_schema(request=None, responses={200: OtpResetOutSerializer}, parameters=[ACCOUNT_ID])
    def post(self, request, user_id):
        user = _account_for(user_id)
        removed = otp_devices_reset(user=user, by=request.user, request=request._request)
        user.devices_removed = removed
        return Response(OtpResetOutSerializer(user).data)


class MassEmailInSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField()
    audience = serializers.ChoiceField(choices=["all", "active", "on_hold", "inactive", "exited"], default="active")
    employer = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class MassEmailOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    subject = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    sent_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()


class SendMassEmailView(APIView):
    """POST /api/auth/admin/send-mass-email/: compose and queue in one call; answers 202 with progress counters."""

    permission_classes = [HasModelPermission("notifications.add_massemail")]

    @extend_schema(request=MassEmailInSerializer, responses={202: MassEmailOutSerializer})
    def post(self, request):
        data = MassEmailInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mass_email = mass_email_draft_create(by=request.user, **data.validated_data)
        mass_email = mass_email_queue(mass_email=mass_email, by=request.user)
        return Response(MassEmailOutSerializer(mass_email).data, status=status.HTTP_202_ACCEPTED)
