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
    """GET /api/members/profile/: the caller's own member profile."""

    serializer_class = MemberProfileSerializer
    permission_classes = [IsMember]

    def get_object(self):
        return self.request.user.member


class MemberDashboardView(generics.RetrieveAPIView):
    """GET /api/members/dashboard/: the caller's dashboard figures."""

    serializer_class = MemberDashboardSerializer
    permission_classes = [IsMember]

    def get_object(self):
        return self.request.user.member
