"""Demo loan products and the public calculator page (idempotent by slug)."""

from decimal import Decimal

from wagtail.models import Page

from .models import FeeTreatment, LoanCalculatorPage, LoanProduct
from .schedule import Method

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

    from portal.members.models import Member

    from .jobs import loans_daily
    from .models import ApplicationStatus, LoanApplication
    from .schedule import due_date
    from .services import application_approve, application_reject, loan_disburse, loan_repay

    today = timezone.localdate()
    members = list(Member.objects.filter(status="active").order_by("join_date")[: len(DEMO_LOANS) + 3])
    if len(members) < len(DEMO_LOANS) + 3:
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
        if app.status == ApplicationStatus.SUBMITTED:
            application_approve(application=app, by=None, reason="Demo appraisal")
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
    application(extra[0], "in review", products["development"], "90000.00", 18)
    approved = application(extra[1], "approved", products["school-fees"], "45000.00", 10)
    if approved.status == ApplicationStatus.SUBMITTED:
        application_approve(application=approved, by=None, reason="Within limits")
    rejected = application(extra[2], "rejected", products["development"], "500000.00", 48)
    if rejected.status == ApplicationStatus.SUBMITTED:
        application_reject(application=rejected, by=None, reason="Above three times deposits")
    loans_daily(today=today)
