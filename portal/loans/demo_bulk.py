"""A loan book for generated members (portal/members/demo_bulk.py): about a third of them borrow, in every state.

Written by the bulk path, as the loan services would have left it (services.py, jobs.py):
- the application, copied from its product's terms, and for a disbursed one the loan, its schedule from
  `schedule_build` (schedule.py), the fees from `loan_fees` (fees.py), the disbursement entry
  (`disbursement:<application>`: Dr 1100 the principal, Cr bank what was paid out, Cr each fee), accepted
  guarantees (released once the loan is closed);
- each instalment repaid on its due date as `loan_repay` posts it: the interest falling due
  (`interest:<loan>:<n>`, Dr 1110 / Cr 4000) and the repayment (`repayment:demo-loan:<loan>:<n>`, Dr bank,
  Cr 1110 the interest, Cr 1100 the principal) with its LoanRepayment record and the instalment marked paid.

Arrears are loans whose member stopped paying: the daily job (`loans_daily`), run over the book afterwards, posts
the interest of the instalments due and unpaid, this month's penalties, the days past due and the classes. The
states that take a committee's decision — restructured, written off, topped up — then go through their own
services (restructure.py, write_off.py, top_up.py) for a bounded number of loans (RARE_CAP each), as the office
would have; the provision follows at the end. Deterministic: every choice comes from the member's own seeded
generator, ids included."""

import datetime
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from portal.finance.journal_rows import JournalRows
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, ledger_post
from portal.members.demo_bulk import GeneratedMember
from portal.members.models import User

from .fees import loan_fees
from .jobs import PROVISION, PROVISION_EXPENSE, provision_required
from .models import (
    ApplicationStatus,
    Guarantee,
    GuaranteeStatus,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanProduct,
    LoanRepayment,
    LoanStatus,
)
from .restructure import restructure_decide, restructure_prepare
from .schedule import due_date, schedule_build
from .services import application_approve, loan_disburse
from .top_up import top_up_figures
from .write_off import write_off_decide, write_off_prepare

ZERO = Decimal("0.00")
BORROWER_SHARE = 1 / 3  # of all generated members
ELIGIBLE_SHARE = 0.8  # about a fifth joined less than six months ago (members/demo_bulk.py: the society grew)
MIN_MONTHS_OF_MEMBERSHIP = 6
# What the members' loans are doing today, with their weights (a healthy book: PAR30 in single digits).
KINDS = {
    "current": 48,
    "closed": 18,
    "watch": 4,
    "substandard": 3,
    "doubtful": 1.5,
    "loss": 1.5,
    "submitted": 4,
    "approved": 2,
    "rejected": 3,
    "withdrawn": 1,
    "restructure": 1,  # beyond RARE_CAP they stay in arrears, as if still waiting for the committee
    "write_off": 1,
    "top_up": 3,
}
# Days past due of the first unpaid instalment, per arrears state.
ARREARS_DAYS = {
    "watch": (5, 30),
    "substandard": (35, 170),
    "restructure": (40, 150),
    "doubtful": (190, 350),
    "loss": (370, 560),
    "write_off": (370, 560),
}
APPLICATION_ONLY = {"submitted", "approved", "rejected", "withdrawn"}
RARE_CAP = 10  # loans per committee-decided state (restructure, write-off, top-up), whatever the size
PURPOSES = {
    "development": ["Building a rental unit", "Buying a plot", "Stock for the shop", "Dairy cows", "Farm inputs"],
    "school-fees": ["Secondary school fees", "University fees", "College fees"],
    "emergency": ["Hospital bill", "Funeral expenses", "Urgent house repairs"],
}
REJECTIONS = [
    "Above three times the member's deposits.",
    "The payslip leaves less than a third of basic pay after this instalment.",
    "The guarantors did not accept in time.",
]


@dataclass
class BookRows:
    applications: list = field(default_factory=list)
    loans: list = field(default_factory=list)
    instalments: list = field(default_factory=list)
    repayments: list = field(default_factory=list)
    guarantees: list = field(default_factory=list)

    def records(self) -> list[tuple]:
        """[(model, rows)] in the order to write them, inside the caller's transaction after the journal is flushed
        (loans point at their entries)."""
        return [
            (LoanApplication, self.applications),
            (Loan, self.loans),
            (LoanInstalment, self.instalments),
            (LoanRepayment, self.repayments),
            (Guarantee, self.guarantees),
        ]


class LoanBook:
    """Plans the book member by member; `forced` makes the first borrowers cover every state, so even a small
    society shows them all."""

    def __init__(self, *, today: datetime.date, bank, seed: int = 2026):
        self.today = today
        self.bank_code = bank.ledger_account.code
        self.products = {p.slug: p for p in LoanProduct.objects.filter(slug__in=PURPOSES)}
        self.seed = seed
        self.forced = list(KINDS)
        self.kinds, self.weights = list(KINDS), list(KINDS.values())
        self.rare: dict[str, list] = {"restructure": [], "write_off": [], "top_up": []}
        self.guarantors: list = []  # the members who may guarantee (set per batch by the caller)

    def _uuid(self, rng: random.Random) -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def _aware(self, day: datetime.date, hour: int = 10) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    def _timing(self, kind: str, rng: random.Random, eligible: datetime.date):
        """(product slug, term, disbursement date, instalments repaid or None for all due) for a disbursed kind,
        within what the member's membership allows (borrowing from six months in); None when it cannot fit."""
        today = self.today
        room = (today - eligible).days - 15  # days between the first day they could borrow and a payout
        if kind in ARREARS_DAYS:
            low, high = ARREARS_DAYS[kind]
            if room < low + 62:
                return None
            days = rng.randint(low, min(high, room - 62))
            paid = rng.randint(1, max(1, min(6, (room - days) // 31 - 1)))
            slug = "development" if kind == "restructure" else rng.choice(["development", "school-fees", "emergency"])
            term = rng.choice([24, 36]) if slug == "development" else 12
            disbursed = due_date(today - datetime.timedelta(days=days), -(paid + 1))
            return slug, term, disbursed, paid
        months = room // 31
        if kind == "closed":
            if months < 13:
                return None
            slug = rng.choice(["school-fees", "emergency"])
            disbursed = due_date(today, -rng.randint(13, min(40, months))) - datetime.timedelta(days=rng.randint(1, 14))
            return slug, 12, disbursed, None
        # current and top_up: everything due is paid, the end is ahead
        if months < 1 or (kind == "top_up" and months < 6):
            return None
        if kind == "top_up" or rng.random() < 0.6:
            low = 6 if kind == "top_up" else 1
            months_ago = rng.randint(low, min(20 if kind == "top_up" else 30, months))
            slug, term = "development", rng.choice([36, 48])
        else:
            months_ago, slug, term = rng.randint(1, min(10, months)), rng.choice(["school-fees", "emergency"]), 12
        disbursed = due_date(today, -months_ago) - datetime.timedelta(days=rng.randint(1, 14))
        return slug, term, disbursed, None

    def plan(self, *, member: GeneratedMember, timeline: list, rows: BookRows, journal: JournalRows) -> None:
        rng = member.rng(self.seed, "loans")
        eligible = due_date(member.join_date, MIN_MONTHS_OF_MEMBERSHIP)
        if eligible > self.today - datetime.timedelta(days=20) or rng.random() >= BORROWER_SHARE / ELIGIBLE_SHARE:
            return  # members not six months in do not borrow: the others borrow a little more often
        choices = [self.forced[0]] if self.forced else []
        choices += [rng.choices(self.kinds, self.weights)[0], "current", "submitted"]
        for kind in choices:
            if self._one(kind, member, timeline, rng, eligible, rows, journal):
                if self.forced and kind == self.forced[0]:
                    self.forced.pop(0)
                return

    def _deposits_on(self, timeline: list, day: datetime.date) -> Decimal:
        balance = ZERO
        for date, running in timeline:
            if date > day:
                break
            balance = running
        return balance

    def _one(self, kind, member, timeline, rng, eligible, rows: BookRows, journal: JournalRows) -> bool:
        today = self.today
        if kind in APPLICATION_ONLY:
            slug, term = rng.choice(["development", "school-fees", "emergency"]), 12
            created_on = today - datetime.timedelta(days=rng.randint(1, 20))
            if slug == "development":
                term = rng.choice([24, 36])
            disbursed, paid = None, None
        else:
            timing = self._timing(kind, rng, eligible)
            if timing is None:
                return False
            slug, term, disbursed, paid = timing
            created_on = disbursed - datetime.timedelta(days=rng.randint(3, 10)) if disbursed else None
        if created_on < eligible or (disbursed is not None and disbursed > today - datetime.timedelta(days=3)):
            return False
        product = self.products[slug]
        saved = self._deposits_on(timeline, created_on)
        amount = (saved * Decimal(rng.choice(["2.5", "3", "3"])) / 1000).quantize(Decimal("1")) * 1000
        if kind == "rejected":
            amount = (saved * 5 / 1000).quantize(Decimal("1")) * 1000  # asked for too much
        amount = min(amount, product.max_amount)
        if amount < product.min_amount:
            return False
        term = max(product.min_term_months, min(term, product.max_term_months))
        application_id = self._uuid(rng)
        status = {
            "submitted": ApplicationStatus.SUBMITTED,
            "approved": ApplicationStatus.APPROVED,
            "rejected": ApplicationStatus.REJECTED,
            "withdrawn": ApplicationStatus.WITHDRAWN,
        }.get(kind, ApplicationStatus.DISBURSED)
        decided = status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.DISBURSED)
        rows.applications.append(
            {
                "id": application_id,
                "member_id": member.id,
                "product_id": product.pk,
                "amount": amount,
                "term_months": term,
                "purpose": rng.choice(PURPOSES[slug]),
                "annual_rate": product.annual_rate,
                "method": product.method,
                "status": status,
                "cover_needed": ZERO,
                "decision_reason": rng.choice(REJECTIONS) if kind == "rejected" else "",
                "decided_at": self._aware(created_on + datetime.timedelta(days=2), 15) if decided else None,
                "created_at": self._aware(created_on),
            }
        )
        if disbursed is None:
            return True
        self._disbursed(kind, member, rng, application_id, product, amount, term, disbursed, paid, rows, journal)
        return True

    def _disbursed(self, kind, member, rng, application_id, product, amount, term, disbursed, paid, rows, journal):
        today, bank_code = self.today, self.bank_code
        fees = loan_fees(product=product, amount=amount)
        loan_id = self._uuid(rng)
        number = member.membership_number
        memo = f"Loan {product.name} to {number}"
        lines = [
            ("1100", fees.principal, ZERO, member.id, loan_id, memo),
            (bank_code, ZERO, fees.paid_out, None, None, memo),
        ]
        lines += [(code, ZERO, fee, member.id, loan_id, what) for code, what, fee in fees.income_lines()]
        entry_id = journal.add(
            key=f"disbursement:{application_id}", date=disbursed, memo=memo, source="loan", lines=lines
        )
        schedule = schedule_build(
            principal=fees.principal,
            annual_rate=product.annual_rate,
            months=term,
            method=product.method,
            start=disbursed,
            first_due_months=1 + product.grace_months,
        )
        repaid_all = True
        last_paid_on = None
        for row in schedule.instalments:
            pays = row.due_date <= today and (paid is None or row.number <= paid)
            repaid_all = repaid_all and pays
            rows.instalments.append(
                {
                    "loan_id": loan_id,
                    "number": row.number,
                    "due_date": row.due_date,
                    "principal": row.principal,
                    "interest": row.interest,
                    "principal_paid": row.principal if pays else ZERO,
                    "interest_paid": row.interest if pays else ZERO,
                    "interest_accrued": pays and row.interest > 0,
                }
            )
            if not pays:
                continue
            last_paid_on = row.due_date
            if row.interest > 0:
                what = f"Interest due, instalment {row.number}"
                journal.add(
                    key=f"interest:{loan_id}:{row.number}",
                    date=row.due_date,
                    memo=what,
                    source="daily loan job",
                    lines=[
                        ("1110", row.interest, ZERO, member.id, loan_id, ""),
                        ("4000", ZERO, row.interest, member.id, loan_id, ""),
                    ],
                )
            reference = f"demo-loan:{loan_id}:{row.number}"
            what = f"Loan repayment {number}"
            total = row.principal + row.interest
            lines = [(bank_code, total, ZERO, None, None, what)]
            if row.interest > 0:
                lines.append(("1110", ZERO, row.interest, member.id, loan_id, "Interest repaid"))
            if row.principal > 0:
                lines.append(("1100", ZERO, row.principal, member.id, loan_id, "Principal repaid"))
            repayment_entry = journal.add(
                key=f"repayment:{reference}", date=row.due_date, memo=what, source=reference, lines=lines
            )
            rows.repayments.append(
                {
                    "id": self._uuid(rng),
                    "loan_id": loan_id,
                    "amount": total,
                    "date": row.due_date,
                    "reference": reference,
                    "interest_part": row.interest,
                    "principal_part": row.principal,
                    "entry_id": repayment_entry,
                    "recorded_at": self._aware(row.due_date, 16),
                }
            )
        closed = repaid_all and kind == "closed"
        rows.loans.append(
            {
                "id": loan_id,
                "application_id": application_id,
                "member_id": member.id,
                "product_id": product.pk,
                "principal": fees.principal,
                "amount_paid_out": fees.paid_out,
                "processing_fee": fees.processing,
                "insurance_fee": fees.insurance,
                "application_fee": fees.application,
                "annual_rate": product.annual_rate,
                "method": product.method,
                "term_months": term,
                "disbursed_on": disbursed,
                "disbursement_entry_id": entry_id,
                "status": LoanStatus.CLOSED if closed else LoanStatus.ACTIVE,
                "closed_on": last_paid_on if closed else None,
            }
        )
        if kind in self.rare:
            self.rare[kind].append(loan_id)
        self._guarantees(member, rng, application_id, product, fees.principal, disbursed, closed, rows)

    def _guarantees(self, member, rng, application_id, product, principal, disbursed, closed, rows) -> None:
        """The product's guarantors, accepted before the payout (released once the loan is closed): members of
        the same employer's check-off in real life; here other generated members, by their stable index."""
        count = product.guarantors_required
        if not count or not self.guarantors:
            return
        picked = {g.id: g for g in rng.sample(self.guarantors, min(count, len(self.guarantors))) if g.id != member.id}
        share = (principal / max(len(picked), 1)).quantize(Decimal("0.01"))
        for guarantor_id in picked:
            rows.guarantees.append(
                {
                    "id": self._uuid(rng),
                    "application_id": application_id,
                    "guarantor_id": guarantor_id,
                    "amount": share,
                    "status": GuaranteeStatus.RELEASED if closed else GuaranteeStatus.ACCEPTED,
                    "responded_at": self._aware(disbursed - datetime.timedelta(days=2), 12),
                    "created_at": self._aware(disbursed - datetime.timedelta(days=3), 12),
                }
            )


def rare_states_seed(*, rare: dict, today: datetime.date, bank) -> dict:
    """The states a committee decides, through their services and the workflow's votes, for up to RARE_CAP loans
    each (run after `loans_daily` has classified the book): restructured (arrears, a longer term), written off
    (loss class), topped up (a running loan cleared by a bigger one). Returns how many of each were carried out."""

    staff = {u.email: u for u in User.objects.filter(email__endswith="@sacco.example")}
    officer = staff.get("loans@sacco.example")
    committee = [staff.get("committee@sacco.example"), staff.get("committee2@sacco.example")]
    done = {"restructure": 0, "write_off": 0, "top_up": 0}
    if officer is None or None in committee:
        return done
    for loan in Loan.objects.filter(pk__in=sorted(rare["restructure"])[:RARE_CAP]).order_by("pk"):
        if loan.status != LoanStatus.ACTIVE or loan.restructures.exists():
            continue
        record = restructure_prepare(
            loan=loan,
            term_months=min(loan.term_months + 12, 60),
            reason="Lost overtime pay; asks for a longer term to bring the instalment within reach.",
            by=officer,
        )
        for user in committee:
            record = restructure_decide(restructure=record, user=user, action="approve", reason="Agreed.")
        done["restructure"] += 1
    for loan in Loan.objects.filter(pk__in=sorted(rare["write_off"])[:RARE_CAP], classification="loss").order_by("pk"):
        if loan.status != LoanStatus.ACTIVE or loan.write_offs.exists():
            continue
        record = write_off_prepare(
            loan=loan, reason="No payment for over a year; the member cannot be traced at the employer.", by=officer
        )
        for user in committee:
            record = write_off_decide(write_off=record, user=user, action="approve", reason="Agreed.")
        done["write_off"] += 1
    product = LoanProduct.objects.get(slug="development")
    for loan in Loan.objects.filter(pk__in=sorted(rare["top_up"])[:RARE_CAP]).select_related("member").order_by("pk"):
        if loan.status != LoanStatus.ACTIVE or loan.top_up_applications.exists():
            continue
        clearing = top_up_figures(loan=loan, product=product, amount=Decimal("1"), as_of=today).quote.amount
        amount = min(((clearing * Decimal("1.6")) / 1000).quantize(Decimal("1")) * 1000, product.max_amount)
        application = LoanApplication.objects.create(
            member=loan.member,
            product=product,
            amount=amount,
            term_months=48,
            purpose="Top-up: extending the house",
            annual_rate=product.annual_rate,
            method=product.method,
            top_up_of=loan,
            created_at=timezone.now() - datetime.timedelta(days=5),
        )
        application_approve(application=application, by=officer, reason="Within three times deposits.")
        loan_disburse(application=application, by=None, date=today, bank_account=bank)
        done["top_up"] += 1
    return done


def provision_seed(*, today: datetime.date) -> None:
    """The provision to the level the book now needs. The daily job posts it once a day (`provision:<date>`), and
    the story's month-by-month history has posted today's already; the generated book's part comes under a key of
    its own, as tomorrow's job would have posted it."""

    movement = provision_required() - account_balance(code=PROVISION)
    if movement == 0:
        return
    lines = (
        [Line(PROVISION_EXPENSE, debit=movement), Line(PROVISION, credit=movement)]
        if movement > 0
        else [Line(PROVISION, debit=-movement), Line(PROVISION_EXPENSE, credit=-movement)]
    )
    ledger_post(
        memo=f"Loan loss provision to the required level, {today.isoformat()} (generated loan book)",
        lines=lines,
        idempotency_key=f"provision:{today.isoformat()}:generated-book",
        date=today,
        source="daily loan job",
        compare_content=False,
    )
