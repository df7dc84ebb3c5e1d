"""The safety net under Daraja's callbacks: a stored callback whose processing task never ran or crashed (a worker
killed mid-task, the database away for a moment) is processed again by a scheduled job. Every processing function
is idempotent — it finds a processed callback and does nothing, and receipts post once per TransID — so running one
twice is harmless."""

import datetime
import logging

from django.utils import timezone
from django.utils.module_loading import import_string

from .models import CallbackKind, MpesaCallback

logger = logging.getLogger(__name__)

# What processes each kind of callback (validation is answered, and recorded, in the request itself).
PROCESSORS = {
    CallbackKind.C2B_CONFIRMATION: "portal.mpesa.c2b.c2b_confirmation_process_alone",
    CallbackKind.STK_RESULT: "portal.mpesa.stk.stk_callback_process",
    CallbackKind.B2C_RESULT: "portal.mpesa.b2c.b2c_result_process",
    CallbackKind.B2C_TIMEOUT: "portal.mpesa.b2c.b2c_timeout_process",
}
RETRY_AFTER = datetime.timedelta(minutes=10)  # the task had its chance by then
RETRY_WITHIN = datetime.timedelta(days=7)  # older ones are for staff (the admin lists them), not for a retry loop


def mpesa_callbacks_retry(*, limit: int = 500) -> dict[str, int]:
    """Process, oldest first, the callbacks still unprocessed RETRY_AFTER after they arrived. One that fails again is
    logged and left for the next run; the others go on. Returns counts of what happened."""
    now = timezone.now()
    pending = (
        MpesaCallback.objects.filter(
            kind__in=list(PROCESSORS),
            processed_at__isnull=True,
            received_at__lt=now - RETRY_AFTER,
            received_at__gte=now - RETRY_WITHIN,
        )
        .order_by("received_at", "pk")
        .values_list("pk", "kind")[:limit]
    )
    counts = {"retried": 0, "processed": 0, "failed": 0}
    for pk, kind in pending:
        counts["retried"] += 1
        try:
            import_string(PROCESSORS[kind])(pk)
        except Exception:  # noqa: BLE001 - one bad callback must not stop the others; it is logged and retried
            logger.exception("M-Pesa callback %s (%s) failed again", pk, kind)
            counts["failed"] += 1
            continue
        if MpesaCallback.objects.filter(pk=pk, processed_at__isnull=False).exists():
            counts["processed"] += 1
    return counts
