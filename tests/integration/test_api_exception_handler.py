"""The API's one exception handler (portal/api/exceptions.py, issue 13): each service error a view no longer catches
gets the status and body the views gave it before — a field-naming 400 for Django's ValidationError, a 409 for a
service's state conflict, a 403 for PermissionDenied, a 404 for Http404, a 503 for a database that is away — both
called directly and through a real APIView (so the REST_FRAMEWORK setting is what wires it in)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from portal.api.exceptions import CONFLICTS, Conflict, api_exception_handler
from portal.finance.cashbook.batches import BatchNotProcessable
from portal.loans.services import LoanStateError
from portal.reports.saved_reports import ReportNotAllowed


def _answer(exc):
    response = api_exception_handler(exc, {})
    assert response is not None, f"{exc!r} was not handled"
    return response.status_code, response.data


def test_validation_error_naming_fields_is_a_400_with_each_field():
    exc = ValidationError({"amount": ["Too much."], "date": ["In the future.", "Not a business day."]})
    assert _answer(exc) == (400, {"amount": ["Too much."], "date": ["In the future.", "Not a business day."]})


def test_validation_error_naming_no_field_is_a_400_with_non_field_errors():
    assert _answer(ValidationError("Only an active bank account can be primary.")) == (
        400,
        {"non_field_errors": ["Only an active bank account can be primary."]},
    )
    assert _answer(ValidationError(["One.", "Two."])) == (400, {"non_field_errors": ["One.", "Two."]})


def test_validation_error_with_params_is_rendered_like_the_views_did():
    exc = ValidationError("At least %(n)s.", params={"n": 3}, code="min")
    assert _answer(exc) == (400, {"non_field_errors": ["At least 3."]})


def test_loan_state_error_is_a_409_not_a_400():
    status_code, body = _answer(LoanStateError("This application is already approved."))
    assert status_code == 409
    assert body == {"detail": "This application is already approved."}


def test_a_state_error_with_several_messages_joins_them_in_one_detail():
    status_code, body = _answer(LoanStateError(["First.", "Second."]))
    assert (status_code, body) == (409, {"detail": "First. Second."})


def test_a_processed_batch_is_a_409():
    assert _answer(BatchNotProcessable("This batch has already been processed.")) == (
        409,
        {"detail": "This batch has already been processed."},
    )


def test_every_conflict_type_is_a_validation_error_answered_409_before_the_400_rule():
    for conflict in CONFLICTS:
        assert issubclass(conflict, ValidationError)
        assert _answer(conflict("Moved on."))[0] == 409


def test_the_api_s_own_conflict_is_a_409_with_its_default_detail():
    assert _answer(Conflict()) == (409, {"detail": "The object's state does not allow this."})


def test_permission_denied_is_a_403_with_the_service_message():
    assert _answer(PermissionDenied("You cannot vote on this one.")) == (
        403,
        {"detail": "You cannot vote on this one."},
    )
    assert _answer(ReportNotAllowed("You may not see the “Loan book” report.")) == (
        403,
        {"detail": "You may not see the “Loan book” report."},
    )


def test_http404_is_a_404():
    assert _answer(Http404("No such loan."))[0] == 404


def test_drf_validation_error_keeps_drf_s_answer():
    assert _answer(drf_exceptions.ValidationError({"period": ["Use YYYY-MM."]})) == (400, {"period": ["Use YYYY-MM."]})


def test_a_database_away_is_a_503_with_retry_after():
    response = api_exception_handler(InterfaceError("connection already closed"), {})
    assert response.status_code == 503
    assert response["Retry-After"]


def test_any_other_error_is_left_to_become_a_500():
    assert api_exception_handler(ValueError("a bug"), {}) is None
    assert api_exception_handler(KeyError("a bug"), {}) is None


class _Raises(APIView):
    """A view that raises what it is told to, as a service would under a view with no try/except."""

    permission_classes = [AllowAny]
    authentication_classes = []
    exc: Exception | None = None

    def get(self, request):
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "status_code", "body"),
    [
        (ValidationError({"reference": ["Used before."]}), 400, {"reference": ["Used before."]}),
        (ValidationError("Nothing to post."), 400, {"non_field_errors": ["Nothing to post."]}),
        (LoanStateError("This loan is closed."), 409, {"detail": "This loan is closed."}),
        (BatchNotProcessable("Already processed."), 409, {"detail": "Already processed."}),
        (PermissionDenied("Not your step."), 403, {"detail": "Not your step."}),
        (Http404(), 404, None),
    ],
)
def test_a_view_that_does_not_catch_gets_the_same_answer(exc, status_code, body):
    view = _Raises.as_view(exc=exc)
    response = view(APIRequestFactory().get("/api/anything/"))
    response.render()
    assert response.status_code == status_code
    assert response["Content-Type"].startswith("application/json")
    if body is not None:
        assert response.data == body
