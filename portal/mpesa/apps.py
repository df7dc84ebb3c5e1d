from django.apps import AppConfig


class MpesaConfig(AppConfig):
    """M-Pesa (Daraja): a layer above loans and contributions, below reports and the faces."""

    name = "portal.mpesa"
    label = "mpesa"
    verbose_name = "M-Pesa"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.loans.disbursement_channels import MPESA, channel_register

        from .b2c import MpesaB2CChannel

        # Loan products with `disburse_by_mpesa` pay out by B2C through the treasurer's usual Disburse action.
        channel_register(MPESA, MpesaB2CChannel())

        from portal.loans.reversal import repayment_reversal_hook_register

        from .loan_reversals import receipt_return_after_reversal

        # A loan repayment reversed in error gives its receipt back to staff (issue 16).
        repayment_reversal_hook_register(receipt_return_after_reversal)
