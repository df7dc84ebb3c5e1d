"""API permission classes shared by every endpoint."""

from rest_framework.permissions import BasePermission


class IsMember(BasePermission):
    """The caller is signed in and has a Member record (staff-only accounts are refused)."""

    message = "This endpoint is for members; your account has no member record."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "member"))
