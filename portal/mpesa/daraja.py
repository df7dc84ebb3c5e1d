"""The one HTTP client for Safaricom's Daraja API (issue 15). Every call to M-Pesa goes through DarajaClient, so
timeouts, the OAuth token, the STK password and error handling are written once. Tests and `make run` point
MPESA_BASE_URL at the fake Daraja (portal/mpesa/fake_daraja.py) so this very code runs against it."""

import base64
import datetime
import hashlib
import logging
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

NAIROBI = ZoneInfo("Africa/Nairobi")
# Daraja's tokens live 3599 s; give the token back this many seconds early so a request never carries a stale one.
TOKEN_EARLY_EXPIRY_SECONDS = 60


class DarajaError(Exception):
    """A call to Daraja failed: the network (connection, timeout), a non-2xx answer, or an error body. The message
    says which and carries Daraja's errorCode/errorMessage, never a key, secret, passkey or token."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "", body: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body or {}


def stk_timestamp(now: datetime.datetime | None = None) -> str:
    """Daraja's timestamp: YYYYMMDDHHMMSS in Nairobi time (EAT), whatever the server's zone."""
    now = now or datetime.datetime.now(datetime.UTC)
    return now.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def stk_password(*, shortcode: str, passkey: str, timestamp: str) -> str:
    """The Lipa na M-Pesa online password: base64(shortcode + passkey + timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")


def whole_shillings(amount) -> int:
    """Daraja takes whole shillings as integers; a fractional amount is refused rather than silently rounded."""
    value = Decimal(str(amount))
    whole = value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if whole != value:
        raise DarajaError(f"M-Pesa takes whole shillings only, not {value}.")
    return int(whole)


def phone_msisdn(phone: str) -> str:
    """A phone number as Daraja wants it: 2547XXXXXXXX / 2541XXXXXXXX (accepts +254…, 07…, 01…, 254…)."""
    digits = "".join(ch for ch in str(phone) if ch.isdigit())
    if digits.startswith("0") and len(digits) == 10:
        digits = "254" + digits[1:]
    elif len(digits) == 9 and digits[0] in "17":
        digits = "254" + digits
    if not (len(digits) == 12 and digits.startswith("254")):
        raise DarajaError("The phone number is not a Kenyan mobile number (2547XXXXXXXX).")
    return digits


class DarajaClient:
    """Daraja over HTTPS with `requests`. Settings are read when the client is made (so tests can override them)."""

    def __init__(self, *, base_url: str | None = None, timeout: float | None = None):
        self.base_url = (base_url or settings.MPESA_BASE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.MPESA_HTTP_TIMEOUT
        self.consumer_key = settings.MPESA_CONSUMER_KEY
        self.consumer_secret = settings.MPESA_CONSUMER_SECRET
        self.shortcode = str(settings.MPESA_SHORTCODE)
        self.passkey = settings.MPESA_PASSKEY

    # --- plumbing ---------------------------------------------------------------------------------------------
    def _cache_key(self) -> str:
        # Per base URL and key (hashed: the key itself never lands in the cache's key space).
        digest = hashlib.sha256(f"{self.base_url}|{self.consumer_key}".encode()).hexdigest()[:24]
        return f"mpesa:daraja:token:{digest}"

    def _send(self, method: str, path: str, **kwargs) -> dict:
        url = f"{self.base_url}{path}"
        try:
            response = requests.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise DarajaError(f"Daraja did not answer {path} within {self.timeout} s.") from exc
        except requests.RequestException as exc:
            # The exception's own text may echo headers or the URL's query: name only its type.
            raise DarajaError(f"Could not reach Daraja for {path} ({type(exc).__name__}).") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        code = str(body.get("errorCode") or "")
        if response.status_code >= 400 or code:
            detail = body.get("errorMessage") or body.get("ResponseDescription") or response.reason or ""
            raise DarajaError(
                f"Daraja refused {path}: HTTP {response.status_code}"
                + (f" {code}" if code else "")
                + (f" — {str(detail)[:200]}" if detail else ""),
                status=response.status_code,
                code=code,
                body=body,
            )
        if not body:
            raise DarajaError(f"Daraja's answer to {path} was not a JSON object (HTTP {response.status_code}).")
        return body

    def access_token(self) -> str:
        """An OAuth access token, from the cache while it is still good for a minute, else a new one."""
        key = self._cache_key()
        token = cache.get(key)
        if token:
            return token
        if not (self.consumer_key and self.consumer_secret):
            raise DarajaError("MPESA_CONSUMER_KEY and MPESA_CONSUMER_SECRET are not set.")
        body = self._send(
            "GET",
            "/oauth/v1/generate",
            params={"grant_type": "client_credentials"},
            auth=(self.consumer_key, self.consumer_secret),
        )
        token = body.get("access_token")
        if not token:
            raise DarajaError("Daraja's OAuth answer carried no access_token.")
        try:
            expires_in = int(body.get("expires_in") or 3599)
        except (TypeError, ValueError):
            expires_in = 3599
        lifetime = expires_in - TOKEN_EARLY_EXPIRY_SECONDS
        if lifetime > 0:
            cache.set(key, token, lifetime)
        return token

    def forget_token(self) -> None:
        cache.delete(self._cache_key())

    def _post(self, path: str, payload: dict) -> dict:
        """POST with the Bearer token; a 401 (token revoked or rotated early) gets one retry with a new token."""
        try:
            return self._send("POST", path, json=payload, headers={"Authorization": f"Bearer {self.access_token()}"})
        except DarajaError as exc:
            # Daraja says "Invalid Access Token" (404.001.03, or a 401) when a token was revoked before its time.
            if exc.status != 401 and exc.code != "404.001.03":
                raise
        self.forget_token()
        return self._send("POST", path, json=payload, headers={"Authorization": f"Bearer {self.access_token()}"})

    def _password(self) -> tuple[str, str]:
        if not (self.shortcode and self.passkey):
            raise DarajaError("MPESA_SHORTCODE and MPESA_PASSKEY are not set.")
        timestamp = stk_timestamp()
        return stk_password(shortcode=self.shortcode, passkey=self.passkey, timestamp=timestamp), timestamp

    # --- Daraja's operations ----------------------------------------------------------------------------------
    def register_urls(self, *, confirmation_url: str, validation_url: str, response_type: str = "Completed") -> dict:
        """Tell Daraja where to send C2B validation and confirmation callbacks for our shortcode."""
        return self._post(
            "/mpesa/c2b/v1/registerurl",
            {
                "ShortCode": self.shortcode,
                "ResponseType": response_type,
                "ConfirmationURL": confirmation_url,
                "ValidationURL": validation_url,
            },
        )

    def c2b_simulate(self, *, amount, msisdn: str, bill_ref: str) -> dict:
        """A simulated paybill payment (sandbox and the fake only; production has no simulate)."""
        return self._post(
            "/mpesa/c2b/v1/simulate",
            {
                "ShortCode": self.shortcode,
                "CommandID": "CustomerPayBillOnline",
                "Amount": whole_shillings(amount),
                "Msisdn": phone_msisdn(msisdn),
                "BillRefNumber": bill_ref,
            },
        )

    def stk_push(self, *, phone: str, amount, account_reference: str, description: str, callback_url: str) -> dict:
        """Ask the member's phone to pay (Lipa na M-Pesa online). The answer carries MerchantRequestID and
        CheckoutRequestID; the result arrives later at callback_url."""
        password, timestamp = self._password()
        number = phone_msisdn(phone)
        return self._post(
            "/mpesa/stkpush/v1/processrequest",
            {
                "BusinessShortCode": self.shortcode,
                "Password": password,
                "Timestamp": timestamp,
                "TransactionType": "CustomerPayBillOnline",
                "Amount": whole_shillings(amount),
                "PartyA": number,
                "PartyB": self.shortcode,
                "PhoneNumber": number,
                "CallBackURL": callback_url,
                "AccountReference": account_reference[:12],
                "TransactionDesc": (description or "Payment")[:13],
            },
        )

    def stk_query(self, *, checkout_request_id: str) -> dict:
        """How an STK push ended (ResultCode 0 paid, 1032 cancelled, …). While the member has not answered yet,
        Daraja answers with an error body (500.001.1001 "The transaction is being processed"): a DarajaError."""
        password, timestamp = self._password()
        return self._post(
            "/mpesa/stkpushquery/v1/query",
            {
                "BusinessShortCode": self.shortcode,
                "Password": password,
                "Timestamp": timestamp,
                "CheckoutRequestID": checkout_request_id,
            },
        )

    def b2c_payment(
        self,
        *,
        phone: str,
        amount,
        remarks: str,
        occasion: str,
        result_url: str,
        timeout_url: str,
        command_id: str = "BusinessPayment",
    ) -> dict:
        """Send money to a phone (loan disbursement). The result arrives later at result_url."""
        return self._post(
            "/mpesa/b2c/v1/paymentrequest",
            {
                "InitiatorName": settings.MPESA_B2C_INITIATOR_NAME,
                "SecurityCredential": settings.MPESA_B2C_SECURITY_CREDENTIAL,
                "CommandID": command_id,
                "Amount": whole_shillings(amount),
                "PartyA": str(settings.MPESA_B2C_SHORTCODE or self.shortcode),
                "PartyB": phone_msisdn(phone),
                "Remarks": (remarks or "Payment")[:100],
                "QueueTimeOutURL": timeout_url,
                "ResultURL": result_url,
                "Occasion": (occasion or "")[:100],
            },
        )
