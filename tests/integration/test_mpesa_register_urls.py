"""`manage.py mpesa_register_urls` against the fake Daraja (issue 15): registers both callback URLs with the token,
refuses clearly without a base URL or token, and turns Daraja's refusal into a command error."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_registers_both_urls_with_the_token(fake_daraja_offline, settings):
    settings.MPESA_CALLBACK_BASE_URL = "https://sacco.example/"
    out = StringIO()
    call_command("mpesa_register_urls", stdout=out)
    token = settings.MPESA_CALLBACK_TOKEN
    assert fake_daraja_offline.registered == {
        "ResponseType": "Completed",
        "ConfirmationURL": f"https://sacco.example/api/mpesa/c2b/confirmation/{token}/",
        "ValidationURL": f"https://sacco.example/api/mpesa/c2b/validation/{token}/",
    }
    assert "Registered" in out.getvalue() and token not in out.getvalue()


def test_cancelled_response_type(fake_daraja_offline, settings):
    settings.MPESA_CALLBACK_BASE_URL = "https://sacco.example"
    call_command("mpesa_register_urls", "--response-type", "Cancelled", stdout=StringIO())
    assert fake_daraja_offline.registered["ResponseType"] == "Cancelled"


@pytest.mark.parametrize(
    ("setting", "message"), [("MPESA_CALLBACK_BASE_URL", "MPESA_CALLBACK_BASE_URL"), ("MPESA_CALLBACK_TOKEN", "TOKEN")]
)
def test_refuses_without_base_url_or_token(fake_daraja_offline, settings, setting, message):
    settings.MPESA_CALLBACK_BASE_URL = "https://sacco.example"
    setattr(settings, setting, "")
    with pytest.raises(CommandError, match=message):
        call_command("mpesa_register_urls", stdout=StringIO())
    assert fake_daraja_offline.calls("/mpesa/c2b/v1/registerurl") == []


def test_daraja_refusing_is_a_command_error(fake_daraja_offline, settings):
    settings.MPESA_CALLBACK_BASE_URL = "https://sacco.example"
    settings.MPESA_CONSUMER_SECRET = "wrong"
    with pytest.raises(CommandError, match="Daraja refused"):
        call_command("mpesa_register_urls", stdout=StringIO())
    assert fake_daraja_offline.registered == {}
