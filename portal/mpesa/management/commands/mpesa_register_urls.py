"""`manage.py mpesa_register_urls [--response-type Completed|Cancelled]`: tell Daraja where our C2B validation and
confirmation callbacks live (issue 15). Run once per shortcode, and again whenever the base URL or the callback token
changes (docs/mpesa.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.mpesa.daraja import DarajaClient, DarajaError


def c2b_callback_urls() -> tuple[str, str]:
    """(confirmation URL, validation URL) under MPESA_CALLBACK_BASE_URL with the secret token; refuses without them."""
    base = (settings.MPESA_CALLBACK_BASE_URL or "").strip().rstrip("/")
    token = (settings.MPESA_CALLBACK_TOKEN or "").strip()
    if not base:
        raise CommandError("MPESA_CALLBACK_BASE_URL is not set (e.g. https://sacco.example): nothing registered.")
    if not base.startswith(("https://", "http://")):
        raise CommandError("MPESA_CALLBACK_BASE_URL must start with https:// (Daraja calls it): nothing registered.")
    if not token:
        raise CommandError("MPESA_CALLBACK_TOKEN is not set (a long random secret): nothing registered.")
    return f"{base}/api/mpesa/c2b/confirmation/{token}/", f"{base}/api/mpesa/c2b/validation/{token}/"


class Command(BaseCommand):
    help = "Register this portal's C2B confirmation and validation URLs with Daraja for MPESA_SHORTCODE."

    def add_arguments(self, parser):
        parser.add_argument(
            "--response-type",
            choices=["Completed", "Cancelled"],
            default="Completed",
            help="What M-Pesa does when the validation URL cannot be reached (default: Completed).",
        )

    def handle(self, *args, response_type="Completed", **options):
        confirmation, validation = c2b_callback_urls()
        if not settings.MPESA_SHORTCODE:
            raise CommandError("MPESA_SHORTCODE is not set: nothing registered.")
        if settings.MPESA_ENVIRONMENT == "production" and not confirmation.startswith("https://"):
            raise CommandError("Production callbacks must be https://: nothing registered.")
        try:
            answer = DarajaClient().register_urls(
                confirmation_url=confirmation, validation_url=validation, response_type=response_type
            )
        except DarajaError as exc:
            raise CommandError(f"Daraja refused the registration: {exc}") from exc
        shown = settings.MPESA_CALLBACK_TOKEN
        # The token is a secret: the output names the URLs with it masked.
        masked = "…" + shown[-4:] if len(shown) > 8 else "…"
        self.stdout.write(
            f"Registered with Daraja for shortcode {settings.MPESA_SHORTCODE} ({response_type}): "
            f"{answer.get('ResponseDescription', 'OK')}\n"
            f"  confirmation: {confirmation.replace(shown, masked)}\n"
            f"  validation:   {validation.replace(shown, masked)}"
        )
