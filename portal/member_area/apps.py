from django.apps import AppConfig


class MemberAreaConfig(AppConfig):
    name = "portal.member_area"
    label = "member_area"
    verbose_name = "Member area"
    default_auto_field = "django.db.models.BigAutoField"
