"""A database that is away for a moment (a lost connection, a lock timeout) answers 503 with Retry-After — JSON
under /api/, a short page on the web — and not a 500; an error that waiting does not cure stays a 500."""

import sqlite3

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from portal.middleware import transient_database_error
from tests.conftest import sign_in_verified


def _lost_connection(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_lost_connection_on_a_portal_page_is_a_503_with_retry_after(member, monkeypatch):
    monkeypatch.setattr("portal.member_area.dashboard.member_balances", _lost_connection)
    client = Client(raise_request_exception=False)
    sign_in_verified(client, member.user)
    response = client.get("/portal/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.content.decode().lower()


def test_lost_connection_inside_another_middleware_is_a_503(member, monkeypatch):
    """The session is read from the database by the middleware that first asks who the user is, before any view
    runs; Django turns an error there into a 500 at that layer, which the outermost middleware replaces."""
    client = Client(raise_request_exception=False)
    sign_in_verified(client, member.user)
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", _lost_connection)
    response = client.get("/portal/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_lost_connection_on_the_api_is_a_json_503_with_retry_after(member, monkeypatch):
    monkeypatch.setattr("portal.api.contributions_views.member_balances", _lost_connection)
    api = APIClient()
    api.force_authenticate(member.user)
    response = api.get(f"/api/members/{member.pk}/share-summary/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.json()["detail"].lower()


def test_an_error_that_waiting_does_not_cure_stays_a_500(member, monkeypatch):
    def missing_table(*args, **kwargs):
        try:
            raise sqlite3.OperationalError("no such table: contributions_membersharesummary")
        except sqlite3.OperationalError as exc:
            raise OperationalError(*exc.args) from exc

    monkeypatch.setattr("portal.member_area.dashboard.member_balances", missing_table)
    client = Client(raise_request_exception=False)
    sign_in_verified(client, member.user)
    assert client.get("/portal/").status_code == 500


class _PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _wrapped(cause):
    try:
        raise cause
    except Exception as exc:
        try:
            raise OperationalError(str(exc)) from exc
        except OperationalError as outer:
            return outer


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (InterfaceError("connection already closed"), True),
        (OperationalError("could not connect to server"), True),
        (_wrapped(_PgError("57P01")), True),  # admin shutdown
        (_wrapped(_PgError("55P03")), True),  # lock not available
        (_wrapped(_PgError("40P01")), True),  # deadlock
        (_wrapped(_PgError("42P01")), False),  # undefined table
        (_wrapped(sqlite3.OperationalError("database is locked")), True),
        (_wrapped(sqlite3.OperationalError("no such column: x")), False),
        (ValueError("not a database error"), False),
    ],
)
def test_which_database_errors_are_worth_a_retry(error, transient):
    assert transient_database_error(error) is transient


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_really_killed_by_the_server_is_a_503(member, monkeypatch):
    """The server ends the request's own connection (as on a restart or failover) in the middle of the view."""
    from django.db import connection

    def killed(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    monkeypatch.setattr("portal.api.contributions_views.member_balances", killed)
    api = APIClient()
    api.force_authenticate(member.user)
    response = api.get(f"/api/members/{member.pk}/share-summary/")
    connection.close()  # what Django does at the end of a real request with a broken connection
    assert response.status_code == 503 and response["Retry-After"] == "5"
