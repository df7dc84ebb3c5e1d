"""The demo shows a healthy society (issue 14): a surplus, PAR30 in single digits, loans in every state but most
current, the cash never overdrawn, and seed_demo's output short with the logins and URLs on the served port."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from portal.dividends.demo import agm_held
from portal.dividends.models import DividendDeclaration, DividendPosting
from portal.finance.ledger.models import JournalEntry, JournalLine
from portal.loans.models import Classification, Loan, LoanApplication
from portal.loans.selectors import portfolio_report
from portal.members import roles
from portal.members.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.reports.agm_pack import agm_pack_parts, agm_pack_pdf
from portal.reports.financial import financial_statements

pytestmark = pytest.mark.django_db


def _surplus(start, end) -> Decimal:
    return Decimal(financial_statements(start=start, end=end)["income_statement"]["surplus"])


def test_a_small_demo_society_is_healthy(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", members=25, years=5)
    today = timezone.localdate()
    last_year = today.year - 1
    assert _surplus(datetime.date(last_year, 1, 1), datetime.date(last_year, 12, 31)) > 0  # the AGM pack's year
    # Last year's AGM pack is ready (statements, appropriation, year-end returns approved) after its year-end close.
    parts = agm_pack_parts(year=last_year)
    assert parts.returns.data["ties"] and parts.appropriation.surplus > 0
    assert agm_pack_pdf(year=last_year).startswith(b"%PDF")
    assert JournalEntry.objects.filter(idempotency_key=f"year-close:{last_year}").exists()
    # The last twelve months, whatever the day: last year's interest on deposits and today's provision included.
    assert _surplus(today - datetime.timedelta(days=365), today) > 0

    book = portfolio_report()
    assert book.par30 < 10
    by_class = {row.classification: row.loans for row in book.rows}
    assert all(by_class[c] >= 1 for c in Classification.values)  # every class, loss included
    assert by_class[Classification.PERFORMING] >= 3 * sum(n for c, n in by_class.items() if c != "performing")
    assert Loan.objects.filter(status="closed").exists()
    assert set(LoanApplication.objects.values_list("status", flat=True)) >= {"submitted", "approved", "rejected"}

    for code in ("1010", "1011"):  # loans are paid out of money the society had on the day
        balance = Decimal("0")
        for day in (
            JournalLine.objects.filter(account__code=code)
            .values("date")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by("date")
        ):
            balance += Decimal(str(day["d"])) - Decimal(str(day["c"]))
            assert balance >= 0, (code, day["date"])


@pytest.mark.parametrize("month, day", [(2, 14), (4, 30)], ids=["before-the-agm", "agm-day"])
def test_the_demo_year_to_date_is_a_surplus_early_in_the_year(settings, tmp_path, clock_at, month, day):
    """Last year's dividends are posted on the day they are approved: before the AGM (30 April) they wait for the
    committee, so six weeks of income do not carry a fifth of last year's surplus as interest on deposits."""
    settings.MEDIA_ROOT = tmp_path
    today = datetime.date(timezone.localdate().year, month, day)
    clock_at(today)
    call_command("seed_demo", members=25, years=5)
    assert timezone.localdate() == today
    assert _surplus(datetime.date(today.year, 1, 1), today) > 0  # the summary's "to date" figure
    assert portfolio_report().par30 < 10
    declaration = DividendDeclaration.objects.get(financial_year=today.year - 1)
    posted = DividendPosting.objects.filter(financial_year=today.year - 1).exists()
    assert posted == agm_held(today) == (month >= 4)
    assert declaration.state == ("Posted" if posted else "In approval")


def test_seed_demo_prints_a_short_summary_on_the_served_port_and_no_mail(settings, tmp_path, capsys, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as in development
    settings.SMS_BACKEND = "portal.notifications.sms.ConsoleSmsBackend"
    monkeypatch.setenv("PORT", "0.0.0.0:8107")
    call_command("seed_demo", members=15, years=3)
    output = capsys.readouterr().out
    assert "Subject:" not in output and "SMS to" not in output
    assert len(output.splitlines()) < 40
    assert "http://127.0.0.1:8107/accounts/login/" in output and ":8000" not in output
    assert DEMO_PASSWORD in output
    for login in DEMO_LOGINS:
        place = "/portal/" if login.role == roles.MEMBERS else "/admin/"
        assert any(login.email in line and f"http://127.0.0.1:8107{place}" in line for line in output.splitlines())
    # the settings come back: the console backend is the development one again
    assert settings.EMAIL_BACKEND.endswith("console.EmailBackend")
