"""Demo loan products and the public calculator page (idempotent by slug)."""

from decimal import Decimal

from wagtail.models import Page

from portal.members.models import Member, User

from .approval import loan_review_act, loan_review_start
from .jobs import loans_daily
from .models import ApplicationStatus, FeeTreatment, LoanApplication, LoanCalculatorPage, LoanProduct
from .schedule import Method, due_date
from .services import application_approve, loan_disburse, loan_repay

PRODUCTS = [
    {
        "slug": "development",
        "name": "Development loan",
        "summary": "For building, land and business: up to four years at a reducing balance.",
        "annual_rate": Decimal("12.0000"),
        "method": Method.ANNUITY,
        "min_term_months": 6,
        "max_term_months": 48,
        "min_amount": Decimal("10000.00"),
        "max_amount": Decimal("3000000.00"),
        "guarantors_required": 2,
    },
    {
        "slug": "school-fees",
        "name": "School fees loan",
        "summary": "Fees paid straight to the school, repaid within the year.",
        "annual_rate": Decimal("10.0000"),
        "method": Method.EQUAL_PRINCIPAL,
        "min_term_months": 3,
        "max_term_months": 12,
        "min_amount": Decimal("5000.00"),
        "max_amount": Decimal("500000.00"),
        "guarantors_required": 1,
    },
    {
        "slug": "emergency",
        "name": "Emergency loan",
        "summary": "Hospital bills and other emergencies, decided within a day.",
        "annual_rate": Decimal("12.0000"),
        "method": Method.FLAT,
        "min_term_months": 1,
        "max_term_months": 12,
        "min_amount": Decimal("2000.00"),
        "max_amount": Decimal("100000.00"),
        "guarantors_required": 0,
        "fee_treatment": FeeTreatment.CAPITALISED,
    },
]


def loans_seed() -> None:
    for fields in PRODUCTS:
        LoanProduct.objects.get_or_create(slug=fields["slug"], defaults=fields)
    parent = Page.objects.filter(slug="savings-and-loans").first()
    if parent is not None and not LoanCalculatorPage.objects.exists():
        page = LoanCalculatorPage(
            title="Loan calculator",
            slug="loan-calculator",
            show_in_menus=True,
            intro="See what a loan costs before you apply: the instalment, the interest and every due date.",
        )
        parent.add_child(instance=page)
        page.save_revision().publish()


# (key, months ago disbursed, product slug, amount, term, instalments paid on time, then: state)
DEMO_LOANS = [
    ("current", 5, "development", "150000.00", 24, 5),
    ("watch", 7, "development", "80000.00", 12, 6),
    ("substandard", 9, "school-fees", "60000.00", 12, 5),
    ("doubtful", 14, "development", "200000.00", 24, 6),
    ("loss", 20, "development", "120000.00", 36, 6),
    ("closed", 26, "school-fees", "40000.00", 12, 12),
]


def loans_history_seed() -> None:
    """Loans in every state, through the loan services (approval, disbursement, repayments, the daily job):
    applications submitted, approved and rejected; loans current, in each arrears class and closed."""
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    wanted = len(DEMO_LOANS) + 4
    members = list(Member.objects.filter(status="active", user__is_staff=False).order_by("join_date")[:wanted])
    if len(members) < wanted:
        return
    products = {p.slug: p for p in LoanProduct.objects.all()}

    def application(member, key, product, amount, term):
        found = LoanApplication.objects.filter(member=member, purpose=f"Demo: {key}").first()
        if found:
            return found
        return LoanApplication.objects.create(
            member=member,
            product=product,
            amount=Decimal(amount),
            term_months=term,
            purpose=f"Demo: {key}",
            annual_rate=product.annual_rate,
            method=product.method,
            created_at=timezone.now() - datetime.timedelta(days=30),
        )

    for member, (key, months_ago, slug, amount, term, paid) in zip(members, DEMO_LOANS, strict=False):
        app = application(member, key, products[slug], amount, term)
        if app.status == ApplicationStatus.SUBMITTED:  # history from before the portal: decided on paper
            application_approve(application=app, by=None, reason="Approved by the committee (paper minutes)")
        disbursed_on = due_date(today, -months_ago) - datetime.timedelta(days=10)  # so the last due date is past
        loan = loan_disburse(application=app, by=None, date=disbursed_on).loan
        for instalment in loan.instalments.order_by("number")[:paid]:
            if instalment.due_date > today:
                break
            loan_repay(
                loan=loan,
                amount=instalment.amount,
                reference=f"demo-loan:{loan.pk}:{instalment.number}",
                date=instalment.due_date,
            )
    extra = members[len(DEMO_LOANS) :]
    _applications_in_workflow_seed(
        waiting=application(extra[0], "in review", products["development"], "90000.00", 18),
        at_committee=application(extra[3], "at committee", products["school-fees"], "30000.00", 12),
        approved=application(extra[1], "approved", products["school-fees"], "45000.00", 10),
        rejected=application(extra[2], "rejected", products["development"], "500000.00", 48),
    )
    loans_daily(today=today)


def _applications_in_workflow_seed(*, waiting, at_committee, approved, rejected) -> None:
    """Applications at each step of the "Loan approval" workflow, acted on by the demo staff through the same
    service as the admin's buttons and the API."""
    staff = {u.email: u for u in User.objects.filter(email__endswith="@sacco.example")}
    officer = staff.get("loans@sacco.example")
    committee = [staff.get("committee@sacco.example"), staff.get("committee2@sacco.example")]
    for app in (waiting, at_committee, approved, rejected):
        loan_review_start(application=app, by=app.member.user)
    if officer is None or None in committee:
        return

    def act(app, user, action, reason=""):
        app.refresh_from_db()
        step = app.review.current_workflow_task_state if hasattr(app, "review") else None
        if app.status != ApplicationStatus.SUBMITTED or step is None:
            return
        if not [name for name, *_ in step.task.specific.get_actions(app.review, user) if name == action]:
            return  # already done by an earlier run
        loan_review_act(application=app, user=user, action=action, reason=reason)

    act(at_committee, officer, "approve", "Deposits and repayment history support it.")
    act(at_committee, committee[0], "approve", "Agreed.")
    for user, reason in ((officer, "Within limits."), (committee[0], "Agreed."), (committee[1], "Agreed.")):
        act(approved, user, "approve", reason)
    act(rejected, officer, "reject", "Above three times deposits, and the term is longer than the product allows.")
