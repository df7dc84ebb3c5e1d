"""The member portal's savings: dashboard balances and chart, contributions and share capital pages.
Each member sees only their own records; pages stay within a fixed query budget whatever the history length."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from portal.contributions.models import PaymentSource
from portal.contributions.periods import add_months, format_period
from portal.contributions.services import (
    MONTHLY,
    PaymentItem,
    payments_record,
    share_capital_payment_record,
)
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal


def _history(member, months, start=datetime.date(2022, 1, 1)):
    items = [
        PaymentItem(member, "1000", add_months(start, i), add_months(start, i), reference=f"{member.pk}-{i}", row=i)
        for i in range(months)
    ]
    payments_record(kind=MONTHLY, items=items, source=PaymentSource.DEMO)


def test_dashboard_shows_the_members_balances_and_chart(client, member, other_member):
    _history(member, 6)
    share_capital_payment_record(member=member, amount="5000", reference="S1")
    share_capital_payment_record(member=other_member, amount="15000", reference="S2")
    sign_in_verified(client, member.user)
    response = client.get("/portal/")
    balances = response.context["balances"]
    assert balances.deposits == D("6000.00") and balances.share_capital == D("5000.00")
    assert balances.pool_percent == D("25.00")
    html = response.content.decode()
    assert "KES 6,000.00" in html and "25.00 % of the KES 20,000.00 target" in html
    assert "<svg" in html and "polyline" in html


@pytest.mark.parametrize("months", [3, 48])
def test_dashboard_query_budget_does_not_grow_with_history(client, member, months, django_assert_max_num_queries):
    _history(member, months)
    sign_in_verified(client, member.user)
    # 19: with WAGTAIL_I18N_ENABLED, Wagtail's site root paths (cached; cold here) also read the home page's
    # translations, one query more than before the public pages were translatable.
    with django_assert_max_num_queries(19):
        assert client.get("/portal/").status_code == 200


@pytest.mark.parametrize("months", [3, 48])
def test_contributions_page_query_budget(client, member, months, django_assert_max_num_queries):
    _history(member, months)
    sign_in_verified(client, member.user)
    with django_assert_max_num_queries(20):
        response = client.get("/portal/contributions/")
    assert response.status_code == 200


def test_contributions_page_lists_own_paginates_filters_and_exports(client, member, other_member):
    _history(member, 30)
    _history(other_member, 2)
    sign_in_verified(client, member.user)
    response = client.get("/portal/contributions/")
    table = response.context["table"]
    assert table.paginator.count == 30 and len(table.page.object_list) == 24
    assert {row.record.member_id for row in table.page.object_list} == {member.pk}
    filtered = client.get("/portal/contributions/?year=2023").context["table"]
    assert filtered.paginator.count == 12
    csv = client.get("/portal/contributions/?year=2023&_export=csv").content.decode()
    lines = csv.strip().splitlines()
    assert len(lines) == 13 and lines[-1].startswith("2023-01,1000.00,")
    xlsx = client.get("/portal/contributions/?_export=xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(rows) == 31


def test_share_capital_page_shows_progress(client, member):
    share_capital_payment_record(member=member, amount="4000", reference="S1")
    sign_in_verified(client, member.user)
    response = client.get("/portal/share-capital/")
    assert response.context["balances"].share_capital_progress.completion_percent == D("20.00")
    assert "KES 1,666.67 a month" in response.content.decode()


def test_staff_without_a_member_record_get_404_on_savings_pages(client, staff_user):
    from portal.members import roles

    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get("/portal/contributions/").status_code == 404


def test_period_labels_are_yyyy_mm(member):
    assert format_period(datetime.date(2026, 3, 1)) == "2026-03"
