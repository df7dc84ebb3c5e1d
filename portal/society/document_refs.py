"""Signed document references (issue 18): every receipt, statement and dividend advice carries a QR code of
`https://<host>/verify/?ref=<token>`, and anyone holding the document can ask whether it matches the books.

The token is `django.core.signing` over a short text: the document's kind, the ids of what it is about, and a
digest of the figures it states, e.g. ``r.<entry>.<member>.<digest>:<signature>`` (about 90 characters, a small
QR code). Nothing in it is secret, only unforgeable: the ids are the records' own (UUIDs in URL-safe base64) and
the digest is 72 bits of a SHA-256 of the figures.

This module is the bottom of the stack: it signs, reads and answers. What the books say *now* about a document
of a kind is the business of the app that owns the data (finance: receipts; reports: member statements; loans:
loan statements; dividends: dividend advices); each registers a `books` function for its kind in its AppConfig,
so no lower layer names a higher one.

What an answer tells (and nothing more): whether the document matches the books, its kind, and — only when it
matches, so they are the document's own figures — its date (or period) and, for a receipt or a dividend advice,
its amount. Never a name, a membership number, a balance, or anything about another record; a document that no
longer matches says only its kind (not what the books say instead).
"""

import base64
import datetime
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError

SALT = "portal.society.document-ref"
MAX_REF_LENGTH = 200  # a token we issue is under 120 characters; anything longer is refused before any work
VERIFY_PATH = "/verify/"


class Status:
    MATCHES = "matches"
    DOES_NOT_MATCH = "does_not_match"
    INVALID = "invalid"


@dataclass(frozen=True)
class DocumentRef:
    """What a token says: the kind's code, the ids (text, as the kind's books function reads them), the digest."""

    kind: str
    ids: tuple[str, ...]
    digest: str


@dataclass(frozen=True)
class Books:
    """What the books say now about a document: the digest of the figures it would state if drawn today, and the
    facts that may be shown when it matches (the document states them itself)."""

    digest: str
    date: datetime.date | None = None  # the receipt's or advice's date; a statement's "as of" date
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    amount: Decimal | None = None
    financial_year: int | None = None


@dataclass(frozen=True)
class Kind:
    code: str
    name: str  # the API's stable name, e.g. "receipt"
    label: object  # translatable, for the page
    books: Callable[[tuple[str, ...]], "Books | None"]  # None: the record is gone or no longer what was issued


@dataclass(frozen=True)
class Verdict:
    status: str
    kind: Kind | None = None
    books: Books | None = field(default=None)  # only when status == matches


_KINDS: dict[str, Kind] = {}


def document_kind_register(*, code: str, name: str, label, books: Callable[[tuple[str, ...]], "Books | None"]) -> None:
    """Called from the owning app's AppConfig.ready(). Registering the same code again replaces it (reloads)."""
    if not code.isalpha() or len(code) != 1:
        raise ValueError("a kind's code is one letter")
    _KINDS[code] = Kind(code=code, name=name, label=label, books=books)


def document_kinds() -> dict[str, Kind]:
    return dict(_KINDS)


def uuid_text(value) -> str:
    """A UUID as 22 URL-safe base64 characters (no padding)."""
    raw = value.bytes if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def uuid_of(text: str) -> uuid.UUID:
    """The inverse of uuid_text; ValueError on anything else."""
    if len(text) != 22:
        raise ValueError("not a UUID")
    return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=="))


def date_text(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


def date_of(text: str) -> datetime.date:
    return datetime.datetime.strptime(text, "%Y%m%d").date()


def figures_digest(parts: Iterable) -> str:
    """12 characters (72 bits) of SHA-256 over the figures, each part as text (Decimals to the cent as given)."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:9]).decode()


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def document_ref_sign(*, kind: str, ids: Iterable[str], digest: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    parts = [kind, *ids, digest]
    if any(not part or "." in part or ":" in part for part in parts):
        raise ValueError("a reference part is empty or holds a separator")
    return _signer().sign(".".join(parts))


def document_ref_read(token: str) -> DocumentRef | None:
    """The reference a token carries, or None when it is not one we signed (or too long to be one)."""
    if not isinstance(token, str) or not token or len(token) > MAX_REF_LENGTH:
        return None
    try:
        payload = _signer().unsign(token.strip())
    except signing.BadSignature:
        return None
    parts = payload.split(".")
    if len(parts) < 3 or parts[0] not in _KINDS:
        return None
    return DocumentRef(kind=parts[0], ids=tuple(parts[1:-1]), digest=parts[-1])


def document_verify(token: str) -> Verdict:
    """Matches / does not match / invalid. A signed reference whose ids no longer read (a record gone) does not
    match; a bad signature is invalid."""
    ref = document_ref_read(token)
    if ref is None:
        return Verdict(Status.INVALID)
    kind = _KINDS[ref.kind]
    try:
        books = kind.books(ref.ids)
    except (ValueError, TypeError, LookupError, ValidationError):  # ids that no longer read: not what we issued
        books = None
    if books is None or books.digest != ref.digest:
        return Verdict(Status.DOES_NOT_MATCH, kind=kind)
    return Verdict(Status.MATCHES, kind=kind, books=books)


def verify_url(token: str, *, base_url: str = "") -> str:
    """The address the QR code holds. `base_url` is the site's root as the request saw it ("https://host/");
    without one (an emailed statement) WAGTAILADMIN_BASE_URL, production's https://<first allowed host>."""
    base = base_url or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return f"{base.rstrip('/')}{VERIFY_PATH}?{urlencode({'ref': token})}"
