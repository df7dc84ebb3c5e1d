"""Issue 17: the dashboard's figures are cached per member (portal/society/figures_cache.py) and never stale after a
change. Each test renders the dashboard (filling the cache), makes one kind of change through its service, renders
again and finds the new figure; a warm dashboard reads fewer queries than a cold one."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.ledger.services import Line, Posting, ledger_post_many
from portal.loans.services import (
    GuarantorRequest,
    application_approve,
    application_submit,
    guarantee_accept,
    guarantee_decline,
    loan_disburse,
    loan_repay,
)
from portal.members import roles
from portal.society import figures_cache
from tests.conftest import sign_in_verified
from tests.factories import member_with_savings

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def saver(make_member):
    return member_with_savings(make_member, email="wanjiru@example.com", first_name="Wanjiru", deposits="300000")


@pytest.fixture
def staff(staff_user):
    return {"officer": staff_user(roles.LOANS_OFFICERS), "treasurer": staff_user(roles.TREASURER)}


def _dashboard(client):
    response = client.get("/portal/")
    assert response.status_code == 200
    return response.context


def _cached(member) -> bool:
    """A token exists for the member: the last render filled the cache."""
    return cache.get(figures_cache._token_key(member.pk)) is not None


def test_the_second_render_is_served_from_the_cache_with_fewer_queries(
    client, saver, django_assert_max_num_queries, django_assert_num_queries
):
    sign_in_verified(client, saver.user)
    _dashboard(client)  # the first page after signing in does its own bookkeeping
    figures_cache.member_figures_forget(member_ids=[saver.pk])
    with django_assert_max_num_queries(10) as cold:
        _dashboard(client)
    assert _cached(saver)
    with mock.patch("portal.member_area.dashboard.savings_rows", side_effect=AssertionError("read the ledger")):
        with django_assert_max_num_queries(6) as warm:
            _dashboard(client)
    assert len(warm.captured_queries) < len(cold.captured_queries)


def test_a_contribution_and_a_share_capital_payment_show_at_once(client, saver):
    today = timezone.localdate()
    sign_in_verified(client, saver.user)
    before = _dashboard(client)["balances"]
    monthly_contribution_record(member=saver, amount="2345.67", period=today.strftime("%Y-%m"), reference="C1")
    after = _dashboard(client)
    assert after["balances"].deposits == before.deposits + D("2345.67")
    assert after["series"][-1]["deposits"] == after["balances"].deposits
    share_capital_payment_record(member=saver, amount="500", reference="S2", date=today)
    assert _dashboard(client)["balances"].share_capital == before.share_capital + D("500.00")


def test_a_bulk_posting_forgets_every_member_on_its_lines_in_one_cache_call(client, saver, people):
    juma = people["juma"]
    sign_in_verified(client, saver.user)
    before = _dashboard(client)["balances"].deposits
    client.logout()
    sign_in_verified(client, juma.user)
    juma_before = _dashboard(client)["balances"].deposits
    postings = [
        Posting(
            memo=f"Check-off {m.membership_number}",
            idempotency_key=f"bulk-test-{m.pk}",
            lines=[Line("1010", debit=D("700.00")), Line("2000", credit=D("700.00"), member_id=m.pk)],
        )
        for m in (saver, juma)
    ]
    with mock.patch.object(figures_cache.cache, "delete_many", wraps=figures_cache.cache.delete_many) as deleted:
        ledger_post_many(postings=postings)
    assert deleted.call_count == 1  # one call for the batch (the after-commit one runs in a real transaction)
    assert _dashboard(client)["balances"].deposits == juma_before + D("700.00")
    client.logout()
    sign_in_verified(client, saver.user)
    assert _dashboard(client)["balances"].deposits == before + D("700.00")


def test_loan_changes_show_to_the_borrower_and_the_guarantor(client, saver, people, products, staff):
    """Application submitted, guarantor requested / accepted, approved, paid out, repaid: each shows at once on the
    borrower's dashboard, and on the guarantor's (who sees the borrower's balance)."""
    today = timezone.localdate()
    juma = people["juma"]
    guarantor_client = client.__class__()
    sign_in_verified(client, juma.user)
    sign_in_verified(guarantor_client, saver.user)
    assert not _dashboard(client)["position"].applications
    assert not _dashboard(guarantor_client)["position"].guarantees

    application = application_submit(
        member=juma,
        product=products["school-fees"],
        amount="20000",
        term_months=6,
        purpose="Fees",
        guarantors=[GuarantorRequest(saver, "10000", "")],
    )
    shown = _dashboard(client)["position"].applications
    assert [a.id for a in shown] == [application.pk] and shown[0].stage == "guarantors"
    guarantees = _dashboard(guarantor_client)["position"].guarantees
    assert [g.status for g in guarantees] == ["requested"]

    guarantee_accept(guarantee=application.guarantees.get(guarantor=saver), by_member=saver)
    assert [g.status for g in _dashboard(guarantor_client)["position"].guarantees] == ["accepted"]
    assert _dashboard(client)["position"].applications[0].stage != "guarantors"

    application_approve(application=application, by=staff["officer"])
    assert _dashboard(client)["position"].applications[0].stage == "disbursement"

    loan = loan_disburse(application=application, by=staff["treasurer"], date=today - datetime.timedelta(days=5)).loan
    position = _dashboard(client)["position"]
    assert not position.applications and position.outstanding_principal == D("20000.00")
    assert _dashboard(guarantor_client)["position"].guarantees[0].loan_outstanding == D("20000.00")

    first = loan.instalments.order_by("number").first()
    loan_repay(loan=loan, amount=first.amount, reference="R1", date=today)
    after = _dashboard(client)["position"].outstanding_principal
    assert after == D("20000.00") - first.principal
    assert _dashboard(guarantor_client)["position"].guarantees[0].loan_outstanding == after


def test_a_declined_guarantee_leaves_the_guarantors_dashboard(client, saver, people, products):
    juma = people["juma"]
    application = application_submit(
        member=juma,
        product=products["school-fees"],
        amount="20000",
        term_months=6,
        purpose="Fees",
        guarantors=[GuarantorRequest(saver, "10000", "")],
    )
    sign_in_verified(client, saver.user)
    assert len(_dashboard(client)["position"].guarantees) == 1
    guarantee_decline(guarantee=application.guarantees.get(guarantor=saver), by_member=saver)
    assert _dashboard(client)["position"].guarantees == []


def test_figures_computed_before_a_change_are_never_served_after_it(saver):
    """The race: a request reads the old rows, a change commits and forgets the member, then the request stores its
    old figures. They are stored under the old token, so the next reader computes afresh."""
    get = figures_cache.member_figures_get_or_compute

    def slow_compute():
        figures_cache.member_figures_forget(member_ids=[saver.pk])  # the change commits while we compute
        return "old"

    assert get(member_id=saver.pk, variant="v", compute=slow_compute) == "old"
    assert get(member_id=saver.pk, variant="v", compute=lambda: "new") == "new"
    assert get(member_id=saver.pk, variant="v", compute=lambda: "newer") == "new"  # cached now


def test_a_checkoff_file_forgets_the_figures_of_every_member_in_it(client, saver, make_member):
    from portal.contributions.checkoff import checkoff_post
    from portal.finance.banking.services import bank_account_primary

    other = member_with_savings(make_member, email="otieno@example.com", first_name="Otieno", deposits="1000")
    today = timezone.localdate()
    sign_in_verified(client, saver.user)
    before = _dashboard(client)["balances"]
    figures_cache.member_figures_forget(member_ids=[other.pk])
    cache.set(figures_cache._token_key(other.pk), "old")  # as if Otieno's dashboard had been rendered too
    assert _cached(saver) and _cached(other)
    content = (
        f"membership_number,deposits\n{saver.membership_number},1234.00\n{other.membership_number},1800.00\n"
    ).encode()
    checkoff_post(
        content=content,
        file_name="checkoff.csv",
        period=today.replace(day=1),
        bank_account=bank_account_primary(),
        received_on=today,
    )
    assert not _cached(saver) and not _cached(other)
    after = _dashboard(client)
    assert after["balances"].deposits == before.deposits + D("1234.00")
    assert after["series"][-1]["deposits"] == after["balances"].deposits
