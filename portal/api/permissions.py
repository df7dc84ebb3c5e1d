"""API permission classes shared by every endpoint."""

from rest_framework.permissions import BasePermission


class IsMember(BasePermission):
    """The caller is signed in and has a Member record (staff-only accounts are refused)."""

    message = "This endpoint is for members; your account has no member record."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "member"))


def HasModelPermission(perm: str):  # noqa: N802 - reads like a class in permission_classes
    """A permission class requiring one Django permission, e.g. HasModelPermission("members.add_invitation")."""

    class _HasModelPermission(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(perm))

    _HasModelPermission.__name__ = f"HasPermission_{perm.replace('.', '_')}"
    return _HasModelPermission
