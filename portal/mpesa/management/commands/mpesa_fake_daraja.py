"""`manage.py mpesa_fake_daraja [--port N] [--outcome success|cancelled|insufficient|no_callback|pending]`: serve the
fake Daraja (portal/mpesa/fake_daraja.py) on 127.0.0.1 until stopped. `make run` (bin/run-dev) starts it when
MPESA_BASE_URL is not set, so "Pay with M-Pesa" in the demo posts a payment without Safaricom. Never in production."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.mpesa.fake_daraja import OUTCOMES, FakeDaraja


class Command(BaseCommand):
    help = "Serve a fake Daraja API on 127.0.0.1 for development (answers like Daraja and sends its callbacks)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=0, help="Port to listen on (default: any free port).")
        parser.add_argument(
            "--outcome",
            choices=OUTCOMES,
            default="success",
            help="How every STK push and payout ends (default: success).",
        )
        parser.add_argument("--delay", type=float, default=2.0, help="Seconds before a callback is sent (default 2).")

    def handle(self, *args, port=0, outcome="success", delay=2.0, **options):
        if settings.MPESA_ENVIRONMENT == "production" and not settings.DEBUG:
            raise CommandError("The fake Daraja is for development and tests only.")
        fake = FakeDaraja(callback_delay=delay, default_outcome=outcome)
        try:
            fake.serve(port=port)
        except OSError as exc:
            raise CommandError(f"Could not listen on 127.0.0.1:{port}: {exc.strerror}") from exc
        self.stdout.write(f"Fake Daraja: {fake.base_url}/ (STK pushes end: {outcome}). Ctrl-C stops it.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
