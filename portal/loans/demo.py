"""Demo loan products and the public calculator page (idempotent by slug)."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Page

from portal.finance.banking.models import BankAccount
from portal.finance.ledger.models import JournalLine
from portal.finance.ledger.selectors import account_balance
from portal.members.demo_bulk import GENERATED_DOMAIN
from portal.members.models import Member, User

from .approval import loan_review_act, loan_review_start
from .jobs import loans_daily
from .models import (
    ApplicationStatus,
    FeeTreatment,
    Loan,
    LoanApplication,
    LoanCalculatorPage,
    LoanProduct,
    LoanStatus,
)
from .schedule import Method, due_date
from .services import DEPOSITS, application_approve, loan_disburse, loan_repay

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
    parent = Page.objects.filter(slug="savings-and-loans", locale=Locale.get_default()).first()  # the English tree
    if parent is not None and not LoanCalculatorPage.objects.exists():
        page = LoanCalculatorPage(
            title="Loan calculator",
            slug="loan-calculator",
            show_in_menus=True,
            intro="See what a loan costs before you apply: the instalment, the interest and every due date.",
        )
        parent.add_child(instance=page)
        page.save_revision().publish()


# The loans that went wrong, kept small beside the book as in a healthy society (PAR30 in single digits):
# (key, months ago disbursed, product slug, amount, term, instalments paid on time before the member stopped).
DEMO_LOANS = [
    ("current", 5, "development", "150000.00", 24, 5),
    ("watch", 7, "school-fees", "40000.00", 12, 6),  # the 7th instalment is 10 days late
    ("substandard", 9, "school-fees", "24000.00", 12, 5),  # about 100 days past due
    ("doubtful", 14, "emergency", "18000.00", 12, 6),  # about 220 days
    ("loss", 20, "emergency", "12000.00", 12, 3),  # over a year: fully provided for (no write-off in the engine)
    ("closed", 26, "school-fees", "40000.00", 12, 12),
]
MIN_MONTHS_OF_MEMBERSHIP = 6  # the by-laws' waiting period before a first loan (FAQ: "a member for six months")


def _deposits_by_member(member_ids) -> dict:
    """Each member's deposit movements [(date, credit − debit)], oldest first, in one query."""
    movements: dict = {}
    for member_id, date, debit, credit in (
        JournalLine.objects.filter(account__code=DEPOSITS, member_id__in=member_ids)
        .order_by("date")
        .values_list("member_id", "date", "debit", "credit")
    ):
        movements.setdefault(member_id, []).append((date, credit - debit))
    return movements


def _history_plan(members, products, today, rng) -> list:
    """Ordinary members' loans over the last three years, repaid on time: about half had a school fees or
        emergency loan that is now closed, and most have a development or school fees loan running. Each is sized at
        two and a half to three times the member's deposits on the day (the by-laws' limit is three times), within the
        product's bounds. A running loan of a newer member was taken as soon as the six months' wait was over; members
    not yet six months in, or with too little saved, do not borrow."""
    deposits = _deposits_by_member([m.pk for m in members])
    plan = []
    for member in members:
        history = deposits.get(member.pk, [])
        wanted = []
        if rng.random() < 0.6:
            wanted.append(("earlier", rng.randint(14, 36), rng.choice(["school-fees", "emergency"]), 12))
        if rng.random() < 0.9:
            slug = rng.choice(["development", "development", "development", "school-fees"])
            if slug == "development":
                wanted.append(("running", rng.randint(1, 24), slug, rng.choice([36, 48])))
            else:
                wanted.append(("running", rng.randint(1, 11), slug, 12))
        for key, months_ago, slug, term in wanted:
            product = products[slug]
            disbursed_on = due_date(today, -months_ago) - datetime.timedelta(days=rng.randint(3, 25))
            eligible_on = due_date(member.join_date, MIN_MONTHS_OF_MEMBERSHIP)
            if key == "running" and eligible_on > disbursed_on:
                disbursed_on = eligible_on  # borrowed as soon as the by-laws allowed
            if eligible_on > disbursed_on or disbursed_on > today - datetime.timedelta(days=7):
                continue
            saved = sum((amount for date, amount in history if date <= disbursed_on), Decimal("0"))
            amount = (saved * Decimal(rng.choice(["2.5", "3", "3", "3"])) / 1000).quantize(Decimal("1")) * 1000
            amount = min(amount, product.max_amount)
            if amount < product.min_amount:
                continue
            term = max(product.min_term_months, min(term, product.max_term_months))
            plan.append((member, f"{key} {slug}", months_ago, product, amount, term, disbursed_on))
    return plan


def _fullest_account(day: datetime.date) -> BankAccount | None:
    """The treasurer pays a loan out from the account holding the most on the day (M-Pesa or the bank)."""
    accounts = BankAccount.objects.filter(active=True).select_related("ledger_account")
    return max(accounts, key=lambda a: account_balance(code=a.ledger_account.code, as_of=day), default=None)


@dataclass
class _DemoLoan:
    application: LoanApplication
    disbursed_on: datetime.date
    paid: int | None  # instalments repaid on time before the member stopped; None: all of them
    loan: Loan | None = None


def _loans_run(loans: list[_DemoLoan], *, today: datetime.date) -> None:
    """The book's history month by month, as the office lived it: each month's loans paid out, the instalments
    falling due repaid on their due dates, and the daily job run at the month's end (interest, penalties, classes,
    provision), so provisions and penalties fall in the months they belong to. References and the job's keys are
    derived from the loan and the date: a second run posts nothing."""
    pending = sorted(loans, key=lambda d: d.disbursed_on)
    if not pending:
        return
    month = pending[0].disbursed_on.replace(day=1)
    running: list[_DemoLoan] = []
    while month <= today:
        month_end = min(due_date(month, 1) - datetime.timedelta(days=1), today)
        with transaction.atomic():  # one commit a month, not one per repayment
            while pending and pending[0].disbursed_on <= month_end:
                demo = pending.pop(0)
                if demo.application.status == ApplicationStatus.SUBMITTED:  # from before the portal: decided on paper
                    application_approve(
                        application=demo.application, by=None, reason="Approved by the committee (paper minutes)"
                    )
                demo.loan = loan_disburse(
                    application=demo.application,
                    by=None,
                    date=demo.disbursed_on,
                    bank_account=_fullest_account(demo.disbursed_on),
                ).loan
                running.append(demo)
            for demo in running:
                instalments = demo.loan.instalments.filter(due_date__gte=month, due_date__lte=month_end)
                if demo.paid is not None:
                    instalments = instalments.filter(number__lte=demo.paid)
                for instalment in instalments.order_by("number"):
                    loan_repay(
                        loan=demo.loan,
                        amount=instalment.amount,
                        reference=f"demo-loan:{demo.loan.pk}:{instalment.number}",
                        date=instalment.due_date,
                        notify_member=False,  # years of history: no "payment received" message for each
                    )
            active = set(Loan.objects.filter(status=LoanStatus.ACTIVE).values_list("pk", flat=True))
            running = [d for d in running if d.loan.pk in active]
            loans_daily(today=month_end)
        month = due_date(month, 1)


def loans_history_seed(*, seed: int = 2026) -> None:
    """Loans in every state, through the loan services (approval, disbursement, repayments, the daily job): a
    book of loans repaid on time, a few in each arrears class, closed loans, and applications submitted, approved
    and rejected."""
    rng = random.Random(seed)
    today = timezone.localdate()
    wanted = len(DEMO_LOANS) + 4
    members = list(
        Member.objects.filter(status="active", user__is_staff=False)
        .exclude(user__email__endswith=f"@{GENERATED_DOMAIN}")  # their book is demo_bulk.py's
        .order_by("join_date", "pk")
    )
    if len(members) < wanted:
        return
    products = {p.slug: p for p in LoanProduct.objects.all()}

    def application(member, key, product, amount, term, created_on=None):
        found = LoanApplication.objects.filter(member=member, purpose=f"Demo: {key}").first()
        if found:
            return found
        created = timezone.now() - datetime.timedelta(days=30)
        if created_on is not None:
            created = timezone.make_aware(datetime.datetime.combine(created_on, datetime.time(10)))
        return LoanApplication.objects.create(
            member=member,
            product=product,
            amount=Decimal(amount),
            term_months=term,
            purpose=f"Demo: {key}",
            annual_rate=product.annual_rate,
            method=product.method,
            created_at=created,
        )

    book = []
    for member, (key, months_ago, slug, amount, term, paid) in zip(members, DEMO_LOANS, strict=False):
        disbursed_on = due_date(today, -months_ago) - datetime.timedelta(days=10)  # so the last due date is past
        app = application(member, key, products[slug], amount, term, disbursed_on - datetime.timedelta(days=7))
        book.append(_DemoLoan(app, disbursed_on, paid))
    extra = members[len(DEMO_LOANS) : wanted]
    # The long-standing savers carry most of the book: only the members in arrears (and the demo member, whose
    # one loan is the example) get no other loan.
    borrowers = members[len(DEMO_LOANS) - 1 :]
    for member, key, _months, product, amount, term, disbursed_on in _history_plan(borrowers, products, today, rng):
        app = application(member, key, product, amount, term, disbursed_on - datetime.timedelta(days=7))
        book.append(_DemoLoan(app, disbursed_on, None))
    _loans_run(book, today=today)
    _applications_in_workflow_seed(
        waiting=application(extra[0], "in review", products["development"], "90000.00", 18),
        at_committee=application(extra[3], "at committee", products["school-fees"], "30000.00", 12),
        approved=application(extra[1], "approved", products["school-fees"], "45000.00", 10),
        rejected=application(extra[2], "rejected", products["development"], "500000.00", 48),
    )


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
