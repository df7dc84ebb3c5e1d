"""Issue 13: finance, audit and notifications name no app above them. Cashbook batches post the savings lines
through posters contributions registers; the audit trail's readers and the mass email audiences are registered by
members; the services' state errors share society's StateConflict, which the API answers with 409."""

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import QuerySet

from portal.api.exceptions import api_exception_handler
from portal.audit import readers
from portal.audit.selectors import audit_readable
from portal.contributions.batch_lines import contribution_lines_post, share_capital_lines_post
from portal.finance.banking.services import bank_account_primary
from portal.finance.cashbook import batches
from portal.finance.cashbook.batches import (
    BatchLinePosters,
    BatchNotProcessable,
    LineError,
    batch_create,
    batch_line_posters,
    batch_process,
    batch_validate,
)
from portal.finance.cashbook.models import BatchStatus
from portal.finance.ledger.models import JournalEntry
from portal.loans.services import LoanStateError
from portal.members import roles
from portal.members.mass_email_audiences import mass_email_members
from portal.notifications.mass_email import MassEmailAudiences, mass_email_audiences, mass_email_recipients
from portal.notifications.models import MassEmailAudience
from portal.society.errors import StateConflict

PORTAL = Path(__file__).resolve().parents[2] / "portal"
EXPENSE = {
    "kind": "expense",
    "category": "Stationery and printing",
    "amount": "1200",
    "counterparty": "Text Book Centre",
    "description": "Receipt books",
}


def test_contributions_posts_the_savings_kinds():
    assert batch_line_posters.registered() == {
        "contribution": contribution_lines_post,
        "share_capital": share_capital_lines_post,
    }


def test_the_poster_registry_refuses_finance_s_own_kinds_unknown_kinds_and_a_second_poster():
    posters = BatchLinePosters()
    with pytest.raises(ValueError, match="itself"):
        posters.register("expense", contribution_lines_post)
    with pytest.raises(ValueError, match="not a batch line kind"):
        posters.register("dividend", contribution_lines_post)
    posters.register("contribution", contribution_lines_post)
    posters.register("contribution", contribution_lines_post)  # ready() again: a no-op
    with pytest.raises(ValueError, match="already registered"):
        posters.register("contribution", share_capital_lines_post)
    assert posters.registered() == {"contribution": contribution_lines_post}


@pytest.mark.django_db
def test_a_kind_nobody_registered_is_refused_naming_the_line_and_kind(member, monkeypatch):
    monkeypatch.setattr(batches, "batch_line_posters", BatchLinePosters())
    batch = batch_create(
        name="Counter, Monday",
        bank_account=bank_account_primary(),
        items=[EXPENSE, {"kind": "contribution", "member": member.membership_number, "amount": "1000"}],
    )
    errors = batch_validate(batch=batch)
    assert [(e.line, e.field) for e in errors] == [(2, "kind")]
    assert "no app posts them" in errors[0].message
    assert batch.status == BatchStatus.INVALID
    assert batch_process(batch=batch, processed_by=None) == errors
    assert batch.status == BatchStatus.INVALID and batch.errors == [errors[0].as_dict()]
    assert JournalEntry.objects.count() == 0  # the good expense line did not post either


@pytest.mark.django_db
def test_a_poster_gets_its_kind_s_lines_and_its_errors_refuse_the_whole_batch(member, monkeypatch):
    seen = []

    def poster(*, batch, lines, by):
        seen.append([line.line for line in lines])
        return [LineError(lines[-1].line, "member", "Not today.")]

    posters = BatchLinePosters()
    posters.register("share_capital", poster)
    monkeypatch.setattr(batches, "batch_line_posters", posters)
    share = {"kind": "share_capital", "member": member.membership_number, "amount": "500"}
    batch = batch_create(name="Shares", bank_account=bank_account_primary(), items=[share, EXPENSE, share])
    assert batch_process(batch=batch, processed_by=None) == [LineError(3, "member", "Not today.")]
    assert seen == [[1, 3]]
    assert JournalEntry.objects.count() == 0


# The audit trail's readers.


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_auditors_and_administrators_read_the_trail_and_no_other_role(role, make_user):
    user = make_user(f"{role.lower().replace(' ', '-')}@example.com", role=role)
    assert audit_readable(user) is (role in (roles.AUDITORS, roles.ADMINISTRATORS))
    user.is_active = False
    assert audit_readable(user) is False


@pytest.mark.django_db
def test_superusers_read_the_trail_even_with_no_reader_registered(make_user, monkeypatch):
    assert roles.audit_trail_reader in readers.registered()
    assert audit_readable(AnonymousUser()) is False and audit_readable(None) is False
    auditor = make_user("auditor@example.com", role=roles.AUDITORS)
    boss = make_user("boss@example.com", is_superuser=True)
    monkeypatch.setattr(readers, "_registry", [])
    assert audit_readable(boss) is True and audit_readable(auditor) is False


# Mass email audiences.


def test_members_resolves_every_mass_email_audience():
    assert mass_email_audiences.registered() == {audience: mass_email_members for audience in MassEmailAudience.values}


def test_the_audience_registry_refuses_an_unknown_audience_and_a_second_resolver():
    audiences = MassEmailAudiences()
    with pytest.raises(ValueError, match="not a mass email audience"):
        audiences.register("borrowers", mass_email_members)
    audiences.register("all", mass_email_members)
    audiences.register("all", mass_email_members)  # ready() again: a no-op
    with pytest.raises(ValueError, match="already registered"):
        audiences.register("all", lambda **kwargs: None)


@pytest.mark.django_db
def test_recipients_come_from_the_registered_resolver(make_member, monkeypatch):
    make_member(employer="KPLC")
    make_member(employer="TSC")
    recipients = mass_email_recipients(audience="all", employer="kplc")
    assert isinstance(recipients, QuerySet) and [m.employer for m in recipients] == ["KPLC"]
    monkeypatch.setattr(mass_email_audiences, "_resolvers", {})
    with pytest.raises(ImproperlyConfigured, match="'all'"):
        mass_email_recipients(audience="all")


# StateConflict.


def test_the_services_state_errors_are_state_conflicts_and_still_validation_errors():
    for error in (LoanStateError, BatchNotProcessable):
        assert issubclass(error, StateConflict) and issubclass(error, ValidationError)


def test_any_state_conflict_is_a_409_the_api_was_not_told_about():
    class ReminderAlreadySent(StateConflict):
        pass

    response = api_exception_handler(ReminderAlreadySent("This reminder has already been sent."), {})
    assert (response.status_code, response.data) == (409, {"detail": "This reminder has already been sent."})
