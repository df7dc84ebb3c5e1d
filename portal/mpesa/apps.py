from django.apps import AppConfig


class MpesaConfig(AppConfig):
    """M-Pesa (Daraja): a layer above loans and contributions, below reports and the faces."""

    name = "portal.mpesa"
    label = "mpesa"
    verbose_name = "M-Pesa"
    default_auto_field = "django.db.models.BigAutoField"
