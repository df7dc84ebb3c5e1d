"""Africa's Talking's delivery reports: POST /sms/delivery-report/<token>/ with form fields.

The token (settings.SMS_DELIVERY_REPORT_TOKEN) is the secret path segment given to Africa's Talking as the callback
URL; a wrong one is a 404 (the URL does not exist for a guesser), and without the setting every report is refused.
A report is answered 200 at once, also for an id we never sent (Africa's Talking would otherwise retry it).
"""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .sms import sms_delivery_report

logger = logging.getLogger("portal.sms")


@csrf_exempt
@require_POST
def sms_delivery_report_view(request, token: str):
    expected = getattr(settings, "SMS_DELIVERY_REPORT_TOKEN", "") or ""
    if not expected or not constant_time_compare(token, expected):
        raise Http404
    data = request.POST
    message = sms_delivery_report(
        provider_message_id=data.get("id", ""),
        status=data.get("status", ""),
        failure_reason=data.get("failureReason", ""),
        network_code=data.get("networkCode", ""),
        retry_count=data.get("retryCount"),
    )
    if message is None:
        logger.info("SMS delivery report for an unknown message id %r", data.get("id", "")[:100])
    return HttpResponse("OK", content_type="text/plain")
