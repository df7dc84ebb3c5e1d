"""C4: check-off files — dry-run preview with every row's errors, all-or-nothing posting, same file posts once."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from portal.contributions.checkoff import CheckoffFileError, checkoff_post, checkoff_preview
from portal.contributions.models import CheckoffImport, CheckoffRow, MonthlyContribution, ShareCapitalPayment
from portal.contributions.services import PaymentsInvalid
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance

pytestmark = pytest.mark.django_db
D = Decimal
PERIOD = datetime.date(2026, 10, 1)


def csv_bytes(*rows, header="payroll_number,share_capital,deposits,loan_repayment"):
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def payroll_members(make_member):
    return [make_member(payroll_number=f"P{i:03d}", employer="Ministry of Health") for i in range(1, 4)]


def test_preview_writes_nothing_and_totals_the_columns(payroll_members):
    content = csv_bytes("P001,500,1000,0", "P002,0,1500.50,2000", "P003,1000,1000,")
    preview = checkoff_preview(content=content, file_name="oct.csv", period=PERIOD)
    assert preview.can_post and preview.row_count == 3
    assert preview.totals == {"share_capital": D("1500.00"), "deposits": D("3500.50"), "loan_repayment": D("2000.00")}
    assert JournalEntry.objects.count() == 0 and CheckoffRow.objects.count() == 0


def test_posting_splits_each_row_into_share_capital_deposits_and_suspense(payroll_members):
    first, second, _ = payroll_members
    content = csv_bytes("P001,500,1000,0", "P002,0,1500.50,2000", "P003,1000,1000,")
    outcome = checkoff_post(content=content, file_name="oct.csv", period=PERIOD, bank_account=bank_account_primary())
    assert outcome.created and outcome.checkoff.total_amount == D("7000.50")
    assert JournalEntry.objects.count() == 3
    assert set(JournalEntry.objects.values_list("idempotency_key", flat=True)) == {
        f"checkoff:{outcome.checkoff.sha256}:{n}" for n in (1, 2, 3)
    }
    assert account_balance(code="3000", member=first) == D("500.00")
    assert account_balance(code="2000", member=second) == D("1500.50")
    assert account_balance(code="2300", member=second) == D("2000.00")
    assert account_balance(code="1010") == D("7000.50")
    assert MonthlyContribution.objects.filter(period=PERIOD).count() == 3
    assert ShareCapitalPayment.objects.count() == 2


def test_the_same_file_twice_posts_once(payroll_members):
    content = csv_bytes("P001,500,1000,0")
    checkoff_post(content=content, file_name="oct.csv", period=PERIOD, bank_account=bank_account_primary())
    again = checkoff_post(content=content, file_name="oct-copy.csv", period=PERIOD, bank_account=bank_account_primary())
    assert not again.created
    assert JournalEntry.objects.count() == 1 and CheckoffImport.objects.count() == 1
    preview = checkoff_preview(content=content, file_name="oct-copy.csv", period=PERIOD)
    assert preview.already_posted == again.checkoff and not preview.can_post


def test_one_bad_row_among_ten_thousand_names_row_and_field_and_posts_nothing(payroll_members):
    rows = ["P001,0,1000,0"] * 10_000
    rows[136] = "P002,0,1000.005,0"
    rows[5150] = "P999,0,1000,0"
    rows[9970] = "P003,-5,1000,0"
    content = csv_bytes(*rows)
    preview = checkoff_preview(content=content, file_name="big.csv", period=PERIOD)
    assert [(e.row, e.field) for e in preview.errors] == [
        (137, "deposits"),
        (5151, "payroll_number"),
        (9971, "share_capital"),
    ]
    assert "P999" in preview.errors[1].message
    with pytest.raises(PaymentsInvalid):
        checkoff_post(content=content, file_name="big.csv", period=PERIOD, bank_account=bank_account_primary())
    assert (
        JournalEntry.objects.count() == 0 and CheckoffImport.objects.count() == 0 and CheckoffRow.objects.count() == 0
    )


def test_below_minimum_deposits_need_a_reason(payroll_members):
    content = csv_bytes("P001,0,400,0")
    preview = checkoff_preview(content=content, file_name="low.csv", period=PERIOD)
    assert [(e.row, e.field) for e in preview.errors] == [(1, "deposits")]
    outcome = checkoff_post(
        content=content,
        file_name="low.csv",
        period=PERIOD,
        bank_account=bank_account_primary(),
        below_minimum_reason="Unpaid leave in October",
    )
    assert MonthlyContribution.objects.get(entry__checkoff_row__checkoff=outcome.checkoff).below_minimum_reason


def test_membership_numbers_and_xlsx_files_work(payroll_members):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Membership Number", "Shares", "Deposits"])
    sheet.append([payroll_members[0].membership_number, 250, 1000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = checkoff_post(
        content=buffer.getvalue(), file_name="oct.xlsx", period=PERIOD, bank_account=bank_account_primary()
    )
    assert outcome.checkoff.total_amount == D("1250.00")


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"name,amount\nx,1\n", "x.csv", "payroll_number or membership_number"),
        (b"payroll_number,deposits\n", "x.csv", "no rows"),
        (b"%PDF-1.4", "x.pdf", ".csv or .xlsx"),
    ],
)
def test_unreadable_files_get_a_clear_message(content, name, words):
    with pytest.raises(CheckoffFileError) as exc:
        checkoff_preview(content=content, file_name=name, period=PERIOD)
    assert words in exc.value.message_dict["file"][0]
