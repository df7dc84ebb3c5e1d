"""Issue 17: every snippet list in the admin sends at most 60 KB for a page of 50 rows.

The books below put rows in most lists; each list is then rendered with its first row shown 50 times (the page's
rows replaced after pagination), so every list weighs what 50 rows like its real one weigh, whatever the model —
without a factory for each of them. A list the books leave empty is not measured (the test checks that the 18 it
fills still are)."""

import datetime

import pytest
from django.urls import reverse
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.snippets.models import get_snippet_models

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db

BUDGET = 60 * 1024  # one budget for every list, no exceptions (issue 17)
ROWS = 50


@pytest.fixture
def superuser(make_user):
    return make_user("root@sacco.example", role=roles.ADMINISTRATORS, is_superuser=True)


@pytest.fixture
def books(borrower, products, staff_user, member):
    """Payments, contributions, a loan with its schedule and a repayment, journal lines, a statement pack."""
    from portal.loans.services import loan_repay
    from portal.reports.services import financial_statement_prepare

    share_capital_payment_record(member=member, amount="4000", reference="sc-b", date=datetime.date(2026, 1, 5))
    monthly_contribution_record(
        member=member, amount="2500", period="2026-01", reference="dep-b", date=datetime.date(2026, 1, 25)
    )
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="5000", reference="R-1", date=datetime.date(2026, 2, 10))
    preparer = staff_user(roles.ADMINISTRATORS)
    financial_statement_prepare(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31), by=preparer)
    return loan


@pytest.fixture
def fifty_rows(monkeypatch):
    """Every listing's page holds its first row `ROWS` times."""
    paginate = BaseListingView.paginate_queryset

    def paginate_fifty(self, queryset, page_size):
        paginator, page, object_list, paginated = paginate(self, queryset, page_size)
        rows = list(object_list)
        if rows:
            object_list = page.object_list = [rows[0]] * ROWS
        return paginator, page, object_list, paginated

    monkeypatch.setattr(BaseListingView, "paginate_queryset", paginate_fifty)


def test_every_snippet_list_is_within_60_kb_for_50_rows(client, superuser, books, fifty_rows):
    """One pass over every list (the books are made once: cheap); a superuser sees the largest page (every menu
    item of the sidebar)."""
    sign_in_verified(client, superuser)
    weights, empty = {}, []
    for model in get_snippet_models():
        if not model._default_manager.exists():
            empty.append(model._meta.label)
            continue
        response = client.get(reverse(model.snippet_viewset.get_url_name("list")))
        assert response.status_code == 200, model._meta.label
        listing = response.content.decode().split('<table class="listing', 1)[1]
        rows = listing.split("</table>", 1)[0].count("<tr") - 1  # less the header
        assert rows == ROWS, (model._meta.label, rows)
        # Wagtail's per-row dropdown menus are gone (a list's own row actions are plain links).
        assert 'data-controller="w-dropdown"' not in listing, model._meta.label
        weights[model._meta.label] = len(response.content)
    over = {label: f"{size:,} bytes" for label, size in weights.items() if size > BUDGET}
    assert not over, over
    # The books fill the lists measured so far (the loans, contributions, ledger, members, statements…); a list they
    # stop filling would be left out without a word.
    assert len(weights) >= 18, (sorted(weights), empty)
