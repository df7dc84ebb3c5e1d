"""Shared test factories: plain functions that build the records many test modules need (a KYC-verified member with
savings, the loan products, a disbursed loan, an application with guarantors, a dividend year).

Why here and not in a test module: test modules used to import helpers and fixtures from each other (mostly from
tests/integration/test_loans.py), so moving or renaming one test broke others far away. Test modules import only
tests.conftest, tests.factories and tests.bad_files (tests/unit/test_test_layout.py keeps it so). Fixtures built on
these live in tests/conftest.py and tests/integration/conftest.py.

Every factory writes through the same services the product uses (contributions, loans, ledger), so the records are
the ones a member or officer would make, ledger included. Arguments are keyword-only."""

import datetime
import re
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import connection

from portal.members import roles
from portal.members.models import REQUIRED_KYC_TYPES, KycDecision, KycDocument

__all__ = [
    "FORMULA_CELL_NUMBER",
    "application_with_guarantors",
    "dividend_terms",
    "dividend_year_2025",
    "year_appropriated",
    "formula_like",
    "kyc_verified",
    "loan_disbursed",
    "loan_products",
    "member_with_savings",
    "run_together",
]


def kyc_verified(member):
    """Every required KYC document uploaded and verified: loan eligibility's "kyc" rule then passes."""
    for document_type in REQUIRED_KYC_TYPES:
        document = KycDocument.objects.create(
            member=member, document_type=document_type, content_type="application/pdf", size=10, sha256="x"
        )
        KycDecision.objects.create(document=document, status=KycDecision.VERIFIED)
    return member


def loan_products() -> dict:
    """The demo loan products by slug; development loans allow a one-month term so short schedules can be tested."""
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct

    loans_seed()
    LoanProduct.objects.filter(slug="development").update(min_term_months=1)
    return {p.slug: p for p in LoanProduct.objects.all()}


def member_with_savings(
    make_member,
    *,
    email: str,
    deposits: str = "120000",
    share_capital: str = "20000",
    period: str = "2025-01",
    join_date: datetime.date = datetime.date(2024, 1, 10),
    share_capital_reference: str | None = None,
    deposit_reference: str | None = None,
    kyc: bool = True,
    **profile,
):
    """A member old enough to borrow, KYC verified, with paid share capital and one month's deposits.

    `make_member` is the conftest fixture. References default to ones derived from the email, so several savers
    can be made in one test; pass them to keep a test's existing references."""
    from portal.contributions.services import monthly_contribution_record, share_capital_payment_record

    member = make_member(email, join_date=join_date, **profile)
    if kyc:
        kyc_verified(member)
    if share_capital:
        share_capital_payment_record(
            member=member, amount=share_capital, reference=share_capital_reference or f"sc-{email}"
        )
    if deposits:
        monthly_contribution_record(
            member=member, amount=deposits, period=period, reference=deposit_reference or f"dep-{email}"
        )
    return member


def loan_disbursed(
    *,
    borrower,
    products: dict,
    staff_user,
    amount: str = "100000",
    months: int = 12,
    slug: str = "development",
    date: datetime.date = datetime.date(2026, 1, 15),
):
    """A loan applied for, approved by a loans officer and disbursed by the treasurer on `date` (the loan)."""
    from portal.loans.services import application_approve, application_submit, loan_disburse

    application = application_submit(
        member=borrower, product=products[slug], amount=amount, term_months=months, purpose="Build"
    )
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    return loan_disburse(application=application, by=staff_user(roles.TREASURER), date=date).loan


def application_with_guarantors(
    *,
    borrower,
    product,
    amount: str,
    guarantors: Iterable[tuple[object, str, str]],
    term_months: int = 12,
    purpose: str = "Shop",
):
    """A submitted application asking each (member, amount, label) in `guarantors` to guarantee part of it.

    The guarantees start as requested: accept them with guarantee_accept to give the application its cover."""
    from portal.loans.services import GuarantorRequest, application_submit

    return application_submit(
        member=borrower,
        product=product,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        guarantors=[GuarantorRequest(member, value, label) for member, value, label in guarantors],
    )


def _ledger_pay(member, code, amount, date, key):
    from portal.finance.ledger.services import Line, ledger_post

    ledger_post(
        memo=key,
        lines=[Line("1010", debit=Decimal(amount)), Line(code, credit=Decimal(amount), member_id=member.pk)],
        idempotency_key=key,
        date=date,
    )


def dividend_year_2025(make_member) -> dict:
    """Four members with share capital (3000) and deposits (2000) through 2025, computed by hand in test_dividends;
    "d" has exited, and one payment falls after the year."""
    from portal.members.models import MemberStatus

    a = make_member("a@example.com", first_name="Achieng")
    b = make_member("b@example.com", first_name="Baraka")
    c = make_member("c@example.com", first_name="Chebet")
    d = make_member("d@example.com", first_name="Dida")
    _ledger_pay(a, "3000", "10000", datetime.date(2024, 6, 1), "a-sc1")
    _ledger_pay(a, "3000", "2000", datetime.date(2025, 7, 15), "a-sc2")
    _ledger_pay(a, "2000", "24000", datetime.date(2024, 12, 1), "a-dep1")
    _ledger_pay(a, "2000", "12000", datetime.date(2025, 4, 10), "a-dep2")
    _ledger_pay(b, "3000", "5000", datetime.date(2025, 12, 31), "b-sc")
    _ledger_pay(c, "2000", "7777.77", datetime.date(2025, 1, 1), "c-dep")
    _ledger_pay(d, "3000", "10000", datetime.date(2024, 3, 1), "d-sc")
    _ledger_pay(a, "3000", "99999", datetime.date(2026, 1, 5), "a-next-year")  # after the year: ignored
    d.status = MemberStatus.EXITED
    d.save()
    return {"a": a, "b": b, "c": c, "d": d}


def year_appropriated(
    year: int, *, income: str, dividends: str, preparer, approvers, statutory_reserve: str | None = None
):
    """An approved appropriation of `year` (what dividend_prepare asks for): other income of `income` received on 30
    June (Dr 1010 / Cr 4900), the year closed, its surplus appropriated — 20 % (or `statutory_reserve`) to the
    statutory reserve, `dividends` set aside, the rest retained — and approved by the two `approvers`."""
    from portal.finance.ledger.services import Line, ledger_post
    from portal.finance.yearend.services import appropriation_prepare, appropriation_vote, year_close

    amount = Decimal(income)
    ledger_post(
        memo=f"Other income {year}",
        lines=[Line("1010", debit=amount), Line("4900", credit=amount)],
        idempotency_key=f"test-income-{year}",
        date=datetime.date(year, 6, 30),
    )
    close = year_close(financial_year=year, by=preparer)
    reserve = (
        Decimal(statutory_reserve) if statutory_reserve else (close.surplus * Decimal("0.2")).quantize(Decimal("0.01"))
    )
    record = appropriation_prepare(
        financial_year=year, statutory_reserve=reserve, dividends=Decimal(dividends), by=preparer
    )
    for approver in approvers:
        appropriation_vote(appropriation=record, user=approver)
    return record


def dividend_terms(**overrides) -> dict:
    """A 2025 declaration's rates (share capital 10 %, deposits 6 %, withholding tax 5 %), with overrides."""
    terms = {
        "financial_year": 2025,
        "share_capital_rate": Decimal("10"),
        "deposit_rate": Decimal("6"),
        "withholding_tax_rate": Decimal("5"),
    }
    return {**terms, **overrides}


FORMULA_CELL_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def formula_like(cells) -> list[str]:
    """Cells a spreadsheet would run: start with = + - @ tab CR and are not a plain (negative) number."""
    from portal.society.csv_safe import FORMULA_STARTS

    return [
        c for c in cells if isinstance(c, str) and c.startswith(FORMULA_STARTS) and not FORMULA_CELL_NUMBER.match(c)
    ]


def run_together(functions: list[Callable]):
    """Run the functions at the same moment in threads (a barrier), each on its own database connection.

    Returns (results, errors); errors are collected, not raised, so the test asserts which of the racers lost."""
    errors: list[BaseException] = []
    results = []
    barrier = threading.Barrier(len(functions))

    def run(function):
        try:
            barrier.wait()
            results.append(function())
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def c2b_body(member=None, *, trans_id="QKL1ABC2DE", amount="1500.00", ref=None, **extra):
    """A C2B confirmation (or validation) body as Daraja sends it, for `member`'s reference unless `ref` is given."""
    body = {
        "TransactionType": "Pay Bill",
        "TransID": trans_id,
        "TransTime": "20260225103000",
        "TransAmount": amount,
        "BusinessShortCode": "600000",
        "BillRefNumber": ref if ref is not None else (member.membership_number if member else "NOBODY"),
        "InvoiceNumber": "",
        "OrgAccountBalance": "49197.00",
        "ThirdPartyTransID": "",
        "MSISDN": "254712345678",
        "FirstName": "AMINA",
        "MiddleName": "W",
        "LastName": "WANJIRU",
    }
    body.update(extra)
    return body
