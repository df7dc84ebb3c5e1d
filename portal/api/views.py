"""API views: thin, scoped to the caller."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from portal.members.otp import otp_verify
from portal.members.profile import (
    BANK_FIELDS,
    member_bank_details_update,
    member_nominees_replace,
    member_profile_update,
)

from .permissions import IsMember
from .serializers import MemberDashboardSerializer, MemberProfileSerializer


class ApiRootView(APIView):
    """Where to start: the schema, the docs, the token endpoints and the public document check."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        names = [
            "schema",
            "docs",
            "redoc",
            "otp-login",
            "verify-otp",
            "token_refresh",
            "member-profile",
            "member-dashboard",
            "document-verify",  # issue 18: public
        ]
        links = {name: reverse(f"api:{name}", request=request) for name in names}
        return Response(links)


class NomineeInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)
    relationship = serializers.CharField(max_length=50)
    national_id = serializers.CharField(max_length=20, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="The shares add up to 100.")


class MemberProfileUpdateSerializer(serializers.Serializer):
    """What a member may change about themself. Types and lengths are checked here; the services check the rest
    (phone numbers, shares adding up to 100) and refuse, naming it, any other field."""

    phone_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    postal_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    bank_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    bank_branch = serializers.CharField(max_length=100, required=False, allow_blank=True)
    bank_account_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    bank_account_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    otp_code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="A current code from your second factor; needed to change bank details.",
    )
    nominees = NomineeInputSerializer(many=True, required=False, help_text="Replaces all nominees.")


class MemberProfileView(generics.RetrieveAPIView):
    """GET/PATCH /api/members/profile/ (and /api/auth/profile/): the caller's own profile.

    PATCH changes contacts and nominees; bank details also need `otp_code`, a current code from the caller's
    second factor. Fields the member may not change (role, status, membership number, identity) are refused
    with 400 naming the field — never silently ignored.
    """

    serializer_class = MemberProfileSerializer
    permission_classes = [IsMember]

    def get_object(self):
        return self.request.user.member

    @extend_schema(request=MemberProfileUpdateSerializer, responses={200: MemberProfileSerializer})
    def patch(self, request):
        if not isinstance(request.data, Mapping):
            return Response({"non_field_errors": ["Send an object of fields."]}, status=status.HTTP_400_BAD_REQUEST)
        checked = MemberProfileUpdateSerializer(data=request.data, partial=True)
        checked.is_valid(raise_exception=True)
        member = self.get_object()
        # The raw values go on: the services parse them (and refuse, naming them, fields a member may not change).
        data = dict(request.data.items())
        otp_code = str(data.pop("otp_code", "") or "")
        nominees = None
        if "nominees" in checked.validated_data:
            nominees = [dict(nominee) for nominee in checked.validated_data["nominees"]]
            data.pop("nominees", None)
        bank = {field: data.pop(field) for field in BANK_FIELDS if field in data}
        if bank:
            if not otp_code or otp_verify(user=request.user, token=otp_code, request=request._request) is None:
                message = "Bank details need a current code from your second factor."
                return Response({"detail": message, "otp_code": [message]}, status=status.HTTP_403_FORBIDDEN)
            member_bank_details_update(member=member, changes=bank, by=request.user, request=request._request)
        if data:
            member_profile_update(member=member, changes=data, by=request.user, request=request._request)
        if nominees is not None:
            member_nominees_replace(member=member, nominees=list(nominees), by=request.user, request=request._request)
        member.refresh_from_db()
        return Response(self.get_serializer(member).data)


class MemberDashboardView(generics.RetrieveAPIView):
    """GET /api/members/dashboard/: the caller's dashboard figures."""

    serializer_class = MemberDashboardSerializer
    permission_classes = [IsMember]

    def get_object(self):
        return self.request.user.member
