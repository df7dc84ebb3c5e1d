"""Eligibility (L2): one answer — the most a member can borrow on a product — with every rule, passed or failed,
and the numbers behind it, so the portal, the API and the appraisal all say the same thing."""

import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.contributions.selectors import balances_annotations, member_balances
from portal.finance.ledger.selectors import account_balance
from portal.members.kyc import kyc_status
from portal.members.models import Member, MemberExit, MemberStatus
from portal.society.money import format_money, to_cents
from portal.society.policy import sacco_settings

from .affordability import affordability_check
from .guarantee_shrink import guarantees_held_total
from .models import LoanApplication, LoanInstalment, LoanProduct, LoanStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Rule:
    code: str
    passed: bool
    detail: str


@dataclass
class Eligibility:
    product: LoanProduct
    max_amount: Decimal
    deposits: Decimal
    outstanding: Decimal
    rules: list[Rule] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return all(r.passed for r in self.rules) and self.max_amount >= self.product.min_amount

    @property
    def failed(self) -> list[Rule]:
        return [r for r in self.rules if not r.passed]


def loans_outstanding_principal(*, member: Member, clearing=None) -> Decimal:
    """Σ unpaid principal of the member's active loans; `clearing` (a loan being topped up, which the new loan
    clears at payout) is left out (issue 16)."""
    rows = LoanInstalment.objects.filter(loan__member=member, loan__status=LoanStatus.ACTIVE)
    if clearing is not None:
        rows = rows.exclude(loan_id=clearing.pk)
    totals = rows.aggregate(due=Sum("principal"), paid=Sum("principal_paid"))
    return to_cents(str(totals["due"] or 0)) - to_cents(str(totals["paid"] or 0))


def guarantees_outstanding(*, member: Member) -> Decimal:
    """What the member has promised (requested or accepted, not yet released) for other members' loans: in full, or
    shrunk with the loans' repayment when the society's setting says so (guarantee_shrink.py)."""
    return guarantees_held_total(member=member)


def free_deposits(*, member: Member, clearing=None) -> Decimal:
    """Deposits − own outstanding loans − amounts guaranteed for others (domain.md), never below zero. `clearing`:
    a loan being topped up, not counted (the new loan clears it)."""
    deposits = account_balance(code="2000", member=member)
    loans = loans_outstanding_principal(member=member, clearing=clearing)
    return max(deposits - loans - guarantees_outstanding(member=member), ZERO)


def member_in_arrears(*, member: Member, today=None) -> bool:
    """Any instalment of an active loan past its due date with principal or interest unpaid."""
    today = today or timezone.localdate()
    return (
        LoanInstalment.objects.filter(loan__member=member, loan__status=LoanStatus.ACTIVE, due_date__lt=today)
        .filter(Q(principal_paid__lt=F("principal")) | Q(interest_paid__lt=F("interest")))
        .exists()
    )


@dataclass(frozen=True)
class MemberFigures:
    """What eligibility reads of a member, whatever the product: read once for a page that shows every product."""

    balances: object  # contributions.selectors.MemberBalances (deposits, share capital progress)
    outstanding: Decimal
    kyc_verified: bool
    leaving: bool
    in_arrears: bool


def member_figures(*, member: Member, today=None, clearing=None, loans=None) -> MemberFigures:
    """The member's figures for eligibility. `loans`: the member's loans with their current instalments already
    loaded (prefetch_related("instalments")): the outstanding principal and the arrears are then summed from them
    instead of two more queries; the same rows the queries would read (current schedule, active loans)."""
    today = today or timezone.localdate()
    if loans is None:
        outstanding = loans_outstanding_principal(member=member, clearing=clearing)
        in_arrears = member_in_arrears(member=member, today=today)
    else:
        active = [loan for loan in loans if loan.status == LoanStatus.ACTIVE]
        rows = [row for loan in active for row in loan.instalments.all()]
        counted = [row for row in rows if clearing is None or row.loan_id != clearing.pk]
        outstanding = to_cents(str(sum((r.principal for r in counted), Decimal(0)))) - to_cents(
            str(sum((r.principal_paid for r in counted), Decimal(0)))
        )
        in_arrears = any(
            r.due_date < today and (r.principal_paid < r.principal or r.interest_paid < r.interest) for r in rows
        )
    return MemberFigures(
        # The pool share is not a rule: leave its society-wide sum out.
        balances=member_balances(member=member, pool=False),
        outstanding=outstanding,
        kyc_verified=kyc_status(member=member) == "verified",
        # A member who gave notice (or whose death is recorded) is leaving: their exit settlement offsets their
        # loans against their deposits, so they take no new loan (issue 16, membership_exit.py).
        leaving=(
            member.eligibility_leaving
            if hasattr(member, "eligibility_leaving")
            else MemberExit.objects.filter(member=member).exists()
        ),
        in_arrears=in_arrears,
    )


def figures_annotations() -> dict:
    """What member_figures reads of the member itself, as expressions for the query that reads the member (the
    portal's loans page, issue 17): the schedule, and whether the member is leaving. The same expression objects on
    every call (they name no member: OuterRef), so the portal's member query is compiled once for them
    (members.selectors.member_for_user)."""
    return {**balances_annotations(pool=False), "eligibility_leaving": _leaving_annotation()}


@functools.cache
def _leaving_annotation():
    return Exists(MemberExit.objects.filter(member=OuterRef("pk")))


def products_eligibility(*, member: Member, products, today=None, loans=None) -> list[Eligibility]:
    """How much the member can borrow on each product: the member's figures read once for all of them (issue 17),
    each product's rules and limit computed from them."""
    today = today or timezone.localdate()
    figures = member_figures(member=member, today=today, loans=loans)
    return [loan_eligibility(member=member, product=p, today=today, figures=figures) for p in products]


def loan_eligibility(
    *,
    member: Member,
    product: LoanProduct,
    amount: Decimal | None = None,
    today=None,
    term_months: int | None = None,
    basic_pay: Decimal | None = None,
    total_deductions: Decimal | None = None,
    clearing=None,
    figures: "MemberFigures | None" = None,
) -> Eligibility:
    """Every rule of domain.md that applies before guarantors, with its numbers, and the maximum amount. With an
    amount, a term and the payslip figures, the two-thirds rule too (affordability.py: the 1/3 rule where pay is
    known). `clearing`: the loan a top-up clears; its outstanding principal does not count against the deposits
    multiple (the arrears rule still reads it: a loan in arrears is not topped up). `figures`: the member's
    figures already read for this moment (member_figures), so that several products cost one reading."""
    today = today or timezone.localdate()
    sacco = sacco_settings()
    if figures is None:
        figures = member_figures(member=member, today=today, clearing=clearing)
    balances, outstanding = figures.balances, figures.outstanding
    ceiling = to_cents(balances.deposits * product.deposits_multiple)
    max_amount = max(min(ceiling - outstanding, product.max_amount), ZERO)
    kyc_verified, leaving = figures.kyc_verified, figures.leaving
    rules = [
        Rule(
            "status",
            member.status == MemberStatus.ACTIVE and not leaving,
            (
                _("You have given notice to leave the SACCO; members leaving cannot borrow.")
                if leaving and member.status == MemberStatus.ACTIVE
                else _("Your membership is %(status)s.")
                if member.status == MemberStatus.ACTIVE
                else _("Your membership is %(status)s; only active members can borrow.")
            )
            % {"status": member.get_status_display().lower()},
        ),
        Rule(
            "kyc",
            kyc_verified,
            _("Your KYC documents are verified.")
            if kyc_verified
            else _("Your KYC documents are not all verified yet."),
        ),
    ]
    months = (today.year - member.join_date.year) * 12 + today.month - member.join_date.month
    if today.day < member.join_date.day:
        months -= 1
    rules.append(
        Rule(
            "membership_age",
            months >= sacco.minimum_membership_months,
            ngettext(
                "Member for %(count)d month; %(needed)d needed.",
                "Member for %(count)d months; %(needed)d needed.",
                months,
            )
            % {"count": months, "needed": sacco.minimum_membership_months},
        )
    )
    progress = balances.share_capital_progress
    rules.append(
        Rule(
            "share_capital",
            progress.is_complete,
            (
                _("Share capital %(paid)s of %(target)s (complete).")
                if progress.is_complete
                else _("Share capital %(paid)s of %(target)s; %(remaining)s to go.")
            )
            % {
                "paid": format_money(progress.paid),
                "target": format_money(progress.target),
                "remaining": format_money(progress.remaining),
            },
        )
    )
    in_arrears = figures.in_arrears
    rules.append(
        Rule(
            "arrears", not in_arrears, _("An instalment is overdue.") if in_arrears else _("No instalment is overdue.")
        )
    )
    limit_detail = (
        _(
            "Deposits %(deposits)s × %(multiple)s = %(ceiling)s; outstanding %(outstanding)s; you can borrow up to "
            "%(max)s (the product's maximum is %(product_max)s)."
        )
        if max_amount == product.max_amount
        else _(
            "Deposits %(deposits)s × %(multiple)s = %(ceiling)s; outstanding %(outstanding)s; you can borrow up to "
            "%(max)s."
        )
    ) % {
        "deposits": format_money(balances.deposits),
        "multiple": product.deposits_multiple.normalize(),
        "ceiling": format_money(ceiling),
        "outstanding": format_money(outstanding),
        "max": format_money(max_amount),
        "product_max": format_money(product.max_amount),
    }
    rules.append(Rule("limit", amount is None or amount <= max_amount, limit_detail))
    if amount is not None and term_months and basic_pay is not None and total_deductions is not None:
        check = affordability_check(
            product=product,
            amount=amount,
            term_months=term_months,
            basic_pay=basic_pay,
            deductions=total_deductions,
            today=today,
        )
        rules.append(Rule("affordability", check.passed, check.detail))
    return Eligibility(product, max_amount, balances.deposits, outstanding, rules)


def application_eligibility(*, application: LoanApplication, today=None) -> Eligibility:
    """Eligibility today for an application in review: its amount and term, the payslip it states and the loan it
    tops up."""
    return loan_eligibility(
        member=application.member,
        product=application.product,
        amount=application.amount,
        today=today,
        term_months=application.term_months,
        basic_pay=application.basic_pay,
        total_deductions=application.total_deductions,
        clearing=application.top_up_of,  # a top-up: the loan it clears does not count (top_up.py)
    )
