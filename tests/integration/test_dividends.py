"""D1/D2 dividends: a fixed case computed by hand (closing and average bases, tax, inactive members), the pool
remainder rule, approval by two distinct approvers posting once, the member's history (portal and API, own only)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.dividends.compute import dividend_compute
from portal.dividends.models import DividendDeclaration, DividendPosting, MemberDividend
from portal.dividends.services import dividend_post, dividend_prepare, dividend_vote
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, ledger_post
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import dividend_terms

pytestmark = pytest.mark.django_db
D = Decimal


def _pay(member, code, amount, date, key):
    ledger_post(
        memo=key,
        lines=[Line("1010", debit=D(amount)), Line(code, credit=D(amount), member_id=member.pk)],
        idempotency_key=key,
        date=date,
    )


def _rows(run):
    return {row.membership_number: row for row in run.rows}


def test_the_fixed_case_by_hand(year_2025):
    run = dividend_compute(declaration=DividendDeclaration(**dividend_terms()))
    rows = _rows(run)
    a, b, c = (rows[year_2025[k].membership_number] for k in "abc")
    assert year_2025["d"].membership_number not in rows  # exited: not included by default
    assert (a.share_capital_basis, a.dividend) == (D("12000.00"), D("1200.00"))
    assert a.deposits_basis == D("33000") and a.interest == D("1980.00")  # (3 × 24,000 + 9 × 36,000) / 12
    assert (a.dividend_tax, a.interest_tax, a.net) == (D("60.00"), D("99.00"), D("3021.00"))
    assert (b.dividend, b.interest, b.tax, b.net) == (D("500.00"), D("0.00"), D("25.00"), D("475.00"))
    assert (c.dividend, c.interest, c.tax, c.net) == (D("0.00"), D("466.66"), D("23.33"), D("443.33"))  # rounded down
    assert run.summary() == {
        "members": 3,
        "dividend": "1700.00",
        "interest": "2446.66",
        "gross": "4146.66",
        "tax": "207.33",
        "net": "3939.33",
        "remainder": "0.00",
    }
    average = _rows(dividend_compute(declaration=DividendDeclaration(**dividend_terms(share_capital_basis="average"))))
    assert average[year_2025["a"].membership_number].dividend == D("1100.00")  # 6 months of 10,000, 6 of 12,000
    assert average[year_2025["b"].membership_number].dividend == D("41.66")  # one month of 5,000 / 12, down
    everyone = dividend_compute(declaration=DividendDeclaration(**dividend_terms(include_inactive=True)))
    assert _rows(everyone)[year_2025["d"].membership_number].dividend == D("1000.00")


def test_a_pool_pays_no_more_than_the_pool_and_the_remainder_stays(make_member):
    members = [make_member(f"p{n}@example.com") for n in range(3)]
    for n, (member, shares) in enumerate(zip(members, ("1000", "2000", "4000"), strict=True)):
        _pay(member, "3000", shares, datetime.date(2025, 2, 1), f"pool-{n}")
    run = dividend_compute(
        declaration=DividendDeclaration(**dividend_terms(method="pool", pool=D("100.00"), deposit_rate=0))
    )
    assert [row.dividend for row in run.rows] == [D("14.28"), D("28.57"), D("57.14")]
    assert run.total("dividend") == D("99.99") and run.remainder == D("0.01")
    assert run.remainder < D("0.01") * len(run.rows)


def test_two_approvers_post_it_once_and_members_see_how(client, year_2025, staff_user, deciders):
    treasurer = staff_user(roles.TREASURER)
    with pytest.raises(ValidationError) as exc:
        dividend_prepare(**dividend_terms(financial_year=datetime.date.today().year), by=treasurer)
    assert "financial_year" in exc.value.message_dict
    declaration = dividend_prepare(**dividend_terms(), by=treasurer)
    assert declaration.preview["net"] == "3939.33" and declaration.state == "In approval"
    with pytest.raises(ValidationError):  # one declaration in approval per year
        dividend_prepare(**dividend_terms(), by=treasurer)
    rejected = dividend_prepare(**dividend_terms(financial_year=2024), by=treasurer)
    dividend_vote(declaration=rejected, user=deciders["tom"], action="reject", reason="Rate too high")
    assert rejected.state == "Rejected"
    assert dividend_prepare(**dividend_terms(financial_year=2024, share_capital_rate=D("8")), by=treasurer)  # again
    with pytest.raises(PermissionDenied):
        dividend_vote(declaration=declaration, user=treasurer)  # the preparer is not an approver
    dividend_vote(declaration=declaration, user=deciders["joseph"])
    assert not MemberDividend.objects.exists()
    dividend_vote(declaration=declaration, user=deciders["mercy"])

    posting = DividendPosting.objects.get()
    assert (posting.members, posting.gross, posting.tax, posting.net) == (3, D("4146.66"), D("207.33"), D("3939.33"))
    # Retained earnings: credited 40,000.00 by each of the 2024 and 2025 appropriations, debited the 1,700.00 dividend
    assert account_balance(code="3200") == D("80000.00") - D("1700.00")
    assert account_balance(code="5300") == D("2446.66") and account_balance(code="2200") == D("207.33")
    assert account_balance(code="2100") == account_balance(code="2110") == D("0.00")  # paid on to deposits
    a = year_2025["a"]
    assert account_balance(code="2000", member=a) == D("36000.00") + D("3021.00")
    call_command("ledger_check")
    assert dividend_post(declaration=declaration) == posting  # a second call posts nothing
    with pytest.raises(ValidationError):
        dividend_prepare(**dividend_terms(), by=treasurer)  # posted: no second declaration for 2025

    sign_in_verified(client, a.user)
    page = client.get("/portal/dividends/").content.decode()
    assert "12,000.00" in page and "1,200.00" in page and "3,021.00" in page and "33,000.00" in page
    api = APIClient()
    api.force_authenticate(a.user)
    mine = api.get(f"/api/members/{a.pk}/dividends/").json()["results"]
    assert [(d["financial_year"], d["net"]) for d in mine] == [(2025, "3021.00")]
    assert api.get(f"/api/members/{year_2025['b'].pk}/dividends/").status_code == 404  # nobody else's
    auditor = APIClient()
    auditor.force_authenticate(staff_user(roles.AUDITORS))
    assert auditor.get(f"/api/members/{a.pk}/dividends/").status_code in (200, 404)


def test_a_late_posting_into_the_year_stops_the_approved_numbers_from_posting(year_2025, staff_user, deciders):
    declaration = dividend_prepare(**dividend_terms(), by=staff_user(roles.TREASURER))
    dividend_vote(declaration=declaration, user=deciders["joseph"])
    _pay(year_2025["b"], "3000", "1000", datetime.date(2025, 11, 30), "late")
    with pytest.raises(ValidationError) as exc:
        dividend_vote(declaration=declaration, user=deciders["mercy"])
    assert "prepare it again" in exc.value.messages[0]
    assert not MemberDividend.objects.exists() and not DividendPosting.objects.exists()


def test_admin_declare_form_previews_and_prepares(client, year_2025, staff_user):
    sign_in_verified(client, staff_user(roles.TREASURER))
    data = {
        "financial_year": "2025",
        "method": "rates",
        "share_capital_rate": "10",
        "deposit_rate": "6",
        "pool": "0",
        "share_capital_basis": "closing",
        "withholding_tax_rate": "5",
        "payout": "deposits",
    }
    preview = client.post("/admin/dividends/declare/", {**data, "preview": "1"})
    assert preview.status_code == 200 and "3,939.33" in preview.content.decode()
    assert not DividendDeclaration.objects.exists()
    bad = client.post("/admin/dividends/declare/", {**data, "share_capital_rate": "150", "prepare": "1"})
    assert "share_capital_rate" in bad.context["form"].errors
    client.post("/admin/dividends/declare/", {**data, "prepare": "1"})
    assert DividendDeclaration.objects.get().preview["net"] == "3939.33"
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get("/admin/dividends/declare/").status_code == 302  # not the clerk's to declare
