"""Dividend writes: prepare a declaration (computed, frozen, sent for approval), vote on it, and post it once the
workflow approves it — one entry per member, all together or none.

Postings (domain.md): Dr 3200 Retained earnings (dividend), Dr 5300 Interest on deposits (interest) / Cr 2100
Dividends payable [member], Cr 2110 Interest on deposits payable [member] (net of tax), Cr 2200 Withholding tax;
and, when paid to deposits, in the same entry Dr 2100, 2110 [member] / Cr 2000 Member deposits [member].
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.services import POST, audit_log
from portal.contributions.services import summaries_add
from portal.finance.bulk_insert import rows_insert
from portal.finance.ledger.services import BulkPosting, ledger_post_bulk
from portal.finance.yearend.selectors import approved_appropriation
from portal.society.policy import sacco_settings
from portal.workflows.services import workflow_act, workflow_submit

from .compute import dividend_compute
from .models import DividendDeclaration, DividendPosting, DividendYear, MemberDividend, Method, Payout

RETAINED, INTEREST_EXPENSE = "3200", "5300"
DIVIDENDS_PAYABLE, INTEREST_PAYABLE, TAX_PAYABLE, DEPOSITS = "2100", "2110", "2200", "2000"
ZERO = Decimal("0.00")


class DividendChanged(ValidationError):
    """The year's balances moved after the declaration was prepared: the approved numbers no longer hold."""


def dividend_prepare(
    *,
    financial_year: int,
    method: str = Method.RATES,
    share_capital_rate=Decimal("0"),
    deposit_rate=Decimal("0"),
    pool=Decimal("0"),
    share_capital_basis: str = "closing",
    withholding_tax_rate=None,
    include_inactive: bool = False,
    payout: str = Payout.DEPOSITS,
    by,
) -> DividendDeclaration:
    """Validate the terms (each field named), compute every member's amounts, freeze the totals and start the
    approval workflow. One declaration per year at a time: the year's DividendYear row (unique in the database) is
    taken under a lock, so of two simultaneous preparations of one year, one is told the year is taken."""
    if withholding_tax_rate is None:
        withholding_tax_rate = sacco_settings().withholding_tax_rate
    declaration = DividendDeclaration(
        financial_year=financial_year,
        method=method,
        share_capital_rate=share_capital_rate,
        deposit_rate=deposit_rate,
        pool=pool,
        share_capital_basis=share_capital_basis,
        withholding_tax_rate=withholding_tax_rate,
        include_inactive=include_inactive,
        payout=payout,
        prepared_by=by,
        live=False,
    )
    declaration.full_clean(exclude=["preview"])
    errors = {}
    if financial_year >= timezone.localdate().year:
        errors["financial_year"] = [f"{financial_year} has not ended; declare dividends for a closed year."]
    elif (year_error := _year_taken(financial_year)) is not None:
        errors["financial_year"] = [year_error]
    if method == Method.POOL and declaration.pool <= 0:
        errors["pool"] = ["Give the pool to share."]
    if method == Method.RATES and declaration.share_capital_rate <= 0 and declaration.deposit_rate <= 0:
        errors["share_capital_rate"] = ["Give a rate on share capital, on deposits, or both."]
    appropriation = None
    if "financial_year" not in errors:
        appropriation = approved_appropriation(financial_year=financial_year)
        if appropriation is None:
            errors["financial_year"] = [
                f"The {financial_year} surplus has no approved appropriation yet: close the year and have its "
                "appropriation approved first (Ledger → Year-end closes)."
            ]
    if errors:
        raise ValidationError(errors)
    declaration.preview = dividend_compute(declaration=declaration).summary()
    # Dividends on share capital are paid out of what the approved appropriation set aside for them; interest on
    # deposits is an expense (5300), not an appropriation of the surplus, so it is not held to that amount.
    dividend_total = Decimal(declaration.preview["dividend"])
    if dividend_total > appropriation.dividends:
        field = "pool" if method == Method.POOL else "share_capital_rate"
        raise ValidationError(
            {
                field: [
                    f"The dividends come to KES {dividend_total:,.2f}, more than the KES "
                    f"{appropriation.dividends:,.2f} the approved {financial_year} appropriation set aside."
                ]
            }
        )
    with transaction.atomic():
        # The year's row is locked, and checked again under the lock: two people preparing the same year at once
        # are served one after the other, and the second is told the year is taken.
        hold = DividendYear.objects.select_for_update().filter(financial_year=financial_year).first()
        year_error = _year_taken(financial_year, hold=hold)
        if year_error is not None:
            raise ValidationError({"financial_year": [year_error]})
        declaration.save()
        if hold is not None:  # the holder was rejected: this declaration takes the year over
            hold.declaration, hold.held_since = declaration, timezone.now()
            hold.save(update_fields=["declaration", "held_since"])
        else:
            try:
                with transaction.atomic():
                    DividendYear.objects.create(financial_year=financial_year, declaration=declaration)
            except IntegrityError:
                # Another declaration took the year between our read and our insert (no row to lock yet).
                raise ValidationError(
                    {"financial_year": [f"A declaration for {financial_year} is already waiting for approval."]}
                ) from None
        workflow_submit(
            obj=declaration,
            by=by,
            missing=ValidationError("No approval workflow is set up for dividends (Settings → Workflows)."),
        )
    return declaration


def _year_taken(financial_year: int, *, hold=None) -> str | None:
    """Why the year cannot take another declaration now, or None. One declaration holds a year (DividendYear):
    posted, or in approval; a rejected one gives it up."""
    if DividendPosting.objects.filter(financial_year=financial_year).exists():
        return f"Dividends for {financial_year} are already posted."
    hold = hold or DividendYear.objects.filter(financial_year=financial_year).select_related("declaration").first()
    if hold is not None and hold.declaration.state == "In approval":
        return f"A declaration for {financial_year} is already waiting for approval."
    return None


def dividend_vote(*, declaration: DividendDeclaration, user, action: str = "approve", reason: str = ""):
    """Approve or reject at the workflow's step as `user` (two distinct approvers; never the preparer)."""
    workflow_act(
        obj=declaration,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the declaration is rejected.",
        not_waiting=ValidationError({"declaration": ["This declaration is not waiting for approval."]}),
        refused="You cannot decide this declaration (not an approver, voted already, or preparer).",
    )
    declaration.refresh_from_db()
    return declaration


def dividend_post(*, declaration: DividendDeclaration, approved_by=None) -> DividendPosting:
    """Post the approved declaration once (the workflow's end calls this; a second call returns the posting)."""
    with transaction.atomic():
        locked = DividendDeclaration.objects.select_for_update().get(pk=declaration.pk)
        existing = DividendPosting.objects.filter(declaration=locked).first()
        if existing is not None:
            return existing
        hold = DividendYear.objects.select_for_update().filter(financial_year=locked.financial_year).first()
        if hold is not None and hold.declaration_id != locked.pk:
            # E.g. a rejected declaration sent back into approval after another took its year: the other stands.
            raise ValidationError(
                {"declaration": [f"Another declaration holds {locked.financial_year}; this one cannot be posted."]}
            )
        if DividendPosting.objects.filter(financial_year=locked.financial_year).exists():
            raise ValidationError({"declaration": [f"Dividends for {locked.financial_year} are already posted."]})
        run = dividend_compute(declaration=locked)
        if run.summary() != locked.preview:
            raise DividendChanged(
                f"The {locked.financial_year} balances changed after the declaration was prepared "
                f"(net {locked.preview.get('net')} then, {run.summary()['net']} now): prepare it again."
            )
        rows = [row for row in run.rows if row.gross > 0]
        year = locked.financial_year
        today = timezone.localdate()
        to_deposits = locked.payout == Payout.DEPOSITS
        # Dated when posted, not at the year's end: a dividend declared after the year is not that year's liability
        # (IAS 10), and the closed year's approved statements stay as they were. Through the ledger's bulk path
        # (issue 17): the same rules, keys and content hashes as ledger_post_many, without objects per line.
        postings = [
            BulkPosting(
                f"dividend:{locked.pk}:{row.member_id}",
                f"Dividend {year} {row.membership_number}",
                _member_lines(row, year, to_deposits),
                today,
                "dividends",
            )
            for row in rows
        ]
        results = ledger_post_bulk(postings=postings, posted_by=approved_by)
        if to_deposits:
            summaries_add(deltas={row.member_id: (Decimal("0"), row.net) for row in rows if row.net > 0})
        rows_insert(
            MemberDividend,
            [
                {
                    "declaration_id": locked.pk,
                    "member_id": row.member_id,
                    "share_capital_basis": row.share_capital_basis.quantize(Decimal("0.01")),
                    "deposits_basis": row.deposits_basis.quantize(Decimal("0.01")),
                    "dividend": row.dividend,
                    "interest": row.interest,
                    "tax": row.tax,
                    "net": row.net,
                    "entry_id": entry_id,
                }
                for row, (entry_id, _created) in zip(rows, results, strict=True)
            ],
        )
        posting = DividendPosting.objects.create(
            declaration=locked,
            financial_year=year,
            approved_by=approved_by,
            members=len(rows),
            gross=run.total("gross"),
            tax=run.total("tax"),
            net=run.total("net"),
        )
        audit_log(
            instance=locked,
            action=POST,
            by=approved_by,
            summary=f"Dividends {year} posted to {posting.members} members: gross KES {posting.gross:,.2f}, "
            f"tax KES {posting.tax:,.2f}, net KES {posting.net:,.2f}",
        )
        return posting


def _member_lines(row, year: int, to_deposits: bool) -> tuple:
    """One member's entry: the declaration (expense or appropriation → payable, tax) and, when paid to deposits,
    the payable straight on to deposits — in one entry, so the trail shows both and 10,000 members post 10,000
    entries, not 20,000. Lines as `BulkPosting` tuples: (account, debit, credit, member, loan, description)."""
    dividend, interest, dividend_tax, interest_tax = row.dividend, row.interest, row.dividend_tax, row.interest_tax
    tax = dividend_tax + interest_tax
    dividend_net, interest_net = dividend - dividend_tax, interest - interest_tax
    member_id = row.member_id
    lines = []
    if dividend > 0:
        lines.append((RETAINED, dividend, ZERO, None, None, f"Dividend {year}"))
    if interest > 0:
        lines.append((INTEREST_EXPENSE, interest, ZERO, None, None, f"Interest on deposits {year}"))
    if tax > 0:
        lines.append((TAX_PAYABLE, ZERO, tax, None, None, f"Withholding tax {row.membership_number}"))
    for code, amount in ((DIVIDENDS_PAYABLE, dividend_net), (INTEREST_PAYABLE, interest_net)):
        if amount > 0:
            lines.append((code, ZERO, amount, member_id, None, DECLARED))
            if to_deposits:
                lines.append((code, amount, ZERO, member_id, None, TO_DEPOSITS))
    net = dividend_net + interest_net
    if to_deposits and net > 0:
        lines.append((DEPOSITS, ZERO, net, member_id, None, f"Dividend {year}"))
    return tuple(lines)


DECLARED, TO_DEPOSITS = "Declared, net of tax", "Paid to deposits"
