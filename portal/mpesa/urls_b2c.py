"""/api/mpesa/b2c/… (issue 15): Daraja's B2C result and queue-timeout callbacks for loan payouts (b2c.py).

Each checks the token in its path (wrong: 404, nothing stored) and the sender's address (403), stores the body raw
first, queues its processing on commit and answers Daraja at once."""

from django.db import transaction
from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .b2c import _queue
from .callbacks import callback_source_ok, callback_store, callback_token_ok
from .models import CallbackKind

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


def _callback_view(kind: str, task: str):
    @csrf_exempt
    @require_POST
    def view(request, token):
        if not callback_token_ok(token):
            raise Http404
        if not callback_source_ok(request):
            return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=403)
        callback = callback_store(kind=kind, request=request)
        transaction.on_commit(lambda: _queue(task, callback.pk))
        return JsonResponse(ACCEPTED)

    return view


b2c_result_view = _callback_view(CallbackKind.B2C_RESULT, "portal.mpesa.b2c.b2c_result_process")
b2c_timeout_view = _callback_view(CallbackKind.B2C_TIMEOUT, "portal.mpesa.b2c.b2c_timeout_process")

urlpatterns = [
    path("result/<str:token>/", b2c_result_view, name="b2c_result"),
    path("timeout/<str:token>/", b2c_timeout_view, name="b2c_timeout"),
]
