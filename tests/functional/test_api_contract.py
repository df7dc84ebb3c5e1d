"""The API keeps its OpenAPI contract (issue 12): schemathesis runs every documented operation with a few generated
requests, once as a member and once as an administrator, and fails on any 5xx and on any answer the schema does not
describe (status code, content type, body).

Both callers sign in the real way (otp-login, then verify-otp with the emailed code): the API refuses sessions and
tokens that did not pass the second factor. The data is small but real — a member with share capital, deposits, a
disbursed loan with a repayment, a pending and an approved application, KYC documents; a bank statement line with
two candidate ledger lines; a cashbook batch; a financial statement pack in approval; a saved report and a finished
run — built once per module; every operation runs in its own transaction, rolled back after it, so one operation's
writes never change what the next one sees.

Requests are valid and invalid ones (schemathesis' positive and negative modes): an invalid one must be a 4xx the
schema documents, never a 500. Half of them carry the ids of those real objects (path, query and body ids) and a
plausible amount and period, so writes get past validation to the services; the other half the generated ones
(unknown ids: a documented 404). A path id that is not a UUID never reaches a view (Django's resolver answers its
own 404 page), so such ids are swapped for well-formed unknown ones. Bounded: 5 examples per operation, no
shrinking, derandomized (seeded), a 15 s deadline per request; about a minute on SQLite, two on PostgreSQL.

CONTRACT_LOG=/tmp/contract.tsv writes each operation's status codes there, to check that the data is reached.
"""

import contextlib
import datetime
import json
import os
import uuid
from dataclasses import dataclass

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.members import roles

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations that are not run, each with why. Keep this list short; the final report of issue 12 names each one.
EXCLUDED: dict[str, str] = {}

# Known contract failures in views owned by other work in progress (issue 12): run, and marked xfail (not strict)
# until fixed: {("member" | "administrator" | "*", "METHOD /path"): why}.
# TODO(issue 12): each entry is an open item in someone else's file; once it is fixed the test shows XPASS —
# then delete the entry, so that the contract holds it from then on.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _openapi() -> dict:
    """The schema exactly as /api/schema/ serves it, generated in-process (no database needed)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    with GENERATOR_STATS.silence():
        document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def _wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# CI's budget; CONTRACT_EXAMPLES=50 CONTRACT_SEED=7 runs a deeper search by hand.
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "5"))
SEED = int(os.environ.get("CONTRACT_SEED", "12"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "no-shrink": True, "deterministic": True, "max-examples": EXAMPLES},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(_openapi(), config=CONFIG)
schema.app = _wsgi_app()
for _label in EXCLUDED:
    _method, _path = _label.split(" ", 1)
    schema = schema.exclude(method=_method, path=_path)


# --- the data -------------------------------------------------------------------------------------------------


@dataclass
class World:
    member: object
    administrator: object
    tokens: dict
    ids: dict  # path template prefix -> id; also query/body names -> id


STATEMENT = b"""Date,Reference,Details,Paid In,Withdrawn
05/03/2026,,Cash deposit,"1,000.00",
"""


def _build_world() -> World:
    from decimal import Decimal

    from django.contrib.auth.models import Group
    from rest_framework.test import APIClient

    from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
    from portal.finance.banking.reconciliation import reconcile_candidates, statement_import
    from portal.finance.banking.services import bank_account_primary
    from portal.finance.cashbook.batches import batch_create
    from portal.finance.ledger.services import Line, ledger_post
    from portal.loans.demo import loans_seed
    from portal.loans.models import LoanProduct
    from portal.loans.services import (
        GuarantorRequest,
        application_approve,
        application_submit,
        loan_disburse,
        loan_repay,
    )
    from portal.members.models import KycDecision, KycDocument, User
    from portal.members.otp import otp_email_enrol
    from portal.members.services import member_create
    from portal.reports.models import OutputFormat
    from portal.reports.saved_reports import report_run, saved_report_create
    from portal.reports.services import financial_statement_prepare, sasra_return_prepare
    from tests.conftest import PASSWORD, api_token_pair
    from tests.factories import kyc_verified

    def user(email, role):
        made = User.objects.create_user(
            email=email, password=PASSWORD, first_name="Test", last_name=role.split()[0], is_staff=role != roles.MEMBERS
        )
        made.groups.add(Group.objects.get(name=role))
        return made

    administrator = user("admin@sacco.example", roles.ADMINISTRATORS)
    # The API never enrols staff for emailed codes (they set up an app on the web); this one was given emailed codes
    # beforehand, as the demo's staff are, so the test can read the code from the outbox.
    otp_email_enrol(user=administrator)
    officer = user("officer@sacco.example", roles.LOANS_OFFICERS)
    treasurer = user("treasurer@sacco.example", roles.TREASURER)
    member = member_create(user=user("amina@example.com", roles.MEMBERS), join_date=datetime.date(2024, 1, 10))
    kyc_verified(member)
    share_capital_payment_record(member=member, amount="20000", reference="SC-1")
    monthly_contribution_record(member=member, amount="120000", period="2025-01", reference="DEP-1")
    loans_seed()
    LoanProduct.objects.filter(slug="development").update(min_term_months=1)
    development = LoanProduct.objects.get(slug="development")
    # Applications first: once the loan below has an instalment overdue, the member may not apply.
    approved = application_submit(member=member, product=development, amount="20000", term_months=6, purpose="Roof")
    application_approve(application=approved, by=officer)
    pending = application_submit(member=member, product=development, amount="10000", term_months=6, purpose="Desk")
    disbursed = application_submit(member=member, product=development, amount="100000", term_months=12, purpose="Build")
    application_approve(application=disbursed, by=officer)
    loan = loan_disburse(application=disbursed, by=treasurer, date=datetime.date(2026, 1, 15)).loan
    loan_repay(loan=loan, amount="8884.88", reference="MP-1", recorded_by=treasurer, date=datetime.date(2026, 2, 15))
    # Another member's application that our member is asked to guarantee (accept/decline through the API).
    borrower = member_create(user=user("juma@example.com", roles.MEMBERS), join_date=datetime.date(2024, 1, 10))
    kyc_verified(borrower)
    share_capital_payment_record(member=borrower, amount="20000", reference="SC-2")
    monthly_contribution_record(member=borrower, amount="50000", period="2025-01", reference="DEP-2")
    second = member_create(user=user("akinyi@example.com", roles.MEMBERS), join_date=datetime.date(2024, 1, 10))
    monthly_contribution_record(member=second, amount="30000", period="2025-01", reference="DEP-3")
    guaranteed = application_submit(
        member=borrower,
        product=development,
        amount="60000",
        term_months=12,
        purpose="Shop",
        guarantors=[GuarantorRequest(guarantor, "5000", guarantor.membership_number) for guarantor in (member, second)],
    )
    guarantee = guaranteed.guarantees.get(guarantor=member)
    pending_document = KycDocument.objects.create(  # a new photo waiting for review
        member=member, document_type="passport_photo", content_type="image/png", size=10, sha256="y"
    )
    assert not KycDecision.objects.filter(document=pending_document).exists()

    bank = bank_account_primary()
    for key in ("cash-1", "cash-2"):  # two equal deposits on one day: the statement line stays for a person
        ledger_post(
            memo=key,
            lines=[Line(bank.ledger_account.code, debit=Decimal("1000")), Line("4900", credit=Decimal("1000"))],
            idempotency_key=key,
            date=datetime.date(2026, 3, 5),
            source="cash desk",
        )
    statement = statement_import(bank_account=bank, content=STATEMENT, file_name="march.csv", by=treasurer).statement
    bank_transaction = statement.transactions.get()
    assert bank_transaction.matched_line_id is None
    line = reconcile_candidates(bank_transaction)[0]

    batch = batch_create(
        name="Counter, Friday",
        bank_account=bank,
        items=[{"kind": "share_capital", "member": member.membership_number, "amount": "500"}],
    )
    pack = financial_statement_prepare(
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31), by=treasurer, title="Q1"
    )
    returns = sasra_return_prepare(as_of=datetime.date(2026, 3, 31), by=treasurer)
    saved = saved_report_create(name="Loans", report_type="loan_portfolio", by=administrator)
    run = report_run(report_type="loan_portfolio", by=administrator, output_format=OutputFormat.CSV)

    api = APIClient()
    tokens = {
        "member": api_token_pair(api, member.user.email)["access"],
        "administrator": api_token_pair(api, administrator.email)["access"],
    }
    ids = {
        "/api/auth/admin/reset-user-otp/": member.user.pk,
        "/api/auth/admin/toggle-user-status/": member.user.pk,
        "/api/auth/admin/verify-document/": pending_document.pk,
        "/api/loans/applications/": pending.pk,
        "/api/loans/guarantees/": guarantee.pk,
        "/api/loans/loans/{id}/disburse/": approved.pk,
        "/api/reports/sasra-returns/{id}/approve/": returns.pk,
        "/api/loans/loans/": loan.pk,
        "/api/members/": member.pk,
        "/api/reports/financial-statements/": pack.pk,
        "/api/reports/reports/": run.pk,
        "/api/reports/saved-reports/": saved.pk,
        "/api/transactions/bank-accounts/": bank.pk,
        "/api/transactions/bank-transactions/": bank_transaction.pk,
        "/api/transactions/batches/": batch.pk,
        # query and body fields that carry ids
        "member": member.pk,
        "pk": pack.pk,
        "saved_report": saved.pk,
        "bank_account": bank.pk,
        "line": line.pk,
        "product": "development",
        # plausible values, so that half of the writes get past validation to the service behind them
        "amount": "1500.00",
        "period": (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m"),
        "as_of": (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).isoformat(),  # a month end
        "term_months": "12",
    }
    return World(member=member, administrator=administrator, tokens=tokens, ids=ids)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once in a transaction that is rolled back after the module; each test adds its own savepoint."""
    from django.core.cache import cache

    cache.clear()  # earlier modules' sign-ins must not have used up the sign-in throttle (built before autouse)
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@contextlib.contextmanager
def _connection_kept():
    """As Django's test client does: the end of a request must not close the connection that holds the test's
    transaction (Django closes a connection whose autocommit differs from the settings at each request's end)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _real_ids(case, ids: dict) -> None:
    """Put the real objects' ids in the request where the operation takes one: `ids` maps a path template (exact)
    or a path prefix (longest wins) to the id for its path parameter, and a query or body field name to its id."""
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        prefixes = [key for key in ids if key.startswith("/") and "{" not in key and path.startswith(key)]
        key = path if path in ids else max(prefixes, key=len, default=None)
        if key:
            case.path_parameters[name] = str(ids[key])
    for container in (case.query, case.body if isinstance(case.body, dict) else None):
        for name in list(container or {}):
            if name in ids and not name.startswith("/"):
                container[name] = str(ids[name])
    if case.query and "page" in case.query:
        case.query["page"] = 1


@pytest.fixture(autouse=True)
def _known_failure(request):
    """Mark an operation with a known, listed failure as xfail (not strict: a fix shows up as XPASS)."""
    name = request.node.name  # e.g. test_as_member[GET /api/members/]
    role = "member" if name.startswith("test_as_member") else "administrator"
    label = name.split("[", 1)[-1].rstrip("]")
    reason = KNOWN_FAILURES.get((role, label)) or KNOWN_FAILURES.get(("*", label))
    if reason:
        request.node.add_marker(pytest.mark.xfail(reason=reason, strict=False))


BOUNDS = settings(
    max_examples=EXAMPLES,
    deadline=datetime.timedelta(seconds=15),
    derandomize="CONTRACT_SEED" not in os.environ,  # a seed given by hand searches elsewhere
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _run(case, world: World, role: str, real: bool) -> None:
    for name, value in list((case.path_parameters or {}).items()):
        # Every path id is a UUID; anything else never reaches a view (Django's URL resolver answers its own 404
        # page), so a malformed id is replaced by a well-formed unknown one: the view's 404 is what is tested.
        try:
            uuid.UUID(str(value))
        except ValueError:
            case.path_parameters[name] = str(uuid.uuid5(uuid.NAMESPACE_URL, str(value)))
    if real:
        _real_ids(case, world.ids)
    with _connection_kept():
        response = case.call_and_validate(headers={"Authorization": f"Bearer {world.tokens[role]}"}, checks=CHECKS)
    if log := os.environ.get("CONTRACT_LOG"):  # which answers each operation gave (to check the data is reached)
        with open(log, "a") as out:
            answer = response.text[:160].replace("\n", " ") if response.status_code >= 400 else ""
            out.write(f"{role}\t{case.operation.label}\t{real}\t{response.status_code}\t{answer}\n")


@schema.parametrize()
@schema.given(real=st.booleans())
@BOUNDS
def test_as_member(case, real, world, db):
    _run(case, world, "member", real)


@schema.parametrize()
@schema.given(real=st.booleans())
@BOUNDS
def test_as_administrator(case, real, world, db):
    _run(case, world, "administrator", real)
