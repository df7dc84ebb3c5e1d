"""What every Daraja callback goes through first: the secret token in its path, the sender's address, and the raw
record stored before any processing (issue 15). Views call these, then process and answer in Daraja's format."""

import hmac
import ipaddress

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from portal.members.activity import client_ip

from .models import MpesaCallback


def callback_token_ok(token: str) -> bool:
    """The token from the URL equals MPESA_CALLBACK_TOKEN (constant time). No token configured: nothing passes."""
    expected = settings.MPESA_CALLBACK_TOKEN or ""
    return bool(expected) and hmac.compare_digest(str(token).encode(), expected.encode())


def callback_source_ok(request) -> bool:
    """The sender's address (through NUM_PROXIES, never a raw X-Forwarded-For) is in MPESA_ALLOWED_IPS, which holds
    addresses or CIDR ranges; an empty list allows every address (development, tests)."""
    allowed = settings.MPESA_ALLOWED_IPS
    if not allowed:
        return True
    address = client_ip(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def callback_store(*, kind: str, request) -> MpesaCallback:
    """Store the request's body as received, before anything else happens to it."""
    return MpesaCallback.objects.create(
        kind=kind,
        remote_addr=client_ip(request) or None,
        body=request.body.decode("utf-8", errors="replace"),
    )


def callback_processed(*, callback: MpesaCallback, outcome: str) -> bool:
    """Record how a stored callback was processed, once: a second worker finds it already done (False)."""
    return bool(
        MpesaCallback.objects.filter(Q(pk=callback.pk) & Q(processed_at__isnull=True)).update(
            processed_at=timezone.now(), outcome=outcome[:255]
        )
    )


def callbacks_processed_many(*, outcomes: dict) -> None:
    """callback_processed for many callbacks at once — {pk: outcome}, rows the caller has locked — in one UPDATE."""
    if not outcomes:
        return
    table = connection.ops.quote_name(MpesaCallback._meta.db_table)
    rows = ", ".join(["(%s, %s)"] * len(outcomes))
    params = [connection.ops.adapt_datetimefield_value(timezone.now())]
    for pk, outcome in outcomes.items():
        params += [pk, outcome[:255]]
    sql = (
        f"UPDATE {table} SET processed_at = %s, outcome = v.column2 FROM (VALUES {rows}) AS v "  # noqa: S608
        "WHERE id = v.column1 AND processed_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
