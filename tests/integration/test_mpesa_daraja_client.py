"""The Daraja HTTP client against the fake Daraja (issue 15): OAuth cached, Daraja's error bodies, timeouts and
unreachable hosts become DarajaError without secrets, the STK password and Nairobi timestamp are what Daraja checks."""

import base64
import datetime
import socket

import pytest

from portal.mpesa.daraja import DarajaClient, DarajaError, phone_msisdn, stk_password, stk_timestamp


def test_the_oauth_token_is_fetched_once_and_reused(fake_daraja_offline):
    client = DarajaClient()
    first = client.access_token()
    assert DarajaClient().access_token() == first
    client.stk_push(
        phone="0712345678", amount=10, account_reference="M0001", description="Pay", callback_url="http://t/"
    )
    client.stk_push(
        phone="0712345678", amount=10, account_reference="M0001", description="Pay", callback_url="http://t/"
    )
    assert len(fake_daraja_offline.calls("/oauth/v1/generate")) == 1
    oauth = fake_daraja_offline.calls("/oauth/v1/generate")[0]
    assert oauth["query"] == {"grant_type": "client_credentials"}
    assert oauth["headers"]["Authorization"] == "Basic " + base64.b64encode(b"test-key:test-secret").decode()


def test_a_token_daraja_forgot_is_replaced_once(fake_daraja_offline):
    client = DarajaClient()
    client.access_token()
    fake_daraja_offline.expire_tokens()
    answer = client.stk_push(
        phone="254712345678", amount=5, account_reference="M0001", description="Pay", callback_url="http://t/"
    )
    assert answer["ResponseCode"] == "0"
    assert len(fake_daraja_offline.calls("/oauth/v1/generate")) == 2


def test_a_token_is_not_kept_past_its_life(fake_daraja_offline, settings):
    fake_daraja_offline.token_lifetime = 30  # shorter than the minute the client gives back early: never cached
    client = DarajaClient()
    client.access_token()
    client.access_token()
    assert len(fake_daraja_offline.calls("/oauth/v1/generate")) == 2


def test_wrong_credentials_are_a_daraja_error_that_does_not_repeat_them(fake_daraja_offline, settings):
    settings.MPESA_CONSUMER_SECRET = "very-secret-value"
    with pytest.raises(DarajaError) as caught:
        DarajaClient().access_token()
    assert caught.value.code == "400.008.01"
    assert "very-secret-value" not in str(caught.value) and "test-key" not in str(caught.value)


def test_a_daraja_error_body_becomes_darajaerror_with_its_code(fake_daraja_offline, settings):
    settings.MPESA_PASSKEY = "the-wrong-passkey"
    with pytest.raises(DarajaError) as caught:
        DarajaClient().stk_push(
            phone="0712345678", amount=10, account_reference="M0001", description="Pay", callback_url="http://t/"
        )
    assert caught.value.code == "500.001.1001"
    assert "Wrong credentials" in str(caught.value)
    assert "the-wrong-passkey" not in str(caught.value)


def test_a_timeout_becomes_darajaerror(settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        client = DarajaClient(base_url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        with pytest.raises(DarajaError, match="did not answer"):
            client.access_token()
    finally:
        silent.close()


def test_an_unreachable_daraja_is_darajaerror(settings):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(DarajaError, match="Could not reach Daraja"):
        DarajaClient(base_url=f"http://127.0.0.1:{port}", timeout=1).access_token()


def test_stk_push_sends_what_daraja_checks_and_the_fake_answers_with_a_callback(fake_daraja_offline):
    answer = DarajaClient().stk_push(
        phone="+254 712 345 678",
        amount=1500,
        account_reference="M0001-L",
        description="Loan",
        callback_url="http://t/cb/",
    )
    assert answer["CheckoutRequestID"].startswith("ws_CO_")
    sent = fake_daraja_offline.calls("/mpesa/stkpush/v1/processrequest")[0]["json"]
    assert sent["Amount"] == 1500 and sent["PhoneNumber"] == "254712345678" and sent["PartyB"] == "600000"
    assert sent["Password"] == stk_password(shortcode="600000", passkey="test-passkey", timestamp=sent["Timestamp"])
    callback = fake_daraja_offline.outbox[0]
    assert callback["url"] == "http://t/cb/"
    result = callback["json"]["Body"]["stkCallback"]
    assert result["ResultCode"] == 0 and result["CheckoutRequestID"] == answer["CheckoutRequestID"]
    query = DarajaClient().stk_query(checkout_request_id=answer["CheckoutRequestID"])
    assert query["ResultCode"] == "0"


def test_a_pending_push_query_is_darajaerror(fake_daraja_offline):
    fake_daraja_offline.set_outcome("pending")
    answer = DarajaClient().stk_push(
        phone="0712345678", amount=10, account_reference="M0001", description="Pay", callback_url="http://t/"
    )
    with pytest.raises(DarajaError) as caught:
        DarajaClient().stk_query(checkout_request_id=answer["CheckoutRequestID"])
    assert caught.value.code == "500.001.1001"
    assert fake_daraja_offline.outbox == []


def test_fractional_shillings_are_refused_before_any_call(fake_daraja_offline):
    with pytest.raises(DarajaError, match="whole shillings"):
        DarajaClient().stk_push(
            phone="0712345678", amount="10.50", account_reference="M1", description="x", callback_url="http://t/"
        )
    assert fake_daraja_offline.calls("/mpesa/stkpush/v1/processrequest") == []


def test_the_timestamp_is_nairobi_time():
    assert stk_timestamp(datetime.datetime(2026, 11, 30, 21, 30, 5, tzinfo=datetime.UTC)) == "20261201003005"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("0712345678", "254712345678"), ("+254 112 345 678", "254112345678"), ("712345678", "254712345678")],
)
def test_phones_become_msisdns(given, expected):
    assert phone_msisdn(given) == expected


def test_register_urls_and_b2c_against_the_fake(fake_daraja_offline):
    client = DarajaClient()
    answer = client.register_urls(confirmation_url="https://x/confirm/", validation_url="https://x/validate/")
    assert answer["ResponseCode"] == "0"
    assert fake_daraja_offline.registered["ConfirmationURL"] == "https://x/confirm/"
    client.c2b_simulate(amount=100, msisdn="0712345678", bill_ref="M0001-S")
    validation, confirmation = fake_daraja_offline.outbox
    assert validation["json"]["BillRefNumber"] == "M0001-S" and confirmation["url"] == "https://x/confirm/"
    payout = client.b2c_payment(
        phone="0712345678",
        amount=1000,
        remarks="Loan",
        occasion="L1",
        result_url="https://x/r/",
        timeout_url="https://x/t/",
    )
    assert payout["ResponseCode"] == "0"
    assert fake_daraja_offline.outbox[-1]["json"]["Result"]["ResultCode"] == 0


def test_the_fake_refuses_what_daraja_refuses(fake_daraja_offline):
    """A client bug would show: a UTC timestamp, a password for another timestamp, no token, a float amount."""
    import requests

    client = DarajaClient()
    token = client.access_token()
    utc = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    nairobi = stk_timestamp()
    body = {
        "BusinessShortCode": "600000",
        "Password": stk_password(shortcode="600000", passkey="test-passkey", timestamp=utc),
        "Timestamp": utc,
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 10,
        "PartyA": "254712345678",
        "PartyB": "600000",
        "PhoneNumber": "254712345678",
        "CallBackURL": "http://t/",
        "AccountReference": "M1",
        "TransactionDesc": "x",
    }
    url = fake_daraja_offline.base_url + "/mpesa/stkpush/v1/processrequest"
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.post(url, json=body, headers=bearer, timeout=5).json()["errorMessage"].endswith("Timestamp")
    wrong = {**body, "Timestamp": nairobi}  # the password still made with the UTC timestamp
    assert requests.post(url, json=wrong, headers=bearer, timeout=5).json()["errorMessage"] == "Wrong credentials"
    good = {**wrong, "Password": stk_password(shortcode="600000", passkey="test-passkey", timestamp=nairobi)}
    assert requests.post(url, json=good, timeout=5).json()["errorCode"] == "404.001.03"
    assert requests.post(url, json={**good, "Amount": 10.5}, headers=bearer, timeout=5).status_code == 400
    assert requests.post(url, json=good, headers=bearer, timeout=5).json()["ResponseCode"] == "0"
