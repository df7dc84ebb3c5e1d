"""Issue 17: the set-based daily loan job over a mixed portfolio posts exactly what the rules say, loan by loan and
instalment by instalment — the same postings the per-row job made — and a rerun the same day posts and changes
nothing.

The portfolio (today 20 June 2026; 12-month loans of 60,000 at 12 %, reducing balance, built by schedule_build):
  current     development (1 %/month)     disbursed 10 Jan 2026, every instalment due paid
  arrears     development (1 %/month)     disbursed 10 Dec 2025, 10 Apr, 10 May, 10 Jun unpaid → 71 days, substandard
  fixed       fixed 250 with 5 grace days disbursed 17 Jan 2026, 17 May: interest paid, principal not (34 days,
              substandard, min(250, overdue)); 17 Jun only 3 days overdue: within the grace, no penalty
  loss        2.5 %/month                 disbursed 1 May 2025, nothing paid since 1 Jun 2025 → 384 days, loss
  closed      development, a closed loan with an unpaid instalment: ignored
Every instalment due by today is not yet accrued, so interest falls due on each of them too.
"""

import datetime
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest

from portal.finance.ledger.models import JournalEntry
from portal.loans.demo import loans_seed
from portal.loans.jobs import loans_daily
from portal.loans.models import Loan, LoanApplication, LoanInstalment, LoanProduct, LoanStatus
from portal.loans.schedule import schedule_build
from portal.society.policy import sacco_settings

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 6, 20)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _loan(member, product, disbursed, *, unpaid_from=None, interest_only=(), status=LoanStatus.ACTIVE):
    """A loan inserted as it stands (the job reads instalments, not history): instalments due before `unpaid_from`
    paid in full, those listed in `interest_only` (due dates) with their interest paid, the rest unpaid."""
    application = LoanApplication.objects.create(
        member=member,
        product=product,
        amount=D("60000"),
        term_months=12,
        purpose="test",
        annual_rate=D("12"),
        method="annuity",
        status="disbursed",
    )
    loan = Loan.objects.create(
        id=uuid.uuid4(),
        application=application,
        member=member,
        product=product,
        principal=D("60000"),
        amount_paid_out=D("60000"),
        annual_rate=D("12"),
        method="annuity",
        term_months=12,
        disbursed_on=disbursed,
        status=status,
    )
    schedule = schedule_build(principal=D("60000"), annual_rate=D("12"), months=12, method="annuity", start=disbursed)
    for row in schedule.instalments:
        paid = row.due_date < TODAY and (unpaid_from is None or row.due_date < unpaid_from)
        LoanInstalment.objects.create(
            loan=loan,
            number=row.number,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            principal_paid=row.principal if paid else 0,
            interest_paid=row.interest if paid or row.due_date in interest_only else 0,
        )
    return loan


@pytest.fixture
def portfolio(make_member):
    loans_seed()
    development = LoanProduct.objects.get(slug="development")
    fixed = LoanProduct.objects.get(slug="school-fees")
    LoanProduct.objects.filter(pk=fixed.pk).update(
        penalty_kind="fixed", penalty_fixed_amount=D("250.00"), penalty_grace_days=5
    )
    steep = LoanProduct.objects.get(slug="emergency")
    LoanProduct.objects.filter(pk=steep.pk).update(penalty_kind="percent", penalty_rate_monthly=D("2.5"))
    development.refresh_from_db()
    assert development.penalty_kind == "percent" and development.penalty_rate_monthly == D("1")
    a, b = make_member("a@example.com"), make_member("b@example.com")
    return {
        "current": _loan(a, development, datetime.date(2026, 1, 10)),
        "arrears": _loan(b, development, datetime.date(2025, 12, 10), unpaid_from=datetime.date(2026, 4, 1)),
        "fixed": _loan(
            a,
            fixed,
            datetime.date(2026, 1, 17),
            unpaid_from=datetime.date(2026, 5, 1),
            interest_only=(datetime.date(2026, 5, 17),),
        ),
        "loss": _loan(b, steep, datetime.date(2025, 5, 1), unpaid_from=datetime.date(2025, 6, 1)),
        "closed": _loan(
            a, development, datetime.date(2025, 12, 10), unpaid_from=datetime.date(2026, 4, 1), status="closed"
        ),
    }


def _expected_penalties(portfolio) -> dict:
    """{key: amount} by the rules (domain.md "Arrears", fees.penalty_amount), instalment by instalment."""
    rules = {"arrears": ("percent", D("1"), 0), "fixed": ("fixed", D("250.00"), 5), "loss": ("percent", D("2.5"), 0)}
    expected = {}
    for name, (kind, figure, grace) in rules.items():
        for row in portfolio[name].instalments.filter(due_date__lt=TODAY):
            overdue = row.principal + row.interest - row.principal_paid - row.interest_paid
            if overdue <= 0 or (TODAY - row.due_date).days <= grace:
                continue
            amount = min(figure, overdue) if kind == "fixed" else _cents(overdue * figure / 100)
            expected[f"penalty:{portfolio[name].pk}:{row.number}:2026-06"] = amount
    return expected


def _journal():
    return {
        entry.idempotency_key: sorted(
            (line.account.code, line.debit, line.credit, line.member_id, line.loan_id) for line in entry.lines.all()
        )
        for entry in JournalEntry.objects.prefetch_related("lines__account")
    }


def test_the_job_posts_what_the_rules_say_for_each_loan_and_a_rerun_posts_nothing(portfolio):
    penalties = _expected_penalties(portfolio)
    assert len(penalties) == 3 + 1 + 12  # arrears 3, fixed 1 (17 Jun is within its grace), loss all 12
    active = [portfolio[name] for name in ("current", "arrears", "fixed", "loss")]
    interest_due = LoanInstalment.objects.filter(loan__in=active, due_date__lte=TODAY)

    result = loans_daily(today=TODAY)

    assert result.checkoff_rows_allocated == 0
    assert result.interest_posted == interest_due.count()
    assert result.penalties_posted == len(penalties)
    journal = _journal()
    for row in interest_due:
        loan = row.loan
        assert journal[f"interest:{loan.pk}:{row.number}"] == sorted(
            [
                ("1110", row.interest, D("0.00"), loan.member_id, loan.pk),
                ("4000", D("0.00"), row.interest, loan.member_id, loan.pk),
            ]
        )
    for key, amount in penalties.items():
        loan = Loan.objects.get(pk=key.split(":")[1])
        assert journal[key] == sorted(
            [
                ("1120", amount, D("0.00"), loan.member_id, loan.pk),
                ("4200", D("0.00"), amount, loan.member_id, loan.pk),
            ]
        ), key
    assert not [key for key in journal if key.startswith("penalty:") and key not in penalties]
    # Each instalment carries the penalty posted for it, and only that.
    for row in LoanInstalment.objects.filter(loan__in=active):
        assert row.penalty == penalties.get(f"penalty:{row.loan_id}:{row.number}:2026-06", D("0.00"))
    assert not LoanInstalment.objects.filter(loan=portfolio["closed"]).exclude(penalty=0).exists()

    classes = {name: Loan.objects.get(pk=portfolio[name].pk) for name in ("current", "arrears", "fixed", "loss")}
    assert {name: (loan.days_past_due, loan.classification) for name, loan in classes.items()} == {
        "current": (0, "performing"),
        "arrears": (71, "substandard"),  # 10 Apr → 20 Jun
        "fixed": (34, "substandard"),  # 17 May → 20 Jun
        "loss": (384, "loss"),  # 1 Jun 2025 → 20 Jun 2026
    }
    assert result.reclassified == 3
    sacco = sacco_settings()
    rates = {
        "performing": sacco.provision_performing,
        "substandard": sacco.provision_substandard,
        "loss": sacco.provision_loss,
    }
    outstanding: dict = {}
    for loan in classes.values():
        principal = sum((r.principal - r.principal_paid for r in loan.instalments.all()), D("0.00"))
        outstanding[loan.classification] = outstanding.get(loan.classification, D("0.00")) + principal
    assert result.provision_movement == sum(
        (_cents(amount * rates[bucket] / 100) for bucket, amount in outstanding.items()), D("0.00")
    )

    # The same day again: nothing posted, nothing changed.
    again = loans_daily(today=TODAY)
    assert (again.interest_posted, again.penalties_posted, again.reclassified) == (0, 0, 0)
    assert again.provision_movement == D("0.00")
    assert _journal() == journal
    for row in LoanInstalment.objects.filter(loan__in=active):
        assert row.penalty == penalties.get(f"penalty:{row.loan_id}:{row.number}:2026-06", D("0.00"))

    for key, lines in journal.items():  # every posting balanced
        assert sum(line[1] for line in lines) == sum(line[2] for line in lines) > 0, key
