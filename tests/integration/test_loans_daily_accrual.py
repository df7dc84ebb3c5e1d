"""Issue 13: the interest and penalty paths of the daily loan job (portal/loans/jobs.py), checked to the cent
against a hand computation from the spec (shared/spec/domain.md, "Loans" and "Arrears"), and the ledger still
checks out (`manage.py ledger_check`) after the job has posted them.

Hand computation, the spec's own example — P = 100,000 at 12 % a year over 12 months, reducing balance with
equal instalments: r = 12 / 12 / 100 = 1 %, A = P·r / (1 − (1 + r)^−12) = 8,884.8788 → 8,884.88.
  month 1: interest = 100,000.00 × 1 % = 1,000.00, principal 7,884.88, balance 92,115.12
  month 2: interest =  92,115.12 × 1 % =   921.1512 → 921.15, principal 7,963.73, balance 84,151.39
  month 3: interest =  84,151.39 × 1 % =   841.5139 → 841.51
Disbursed 15 Jan 2026, the first instalment falls due a month later: 15 Feb, 15 Mar, 15 Apr, ...
Penalty (spec: "e.g. 1 % per month on the overdue instalment amount", once per period): 1 % × 8,884.88 =
88.8488 → 88.85 per overdue instalment per calendar month.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.loans.demo import loans_seed
from portal.loans.jobs import loans_daily
from portal.loans.models import LoanProduct
from portal.loans.services import application_approve, application_submit, loan_disburse, loan_repay
from portal.members import roles
from portal.members.models import REQUIRED_KYC_TYPES, KycDecision, KycDocument

pytestmark = pytest.mark.django_db
D = Decimal
DISBURSED = datetime.date(2026, 1, 15)


@pytest.fixture
def loan(make_member, staff_user):
    """100,000 over 12 months on the seeded "development" product (12 % a year, reducing balance, 1 % penalty)."""
    loans_seed()
    product = LoanProduct.objects.get(slug="development")
    member = make_member("borrower@example.com", first_name="Juma", join_date=datetime.date(2024, 1, 10))
    for document_type in REQUIRED_KYC_TYPES:
        document = KycDocument.objects.create(
            member=member, document_type=document_type, content_type="application/pdf", size=10, sha256="x"
        )
        KycDecision.objects.create(document=document, status=KycDecision.VERIFIED)
    share_capital_payment_record(member=member, amount="20000", reference="bsc")
    monthly_contribution_record(member=member, amount="120000", period="2025-01", reference="bdep")
    application = application_submit(member=member, product=product, amount="100000", term_months=12, purpose="Build")
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    loan = loan_disburse(application=application, by=staff_user(roles.TREASURER), date=DISBURSED).loan
    # The premises of the hand computation, so a change of seed data fails here and not in a sum further down.
    assert loan.annual_rate == D("12") and loan.product.penalty_rate_monthly == D("1")
    first, second, third = loan.instalments.order_by("number")[:3]
    assert (first.due_date, second.due_date, third.due_date) == (
        datetime.date(2026, 2, 15),
        datetime.date(2026, 3, 15),
        datetime.date(2026, 4, 15),
    )
    assert (first.interest, second.interest, third.interest) == (D("1000.00"), D("921.15"), D("841.51"))
    assert first.principal + first.interest == second.principal + second.interest == D("8884.88")
    return loan


def _entry(key):
    entry = JournalEntry.objects.get(idempotency_key=key)
    return entry, {(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")}


def test_interest_falls_due_to_the_cent_on_each_due_date(loan):
    assert loans_daily(today=datetime.date(2026, 2, 14)).interest_posted == 0  # nothing due yet
    assert account_balance(code="1110") == D("0.00")

    result = loans_daily(today=datetime.date(2026, 3, 20))  # 15 Feb and 15 Mar are due
    assert result.interest_posted == 2
    assert account_balance(code="1110") == account_balance(code="4000") == D("1921.15")  # 1,000.00 + 921.15
    entry, lines = _entry(f"interest:{loan.pk}:2")
    assert entry.date == datetime.date(2026, 3, 15)  # dated when it fell due, not when the job ran
    assert lines == {("1110", D("921.15"), D("0.00")), ("4000", D("0.00"), D("921.15"))}

    assert loans_daily(today=datetime.date(2026, 4, 14)).interest_posted == 0  # the day before the 3rd is due
    assert loans_daily(today=datetime.date(2026, 4, 15)).interest_posted == 1  # due on the day itself
    assert account_balance(code="1110") == account_balance(code="4000") == D("2762.66")  # + 841.51
    assert list(loan.instalments.filter(interest_accrued=True).values_list("number", flat=True)) == [1, 2, 3]
    assert loans_daily(today=datetime.date(2026, 4, 15)).interest_posted == 0  # and only once


def test_penalty_is_charged_once_a_month_on_each_overdue_instalment(loan):
    result = loans_daily(today=datetime.date(2026, 3, 20))  # 15 Feb and 15 Mar overdue, nothing paid
    assert result.penalties_posted == 2
    assert account_balance(code="1120") == account_balance(code="4200") == D("177.70")  # 2 × 88.85
    entry, lines = _entry(f"penalty:{loan.pk}:1:2026-03")
    assert entry.date == datetime.date(2026, 3, 20)
    assert lines == {("1120", D("88.85"), D("0.00")), ("4200", D("0.00"), D("88.85"))}

    assert loans_daily(today=datetime.date(2026, 3, 31)).penalties_posted == 0  # same month: no second charge
    assert account_balance(code="1120") == D("177.70")

    result = loans_daily(today=datetime.date(2026, 4, 1))  # a new month: both still overdue (15 Apr is not yet)
    assert result.penalties_posted == 2
    assert account_balance(code="1120") == account_balance(code="4200") == D("355.40")
    penalties = dict(loan.instalments.values_list("number", "penalty"))
    assert penalties[1] == penalties[2] == D("177.70") and penalties[3] == D("0.00")


def test_penalty_is_on_what_is_still_overdue_at_the_products_rate(loan):
    LoanProduct.objects.filter(pk=loan.product_id).update(penalty_rate_monthly=D("2.5"))
    loans_daily(today=datetime.date(2026, 2, 15))  # the 1st instalment's interest falls due; not overdue yet
    assert account_balance(code="1120") == D("0.00")
    # Part payment the next day: 3,000.68 of the 8,884.88 (interest 1,000.00 first, then 2,000.68 principal).
    loan_repay(loan=loan, amount="3000.68", reference="PART-1", date=datetime.date(2026, 2, 16))
    first = loan.instalments.get(number=1)
    assert first.interest_paid == D("1000.00") and first.principal_paid == D("2000.68")

    assert loans_daily(today=datetime.date(2026, 2, 20)).penalties_posted == 1
    # Overdue 8,884.88 − 3,000.68 = 5,884.20; × 2.5 % = 147.105 → 147.11 (half up, like every cent in the app).
    assert account_balance(code="1120") == account_balance(code="4200") == D("147.11")
    assert loan.instalments.get(number=1).penalty == D("147.11")
    assert account_balance(code="1110") == D("0.00")  # 1,000.00 fell due, 1,000.00 paid


def test_ledger_check_passes_after_the_job_posts_interest_and_penalties(loan):
    out = StringIO()
    call_command("loans_daily", date="2026-03-20", stdout=out)  # through the command, as the scheduler runs it
    assert "interest postings 2, penalties 2" in out.getvalue()
    loan_repay(loan=loan, amount="5000", reference="PART-2", date=datetime.date(2026, 3, 25))  # penalties first
    loans_daily(today=datetime.date(2026, 4, 1))
    loans_daily(today=datetime.date(2026, 4, 15))
    assert account_balance(code="1110") > 0 and account_balance(code="1120") > 0  # there is something to check

    out = StringIO()
    call_command("ledger_check", stdout=out, stderr=StringIO())  # raises CommandError on any problem
    assert "Ledger OK" in out.getvalue()
