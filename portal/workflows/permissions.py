"""Permissions for approval objects in the admin."""

from wagtail.permission_policies import ModelPermissionPolicy


class ReviewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Approval objects are created by services and decided only through their workflow: nobody (superusers
    included) adds, deletes, publishes, locks or unpublishes them by hand; "change" only opens the review page."""

    DENIED = {"add", "delete", "publish", "lock", "unlock", "unpublish"}

    def user_has_permission(self, user, action):
        if action in self.DENIED:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        actions = [a for a in actions if a not in self.DENIED]
        return super().users_with_any_permission(actions) if actions else self.model._meta.model.objects.none()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)
