"""A small fake of Safaricom's Daraja API (issue 15): a WSGI app that answers OAuth, C2B register URL and simulate,
STK push and query, and B2C payment request with Daraja-shaped JSON, then sends Daraja-shaped callbacks to the URLs it
was given. Tests start it on 127.0.0.1 (a random port) and `make run` serves it (manage.py mpesa_fake_daraja), so the
real DarajaClient and the real callback views run end to end without the internet.

It checks what Daraja checks, so a bug in the client shows: HTTP Basic credentials on OAuth, the Bearer token on
every call (unknown or expired → 404.001.03 "Invalid Access Token"), the STK password (base64 of shortcode + passkey
+ timestamp, the timestamp in Nairobi time within a few minutes of now), whole-shilling amounts and 2547… numbers.

Outcomes are chosen per phone (`set_outcome(outcome, phone=…)`) or for the next push/payout (`set_outcome(outcome)`):
"success", "cancelled" (ResultCode 1032), "insufficient" (ResultCode 1), "no_callback" (paid, but the callback never
comes: only a query finds out), "pending" (never answered: a query says it is still being processed)."""

import base64
import datetime
import itertools
import json
import logging
import queue
import secrets
import string
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

NAIROBI = ZoneInfo("Africa/Nairobi")
OUTCOMES = ("success", "cancelled", "insufficient", "no_callback", "pending")
STK_RESULTS = {
    "success": (0, "The service request is processed successfully."),
    "no_callback": (0, "The service request is processed successfully."),
    "cancelled": (1032, "Request cancelled by user"),
    "insufficient": (1, "The balance is insufficient for the transaction."),
}
B2C_RESULTS = {
    "success": (0, "The service request is processed successfully."),
    "no_callback": (0, "The service request is processed successfully."),
    "cancelled": (2001, "The initiator information is invalid."),
    "insufficient": (1, "The balance is insufficient for the transaction."),
}
TIMESTAMP_TOLERANCE = datetime.timedelta(minutes=5)


def receipt_number() -> str:
    """An M-Pesa-looking receipt (10 upper-case letters and digits), random so a restarted fake never repeats one."""
    alphabet = string.ascii_uppercase + string.digits
    return "S" + "".join(secrets.choice(alphabet) for _ in range(9))


def nairobi_now() -> datetime.datetime:
    return datetime.datetime.now(NAIROBI)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        logger.debug("fake daraja: " + format, *args)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeDaraja:
    """The fake, as a WSGI callable. `serve()` starts it in a daemon thread; `base_url` is where it listens."""

    def __init__(
        self,
        *,
        consumer_key: str = "",
        consumer_secret: str = "",
        shortcode: str = "",
        passkey: str = "",
        b2c_initiator: str = "",
        b2c_credential: str = "",
        callback_delay: float = 0.3,
        send_callbacks: bool = True,
        token_lifetime: int = 3599,
        default_outcome: str = "success",
    ):
        self.consumer_key = consumer_key or settings.MPESA_CONSUMER_KEY
        self.consumer_secret = consumer_secret or settings.MPESA_CONSUMER_SECRET
        self.shortcode = str(shortcode or settings.MPESA_SHORTCODE)
        self.passkey = passkey or settings.MPESA_PASSKEY
        self.b2c_initiator = b2c_initiator or settings.MPESA_B2C_INITIATOR_NAME
        self.b2c_credential = b2c_credential or settings.MPESA_B2C_SECURITY_CREDENTIAL
        self.callback_delay = callback_delay
        self.send_callbacks = send_callbacks
        self.token_lifetime = token_lifetime
        self.default_outcome = default_outcome
        self.requests: list[dict] = []  # every request received: method, path, headers, json/query
        self.outbox: list[dict] = []  # every callback made: url, json, and (once sent) status or error
        self.registered: dict[str, str] = {}  # ResponseType, ConfirmationURL, ValidationURL
        self.pushes: dict[str, dict] = {}  # CheckoutRequestID → the push and its outcome
        self.payouts: dict[str, dict] = {}  # ConversationID → the payout and its outcome
        self.tokens: dict[str, float] = {}  # token → expiry (monotonic)
        self._outcomes: dict[str, str] = {}
        self._next_outcomes: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._server = None
        self._threads: list[threading.Thread] = []

    # --- controlling the fake -------------------------------------------------------------------------------
    def set_outcome(self, outcome: str, *, phone: str | None = None) -> None:
        """How the next push/payout ends, or every one to `phone` (2547… form)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        with self._lock:
            if phone:
                self._outcomes[phone] = outcome
            else:
                self._next_outcomes.append(outcome)

    def _outcome_for(self, phone: str) -> str:
        with self._lock:
            if self._next_outcomes:
                return self._next_outcomes.pop(0)
            return self._outcomes.get(phone, self.default_outcome)

    def expire_tokens(self) -> None:
        """Forget every token issued, as Daraja does when it rotates them early (the client must fetch a new one)."""
        with self._lock:
            self.tokens.clear()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every callback queued so far has been sent (or failed to be)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Daraja still has callbacks to send")
            time.sleep(0.02)

    def calls(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    # --- serving ------------------------------------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> "FakeDaraja":
        self._server = make_server(host, port, self, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        server_thread = threading.Thread(target=self._server.serve_forever, name="fake-daraja", daemon=True)
        sender_thread = threading.Thread(target=self._send_loop, name="fake-daraja-callbacks", daemon=True)
        server_thread.start()
        sender_thread.start()
        self._threads = [server_thread, sender_thread]
        return self

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._queue.put(None)
            self._server = None

    def _send_loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                time.sleep(job.get("delay", 0))
                self._deliver_chain(job["callbacks"])
            except Exception:  # the sender must outlive any one bad callback
                logger.exception("fake daraja: callback failed")
            finally:
                self._queue.task_done()

    def _deliver_chain(self, callbacks: list[dict]) -> None:
        """Send callbacks in order; a C2B validation answered with a non-zero ResultCode stops the confirmation."""
        for entry in callbacks:
            try:
                response = requests.post(entry["url"], json=entry["json"], timeout=30)
                entry["status"] = response.status_code
                try:
                    entry["answer"] = response.json()
                except ValueError:
                    entry["answer"] = None
            except requests.RequestException as exc:
                entry["error"] = type(exc).__name__
                return
            if entry.get("stop_unless_accepted"):
                answer = entry.get("answer") or {}
                if str(answer.get("ResultCode", "1")) != "0":
                    return

    def _schedule(self, callbacks: list[dict]) -> None:
        with self._lock:
            self.outbox.extend(callbacks)
        if self.send_callbacks and self._server is not None:
            self._queue.put({"delay": self.callback_delay, "callbacks": callbacks})

    # --- WSGI -----------------------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        with self._lock:
            self.requests.append({"method": method, "path": path, "query": query, "headers": headers, "json": body})
        status, answer = self._route(method, path, query, headers, body)
        payload = json.dumps(answer).encode()
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _route(self, method, path, query, headers, body):
        if path == "/oauth/v1/generate" and method == "GET":
            return self._oauth(query, headers)
        routes = {
            "/mpesa/c2b/v1/registerurl": self._register_url,
            "/mpesa/c2b/v1/simulate": self._simulate,
            "/mpesa/stkpush/v1/processrequest": self._stk_push,
            "/mpesa/stkpushquery/v1/query": self._stk_query,
            "/mpesa/b2c/v1/paymentrequest": self._b2c,
        }
        handler = routes.get(path)
        if handler is None or method != "POST":
            return 404, self._error("404.001.01", "Resource not found")
        if not self._bearer_ok(headers):
            return 404, self._error("404.001.03", "Invalid Access Token")
        if not isinstance(body, dict):
            return 400, self._error("400.002.05", "Invalid Request Payload")
        return handler(body)

    @staticmethod
    def _error(code: str, message: str) -> dict:
        return {"requestId": f"fake-{secrets.token_hex(4)}", "errorCode": code, "errorMessage": message}

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{nairobi_now():%d%m%Y%H%M%S}{next(self._ids):06d}"

    # --- OAuth ------------------------------------------------------------------------------------------------------
    def _oauth(self, query, headers):
        if query.get("grant_type") != "client_credentials":
            return 400, self._error("400.008.02", "Invalid grant type passed")
        auth = headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode()
        if not auth.startswith("Basic ") or not secrets.compare_digest(auth[6:].strip(), expected):
            return 400, self._error("400.008.01", "Invalid Authentication passed")
        token = secrets.token_urlsafe(21)
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
        return 200, {"access_token": token, "expires_in": str(self.token_lifetime)}

    def _bearer_ok(self, headers) -> bool:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        with self._lock:
            expiry = self.tokens.get(auth[7:].strip())
        return expiry is not None and expiry > time.monotonic()

    # --- C2B ---------------------------------------------------------------------------------------------------------
    def _register_url(self, body):
        if str(body.get("ShortCode")) != self.shortcode:
            return 400, self._error("400.003.02", "Bad Request - Invalid ShortCode")
        if body.get("ResponseType") not in ("Completed", "Cancelled"):
            return 400, self._error("400.003.02", "Bad Request - Invalid ResponseType")
        for key in ("ConfirmationURL", "ValidationURL"):
            if not str(body.get(key, "")).startswith(("http://", "https://")):
                return 400, self._error("400.003.02", f"Bad Request - Invalid {key}")
        with self._lock:
            self.registered = {k: body[k] for k in ("ResponseType", "ConfirmationURL", "ValidationURL")}
        return 200, {
            "OriginatorCoversationID": self._next_id("C2B-"),
            "ResponseCode": "0",
            "ResponseDescription": "Success",
        }

    def _simulate(self, body):
        if not self.registered:
            return 400, self._error("400.003.01", "Invalid Access Token: no URLs registered for the shortcode")
        amount = body.get("Amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            return 400, self._error("400.002.02", "Bad Request - Invalid Amount")
        phone = str(body.get("Msisdn", ""))
        if not (len(phone) == 12 and phone.startswith("254") and phone.isdigit()):
            return 400, self._error("400.002.02", "Bad Request - Invalid Msisdn")
        payment = self.c2b_payment(amount=amount, msisdn=phone, bill_ref=str(body.get("BillRefNumber", "")))
        callbacks = [
            {"url": self.registered["ValidationURL"], "json": payment, "stop_unless_accepted": True},
            {"url": self.registered["ConfirmationURL"], "json": payment},
        ]
        self._schedule(callbacks)
        return 200, {
            "OriginatorCoversationID": self._next_id("C2B-"),
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }

    def c2b_payment(self, *, amount, msisdn: str, bill_ref: str, trans_id: str = "") -> dict:
        """Daraja's C2B validation/confirmation body (also handy for tests that post one themselves)."""
        return {
            "TransactionType": "Pay Bill",
            "TransID": trans_id or receipt_number(),
            "TransTime": f"{nairobi_now():%Y%m%d%H%M%S}",
            "TransAmount": f"{amount}",
            "BusinessShortCode": self.shortcode,
            "BillRefNumber": bill_ref,
            "InvoiceNumber": "",
            "OrgAccountBalance": "",
            "ThirdPartyTransID": "",
            "MSISDN": msisdn,
            "FirstName": "John",
            "MiddleName": "",
            "LastName": "Doe",
        }

    # --- STK push -------------------------------------------------------------------------------------------------
    def _check_password(self, body):
        """Daraja's own check: the timestamp is YYYYMMDDHHMMSS near Nairobi's now, the password matches it."""
        if str(body.get("BusinessShortCode")) != self.shortcode:
            return 400, self._error("400.002.02", "Bad Request - Invalid BusinessShortCode")
        timestamp = str(body.get("Timestamp", ""))
        try:
            when = datetime.datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
        except ValueError:
            return 400, self._error("400.002.02", "Bad Request - Invalid Timestamp")
        if abs(when - nairobi_now()) > TIMESTAMP_TOLERANCE:
            return 400, self._error("400.002.02", "Bad Request - Invalid Timestamp")
        expected = base64.b64encode(f"{self.shortcode}{self.passkey}{timestamp}".encode()).decode()
        if not secrets.compare_digest(str(body.get("Password", "")), expected):
            return 500, self._error("500.001.1001", "Wrong credentials")
        return None

    def _stk_push(self, body):
        refused = self._check_password(body)
        if refused:
            return refused
        amount = body.get("Amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= 250_000:
            return 400, self._error("400.002.02", "Bad Request - Invalid Amount")
        phone = str(body.get("PhoneNumber", ""))
        if not (len(phone) == 12 and phone.startswith("254") and phone.isdigit()) or body.get("PartyA") != phone:
            return 400, self._error("400.002.02", "Bad Request - Invalid PhoneNumber")
        if body.get("TransactionType") not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
            return 400, self._error("400.002.02", "Bad Request - Invalid TransactionType")
        callback_url = str(body.get("CallBackURL", ""))
        if not callback_url.startswith(("http://", "https://")):
            return 400, self._error("400.002.02", "Bad Request - Invalid CallBackURL")
        if not body.get("AccountReference"):
            return 400, self._error("400.002.02", "Bad Request - Invalid AccountReference")
        merchant_id = f"{next(self._ids)}-{secrets.randbelow(10**8)}-1"
        checkout_id = self._next_id("ws_CO_")
        outcome = self._outcome_for(phone)
        push = {
            "MerchantRequestID": merchant_id,
            "CheckoutRequestID": checkout_id,
            "amount": amount,
            "phone": phone,
            "account_reference": body["AccountReference"],
            "outcome": outcome,
            "receipt": receipt_number() if outcome in ("success", "no_callback") else "",
            "callback_url": callback_url,
        }
        with self._lock:
            self.pushes[checkout_id] = push
        if outcome in ("success", "cancelled", "insufficient"):
            self._schedule([{"url": callback_url, "json": self.stk_callback(push)}])
        return 200, {
            "MerchantRequestID": merchant_id,
            "CheckoutRequestID": checkout_id,
            "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing",
        }

    @staticmethod
    def stk_callback(push: dict) -> dict:
        """Daraja's STK result callback for a push (its CallbackMetadata only when paid)."""
        code, desc = STK_RESULTS[push["outcome"]]
        result = {
            "MerchantRequestID": push["MerchantRequestID"],
            "CheckoutRequestID": push["CheckoutRequestID"],
            "ResultCode": code,
            "ResultDesc": desc,
        }
        if code == 0:
            result["CallbackMetadata"] = {
                "Item": [
                    {"Name": "Amount", "Value": float(push["amount"])},
                    {"Name": "MpesaReceiptNumber", "Value": push["receipt"]},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": int(f"{nairobi_now():%Y%m%d%H%M%S}")},
                    {"Name": "PhoneNumber", "Value": int(push["phone"])},
                ]
            }
        return {"Body": {"stkCallback": result}}

    def _stk_query(self, body):
        refused = self._check_password(body)
        if refused:
            return refused
        with self._lock:
            push = self.pushes.get(str(body.get("CheckoutRequestID", "")))
        if push is None:
            return 400, self._error("400.002.02", "Bad Request - Invalid CheckoutRequestID")
        if push["outcome"] == "pending":
            return 500, self._error("500.001.1001", "The transaction is being processed")
        code, desc = STK_RESULTS[push["outcome"]]
        # As Daraja: the query says how it ended, but carries no receipt number.
        return 200, {
            "ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": push["MerchantRequestID"],
            "CheckoutRequestID": push["CheckoutRequestID"],
            "ResultCode": str(code),
            "ResultDesc": desc,
        }

    # --- B2C ---------------------------------------------------------------------------------------------------
    def _b2c(self, body):
        if body.get("InitiatorName") != self.b2c_initiator or body.get("SecurityCredential") != self.b2c_credential:
            return 400, self._error("400.002.02", "Bad Request - Invalid Initiator or SecurityCredential")
        amount = body.get("Amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 10:
            return 400, self._error("400.002.02", "Bad Request - Invalid Amount")
        phone = str(body.get("PartyB", ""))
        if not (len(phone) == 12 and phone.startswith("254") and phone.isdigit()):
            return 400, self._error("400.002.02", "Bad Request - Invalid PartyB")
        for key in ("ResultURL", "QueueTimeOutURL"):
            if not str(body.get(key, "")).startswith(("http://", "https://")):
                return 400, self._error("400.002.02", f"Bad Request - Invalid {key}")
        outcome = self._outcome_for(phone)
        payout = {
            "ConversationID": self._next_id("AG_"),
            "OriginatorConversationID": f"{next(self._ids)}-{secrets.randbelow(10**8)}-1",
            "amount": amount,
            "phone": phone,
            "outcome": outcome,
            "receipt": receipt_number(),
            "result_url": body["ResultURL"],
            "timeout_url": body["QueueTimeOutURL"],
        }
        with self._lock:
            self.payouts[payout["ConversationID"]] = payout
        if outcome in ("success", "cancelled", "insufficient"):
            self._schedule([{"url": payout["result_url"], "json": self.b2c_result(payout)}])
        return 200, {
            "ConversationID": payout["ConversationID"],
            "OriginatorConversationID": payout["OriginatorConversationID"],
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }

    @staticmethod
    def b2c_result(payout: dict) -> dict:
        """Daraja's B2C Result callback (ResultParameters only when paid)."""
        code, desc = B2C_RESULTS[payout["outcome"]]
        result = {
            "ResultType": 0,
            "ResultCode": code,
            "ResultDesc": desc,
            "OriginatorConversationID": payout["OriginatorConversationID"],
            "ConversationID": payout["ConversationID"],
            "TransactionID": payout["receipt"],
            "ReferenceData": {
                "ReferenceItem": {
                    "Key": "QueueTimeoutURL",
                    "Value": "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit",
                }
            },
        }
        if code == 0:
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "TransactionAmount", "Value": payout["amount"]},
                    {"Key": "TransactionReceipt", "Value": payout["receipt"]},
                    {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
                    {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": 0.0},
                    {"Key": "ReceiverPartyPublicName", "Value": f"{payout['phone']} - John Doe"},
                    {"Key": "TransactionCompletedDateTime", "Value": f"{nairobi_now():%d.%m.%Y %H:%M:%S}"},
                    {"Key": "B2CUtilityAccountAvailableFunds", "Value": 100000.0},
                    {"Key": "B2CWorkingAccountAvailableFunds", "Value": 900000.0},
                ]
            }
        return {"Result": result}
