"""Issue 13: lower apps stop naming higher ones. The generic workflows app decides approval records through a
registry the apps fill (portal/workflows/outcomes.py); `ledger_check` runs the invariants the apps register
(portal/finance/ledger/invariants.py). That neither imports the apps above it is import-linter's job
(tests/unit/test_import_layers.py)."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.finance.ledger import invariants
from portal.finance.ledger.services import Line, ledger_post
from portal.workflows import outcomes
from portal.workflows.records import ApprovalRecord


def test_every_approval_record_says_what_its_workflow_does():
    """A concrete ApprovalRecord not registered would end its workflow doing nothing, silently."""
    concrete = {m for m in apps.get_models() if issubclass(m, ApprovalRecord)}
    assert {m.__name__ for m in concrete} >= {"KycDocument", "LoanReview", "DividendDeclaration", "FinancialStatement"}
    assert concrete <= set(outcomes.registered_models())
    assert outcomes.outcomes_for(apps.get_model("loans", "LoanReview")()).rejected is not None
    assert outcomes.outcomes_for(apps.get_model("reports", "FinancialStatement")()) == outcomes.ApprovalOutcomes()


def test_the_outcome_registry_refuses_what_is_not_an_approval_record(monkeypatch):
    with pytest.raises(TypeError, match="not an ApprovalRecord"):
        outcomes.register(apps.get_model("loans", "Loan"))
    # ready() may run again (tests that reload the app registry): registering again replaces, it does not add.
    review = apps.get_model("loans", "LoanReview")
    monkeypatch.setattr(outcomes, "_registry", dict(outcomes._registry))
    outcomes.register(review, approved=print)
    assert outcomes.outcomes_for(review()) == outcomes.ApprovalOutcomes(approved=print)
    assert outcomes.registered_models().count(review) == 1


def test_the_apps_register_their_ledger_invariants():
    assert list(invariants.registered()) == [
        "2000 and 3000 lines name a member",
        "savings summaries = ledger",
        "loan book = 1100, 1110, 1120",
    ]
    with pytest.raises(ValueError, match="already registered"):
        invariants.register("loan book = 1100, 1110, 1120", lambda: [])


@pytest.mark.django_db
def test_ledger_check_runs_a_registered_invariant_and_fails_on_its_problem(member, monkeypatch, capsys):
    """ledger_check fails with exit code 1 and prints each problem a registered invariant reports, in the place the
    built-in checks had (after the trial balance)."""
    ledger_post(
        memo="Monthly contribution",
        idempotency_key="registries:1",
        lines=[Line("1010", debit=Decimal("10")), Line("2000", credit=Decimal("10"), member_id=member.pk)],
    )
    call_command("ledger_check")
    monkeypatch.setitem(invariants._registry, "a test invariant", lambda: ["the test book differs from 9999"])
    with pytest.raises(CommandError, match="1 ledger problem"):
        call_command("ledger_check")
    assert "the test book differs from 9999" in capsys.readouterr().err


def test_running_the_apps_ready_again_leaves_both_registries_as_they_were(monkeypatch):
    """Django may call ready() more than once (tests that reload the app registry); neither registry then fails
    nor runs a check twice."""
    monkeypatch.setattr(outcomes, "_registry", dict(outcomes._registry))
    monkeypatch.setattr(invariants, "_registry", dict(invariants._registry))
    models_before, checks_before = outcomes.registered_models(), invariants.registered()
    for label in ("members", "contributions", "loans", "reports", "dividends"):
        apps.get_app_config(label).ready()
    assert outcomes.registered_models() == models_before
    assert invariants.registered() == checks_before
