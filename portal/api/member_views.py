"""/api/members/…: staff see every member (with view permission); a member sees only their own records,
and gets 404 — not 403 — for anyone else's, so ids reveal nothing."""

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated

from portal.members.models import ActivityLog, KycDocument, Member
from portal.members.selectors import activity_logs_visible_to, kyc_documents_visible_to, members_visible_to

from .auth_views import DocumentSerializer
from .permissions import HasModelPermission
from .serializers import MemberProfileSerializer


def member_visible_to(user, pk, permission: str | None = None) -> Member:
    """The member with this id if the caller may see it (`members_visible_to`) and, when it is someone else's
    record, the caller also holds `permission` (to read that kind of record); Http404 otherwise."""
    member = members_visible_to(user=user).select_related("user").filter(pk=pk).first()
    if member is None or (permission and member.user_id != user.pk and not user.has_perm(permission)):
        raise Http404
    return member


class MemberListView(generics.ListAPIView):
    """GET /api/members/: the member register for staff; filter by status, search by number or name."""

    serializer_class = MemberProfileSerializer
    permission_classes = [HasModelPermission("members.view_member")]
    filterset_fields = ["status", "employer"]

    @extend_schema(parameters=[OpenApiParameter("search", str, required=False, description="Number, name or email")])
    def get(self, request, *args, **kwargs):
        for name, value in request.query_params.items():  # PostgreSQL refuses text with a NUL character in it
            if "\x00" in value:
                raise ValidationError({name: ["Remove the NUL character."]})
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = Member.objects.select_related("user").prefetch_related("nominees").order_by("membership_number")
        term = self.request.query_params.get("search", "").strip()
        if term:
            queryset = queryset.filter(
                Q(membership_number__icontains=term)
                | Q(user__first_name__icontains=term)
                | Q(user__last_name__icontains=term)
                | Q(user__email__icontains=term)
            )
        return queryset


class MemberDetailView(generics.RetrieveAPIView):
    """GET /api/members/<pk>/: one member (own record, or staff)."""

    serializer_class = MemberProfileSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self):
        return member_visible_to(self.request.user, self.kwargs["pk"])


class MemberDocumentsView(generics.ListAPIView):
    """GET /api/members/<pk>/documents/: KYC documents with their review status."""

    serializer_class = DocumentSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return KycDocument.objects.none()
        user = self.request.user
        member = member_visible_to(user, self.kwargs["pk"], "members.view_kycdocument")
        return (
            kyc_documents_visible_to(user=user)
            .filter(member=member)
            .select_related("decision")
            .order_by("-uploaded_at")
        )


class ActivityLogSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display")

    class Meta:
        model = ActivityLog
        fields = ["id", "created_at", "action", "action_display", "ip_address", "user_agent"]


class MemberActivityLogsView(generics.ListAPIView):
    """GET /api/members/<pk>/activity-logs/: sign-ins and changes on this member's account (M5)."""

    serializer_class = ActivityLogSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ActivityLog.objects.none()
        user = self.request.user
        member = member_visible_to(user, self.kwargs["pk"], "members.view_activitylog")
        return activity_logs_visible_to(user=user).filter(user=member.user).order_by("-created_at")
