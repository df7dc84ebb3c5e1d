"""Permissions for approval objects in the admin."""

from portal.finance.permissions import ReadOnlyPermissionPolicy


class ReviewOnlyPermissionPolicy(ReadOnlyPermissionPolicy):
    """Approval objects are created by services and decided only through their workflow: nobody (superusers
    included) adds, deletes, publishes, locks or unpublishes them by hand; "change" only opens the review page."""

    WRITE_ACTIONS = {"add", "delete", "publish", "lock", "unlock", "unpublish"}
