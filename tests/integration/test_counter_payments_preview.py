"""Counter payments (issue 14): enter → preview (each line's member, amount, period, what it posts, its problems)
→ confirm posts once, however often the confirm is sent."""

import datetime
from decimal import Decimal

import pytest

from portal.contributions.models import MonthlyContribution, ShareCapitalPayment
from portal.contributions.services import monthly_contribution_record
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
URL = "/admin/savings/record/"
LAST_MONTH = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
PERIOD = LAST_MONTH.strftime("%Y-%m")


@pytest.fixture
def clerk(client, staff_user):
    user = staff_user(roles.CLERKS)
    sign_in_verified(client, user)
    return user


def _entry(lines, kind="monthly", **extra):
    return {
        "kind": kind,
        "bank_account": bank_account_primary().pk,
        "date": datetime.date.today().isoformat(),
        "lines": lines,
        "below_minimum_reason": "",
        **extra,
    }


def _confirm(client, response):
    return client.post(URL, {"token": response.context["confirm_form"].initial["token"], "confirm": "1"})


def test_the_preview_names_each_line_and_posts_nothing(client, clerk, member, other_member):
    lines = (
        f"{member.membership_number}, 1500, {PERIOD}, MPESA-1\n"
        f"MB-NOPE, 1500, {PERIOD}, MPESA-2\n"
        f"{other_member.membership_number}, 1500\n"
        f"{other_member.membership_number}, abc, 2026-13, MPESA-4\n"
    )
    response = client.post(URL, _entry(lines))
    assert response.status_code == 200 and MonthlyContribution.objects.count() == 0
    first, missing, short, bad = response.context["lines"]
    assert first.member == member and first.amount == Decimal("1500.00") and first.period == LAST_MONTH
    assert first.problems == [] and first.posts.startswith("KES 1,500.00: debit") and "deposits" in first.posts
    assert any("MB-NOPE" in p for p in missing.problems)
    assert any("Expected 4 values" in p for p in short.problems)
    assert any(p.startswith("Amount") for p in bad.problems) and any(p.startswith("Period") for p in bad.problems)
    assert response.context["confirm_form"] is None
    page = response.content.decode()
    assert "Amina Wanjiru" in page and member.membership_number in page and "KES 1,500.00" in page
    assert "Confirm and post" not in page and "MB-NOPE" in page


def test_confirm_posts_once_even_when_sent_twice(client, clerk, member, other_member):
    lines = f"{member.membership_number}, 1500, {PERIOD}, MPESA-1\n{other_member.membership_number}, 2000, {PERIOD},\n"
    preview = client.post(URL, _entry(lines))
    assert preview.context["to_post"] == 2 and preview.context["total"] == Decimal("3500.00")
    assert b"Confirm and post 2 payments" in preview.content
    generated = preview.context["lines"][1].reference
    assert generated.startswith("counter-")  # a line without a reference is given one at the preview
    assert _confirm(client, preview).status_code == 302
    assert _confirm(client, preview).status_code == 302  # a double click or a refresh of the confirm
    assert MonthlyContribution.objects.count() == 2
    assert account_balance(code="2000", member=other_member) == Decimal("2000.00")
    assert MonthlyContribution.objects.get(member=other_member).reference == generated
    messages = [str(m) for m in client.get(URL).context["messages"]]
    assert any("already posted" in m for m in messages)


def test_share_capital_preview_and_a_tampered_or_foreign_token(client, clerk, member, staff_user):
    preview = client.post(URL, _entry(f"{member.membership_number}, 2500, SC-1", kind="share_capital"))
    line = preview.context["lines"][0]
    assert line.problems == [] and line.period is None and "share capital" in line.posts
    token = preview.context["confirm_form"].initial["token"]
    assert client.post(URL, {"token": token + "x", "confirm": "1"}).status_code == 302
    assert ShareCapitalPayment.objects.count() == 0
    other = staff_user(roles.TREASURER)
    sign_in_verified(client, other)
    assert client.post(URL, {"token": token, "confirm": "1"}).status_code == 302
    assert ShareCapitalPayment.objects.count() == 0  # a preview is confirmed by whoever made it
    sign_in_verified(client, clerk)
    assert client.post(URL, {"token": token, "confirm": "1"}).status_code == 302
    assert ShareCapitalPayment.objects.get().amount == Decimal("2500.00")


def test_a_line_that_changed_since_the_preview_posts_nothing_and_comes_back(client, clerk, member):
    preview = client.post(URL, _entry(f"{member.membership_number}, 1500, {PERIOD}, MPESA-9"))
    monthly_contribution_record(member=member, amount="2000", period=PERIOD, reference="MPESA-9")  # meanwhile
    response = _confirm(client, preview)
    assert response.status_code == 200 and MonthlyContribution.objects.count() == 1
    assert any("already used" in p for p in response.context["lines"][0].problems)
