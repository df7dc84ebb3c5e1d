"""Kiswahili (issue 14): the member statement's section titles (page, PDF, email, API) and the loans' SASRA
classification are translated; the API answers in the caller's language (a JWT carries no cookie), and English
callers get exactly what they got before. The catalogue is complete and keeps one word for deposits."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.loans.models import Classification
from portal.loans.selectors import portfolio_report
from portal.members import roles
from portal.reports.member_statement import member_statement, member_statement_email
from portal.reports.services import financial_statement_approve, financial_statement_prepare
from tests.conftest import api_token_pair, sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "sw" / "LC_MESSAGES" / "django.po"


@pytest.fixture(autouse=True)
def _language_reset():
    """A request activates the caller's language for the rest of the thread: no later test inherits Kiswahili."""
    yield
    translation.deactivate()


@pytest.fixture
def saver(member):
    share_capital_payment_record(member=member, amount="5000", reference="sc-h2", date=datetime.date(2025, 12, 20))
    monthly_contribution_record(
        member=member, amount="2500", period="2026-01", reference="dep-h2", date=datetime.date(2026, 1, 25)
    )
    return member


def _speaks(member, language):
    member.user.language = language
    member.user.save(update_fields=["language"])


def test_the_statement_page_and_pdf_give_the_section_titles_in_kiswahili(client, saver):
    _speaks(saver, "sw")
    sign_in_verified(client, saver.user)
    html = client.get("/portal/my-statement/", PERIOD).content.decode()
    assert "<h2>Hisa</h2>" in html and "<h2>Akiba</h2>" in html
    assert "Share capital" not in html and "<h2>Deposits</h2>" not in html
    pdf = client.get("/portal/my-statement/", {**PERIOD, "output": "pdf"})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Hisa" in text and "Akiba" in text and "Deposits" not in text


def test_the_statement_email_is_in_the_members_language_whoever_sends_it(saver):
    _speaks(saver, "sw")
    mail.outbox.clear()
    with translation.override("en-gb"):  # a clerk working in English sends it
        member_statement_email(member=saver, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))
    (message,) = mail.outbox
    assert message.subject.startswith("Taarifa yako ya ") and message.body.startswith("Mpendwa Amina,")
    assert "imeambatishwa" in message.body
    text = PdfReader(io.BytesIO(message.attachments[0][1])).pages[0].extract_text()
    assert "Akiba" in text and "Deposits" not in text


def test_the_statement_titles_follow_the_active_language(saver, other_member):
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    with translation.override("sw"):
        titles = [s["title"] for s in member_statement(member=saver, start=start, end=end)["sections"]]
    assert titles == ["Hisa", "Akiba"]
    with translation.override("en-gb"):
        titles = [s["title"] for s in member_statement(member=saver, start=start, end=end)["sections"]]
    assert titles == ["Share capital", "Deposits"]
    assert all(isinstance(t, str) and type(t) is str for t in titles)  # plain text, not lazy: JSON, pickling


def test_the_api_answers_in_the_callers_language(saver):
    api = APIClient()
    tokens = api_token_pair(api, saver.user.email)  # the sign-in code email is read in English
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    english = api.get("/api/reports/member-statements/", PERIOD).json()
    assert [s["title"] for s in english["sections"]] == ["Share capital", "Deposits"]  # unchanged for English

    _speaks(saver, "sw")
    fresh = APIClient()  # no language cookie: only the account says Kiswahili
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    swahili = fresh.get("/api/reports/member-statements/", PERIOD).json()
    assert [s["title"] for s in swahili["sections"]] == ["Hisa", "Akiba"]
    assert swahili["sections"][1]["closing"] == "2500.00"


def test_another_members_statement_is_still_404_in_kiswahili(saver, other_member):
    _speaks(saver, "sw")
    api = APIClient()
    api.force_authenticate(saver.user)
    response = api.get("/api/reports/member-statements/", {**PERIOD, "member": str(other_member.pk)})
    assert response.status_code == 404


def test_the_loan_classification_in_kiswahili(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    with translation.override("sw"):
        assert loan.get_classification_display() == "Unalipwa vizuri (kwa wakati)"
        assert Classification.SUBSTANDARD.label == "Chini ya kiwango (siku 31–180)"
        assert str(Classification.LOSS.label) == "Hasara (zaidi ya siku 360)"
        labels = [row.label for row in portfolio_report().rows]
    assert labels[0] == "Unalipwa vizuri (kwa wakati)" and labels[-1] == "Hasara (zaidi ya siku 360)"
    with translation.override("en-gb"):
        assert [row.label for row in portfolio_report().rows][0] == "Performing (current)"


def test_the_societys_statements_in_kiswahili(client, saver, staff_user, deciders):
    """The AGM pack members read in the portal (page and PDF): the statements' headings in the member's language."""
    pack = financial_statement_prepare(
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31), by=staff_user(roles.TREASURER)
    )
    for approver in (deciders["joseph"], deciders["mercy"]):
        financial_statement_approve(statement=pack, user=approver)
    _speaks(saver, "sw")
    sign_in_verified(client, saver.user)
    html = client.get(f"/portal/statements/{pack.pk}/").content.decode()
    for words in ("Taarifa ya mapato na matumizi, 2026-01-01 hadi 2026-03-31", "Ziada ya kipindi", "Mizania tarehe"):
        assert words in html, words
    assert "Surplus for the period" not in html and "Balance sheet at" not in html
    pdf = client.get(f"/portal/statements/{pack.pk}/pack.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Jumla ya mapato" in text and "Mtiririko wa fedha" in text


def _entries():
    """(msgid, msgstr, flags) of every live entry of the Kiswahili catalogue (obsolete #~ entries skipped)."""
    text = CATALOGUE.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        strings = [v for k, v in fields.items() if k.startswith("msgstr")]
        yield fields["msgid"], strings, flags


def test_the_catalogue_is_complete_and_keeps_one_word_for_deposits():
    text = CATALOGUE.read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text
    assert "# Glossary" in text  # the terms future translators keep
    entries = [e for e in _entries() if e[0]]
    assert len(entries) > 500
    assert [msgid for msgid, _s, flags in entries if "fuzzy" in flags] == []
    assert [msgid for msgid, strings, _f in entries if not all(strings)] == []
    amana = [s for _m, strings, _f in entries for s in strings if re.search(r"\bamana\b", s, re.IGNORECASE)]
    assert amana == []  # deposits are "akiba" everywhere
    backup = [s for _m, strings, _f in entries for s in strings if "nambari za akiba" in s.lower()]
    assert backup == []  # backup codes are "nambari mbadala", so "akiba" always means deposits
