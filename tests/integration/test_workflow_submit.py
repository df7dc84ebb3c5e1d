"""`workflow_submit`, the one place every approval record is sent into its workflow when prepared: a logged revision,
then the model's workflow started as the preparer; the caller's own exception when no workflow is set up (nothing
started), or — for an optional workflow — a draft left as it is. A SASRA return snapshot stands in for any record."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry, TaskState, WorkflowContentType, WorkflowState

from portal.members import roles
from portal.reports.models import SasraReturn
from portal.workflows.services import workflow_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def preparer(make_user):
    return make_user("treasurer@sacco.example", role=roles.TREASURER, first_name="Grace", last_name="Njeri")


@pytest.fixture
def record(preparer):
    return SasraReturn.objects.create(
        title="SASRA returns 31 Mar 2026", as_of=datetime.date(2026, 3, 31), data={}, prepared_by=preparer, live=False
    )


def _no_workflow_for_sasra_returns():
    """Unassign the model's workflow (set up by reports 0012); the test's transaction puts it back."""
    deleted, _ = WorkflowContentType.objects.filter(
        content_type=ContentType.objects.get_for_model(SasraReturn)
    ).delete()
    assert deleted == 1


def test_starts_the_models_workflow_as_the_preparer_on_a_logged_revision(record, preparer):
    workflow_submit(obj=record, by=preparer, missing=ValidationError("no workflow"))

    state = WorkflowState.objects.for_instance(record).get()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == "SASRA returns approval"
    assert state.requested_by == preparer
    task_state = state.current_task_state
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    record.refresh_from_db()
    assert task_state.revision == record.latest_revision
    assert record.latest_revision.user == preparer
    assert ModelLogEntry.objects.for_instance(record).filter(action="wagtail.edit", user=preparer).exists()
    assert record.status_string == "in moderation"


def test_without_a_workflow_raises_the_callers_exception_and_starts_nothing(record, preparer):
    _no_workflow_for_sasra_returns()
    missing = ValidationError("No approval workflow is set up for SASRA returns (Settings → Workflows).")

    with pytest.raises(ValidationError) as raised:
        workflow_submit(obj=record, by=preparer, missing=missing)

    assert raised.value is missing
    assert not WorkflowState.objects.for_instance(record).exists()
    assert not TaskState.objects.exists()


def test_an_optional_workflow_leaves_the_record_a_draft_when_none_is_set_up(record, preparer):
    _no_workflow_for_sasra_returns()

    workflow_submit(obj=record, by=preparer, missing=None)

    assert not WorkflowState.objects.for_instance(record).exists()
    record.refresh_from_db()
    assert record.latest_revision is not None
    assert not record.live
