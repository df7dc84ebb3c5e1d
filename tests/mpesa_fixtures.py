"""pytest plugin (tests/conftest.py loads it): the fake Daraja server for M-Pesa tests (issue 15).

`fake_daraja` starts portal.mpesa.fake_daraja.FakeDaraja on 127.0.0.1, points MPESA_BASE_URL at it and
MPESA_CALLBACK_BASE_URL at pytest-django's live server, so the real client talks to the fake and the fake's callbacks
reach the real views. `fake_daraja_offline` is the same fake without a live server: its callbacks are only recorded
in `fake.outbox` (tests post them with Django's test client), which keeps fast tests in one transaction."""

import pytest
from django.core.cache import cache

from portal.mpesa.fake_daraja import FakeDaraja


@pytest.fixture
def fake_daraja(live_server, settings):
    cache.clear()  # no OAuth token from another test's fake
    fake = FakeDaraja().serve()
    settings.MPESA_BASE_URL = fake.base_url
    settings.MPESA_CALLBACK_BASE_URL = live_server.url
    yield fake
    fake.stop()
    cache.clear()


@pytest.fixture
def fake_daraja_offline(settings):
    cache.clear()
    fake = FakeDaraja(send_callbacks=False).serve()
    settings.MPESA_BASE_URL = fake.base_url
    settings.MPESA_CALLBACK_BASE_URL = "http://testserver"
    yield fake
    fake.stop()
    cache.clear()
