"""Permissions for approval objects in the admin.

The same shape as finance's ReadOnlyPermissionPolicy (portal/finance/permissions.py), written out here because the
generic workflows app imports none of the apps it serves (issue 13); both can share one base once a core app holds
such building blocks."""

from wagtail.permission_policies.base import ModelPermissionPolicy


class ReviewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Approval objects are created by services and decided only through their workflow: nobody (superusers
    included) adds, deletes, publishes, locks or unpublishes them by hand; "change" only opens the review page."""

    WRITE_ACTIONS = {"add", "delete", "publish", "lock", "unlock", "unpublish"}

    def user_has_permission(self, user, action):
        if action in self.WRITE_ACTIONS:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        actions = [a for a in actions if a not in self.WRITE_ACTIONS]
        return super().users_with_any_permission(actions) if actions else self.model._meta.model.objects.none()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)
