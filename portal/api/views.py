"""API views: thin, scoped to the caller."""

from django.urls import NoReverseMatch
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from .permissions import IsMember
from .serializers import MemberDashboardSerializer, MemberProfileSerializer


class ApiRootView(APIView):
    """Where to start: the schema, the docs and the token endpoints."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        links = {}
        for name in [
            "schema",
            "docs",
            "redoc",
            "token_obtain_pair",
            "token_refresh",
            "member-profile",
            "member-dashboard",
        ]:
            try:
                links[name] = reverse(f"api:{name}", request=request)
            except NoReverseMatch:  # pragma: no cover - a renamed route
                continue
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


class LockoutAwareTokenObtainPairView(TokenObtainPairView):
    """simplejwt's token view, answering 429 for a locked account like the web sign-in does.

    django-axes marks the Django request; DRF wraps it, so the mark is read back here.
    """

    def post(self, request, *args, **kwargs):
        from portal.members.lockout import lockout_response

        if self._locked(request):
            return lockout_response(request._request)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 401 and self._locked(request):  # this failure reached the threshold
            return lockout_response(request._request)
        return response

    @staticmethod
    def _locked(request) -> bool:
        from axes.handlers.proxy import AxesProxyHandler

        credentials = {"email": request.data.get("email", "")} if hasattr(request, "data") else {}
        return bool(getattr(request, "axes_locked_out", False)) or AxesProxyHandler.is_locked(
            request._request, credentials
        )
