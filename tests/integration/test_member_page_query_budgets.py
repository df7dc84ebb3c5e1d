"""Issue 17: every member page keeps a fixed query budget whatever the member's products, loans, guarantees and
history: the dashboard at most 10 queries, every other member page at most 12. The member here has several products
to choose from, three loans (two active, one in arrears; one repaid and closed), guarantees given and asked of her,
an application waiting and six months of contributions; a lighter member must not be cheaper by more than noise."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.contributions.models import PaymentSource
from portal.contributions.periods import add_months
from portal.contributions.services import MONTHLY, PaymentItem, payments_record
from portal.loans.eligibility import loan_eligibility
from portal.loans.models import LoanProduct, LoanStatus
from portal.loans.services import (
    GuarantorRequest,
    application_approve,
    application_submit,
    guarantee_accept,
    loan_disburse,
    loan_repay,
)
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import member_with_savings

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def saver(make_member):
    """Wanjiru: KES 300,000 deposits, so she can borrow three times and guarantee others."""
    return member_with_savings(make_member, email="wanjiru@example.com", first_name="Wanjiru", deposits="300000")


@pytest.fixture
def book(saver, people, products, staff_user):
    """Three loans of hers (one closed), guarantees she gives and one she asks for, six months of history."""
    today = timezone.localdate()
    officer, treasurer = staff_user(roles.LOANS_OFFICERS), staff_user(roles.TREASURER)
    juma, akinyi, baraka = people["juma"], people["akinyi"], people["baraka"]
    start = add_months(today.replace(day=1), -6)
    payments_record(
        kind=MONTHLY,
        items=[
            PaymentItem(saver, "2000", add_months(start, i), add_months(start, i), reference=f"h-{i}", row=i)
            for i in range(6)
        ],
        source=PaymentSource.DEMO,
    )

    def ask(borrower, amount, guarantor, guaranteed, slug="school-fees"):
        return application_submit(
            member=borrower,
            product=products[slug],
            amount=amount,
            term_months=6,
            purpose="Fees",
            guarantors=[GuarantorRequest(guarantor, guaranteed, "")],
        )

    juma_app = ask(juma, "20000", saver, "10000")
    akinyi_app = ask(akinyi, "30000", saver, "15000")
    ask(baraka, "25000", saver, "20000")
    for application in (juma_app, akinyi_app):
        guarantee_accept(guarantee=application.guarantees.get(guarantor=saver), by_member=saver)
    application_approve(application=juma_app, by=officer)
    loan_disburse(application=juma_app, by=treasurer, date=today - datetime.timedelta(days=40))

    closed_app = application_submit(
        member=saver, product=products["development"], amount="10000", term_months=1, purpose="Stock"
    )
    first = application_submit(
        member=saver, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    second = application_submit(
        member=saver, product=products["emergency"], amount="30000", term_months=6, purpose="Clinic"
    )
    waiting = ask(saver, "15000", juma, "5000")
    for application in (closed_app, first, second):
        application_approve(application=application, by=officer)
    closed = loan_disburse(application=closed_app, by=treasurer, date=today - datetime.timedelta(days=150)).loan
    old = loan_disburse(application=first, by=treasurer, date=today - datetime.timedelta(days=100)).loan
    new = loan_disburse(application=second, by=treasurer, date=today - datetime.timedelta(days=10)).loan
    loan_repay(
        loan=closed, amount=closed.instalments.get().amount, reference="R-CL", date=today - datetime.timedelta(days=140)
    )
    rows = list(old.instalments.all())
    loan_repay(
        loan=old, amount=rows[0].amount + D("1000.00"), reference="R-OLD-1", date=today - datetime.timedelta(days=60)
    )
    closed.refresh_from_db()
    assert closed.status == LoanStatus.CLOSED
    return {"old": old, "new": new, "closed": closed, "waiting": waiting}


def _warm(client):
    """One page first: the session, Wagtail's cached site root paths and the cached navigation are then what they are
    on a running server; the budgets are those of every request after the first."""
    assert client.get("/portal/more/").status_code == 200


# The budgets reached (issue 17 asks ≤ 10 for the dashboard, ≤ 12 elsewhere). Every page pays 4 queries before its
# own: the session, the user, the second-factor device, the member with the inbox badge's count (and, on the
# dashboard and the loans page, the member's schedule, the pool or the exit notice read in the same query).
BUDGETS = {
    "/portal/": 10,  # + the ledger (balances and chart), the settings, 4 for the loan position (+ schedule, pool)
    "/portal/loans/": 11,  # + products, settings, ledger, KYC, loans, instalments, applications
    "loan": 10,
    "closed loan": 10,
    "/portal/contributions/": 10,
    "/portal/share-capital/": 10,
    "/portal/guarantees/": 11,
    "/portal/loans/apply/": 10,
    "/portal/dividends/": 6,
    "/portal/statements/": 6,
    "/portal/my-statement/": 8,
    "/portal/security/": 9,
    "/portal/notifications/": 7,
    "/portal/activity/": 7,
    "/portal/leaving/": 6,
    "/portal/more/": 5,
    "/portal/pay/": 12,
    "/portal/profile/bank/": 11,
    "/portal/profile/": 12,
    "/portal/documents/": 12,
    "/portal/message-settings/": 6,
}


def _url(page, book):
    return {"loan": f"/portal/loans/{book['old'].pk}/", "closed loan": f"/portal/loans/{book['closed'].pk}/"}.get(
        page, page
    )


def test_every_member_page_keeps_its_query_budget(client, saver, book):
    sign_in_verified(client, saver.user)
    _warm(client)
    counts = {}
    for page in BUDGETS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(page, book))
        assert response.status_code == 200, page
        counts[page] = len(queries)
    print("query counts:", counts)
    over = {page: (counts[page], budget) for page, budget in BUDGETS.items() if counts[page] > budget}
    assert not over, f"over budget (queries, budget): {over}; every page: {counts}"


def test_the_dashboard_and_the_loans_pages_meet_their_budgets(client, saver, book, django_assert_max_num_queries):
    sign_in_verified(client, saver.user)
    _warm(client)
    for page in ("/portal/", "/portal/loans/", "loan", "/portal/contributions/", "/portal/guarantees/"):
        with django_assert_max_num_queries(BUDGETS[page], info=page):
            assert client.get(_url(page, book)).status_code == 200


def test_the_pages_show_the_figures_they_read(client, saver, book):
    """What the cheaper reads show: two active loans on the dashboard, three loans on the loans page, the pool share
    and the balances from the single ledger reading, the limits from the single reading of her figures."""
    sign_in_verified(client, saver.user)
    dashboard = client.get("/portal/")
    assert len(dashboard.context["position"].loans) == 2 and len(dashboard.context["position"].guarantees) == 3
    balances = dashboard.context["balances"]
    # 300,000 deposited in January 2025 and 6 × 2,000 in the last six months; 20,000 share capital of the society's
    # 20,000 + 3 × 20,000 = 80,000 (herself and Juma, Akinyi, Baraka): 25.00 %.
    assert balances.deposits == D("312000.00") and balances.share_capital == D("20000.00")
    assert balances.pool_percent == D("25.00")
    assert dashboard.context["series"][-1]["deposits"] <= balances.deposits
    loans = client.get("/portal/loans/")
    assert len(loans.context["loans"]) == 3
    for shown in loans.context["eligibility"]:
        alone = loan_eligibility(member=saver, product=shown.product)
        assert (shown.max_amount, shown.outstanding, shown.deposits) == (
            alone.max_amount,
            alone.outstanding,
            alone.deposits,
        )
        assert [(r.code, r.passed, r.detail) for r in shown.rules] == [
            (r.code, r.passed, r.detail) for r in alone.rules
        ]
    # She is in arrears on the old loan: no product is open to her, whichever product.
    assert all(not e.eligible for e in loans.context["eligibility"])


def test_more_products_history_and_loans_cost_no_more_queries(client, saver, book, products):
    """The counts do not grow with the number of products or months of history."""
    sign_in_verified(client, saver.user)
    _warm(client)
    before = {}
    for page in ("/portal/", "/portal/loans/", "/portal/contributions/", "/portal/loans/apply/"):
        with CaptureQueriesContext(connection) as queries:
            client.get(page)
        before[page] = len(queries)
    for n in range(3):
        extra = LoanProduct.objects.get(slug="development")
        extra.pk = None
        extra.slug, extra.name = f"extra-{n}", f"Extra {n}"
        extra.save()
    start = add_months(timezone.localdate().replace(day=1), -30)
    payments_record(
        kind=MONTHLY,
        items=[
            PaymentItem(saver, "1000", add_months(start, i), add_months(start, i), reference=f"more-{i}", row=i)
            for i in range(12)
        ],
        source=PaymentSource.DEMO,
    )
    for page, count in before.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        assert len(queries) == count, page
