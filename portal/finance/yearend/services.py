"""Year-end close writes (issue 18): close a financial year's income and expenses to the surplus account, prepare
the appropriation of that surplus, vote on it, and post it once the workflow approves it.

Postings (docs/reports.md "Year-end close"):
- close, dated 31 December of the year, key `year-close:<year>`: Dr every income account / Cr every expense account
  by its balance for the year (a contra balance on the other side), and the net to 3300 Surplus for the year (Cr a
  surplus, Dr a deficit) — one balanced entry;
- appropriation, dated 31 December of the year, key `year-appropriation:<year>`: Dr 3300 the surplus / Cr 3100
  Statutory reserve, Cr each other reserve (31xx), Cr 3200 Retained earnings (the dividends set aside and the
  remainder); for a deficit, Dr 3200 / Cr 3300.
The financial statements recognise both entries by these key prefixes (CLOSE_PREFIX, APPROPRIATION_PREFIX).
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from portal.audit.services import POST, audit_log
from portal.society.money import sum_to_cents
from portal.society.policy import sacco_settings
from portal.workflows.services import workflow_act, workflow_submit

from ..ledger.models import Account, AccountType, JournalLine
from ..ledger.services import LedgerError, Line, ledger_post
from ..periods.guard import books_closed_through
from .models import AppropriationPosting, SurplusAppropriation, YearClose

CLOSE_PREFIX, APPROPRIATION_PREFIX = "year-close:", "year-appropriation:"
SURPLUS, STATUTORY_RESERVE, RETAINED = "3300", "3100", "3200"
MINIMUM_STATUTORY_RATE = Decimal("20")  # the Co-operative Societies Act's floor; the setting may ask for more
CENT, ZERO = Decimal("0.01"), Decimal("0.00")
RESULT_TYPES = (AccountType.INCOME, AccountType.EXPENSE)


def year_bounds(financial_year: int) -> tuple[datetime.date, datetime.date]:
    """The financial year is the calendar year (domain.md; the dividend computation assumes it too)."""
    return datetime.date(financial_year, 1, 1), datetime.date(financial_year, 12, 31)


def year_close_lines(*, financial_year: int) -> tuple[list[Line], Decimal, Decimal]:
    """The closing entry's lines for the year as the ledger stands, with the year's income and expenses (each in
    its normal direction). Entries that are themselves closing entries are left out (none can be in an open year)."""
    start, end = year_bounds(financial_year)
    rows = (
        JournalLine.objects.filter(date__gte=start, date__lte=end, account__type__in=RESULT_TYPES)
        .exclude(entry__idempotency_key__startswith=CLOSE_PREFIX)
        .values("account__code", "account__type")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by("account__code")
    )
    lines, income, expenses = [], ZERO, ZERO
    for row in rows:
        net = sum_to_cents(row["d"]) - sum_to_cents(row["c"])  # debit minus credit
        if row["account__type"] == AccountType.INCOME:
            income -= net
        else:
            expenses += net
        if net < 0:
            lines.append(Line(row["account__code"], debit=-net, description=f"Closed to surplus {financial_year}"))
        elif net > 0:
            lines.append(Line(row["account__code"], credit=net, description=f"Closed to surplus {financial_year}"))
    surplus = income - expenses
    if surplus > 0:
        lines.append(Line(SURPLUS, credit=surplus, description=f"Surplus {financial_year}"))
    elif surplus < 0:
        lines.append(Line(SURPLUS, debit=-surplus, description=f"Deficit {financial_year}"))
    return lines, income, expenses


def _earliest_open_year(before: datetime.date) -> int | None:
    """The first year before `before` with income or expenses and no close, or None."""
    closed = YearClose.objects.values_list("financial_year", flat=True)
    line = (
        JournalLine.objects.filter(date__lt=before, account__type__in=RESULT_TYPES)
        .exclude(date__year__in=list(closed))
        .order_by("date")
        .only("date")
        .first()
    )
    return line.date.year if line is not None else None


def year_close(*, financial_year: int, by=None) -> YearClose:
    """Close the year: one entry dated its last day moves every income and expense balance of the year to 3300.
    Refused (naming `financial_year`) before the year has ended, when it is already closed, when an earlier year
    with income or expenses is still open (close years in order), or when the year has no income or expenses."""
    start, end = year_bounds(financial_year)
    if financial_year < 2000:
        raise ValidationError({"financial_year": ["Give a year from 2000."]})
    if end >= timezone.localdate():
        raise ValidationError({"financial_year": [f"{financial_year} has not ended; close it from 1 January."]})
    if YearClose.objects.filter(financial_year=financial_year).exists():
        raise ValidationError({"financial_year": [f"{financial_year} is already closed."]})
    earlier = _earliest_open_year(start)
    if earlier is not None:
        raise ValidationError({"financial_year": [f"{earlier} is not closed yet: close the years in order."]})
    closed_through = books_closed_through()
    if closed_through is not None and closed_through >= end:
        # The closing entry is dated 31 December: close the year before its last month, or reopen December.
        raise ValidationError(
            {
                "financial_year": [
                    f"December {financial_year} is closed, and the closing entry is dated 31 December: reopen the "
                    f"months back to December {financial_year} (Ledger → Periods) to close the year, then close "
                    "them again."
                ]
            }
        )
    with transaction.atomic():
        lines, income, expenses = year_close_lines(financial_year=financial_year)
        if not lines:
            raise ValidationError({"financial_year": [f"{financial_year} has no income or expenses to close."]})
        try:
            result = ledger_post(
                memo=f"Year-end close {financial_year}: income and expenses to surplus",
                lines=lines,
                idempotency_key=f"{CLOSE_PREFIX}{financial_year}",
                posted_by=by,
                date=end,
                source=f"Year-end close {financial_year}",
            )
            with transaction.atomic():
                closed = YearClose.objects.create(
                    financial_year=financial_year,
                    entry=result.entry,
                    income=income,
                    expenses=expenses,
                    surplus=income - expenses,
                    closed_by=by,
                )
        except (LedgerError, IntegrityError):
            # Someone closed it at the same moment (the key, or the year, is taken).
            raise ValidationError({"financial_year": [f"{financial_year} is already closed."]}) from None
        audit_log(
            instance=closed,
            action=POST,
            by=by,
            summary=f"Year {financial_year} closed: income KES {income:,.2f}, expenses KES {expenses:,.2f}, "
            f"surplus KES {income - expenses:,.2f}",
        )
    return closed


def statutory_minimum(surplus: Decimal, rate: Decimal) -> Decimal:
    """The least the statutory reserve may take: rate % of a surplus, to the cent (half up); nothing of a deficit."""
    if surplus <= 0:
        return ZERO
    return (surplus * rate / Decimal("100")).quantize(CENT, rounding=ROUND_HALF_UP)


def reserve_accounts() -> list[Account]:
    """The reserves an appropriation may credit besides the statutory reserve: active equity accounts 3101–3199."""
    return list(
        Account.objects.filter(type=AccountType.EQUITY, active=True, code__gt=STATUTORY_RESERVE, code__lt="3200")
        .exclude(code=STATUTORY_RESERVE)
        .order_by("code")
    )


def _appropriation_blocker(financial_year: int) -> str | None:
    if AppropriationPosting.objects.filter(financial_year=financial_year).exists():
        return f"The {financial_year} surplus is already appropriated."
    for other in SurplusAppropriation.objects.filter(financial_year=financial_year):
        if other.state == "In approval":
            return f"An appropriation of {financial_year} is already waiting for approval."
    return None


def appropriation_prepare(
    *,
    financial_year: int,
    statutory_reserve=ZERO,
    other_reserves=(),
    dividends=ZERO,
    by,
) -> SurplusAppropriation:
    """Check the appropriation of a closed year's surplus (each error names its field), freeze it and start the
    "Surplus appropriation" workflow. `other_reserves` is a list of (account code, amount). The statutory reserve
    takes at least `statutory_reserve_rate` % (setting, never below 20 %) of a surplus; everything appropriated
    together may not exceed the surplus; retained earnings take the remainder. A deficit year appropriates
    nothing: its deficit goes to retained earnings."""
    errors: dict[str, list[str]] = {}
    close = YearClose.objects.filter(financial_year=financial_year).first()
    if close is None:
        raise ValidationError({"financial_year": [f"Close {financial_year} first (its surplus is not known yet)."]})
    if (blocker := _appropriation_blocker(financial_year)) is not None:
        raise ValidationError({"financial_year": [blocker]})
    rate = max(Decimal(sacco_settings().statutory_reserve_rate), MINIMUM_STATUTORY_RATE)
    surplus = close.surplus
    amounts = {"statutory_reserve": statutory_reserve, "dividends": dividends}
    for field, value in amounts.items():
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or value != value.quantize(CENT):
            errors[field] = ["Give an amount of zero or more, in shillings and cents."]
    accounts = {a.code: a for a in reserve_accounts()}
    reserves, seen = [], set()
    for code, amount in other_reserves:
        if code not in accounts:
            errors.setdefault("other_reserves", []).append(f"{code} is not a reserve account (31xx, not 3100).")
        elif code in seen:
            errors.setdefault("other_reserves", []).append(f"{code} is given twice.")
        elif (
            not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT)
        ):
            errors.setdefault("other_reserves", []).append(f"{code}: give an amount of more than zero.")
        else:
            seen.add(code)
            reserves.append({"account": code, "name": accounts[code].name, "amount": f"{amount:.2f}"})
    if errors:
        raise ValidationError(errors)
    others = sum((Decimal(r["amount"]) for r in reserves), ZERO)
    if surplus <= 0:
        for field, given in (
            ("statutory_reserve", statutory_reserve),
            ("dividends", dividends),
            ("other_reserves", others),
        ):
            if given > 0:
                errors[field] = [
                    f"{financial_year} closed with a deficit of KES {-surplus:,.2f}: nothing to appropriate."
                ]
    else:
        minimum = statutory_minimum(surplus, rate)
        if statutory_reserve < minimum:
            errors["statutory_reserve"] = [
                f"At least KES {minimum:,.2f}: {rate.normalize():f} % of the surplus of KES {surplus:,.2f}."
            ]
        total = statutory_reserve + others + dividends
        if not errors and total > surplus:
            field = "dividends" if dividends > 0 else ("other_reserves" if others > 0 else "statutory_reserve")
            errors[field] = [f"The appropriations (KES {total:,.2f}) exceed the surplus of KES {surplus:,.2f}."]
    if errors:
        raise ValidationError(errors)
    record = SurplusAppropriation(
        financial_year=financial_year,
        surplus=surplus,
        statutory_reserve_rate=rate,
        statutory_reserve=statutory_reserve,
        other_reserves=reserves,
        dividends=dividends,
        retained_earnings=surplus - statutory_reserve - others - dividends,
        prepared_by=by,
        live=False,
    )
    with transaction.atomic():
        record.save()
        workflow_submit(
            obj=record,
            by=by,
            missing=ValidationError(
                "No approval workflow is set up for surplus appropriations (Settings → Workflows)."
            ),
        )
    return record


def appropriation_vote(*, appropriation: SurplusAppropriation, user, action: str = "approve", reason: str = ""):
    """Approve or reject at the workflow's step as `user` (two distinct approvers; never the preparer)."""
    workflow_act(
        obj=appropriation,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the appropriation is rejected.",
        not_waiting=ValidationError({"appropriation": ["This appropriation is not waiting for approval."]}),
        refused="You cannot decide this appropriation (not an approver, voted already, or preparer).",
    )
    appropriation.refresh_from_db()
    return appropriation


def appropriation_lines(appropriation: SurplusAppropriation) -> list[Line]:
    year, surplus = appropriation.financial_year, appropriation.surplus
    if surplus < 0:
        return [
            Line(RETAINED, debit=-surplus, description=f"Deficit {year}"),
            Line(SURPLUS, credit=-surplus, description=f"Deficit {year}"),
        ]
    lines = [Line(SURPLUS, debit=surplus, description=f"Appropriation of the {year} surplus")]
    if appropriation.statutory_reserve > 0:
        lines.append(Line(STATUTORY_RESERVE, credit=appropriation.statutory_reserve, description="Statutory reserve"))
    for reserve in appropriation.other_reserves:
        lines.append(Line(reserve["account"], credit=Decimal(reserve["amount"]), description=reserve["name"]))
    retained = appropriation.dividends + appropriation.retained_earnings
    if retained > 0:
        lines.append(Line(RETAINED, credit=retained, description="Dividends set aside and retained earnings"))
    return lines


def appropriation_post(*, appropriation: SurplusAppropriation, approved_by=None) -> AppropriationPosting:
    """Post the approved appropriation once (the workflow's end calls this; a second call returns the posting)."""
    with transaction.atomic():
        locked = SurplusAppropriation.objects.select_for_update().get(pk=appropriation.pk)
        existing = AppropriationPosting.objects.filter(appropriation=locked).first()
        if existing is not None:
            return existing
        year = locked.financial_year
        if AppropriationPosting.objects.filter(financial_year=year).exists():
            raise ValidationError({"appropriation": [f"The {year} surplus is already appropriated."]})
        close = YearClose.objects.filter(financial_year=year).first()
        if close is None or close.surplus != locked.surplus:
            raise ValidationError({"appropriation": [f"The {year} close no longer matches: prepare it again."]})
        entry = None
        if locked.surplus != 0:
            entry = ledger_post(
                memo=f"Appropriation of the {year} surplus",
                lines=appropriation_lines(locked),
                idempotency_key=f"{APPROPRIATION_PREFIX}{year}",
                posted_by=approved_by,
                # Dated the day it is approved, not the year's last day: an appropriation the AGM approves after the
                # year is not part of that year's balance sheet (IAS 10; the approved statements show the surplus
                # for the year in 3300), and December is usually closed by then (issue 18's month close).
                date=timezone.localdate(),
                source=f"Appropriation {year}",
            ).entry
        posting = AppropriationPosting.objects.create(
            appropriation=locked, financial_year=year, entry=entry, approved_by=approved_by
        )
        audit_log(
            instance=locked,
            action=POST,
            by=approved_by,
            summary=f"Appropriation of the {year} surplus posted: statutory reserve KES "
            f"{locked.statutory_reserve:,.2f}, dividends KES {locked.dividends:,.2f}, retained KES "
            f"{locked.retained_earnings:,.2f}",
        )
        return posting
