"""API views: thin, scoped to the caller."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .permissions import IsMember
from .serializers import MemberDashboardSerializer, MemberProfileSerializer


class ApiRootView(APIView):
    """Where to start: the schema, the docs and the token endpoints."""

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
        ]
        links = {name: reverse(f"api:{name}", request=request) for name in names}
        return Response(links)


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

    @extend_schema(request=MemberProfileSerializer, responses={200: MemberProfileSerializer})
    def patch(self, request):
        from django.core.exceptions import ValidationError
        from rest_framework import status

        from portal.members.otp import otp_verify
        from portal.members.profile import (
            BANK_FIELDS,
            member_bank_details_update,
            member_nominees_replace,
            member_profile_update,
        )

        from .errors import validation_error_response

        member = self.get_object()
        data = dict(request.data)
        otp_code = str(data.pop("otp_code", "") or "")
        nominees = data.pop("nominees", None)
        bank = {field: data.pop(field) for field in BANK_FIELDS if field in data}
        try:
            if bank:
                if not otp_code or otp_verify(user=request.user, token=otp_code, request=request._request) is None:
                    return Response(
                        {"otp_code": ["Bank details need a current code from your second factor."]},
                        status=status.HTTP_403_FORBIDDEN,
                    )
                member_bank_details_update(member=member, changes=bank, by=request.user, request=request._request)
            if data:
                member_profile_update(member=member, changes=data, by=request.user, request=request._request)
            if nominees is not None:
                member_nominees_replace(
                    member=member, nominees=list(nominees), by=request.user, request=request._request
                )
        except ValidationError as exc:
            return validation_error_response(exc)
        member.refresh_from_db()
        return Response(self.get_serializer(member).data)


class MemberDashboardView(generics.RetrieveAPIView):
    """GET /api/members/dashboard/: the caller's dashboard figures."""

    serializer_class = MemberDashboardSerializer
    permission_classes = [IsMember]

    def get_object(self):
        return self.request.user.member
