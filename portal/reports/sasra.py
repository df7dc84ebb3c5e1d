"""SASRA returns for a month end (issue 18), from the ledger and the loan book: a selector, nothing here writes.

`sasra_returns(as_of=)` gives five returns, each a plain JSON-ready dict (money as "0.00" strings, ratios as percent
strings) so a snapshot stores exactly what was shown, and every renderer — screen, XLSX, API, saved report — reads
the same thing. Every money figure carries the accounts (code, name, amount) that make it: the drill-down, whose
amounts sum to the figure. Every return carries `checks`: its totals against `finance.ledger.selectors.trial_balance`
(a separate query path, through the journal entries' dates), each with `ties`.

Definitions (SASRA, Sacco Societies (Deposit-Taking Sacco Business) Regulations 2010, as read here):

- **Share capital**: equity accounts 3000–3099. **Institutional capital**: every other equity account (statutory
  reserve 3100, other reserves 3110, retained earnings 3200, surplus for the year 3300, … — picked by account type,
  so accounts added later count) plus the current result not yet closed to equity (income − expenses to date; a
  surplus adds, a loss is deducted). **Core capital** = share capital + institutional capital − deductions. The
  chart has no investments in subsidiaries or other items SASRA deducts, so the deductions are nil (listed, empty).
- **Total assets**: every asset account, net of the loan loss provision 1190 (a contra asset), as the balance sheet.
- **Total deposits**: 2000 Member deposits.
- **Liquid assets**: cash and bank accounts (assets below 1100, as the cash flow). The chart has no short-term
  placements. **Short-term liabilities**: member deposits and every other liability below 2500 (dividends, interest
  and tax payable, suspense, exit refunds — all payable on demand or within 91 days); codes from 2500 are kept for
  long-term borrowings and left out.
- Minimums: `settings.SASRA_MINIMUMS` (percent), defaults core capital/assets 10, institutional capital/assets 8,
  core capital/deposits 8, liquidity 15.
- **Risk classification**: each loan's outstanding principal at as_of is its own lines on 1100 up to as_of (so the
  classes add up to the 1100 control account whatever happened since: a loan written off or repaid after as_of is
  classed with its balance then; one written off before has none). Its class is rebuilt at as_of: the days since the
  due date of the oldest instalment of its current schedule due before as_of whose principal is not covered by the
  principal repaid by then (Σ scheduled principal − the ledger balance; repayments are allocated oldest first).
  Arrears of interest alone, and a restructure's hold on the class, are not rebuilt for past dates. Provision required
  = each class's outstanding × its rate (SACCO settings), to the cent; provision held = the credit balance of 1190.
- **Insider lending**: insiders are members whose user is in a staff or committee role group (Clerks, Loans officers,
  Credit committee, Treasurer, Auditors, Administrators; the credit committee and administrators stand for the board
  and committee). Their loans with a balance at as_of (outstanding, class) and the accepted guarantees they give on
  loans with a balance at as_of.
"""

import calendar
import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Sum

from portal.finance.ledger.models import DEBIT_NORMAL, Account, AccountType, JournalLine
from portal.finance.ledger.selectors import trial_balance
from portal.loans.jobs import provision_rates
from portal.loans.models import Classification, Guarantee, GuaranteeStatus, Loan, LoanInstalment
from portal.members import roles
from portal.members.models import Member
from portal.society.money import sum_to_cents
from portal.society.tabular import Section

ZERO = Decimal("0.00")
LOANS, PROVISION, DEPOSITS = "1100", "1190", "2000"
CASH_BELOW = "1100"
SHARE_CAPITAL = ("3000", "3099")
LONG_TERM_LIABILITIES_FROM = "2500"
DEFAULT_MINIMUMS = {
    "core_capital_to_assets": Decimal("10"),
    "institutional_capital_to_assets": Decimal("8"),
    "core_capital_to_deposits": Decimal("8"),
    "liquidity": Decimal("15"),
}
# Deposit return bands (KES, upper bounds inclusive); the last is open.
DEPOSIT_BANDS = [Decimal("50000"), Decimal("100000"), Decimal("300000"), Decimal("1000000")]
RETURNS = ["capital_adequacy", "liquidity", "deposit_return", "risk_classification", "insider_lending"]


def is_month_end(day: datetime.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def minimums() -> dict[str, Decimal]:
    given = getattr(settings, "SASRA_MINIMUMS", {}) or {}
    return {key: Decimal(str(given.get(key, default))) for key, default in DEFAULT_MINIMUMS.items()}


def _m(value: Decimal) -> str:
    return f"{value:.2f}"


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _p(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class _Books:
    """The ledger at as_of: each account's balance in its normal direction (a contra asset negative)."""

    def __init__(self, as_of: datetime.date):
        self.accounts = {a.pk: a for a in Account.objects.all()}
        self.by_code = {a.code: a for a in self.accounts.values()}
        self.balance: dict[str, Decimal] = {}
        for row in (
            JournalLine.objects.filter(date__lte=as_of).values("account_id").annotate(d=Sum("debit"), c=Sum("credit"))
        ):
            account = self.accounts[row["account_id"]]
            net = sum_to_cents(row["d"]) - sum_to_cents(row["c"])
            self.balance[account.code] = net if account.type in DEBIT_NORMAL else -net

    def codes(self, predicate) -> list[str]:
        return sorted(code for code, a in self.by_code.items() if predicate(a) and self.balance.get(code, ZERO))

    def figure(self, key: str, label: str, codes, *, sign: int = 1, extra=()) -> dict:
        """A figure and its drill-down: the accounts (amounts as they count in the figure) summing to it."""
        rows = [
            {"code": code, "name": self.by_code[code].name, "amount": sign * self.balance.get(code, ZERO)}
            for code in codes
        ]
        rows += list(extra)
        amount = sum((r["amount"] for r in rows), ZERO)
        return {
            "key": key,
            "label": label,
            "amount": _m(amount),
            "accounts": [{**r, "amount": _m(r["amount"])} for r in rows],
        }


def _tb(as_of: datetime.date) -> dict[str, tuple[str, Decimal]]:
    """The trial balance at as_of: each account's (type, debit − credit)."""
    return {r.code: (r.type, r.debit - r.credit) for r in trial_balance(as_of=as_of)}


def _check(label: str, figure: Decimal, tb_amount: Decimal) -> dict:
    return {"label": label, "figure": _m(figure), "trial_balance": _m(tb_amount), "ties": figure == tb_amount}


def _ratio(key: str, label: str, numerator: dict, denominator: dict, minimum: Decimal) -> dict:
    percent = _percent(Decimal(numerator["amount"]), Decimal(denominator["amount"]))
    return {
        "key": key,
        "label": label,
        "numerator": numerator["key"],
        "denominator": denominator["key"],
        "percent": _p(percent),
        "minimum": _p(minimum),
        "meets": percent is not None and percent >= minimum,
    }


def _amount(figure: dict) -> Decimal:
    return Decimal(figure["amount"])


def _capital_adequacy(books: _Books, tb: dict, limits: dict) -> dict:
    def equity(a):
        return a.type == AccountType.EQUITY

    def share(a):
        return equity(a) and SHARE_CAPITAL[0] <= a.code <= SHARE_CAPITAL[1]

    income = books.codes(lambda a: a.type == AccountType.INCOME)
    expenses = books.codes(lambda a: a.type == AccountType.EXPENSE)
    result = [{"code": c, "name": books.by_code[c].name, "amount": books.balance[c]} for c in income] + [
        {"code": c, "name": books.by_code[c].name, "amount": -books.balance[c]} for c in expenses
    ]
    share_capital = books.figure("share_capital", "Share capital", books.codes(share))
    current = books.figure("current_result", "Surplus (or loss) for the year not yet closed", [], extra=result)
    reserves = books.codes(lambda a: equity(a) and not share(a))
    institutional = books.figure(
        "institutional_capital",
        "Institutional capital (reserves, retained earnings, current result)",
        reserves,
        extra=[{"code": r["code"], "name": r["name"], "amount": Decimal(r["amount"])} for r in current["accounts"]],
    )
    deductions = books.figure("deductions", "Deductions (investments in subsidiaries and the like)", [])
    core = books.figure(
        "core_capital",
        "Core capital (share capital + institutional capital − deductions)",
        [],
        extra=[
            {"code": r["code"], "name": r["name"], "amount": Decimal(r["amount"])}
            for f in (share_capital, institutional)
            for r in f["accounts"]
        ],
    )
    assets = books.figure("total_assets", "Total assets (net of provisions)", books.codes(lambda a: a.type == "asset"))
    deposits = books.figure("total_deposits", "Total deposits", books.codes(lambda a: a.code == DEPOSITS))
    tb_assets = sum((net for t, net in tb.values() if t == AccountType.ASSET), ZERO)
    tb_equity = ZERO - sum((net for t, net in tb.values() if t == AccountType.EQUITY), ZERO)
    tb_result = ZERO - sum((net for t, net in tb.values() if t in (AccountType.INCOME, AccountType.EXPENSE)), ZERO)
    return {
        "figures": [share_capital, institutional, current, deductions, core, assets, deposits],
        "ratios": [
            _ratio(
                "core_capital_to_assets",
                "Core capital / total assets",
                core,
                assets,
                limits["core_capital_to_assets"],
            ),
            _ratio(
                "institutional_capital_to_assets",
                "Institutional capital / total assets",
                institutional,
                assets,
                limits["institutional_capital_to_assets"],
            ),
            _ratio(
                "core_capital_to_deposits",
                "Core capital / total deposits",
                core,
                deposits,
                limits["core_capital_to_deposits"],
            ),
        ],
        "checks": [
            _check("Total assets = trial balance assets", _amount(assets), tb_assets),
            _check("Core capital = trial balance equity + current result", _amount(core), tb_equity + tb_result),
            _check("Total deposits = trial balance 2000", _amount(deposits), ZERO - tb.get(DEPOSITS, ("", ZERO))[1]),
        ],
    }


def _liquidity(books: _Books, tb: dict, limits: dict) -> dict:
    def liquid(a):
        return a.type == AccountType.ASSET and a.code < CASH_BELOW

    def short_term(a):
        return a.type == AccountType.LIABILITY and a.code < LONG_TERM_LIABILITIES_FROM

    liquid_assets = books.figure("liquid_assets", "Liquid assets (cash and bank)", books.codes(liquid))
    liabilities = books.figure("short_term_liabilities", "Deposits and short-term liabilities", books.codes(short_term))
    tb_liquid = sum((net for code, (t, net) in tb.items() if t == AccountType.ASSET and code < CASH_BELOW), ZERO)
    tb_short = ZERO - sum(
        (net for code, (t, net) in tb.items() if t == AccountType.LIABILITY and code < LONG_TERM_LIABILITIES_FROM),
        ZERO,
    )
    return {
        "figures": [liquid_assets, liabilities],
        "ratios": [
            _ratio(
                "liquidity",
                "Liquid assets / deposits and short-term liabilities",
                liquid_assets,
                liabilities,
                limits["liquidity"],
            )
        ],
        "checks": [
            _check("Liquid assets = trial balance cash and bank", _amount(liquid_assets), tb_liquid),
            _check("Short-term liabilities = trial balance liabilities below 2500", _amount(liabilities), tb_short),
        ],
    }


def _band_label(lower: Decimal, upper: Decimal | None) -> str:
    if upper is None:
        return f"Over {lower:,.0f}"
    if not lower:
        return f"Up to {upper:,.0f}"
    return f"{lower + 1:,.0f} – {upper:,.0f}"


def _deposit_return(books: _Books, tb: dict, as_of: datetime.date) -> dict:
    account = books.by_code.get(DEPOSITS)
    per_member = defaultdict(lambda: ZERO)
    for row in (
        JournalLine.objects.filter(account__code=DEPOSITS, date__lte=as_of)
        .values("member_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    ):
        per_member[row["member_id"]] += sum_to_cents(row["c"]) - sum_to_cents(row["d"])
    unattributed = per_member.pop(None, ZERO)
    bounds = [ZERO, *DEPOSIT_BANDS]
    bands = []
    for i, lower in enumerate(bounds):
        upper = DEPOSIT_BANDS[i] if i < len(DEPOSIT_BANDS) else None
        amounts = [v for v in per_member.values() if v and (i == 0 or v > lower) and (upper is None or v <= upper)]
        amount = sum(amounts, ZERO)
        bands.append(
            {
                "band": _band_label(lower, upper),
                "lower": _m(lower),
                "upper": _m(upper) if upper is not None else None,
                "depositors": len(amounts),
                "amount": _m(amount),
                "accounts": [{"code": DEPOSITS, "name": account.name if account else "", "amount": _m(amount)}],
            }
        )
    total = sum(per_member.values(), ZERO) + unattributed
    return {
        "bands": bands,
        "unattributed": _m(unattributed),
        "total_depositors": sum(b["depositors"] for b in bands),
        "total_amount": _m(total),
        "accounts": [{"code": DEPOSITS, "name": account.name if account else "", "amount": _m(total)}],
        "checks": [
            _check("Σ member deposits = trial balance 2000", total, ZERO - tb.get(DEPOSITS, ("", ZERO))[1]),
        ],
    }


def loan_balances(*, as_of: datetime.date) -> dict:
    """Each loan's outstanding principal at as_of: its lines on 1100 up to then (loans with no balance left out).
    Lines on 1100 naming no loan are under the key None."""
    balances = {}
    for row in (
        JournalLine.objects.filter(account__code=LOANS, date__lte=as_of)
        .values("loan_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    ):
        net = sum_to_cents(row["d"]) - sum_to_cents(row["c"])
        if net:
            balances[row["loan_id"]] = net
    return balances


def classes_at(*, as_of: datetime.date, balances: dict) -> dict:
    """Each loan's SASRA class at as_of (see the module's docstring), by the principal repaid by then."""
    schedules = defaultdict(list)
    for loan_id, due, principal in (
        LoanInstalment.objects.filter(loan_id__in=[pk for pk in balances if pk is not None])
        .order_by("loan_id", "due_date", "number")
        .values_list("loan_id", "due_date", "principal")
    ):
        schedules[loan_id].append((due, principal))
    classes = {}
    for loan_id, outstanding in balances.items():
        rows = schedules.get(loan_id, [])
        repaid = max(ZERO, sum((p for _, p in rows), ZERO) - outstanding)
        days, due_so_far = 0, ZERO
        for due, principal in rows:
            if due >= as_of:
                break
            due_so_far += principal
            if due_so_far > repaid:
                days = (as_of - due).days
                break
        classes[loan_id] = Classification.for_days(days)
    return classes


def _risk_classification(books: _Books, tb: dict, balances: dict, classes: dict) -> dict:
    rates = provision_rates()
    name = books.by_code[LOANS].name if LOANS in books.by_code else ""
    per_class = {value: {"loans": 0, "outstanding": ZERO} for value in Classification.values}
    for loan_id, outstanding in balances.items():
        # A line on 1100 naming no loan cannot be aged: classed as loss, the prudent reading (none in normal use).
        bucket = classes.get(loan_id, Classification.LOSS)
        per_class[bucket]["loans"] += 1 if loan_id is not None else 0
        per_class[bucket]["outstanding"] += outstanding
    rows = []
    for value, label in Classification.choices:
        outstanding = per_class[value]["outstanding"]
        rate = rates[value]
        rows.append(
            {
                "classification": value,
                "label": str(label),
                "loans": per_class[value]["loans"],
                "outstanding": _m(outstanding),
                "rate": f"{rate:.2f}",
                "provision_required": _m((outstanding * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)),
                "accounts": [{"code": LOANS, "name": name, "amount": _m(outstanding)}],
            }
        )
    total = sum((Decimal(r["outstanding"]) for r in rows), ZERO)
    required = sum((Decimal(r["provision_required"]) for r in rows), ZERO)
    held = books.figure("provision_held", "Provisions held (1190)", books.codes(lambda a: a.code == PROVISION), sign=-1)
    tb_loans = tb.get(LOANS, ("", ZERO))[1]
    tb_held = ZERO - tb.get(PROVISION, ("", ZERO))[1]
    return {
        "classes": rows,
        "total_loans": sum(r["loans"] for r in rows),
        "total_outstanding": _m(total),
        "provision_required": _m(required),
        "provision_held": held["amount"],
        "provision_shortfall": _m(max(ZERO, required - Decimal(held["amount"]))),
        "unattributed": _m(balances.get(None, ZERO)),
        "accounts": [{"code": LOANS, "name": name, "amount": _m(total)}],
        "provision_accounts": held["accounts"],
        "checks": [
            _check("Total outstanding = trial balance 1100", total, tb_loans),
            _check("Provisions held = trial balance 1190", Decimal(held["amount"]), tb_held),
        ],
    }


def insiders() -> dict:
    """Members whose user is in a staff or committee role group → the names of those groups."""
    found = defaultdict(list)
    for member_id, group in (
        Member.objects.filter(user__groups__name__in=roles.STAFF_ROLES)
        .values_list("pk", "user__groups__name")
        .order_by("membership_number")
    ):
        if group in roles.STAFF_ROLES:
            found[member_id].append(group)
    return found


def _insider_lending(tb: dict, balances: dict, classes: dict, core_capital: Decimal) -> dict:
    who = insiders()
    loans = (
        Loan.objects.filter(member_id__in=list(who), pk__in=[pk for pk in balances if pk is not None])
        .select_related("product")
        .order_by("disbursed_on")
    )
    by_member = defaultdict(list)
    for loan in loans:
        by_member[loan.member_id].append(loan)
    guarantees = defaultdict(list)
    for g in (
        Guarantee.objects.filter(
            guarantor_id__in=list(who),
            status__in=[GuaranteeStatus.ACCEPTED, GuaranteeStatus.RELEASED],
            application__loan__in=[pk for pk in balances if pk is not None],
        )
        .select_related("application__loan", "application__member__user")
        .order_by("created_at")
    ):
        guarantees[g.guarantor_id].append(g)
    members = Member.objects.filter(pk__in=list(who)).select_related("user").order_by("membership_number")
    rows, total_out, total_guaranteed = [], ZERO, ZERO
    for member in members:
        own = by_member.get(member.pk, [])
        given = guarantees.get(member.pk, [])
        if not own and not given:
            continue
        outstanding = sum((balances[loan.pk] for loan in own), ZERO)
        guaranteed = sum((g.amount for g in given), ZERO)
        total_out += outstanding
        total_guaranteed += guaranteed
        rows.append(
            {
                "member": str(member.pk),
                "membership_number": member.membership_number,
                "name": member.user.get_full_name(),
                "roles": sorted(who[member.pk]),
                "loans": [
                    {
                        "loan": str(loan.pk),
                        "product": loan.product.name,
                        "disbursed_on": loan.disbursed_on.isoformat(),
                        "outstanding": _m(balances[loan.pk]),
                        "classification": classes[loan.pk],
                        "accounts": [{"code": LOANS, "name": "Loans to members", "amount": _m(balances[loan.pk])}],
                    }
                    for loan in own
                ],
                "outstanding": _m(outstanding),
                "guarantees": [
                    {
                        "loan": str(g.application.loan.pk),
                        "borrower": g.application.member.user.get_full_name(),
                        "borrower_outstanding": _m(balances[g.application.loan.pk]),
                        "amount": _m(g.amount),
                    }
                    for g in given
                ],
                "guaranteed": _m(guaranteed),
            }
        )
    tb_loans = tb.get(LOANS, ("", ZERO))[1]
    return {
        "insiders": rows,
        "total_outstanding": _m(total_out),
        "total_guaranteed": _m(total_guaranteed),
        "share_of_loans": _p(_percent(total_out, tb_loans)),
        "share_of_core_capital": _p(_percent(total_out, core_capital)),
        "checks": [
            _check(
                "Insider loans are within the 1100 balance (figure ≤ trial balance)",
                total_out,
                tb_loans,
            )
            | {"ties": total_out <= tb_loans},
        ],
    }


def sasra_returns(*, as_of: datetime.date) -> dict:
    """The five SASRA returns at as_of (any date; the API and the admin ask for a month end)."""
    books = _Books(as_of)
    tb = _tb(as_of)
    limits = minimums()
    balances = loan_balances(as_of=as_of)
    classes = classes_at(as_of=as_of, balances=balances)
    capital = _capital_adequacy(books, tb, limits)
    core = Decimal(next(f["amount"] for f in capital["figures"] if f["key"] == "core_capital"))
    returns = {
        "as_of": as_of.isoformat(),
        "capital_adequacy": capital,
        "liquidity": _liquidity(books, tb, limits),
        "deposit_return": _deposit_return(books, tb, as_of),
        "risk_classification": _risk_classification(books, tb, balances, classes),
        "insider_lending": _insider_lending(tb, balances, classes, core),
    }
    returns["ties"] = all(c["ties"] for key in RETURNS for c in returns[key]["checks"])
    return returns


def _d(text) -> Decimal | str:
    return "" if text is None else Decimal(text)


def sasra_sections(data: dict) -> list[Section]:
    """The returns as tables, one sheet each in the XLSX, in the returns' layout; figures as numbers."""
    capital = data["capital_adequacy"]
    cap = Section("Capital adequacy", ["Item", "Account", "Name", "Amount (KES)"])
    for figure in capital["figures"]:
        cap.rows += [[figure["label"], a["code"], a["name"], _d(a["amount"])] for a in figure["accounts"]]
        cap.rows.append([figure["label"], "", "Total", _d(figure["amount"])])
    cap.rows.append(["Ratio", "", "Actual (%)", "Minimum (%)"])
    cap.rows += [[r["label"], "", _d(r["percent"]), _d(r["minimum"])] for r in capital["ratios"]]
    liquidity = data["liquidity"]
    liq = Section("Liquidity", ["Item", "Account", "Name", "Amount (KES)"])
    for figure in liquidity["figures"]:
        liq.rows += [[figure["label"], a["code"], a["name"], _d(a["amount"])] for a in figure["accounts"]]
        liq.rows.append([figure["label"], "", "Total", _d(figure["amount"])])
    liq.rows.append(["Ratio", "", "Actual (%)", "Minimum (%)"])
    liq.rows += [[r["label"], "", _d(r["percent"]), _d(r["minimum"])] for r in liquidity["ratios"]]
    deposits = data["deposit_return"]
    dep = Section(
        "Deposit return",
        ["Band (KES)", "Number of depositors", "Amount (KES)"],
        [[b["band"], b["depositors"], _d(b["amount"])] for b in deposits["bands"]],
    )
    if _d(deposits["unattributed"]):
        dep.rows.append(["Not attributed to a member", 0, _d(deposits["unattributed"])])
    dep.totals = ["Total", deposits["total_depositors"], _d(deposits["total_amount"])]
    risk = data["risk_classification"]
    cls = Section(
        "Risk classification",
        ["Class", "Number of loans", "Outstanding principal (KES)", "Provision rate (%)", "Provision required (KES)"],
        [
            [r["label"], r["loans"], _d(r["outstanding"]), _d(r["rate"]), _d(r["provision_required"])]
            for r in risk["classes"]
        ],
        ["Total", risk["total_loans"], _d(risk["total_outstanding"]), "", _d(risk["provision_required"])],
    )
    cls.rows += [
        ["Provisions held (1190)", "", "", "", _d(risk["provision_held"])],
        ["Shortfall", "", "", "", _d(risk["provision_shortfall"])],
    ]
    insider = data["insider_lending"]
    ins = Section(
        "Insider lending",
        ["Membership number", "Name", "Roles", "Kind", "Loan", "Class", "Outstanding (KES)", "Guaranteed (KES)"],
    )
    for person in insider["insiders"]:
        head = [person["membership_number"], person["name"], ", ".join(person["roles"])]
        ins.rows += [
            [*head, "Own loan", loan["loan"], loan["classification"], _d(loan["outstanding"]), ""]
            for loan in person["loans"]
        ]
        ins.rows += [
            [*head, f"Guarantee for {g['borrower']}", g["loan"], "", _d(g["borrower_outstanding"]), _d(g["amount"])]
            for g in person["guarantees"]
        ]
    ins.totals = [
        "Total",
        f"{len(insider['insiders'])} insiders",
        "",
        "",
        "",
        "",
        _d(insider["total_outstanding"]),
        _d(insider["total_guaranteed"]),
    ]
    checks = Section("Checks", ["Return", "Check", "Figure (KES)", "Trial balance (KES)", "Ties"])
    for key in RETURNS:
        checks.rows += [
            [
                key.replace("_", " ").capitalize(),
                c["label"],
                _d(c["figure"]),
                _d(c["trial_balance"]),
                "yes" if c["ties"] else "NO",
            ]
            for c in data[key]["checks"]
        ]
    return [cap, liq, dep, cls, ins, checks]
