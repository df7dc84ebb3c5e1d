"""Permission policies for finance records in the admin."""

from wagtail.permission_policies.base import ModelPermissionPolicy


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Posted records are never added, edited or deleted through the admin, superusers included:
    money moves only through the posting services, and corrections are reversals."""

    WRITE_ACTIONS = {"add", "change", "delete", "publish", "lock", "unlock"}

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
