"""Shared fixtures: users per role, members, the demo website, and the PostgreSQL-only marker."""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from portal.members import roles
from portal.members.models import User
from portal.members.services import member_create

PASSWORD = "correct-horse-battery-staple"
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"
pytest_plugins = ["tests.mpesa_fixtures"]


def _allow_truncate_in_test_flush():
    """The journal and the audit log refuse TRUNCATE on PostgreSQL (finance 0011, audit 0002) unless the transaction
    first says `SET LOCAL portal.allow_truncate = 'on'`. The test runner empties the database between transactional
    tests with one TRUNCATE of every table: only that flush says so, nothing else in the tests does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    if getattr(DatabaseOperations.execute_sql_flush, "allows_truncate", False):
        return
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        # Runs inside execute_sql_flush's own transaction, so LOCAL lasts exactly as long as the flush.
        return original(self, ["SET LOCAL portal.allow_truncate = 'on'", *sql_list])

    execute_sql_flush.allows_truncate = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush


_allow_truncate_in_test_flush()


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests on SQLite (CI's second pass runs them). With SKIP_BROWSER_TESTS=1, skip the browser
    tests too: .ci/run sets it for its PostgreSQL pass only, since they check pages, not the database (its SQLite
    pass runs them)."""
    on_postgres = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql://"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    skip_browser = pytest.mark.skip(reason="SKIP_BROWSER_TESTS=1 (CI runs the browser tests on SQLite only)")
    no_browser = os.environ.get("SKIP_BROWSER_TESTS") == "1"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if no_browser and "browser" in item.keywords:
            item.add_marker(skip_browser)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def make_user(db):
    def _make(email="someone@example.com", *, role=None, first_name="Test", last_name="User", **extra):
        is_staff = role is not None and role != roles.MEMBERS
        user = User.objects.create_user(
            email=email, password=PASSWORD, first_name=first_name, last_name=last_name, is_staff=is_staff, **extra
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return _make


@pytest.fixture
def make_member(make_user):
    counter = {"n": 0}

    def _make(email=None, *, first_name="Wanjiku", last_name="Kamau", join_date=None, **profile):
        counter["n"] += 1
        email = email or f"member{counter['n']}@example.com"
        user = make_user(email, role=roles.MEMBERS, first_name=first_name, last_name=last_name)
        return member_create(user=user, join_date=join_date or datetime.date(2024, 3, 15), **profile)

    return _make


@pytest.fixture
def member(make_member):
    return make_member("amina@example.com", first_name="Amina", last_name="Wanjiru")


@pytest.fixture
def other_member(make_member):
    return make_member("otieno@example.com", first_name="Brian", last_name="Otieno")


@pytest.fixture
def staff_user(make_user):
    """A staff user per role name: staff_user(roles.CLERKS)."""

    def _make(role):
        slug = role.lower().replace(" ", "-")
        return make_user(f"{slug}@sacco.example", role=role, first_name=role.split()[0], last_name="Staff")

    return _make


@pytest.fixture
def demo_site(db, settings, tmp_path):
    """The demo website (pages, settings, by-laws PDF, contact form), with media in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    from portal.home.demo import site_seed

    return site_seed()


@pytest.fixture(scope="module")
def module_demo_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo website seeded once for a whole module (seeding publishes some forty Wagtail pages: slow), inside a
    transaction rolled back after the module's last test. Each test still runs in its own savepoint, so what one test
    changes, the next does not see. Only for modules whose tests are all plain `django_db` (not transactional): use
    it by overriding `demo_site` in the module with a function-scoped fixture that asks for it and for `db`."""
    from django.db import transaction
    from django.test import override_settings

    from portal.home.demo import site_seed

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-site") / "media")
    media.enable()
    try:
        with django_db_blocker.unblock():
            with transaction.atomic():
                yield site_seed()
                transaction.set_rollback(True)
    finally:
        media.disable()


@pytest.fixture
def output_dir():
    path = OUTPUT_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _default_language():
    """A request (the language middleware, a JWT caller's saved language) activates a language for the thread; no
    test inherits the one before's."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits (allauth) and settings live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def sign_in_verified(client, user, *, fresh=True):
    """Sign in as if the user had just passed the password and the second factor (a confirmed TOTP device).

    `fresh=False` leaves the code old, as after a while: sensitive actions then ask again."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Test app", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    if fresh:
        import time

        session["otp_verified_at"] = int(time.time())
    session.save()
    return device


def api_token_pair(api, email, password=PASSWORD):
    """The API's two-step sign-in: otp-login (emails a code), then verify-otp with that code."""
    import re

    from django.core import mail
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        step1 = api.post("/api/auth/otp-login/", {"email": email, "password": password}, format="json")
    assert step1.status_code == 200, step1.content
    code = re.search(r"code is (\d{6})", mail.outbox[-1].body).group(1)
    step2 = api.post("/api/auth/verify-otp/", {"otp_session": step1.json()["otp_session"], "code": code}, format="json")
    assert step2.status_code == 200, step2.content
    return step2.json()


@pytest.fixture
def deciders(make_user):
    """A loans officer and three credit committee members (the quorum is two)."""
    return {
        "officer": make_user("lucy@sacco.example", role=roles.LOANS_OFFICERS, first_name="Lucy", last_name="Wangari"),
        "joseph": make_user("joseph@sacco.example", role=roles.CREDIT_COMMITTEE, first_name="Joseph", last_name="Ouma"),
        "mercy": make_user("mercy@sacco.example", role=roles.CREDIT_COMMITTEE, first_name="Mercy", last_name="Achieng"),
        "tom": make_user("tom@sacco.example", role=roles.CREDIT_COMMITTEE, first_name="Tom", last_name="Mboya"),
    }
