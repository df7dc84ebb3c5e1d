"""Signed document references (issue 18), without the database: compact, round-trip, refuse what we did not sign."""

import datetime
import uuid

from django.core import signing

from portal.society.document_refs import (
    MAX_REF_LENGTH,
    SALT,
    date_of,
    date_text,
    document_kinds,
    document_ref_read,
    document_ref_sign,
    document_verify,
    figures_digest,
    uuid_of,
    uuid_text,
    verify_url,
)


def test_every_document_kind_is_registered_by_its_app():
    assert {code: kind.name for code, kind in document_kinds().items()} == {
        "r": "receipt",
        "s": "member_statement",
        "l": "loan_statement",
        "d": "dividend_advice",
    }


def test_a_reference_is_compact_and_reads_back():
    entry, member = uuid.uuid4(), uuid.uuid4()
    assert uuid_of(uuid_text(entry)) == entry and len(uuid_text(entry)) == 22
    assert date_of(date_text(datetime.date(2026, 2, 28))) == datetime.date(2026, 2, 28)
    digest = figures_digest([entry, "2026-03-10", "2000=2500.50"])
    assert len(digest) == 12 and digest == figures_digest([entry, "2026-03-10", "2000=2500.50"])
    assert digest != figures_digest([entry, "2026-03-10", "2000=2500.51"])
    token = document_ref_sign(kind="r", ids=[uuid_text(entry), uuid_text(member)], digest=digest)
    assert len(token) < 120 < MAX_REF_LENGTH
    ref = document_ref_read(token)
    assert (ref.kind, ref.ids, ref.digest) == ("r", (uuid_text(entry), uuid_text(member)), digest)
    url = verify_url(token, base_url="https://sacco.example/")
    assert url.startswith("https://sacco.example/verify/?ref=r.") and len(url) < 160


def test_what_we_did_not_sign_is_not_read():
    payload = "r.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAA"
    assert document_ref_read(signing.Signer(salt="other").sign(payload)) is None
    assert document_ref_read(signing.Signer(key="x" * 50, salt=SALT).sign(payload)) is None
    assert document_ref_read(signing.Signer(salt=SALT).sign("z.a.b")) is None  # not a kind we issue
    assert document_ref_read(signing.Signer(salt=SALT).sign("r")) is None
    for bad in ("", "x" * (MAX_REF_LENGTH + 1), "no-signature", None, 12):
        assert document_ref_read(bad) is None
        assert document_verify(bad).status == "invalid"
