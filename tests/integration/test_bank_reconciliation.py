"""T5 bank reconciliation on a fixed statement file with tricky rows: a reference in another case, a cheque number
inside the ledger's source and two days late, two equal amounts on one day (left for a person), a bank charge the
books do not have; manual matching rules; the unreconciled report; the same file once; bad rows named."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from portal.finance.banking.models import BankStatement, BankTransaction
from portal.finance.banking.reconciliation import (
    StatementInvalid,
    bank_transaction_reconcile,
    statement_import,
    unreconciled_report,
)
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalLine
from portal.finance.ledger.services import Line, ledger_post
from portal.members import roles

pytestmark = pytest.mark.django_db
D = Decimal

STATEMENT = b"""Date,Reference,Details,Paid In,Withdrawn
02/03/2026,qk7h2m1x,MPESA deposit,"2,500.00",
05/03/2026,,Cash deposit,"1,000.00",
05/03/2026,,Cash deposit,"1,000.00",
08/03/2026,001234,Cheque paid,,"45,000.00"
31/03/2026,,Bank charges,,150.00
"""


def _bank_line(key, date, amount, source):
    amount = D(amount)
    bank = Line("1010", debit=amount) if amount > 0 else Line("1010", credit=-amount)
    other = Line("5000", debit=-amount) if amount < 0 else Line("4900", credit=amount)
    entry = ledger_post(memo=key, lines=[bank, other], idempotency_key=key, date=date, source=source).entry
    return entry.lines.get(account__code="1010")


@pytest.fixture
def books():
    return {
        "deposit": _bank_line("dep", datetime.date(2026, 3, 2), "2500", "QK7H2M1X"),
        "cash1": _bank_line("cash1", datetime.date(2026, 3, 5), "1000", "cash desk"),
        "cash2": _bank_line("cash2", datetime.date(2026, 3, 5), "1000", "cash desk"),
        "rent": _bank_line("rent", datetime.date(2026, 3, 6), "-45000", "CHQ 001234 rent"),
        "other": _bank_line("other", datetime.date(2026, 3, 10), "700", "sundry"),
    }


def _by_row():
    return {t.row_number: t for t in BankTransaction.objects.all()}


def test_auto_match_takes_the_sure_ones_and_leaves_the_rest(books, staff_user):
    bank = bank_account_primary()
    result = statement_import(bank_account=bank, content=STATEMENT, file_name="march.csv")
    assert result.created and result.matched == 2
    rows = _by_row()
    assert [rows[n].amount for n in range(2, 7)] == [D("2500"), D("1000"), D("1000"), D("-45000"), D("-150")]
    assert rows[2].matched_line == books["deposit"] and rows[2].match_method == "reference"
    assert rows[5].matched_line == books["rent"] and rows[5].match_method == "reference"
    assert rows[3].matched_line is None and rows[4].matched_line is None  # two equal candidates: a person chooses
    assert rows[6].matched_line is None  # the bank charge is not in the books

    treasurer = staff_user(roles.TREASURER)
    bank_transaction_reconcile(bank_transaction=rows[3], line=books["cash1"], by=treasurer)
    with pytest.raises(ValidationError) as exc:
        bank_transaction_reconcile(bank_transaction=rows[4], line=books["cash1"], by=treasurer)
    assert "already matched" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        bank_transaction_reconcile(bank_transaction=rows[4], line=books["other"], by=treasurer)
    assert "Amounts differ" in str(exc.value)
    assert bank_transaction_reconcile(bank_transaction=rows[4], line=books["cash2"], by=treasurer).reconciled

    report = unreconciled_report(bank_account=bank, start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    assert [t.row_number for t in report.statement_lines] == [6]
    assert [line.pk for line in report.ledger_lines] == [books["other"].pk]

    again = statement_import(bank_account=bank, content=STATEMENT, file_name="march-again.csv")
    assert not again.created and BankStatement.objects.count() == 1 and BankTransaction.objects.count() == 5


def test_bad_rows_are_named_and_nothing_is_stored(books):
    content = b"Date,Reference,Amount\n2026-03-02,A1,100\n31/02/2026,A2,50\n2026-03-04,A3,12.345\n2026-03-05,A4,0\n"
    with pytest.raises(StatementInvalid) as exc:
        statement_import(bank_account=bank_account_primary(), content=content, file_name="bad.csv")
    assert {(row, field) for row, field, _ in exc.value.rows} == {(3, "date"), (4, "amount"), (5, "amount")}
    assert not BankStatement.objects.exists() and not BankTransaction.objects.exists()
    with pytest.raises(ValidationError) as exc:
        statement_import(bank_account=bank_account_primary(), content=b"When,What\n1,2\n", file_name="x.csv")
    assert "date column" in " ".join(exc.value.message_dict["file"])


def test_the_seed_endpoints(books, staff_user, member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bank = bank_account_primary()
    api = APIClient()
    api.force_authenticate(member.user)
    assert api.get("/api/transactions/bank-transactions/").status_code == 403
    api.force_authenticate(staff_user(roles.TREASURER))
    upload = SimpleUploadedFile("march.csv", STATEMENT, content_type="text/csv")
    made = api.post("/api/transactions/bank-transactions/", {"bank_account": str(bank.pk), "file": upload})
    assert made.status_code == 201 and made.json()["matched"] == 2 and made.json()["rows"] == 5
    open_lines = api.get("/api/transactions/bank-transactions/?reconciled=false").json()["results"]
    assert len(open_lines) == 3
    three = next(t for t in open_lines if t["amount"] == "1000.00")
    wrong = api.post(f"/api/transactions/bank-transactions/{three['id']}/reconcile/", {"line": books["other"].pk})
    assert wrong.status_code == 400 and "line" in wrong.json()
    done = api.post(f"/api/transactions/bank-transactions/{three['id']}/reconcile/", {"line": books["cash1"].pk})
    assert done.status_code == 200 and done.json()["reconciled"] and done.json()["match_method"] == "manual"
    bad = SimpleUploadedFile("bad.csv", b"Date,Amount\nnope,1\n", content_type="text/csv")
    rejected = api.post("/api/transactions/bank-transactions/", {"bank_account": str(bank.pk), "file": bad})
    assert rejected.status_code == 400 and rejected.json()["rows"][0]["row"] == 2
    assert JournalLine.objects.filter(bank_match__isnull=False).count() == 3


def test_admin_import_match_and_report(client, books, staff_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import sign_in_verified

    bank = bank_account_primary()
    sign_in_verified(client, staff_user(roles.TREASURER))
    bad = SimpleUploadedFile("bad.csv", b"Date,Amount\n2026-03-01,abc\n", content_type="text/csv")
    page = client.post("/admin/ledger/bank-statements/import/", {"bank_account": bank.pk, "file": bad})
    assert page.status_code == 200 and "Row 2, amount" in page.content.decode()
    good = SimpleUploadedFile("march.csv", STATEMENT, content_type="text/csv")
    assert (
        client.post("/admin/ledger/bank-statements/import/", {"bank_account": bank.pk, "file": good}).status_code == 302
    )
    listing = client.get("/admin/snippets/finance/banktransaction/").content.decode()
    row3 = _by_row()[3]
    assert f"/admin/ledger/bank-statements/lines/{row3.pk}/match/" in listing
    match_page = client.get(f"/admin/ledger/bank-statements/lines/{row3.pk}/match/").content.decode()
    assert f'value="{books["cash1"].pk}"' in match_page and f'value="{books["cash2"].pk}"' in match_page
    client.post(f"/admin/ledger/bank-statements/lines/{row3.pk}/match/", {"line": books["cash2"].pk})
    assert _by_row()[3].matched_line == books["cash2"]
    report = client.get("/admin/ledger/bank-statements/unreconciled/?start=2026-03-01&end=2026-03-31").content.decode()
    assert "Bank charges" in report and "sundry" in report
