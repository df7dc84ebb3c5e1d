"""Signed document references and the public check (issue 18): every receipt, member statement, loan statement and
dividend advice carries a QR code of /verify/?ref=<signed reference>; the page and GET /api/verify/ say "matches",
"does not match" (the books changed: a reversal, a posting in the period) or "invalid" (not signed by us), and show
no more than the document itself states (no names, no balances).

The tests read the QR code back from the PDF (its one image, decoded with zxing-cpp) and check that it holds the
same address as the text printed beside it."""

import datetime
import io
import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from django.core import signing
from PIL import Image
from pypdf import PdfReader
from rest_framework.test import APIClient

from portal.api import verify_views
from portal.contributions.models import MonthlyContribution
from portal.contributions.services import monthly_contribution_record, payment_reverse
from portal.dividends.advice import dividend_advice_pdf, dividend_advice_ref
from portal.dividends.models import MemberDividend
from portal.dividends.services import dividend_prepare, dividend_vote
from portal.finance.receipts import receipt_of, receipt_pdf, receipt_ref
from portal.home import verify as verify_page
from portal.loans.reversal import repayment_reverse
from portal.loans.services import loan_repay
from portal.loans.statements import loan_statement_pdf
from portal.members import roles
from portal.reports.member_statement import member_statement, member_statement_pdf, member_statement_ref
from portal.society.document_refs import MAX_REF_LENGTH, SALT, document_verify
from tests.conftest import sign_in_verified
from tests.factories import dividend_terms, loan_disbursed

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _qr_codes(pdf: bytes) -> list[str]:
    """What the QR codes in the PDF say: each image, scaled up with square pixels, read by zxing-cpp."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            picture = image.image.convert("L")
            picture = picture.resize((picture.width * 8, picture.height * 8), Image.NEAREST)
            found += [
                code.text for code in zxingcpp.read_barcodes(picture) if code.format == zxingcpp.BarcodeFormat.QRCode
            ]
    return found


def _ref_in(pdf: bytes, host: str = "https://sacco.example") -> str:
    """The reference in the document's QR code, which is the verify address printed beside it (ReportLab may wrap
    the long address)."""
    (address,) = _qr_codes(pdf)
    assert address in re.sub(r"\s+", "", _text(pdf)), "the PDF prints the address its QR code holds"
    assert address.startswith(f"{host}/verify/?ref=")
    return parse_qs(urlsplit(address).query)["ref"][0]


def _api(ref: str) -> dict:
    response = APIClient().get("/api/verify/", {"ref": ref})
    assert response.status_code == 200, response.content
    return response.json()


def _page(client, ref: str) -> str:
    response = client.get("/verify/", {"ref": ref})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    return response.content.decode()


@pytest.fixture
def contribution(member, clock_at):
    clock_at(datetime.date(2026, 3, 10))
    monthly_contribution_record(member=member, amount="2500.50", period="2026-03", reference="QK12AB34")
    return MonthlyContribution.objects.get(member=member)


def test_a_receipt_matches_until_its_payment_is_reversed(client, member, contribution, staff_user):
    receipt = receipt_of(entry_id=contribution.entry_id, member_id=member.pk)
    assert receipt.total == Decimal("2500.50") and receipt.date == datetime.date(2026, 3, 10)
    pdf = receipt_pdf(
        receipt=receipt, member_name="Amina Wanjiru", membership_number="M1", base_url="https://sacco.example/"
    )
    assert pdf.startswith(b"%PDF") and "2,500.50" in _text(pdf) and "QK12AB34" in _text(pdf)
    ref = _ref_in(pdf)
    assert ref == receipt_ref(receipt) and len(ref) < 120  # compact: a small QR code

    assert _api(ref) == {
        "status": "matches",
        "kind": "receipt",
        "date": "2026-03-10",
        "period_start": None,
        "period_end": None,
        "financial_year": None,
        "amount": "2500.50",
    }
    page = _page(client, ref)
    assert "matches our books" in page and "Payment receipt" in page and "KES 2,500.50" in page
    assert "10 Mar 2026" in page
    assert "Amina" not in page and "Wanjiru" not in page and member.membership_number not in page  # no names

    payment_reverse(payment=contribution, reason="Bounced", reversed_by=staff_user(roles.TREASURER))
    assert _api(ref) == {
        "status": "does_not_match",
        "kind": "receipt",
        "date": None,
        "period_start": None,
        "period_end": None,
        "financial_year": None,
        "amount": None,
    }
    page = _page(client, ref)
    assert "does not match our books" in page and "2,500.50" not in page
    assert receipt_of(entry_id=contribution.entry_id, member_id=member.pk) is None  # no receipt for it now


def test_receipts_download_only_for_their_member(client, member, other_member, contribution, staff_user):
    sign_in_verified(client, member.user)
    page = client.get("/portal/contributions/").content.decode()
    url = f"/portal/receipts/{contribution.entry_id}.pdf"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _text(response.content)
    assert "Receipt" in text and "2,500.50" in text and member.membership_number in text
    assert _ref_in(response.content, host="http://testserver")  # the request's own host

    client.logout()
    sign_in_verified(client, other_member.user)
    assert client.get(url).status_code == 404  # another member's payment
    client.logout()
    assert client.get(url).status_code == 302  # signed out: to the sign-in page

    payment_reverse(payment=contribution, reason="Bounced", reversed_by=staff_user(roles.TREASURER))
    sign_in_verified(client, member.user)
    assert client.get(url).status_code == 404  # a reversed payment has no receipt
    assert url not in client.get("/portal/contributions/").content.decode()


def test_a_member_statement_matches_until_a_posting_lands_in_its_period(member, contribution, clock_at):
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    statement = member_statement(member=member, start=start, end=end)
    pdf = member_statement_pdf(statement, base_url="https://sacco.example/")
    ref = _ref_in(pdf)
    assert ref == member_statement_ref(statement)
    assert _api(ref) == {
        "status": "matches",
        "kind": "member_statement",
        "date": None,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "financial_year": None,
        "amount": None,  # no balance is shown
    }

    clock_at(datetime.date(2026, 4, 2))
    monthly_contribution_record(member=member, amount="1000", period="2026-04", reference="AFTER")  # after the period
    assert document_verify(ref).status == "matches"

    monthly_contribution_record(
        member=member, amount="1000", period="2026-02", reference="BACKDATED", date=datetime.date(2026, 2, 20)
    )
    assert _api(ref)["status"] == "does_not_match"


def test_a_loan_statement_matches_until_a_repayment_is_posted_on_or_before_its_date(
    client, borrower, products, other_member, staff_user, clock_at
):
    clock_at(datetime.date(2026, 2, 20))
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user, date=datetime.date(2026, 1, 15))
    repayment = loan_repay(
        loan=loan, amount=Decimal("5000.00"), reference="RP1", date=datetime.date(2026, 2, 15)
    ).repayment
    pdf = loan_statement_pdf(loan=loan, base_url="https://sacco.example/")
    ref = _ref_in(pdf)
    answer = _api(ref)
    assert (answer["status"], answer["kind"], answer["date"], answer["amount"]) == (
        "matches",
        "loan_statement",
        "2026-02-20",
        None,
    )

    # The repayment's receipt, on the loan page, for the borrower only.
    sign_in_verified(client, borrower.user)
    url = f"/portal/receipts/{repayment.entry_id}.pdf"
    assert url in client.get(f"/portal/loans/{loan.pk}/").content.decode()
    receipt = client.get(url)
    assert receipt.status_code == 200 and "5,000.00" in _text(receipt.content)
    client.logout()
    sign_in_verified(client, other_member.user)
    assert client.get(url).status_code == 404

    clock_at(datetime.date(2026, 3, 1))
    loan_repay(loan=loan, amount=Decimal("100.00"), reference="RP-LATER", date=datetime.date(2026, 3, 1))
    assert document_verify(ref).status == "matches"  # after the statement's date: it said nothing about it
    loan_repay(loan=loan, amount=Decimal("100.00"), reference="RP-BACK", date=datetime.date(2026, 2, 18))
    assert document_verify(ref).status == "does_not_match"

    # The repayment is reversed: its receipt no longer matches, and the loan page no longer offers it.
    receipt_reference = _ref_in(receipt.content, host="http://testserver")
    assert _api(receipt_reference)["status"] == "matches"
    repayment_reverse(repayment=repayment, by=staff_user(roles.ADMINISTRATORS), reason="Bounced")
    assert _api(receipt_reference)["status"] == "does_not_match"
    client.logout()
    sign_in_verified(client, borrower.user)
    assert url not in client.get(f"/portal/loans/{loan.pk}/").content.decode()
    assert client.get(url).status_code == 404


def test_a_dividend_advice_matches_and_downloads_only_for_its_member(client, year_2025, staff_user, deciders, clock_at):
    clock_at(datetime.date(2026, 3, 5))
    declaration = dividend_prepare(**dividend_terms(), by=staff_user(roles.TREASURER))
    dividend_vote(declaration=declaration, user=deciders["joseph"])
    dividend_vote(declaration=declaration, user=deciders["mercy"])
    a, b = year_2025["a"], year_2025["b"]
    advice = MemberDividend.objects.select_related("declaration", "entry", "member__user").get(member=a)
    assert advice.net == Decimal("3021.00")

    pdf = dividend_advice_pdf(member_dividend=advice, base_url="https://sacco.example/")
    assert "3,021.00" in _text(pdf) and "Dividend advice" in _text(pdf)
    ref = _ref_in(pdf)
    assert ref == dividend_advice_ref(advice)
    assert _api(ref) == {
        "status": "matches",
        "kind": "dividend_advice",
        "date": "2026-03-05",
        "period_start": None,
        "period_end": None,
        "financial_year": 2025,
        "amount": "3021.00",
    }

    sign_in_verified(client, a.user)
    url = f"/portal/dividends/{advice.pk}/advice.pdf"
    assert url in client.get("/portal/dividends/").content.decode()
    response = client.get(url)
    assert response.status_code == 200 and "3,021.00" in _text(response.content)
    client.logout()
    sign_in_verified(client, b.user)
    assert client.get(url).status_code == 404  # b's own advice is another one

    # The figures the advice states changed in the books (a correction, here by hand): it no longer matches.
    MemberDividend.objects.filter(pk=advice.pk).update(net=Decimal("3021.01"))
    assert _api(ref)["status"] == "does_not_match"


def test_tampered_forged_and_bad_references(client, member, contribution):
    receipt = receipt_of(entry_id=contribution.entry_id, member_id=member.pk)
    ref = receipt_ref(receipt)
    payload, signature = ref.rsplit(":", 1)
    kind, entry, who, digest = payload.split(".")
    tampered = f"{kind}.{entry}.{who}.{'A' * len(digest)}:{signature}"  # other figures, same signature
    forged = signing.Signer(key="not-our-secret", salt=SALT).sign(payload)
    other_salt = signing.Signer(salt="another.salt").sign(payload)  # our key, but signed for another purpose
    for bad in (tampered, forged, other_salt, "hello", "r.x.y.z:abc"):
        answer = _api(bad)
        assert (answer["status"], answer["kind"], answer["amount"]) == ("invalid", None, None), bad
        assert "not a reference we issued" in _page(client, bad)

    for bad in ("x" * (MAX_REF_LENGTH + 1), "x" * 100_000):
        response = APIClient().get("/api/verify/", {"ref": bad})
        assert response.status_code == 400 and "ref" in response.json()
        page = client.get("/verify/", {"ref": bad})
        assert page.status_code == 400 and "Document reference" in page.content.decode()
    assert APIClient().get("/api/verify/").status_code == 400  # no ref
    assert "ref" in APIClient().get("/api/verify/", {"ref": ""}).json()
    assert client.post("/verify/", {"ref": ref}).status_code == 405  # GET only


def test_the_page_is_light_works_without_javascript_and_is_rate_limited(client, monkeypatch):
    response = client.get("/verify/")
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < 20_000 and "<script" not in html  # plus the site's one stylesheet (27 KB)
    assert 'method="get"' in html and 'name="ref"' in html
    monkeypatch.setattr(verify_page, "VERIFY_CHECKS_PER_MINUTE", 2)
    assert client.get("/verify/", {"ref": "a"}).status_code == 200
    assert client.get("/verify/", {"ref": "a"}).status_code == 200
    assert client.get("/verify/", {"ref": "a"}).status_code == 429
    assert client.get("/verify/", {"ref": "a"}, REMOTE_ADDR="10.0.0.9").status_code == 200  # per address

    monkeypatch.setattr(verify_views.DocumentVerifyThrottle, "rate", "2/minute")
    api = APIClient()
    assert [api.get("/api/verify/", {"ref": "a"}).status_code for _ in range(3)] == [200, 200, 429]


def test_the_schema_types_the_answer(client):
    assert APIClient().get("/api/").json()["document-verify"].endswith("/api/verify/")
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    operation = schema["paths"]["/api/verify/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["ref"] and operation["parameters"][0]["required"]
    assert operation.get("security", []) in ([], [{}]) and "security" not in schema  # no sign-in
    assert set(operation["responses"]) == {"200", "400", "429"}  # never a 401 or 403
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][body]["properties"]
    assert set(properties) == {"status", "kind", "date", "period_start", "period_end", "financial_year", "amount"}
    status = properties["status"]
    status = schema["components"]["schemas"][status["$ref"].rsplit("/", 1)[-1]] if "$ref" in status else status
    assert set(status["enum"]) == {"matches", "does_not_match", "invalid"}
