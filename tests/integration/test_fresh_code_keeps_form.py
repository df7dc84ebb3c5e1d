"""Issue 14: a form behind a fresh second-factor code keeps what the member typed across the code page (or the
first set-up of the second factor). Nothing is saved until the member presses Submit again on the filled form;
the kept answers are the member's own, used once, and not after they expire."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.loans.models import Guarantee, GuaranteeStatus, LoanApplication
from portal.members.form_stash import STASH_SECONDS, STASH_SESSION_KEY
from portal.members.otp import FRESH_SESSION_KEY
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors

pytestmark = pytest.mark.django_db

APPLY = "/portal/loans/apply/"
BANK = "/portal/profile/bank/"
KEPT = "Your answers are kept"


def _code(device) -> str:
    device = TOTPDevice.objects.get(pk=device.pk)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _make_stale(client):
    session = client.session
    session[FRESH_SESSION_KEY] = int(time.time()) - 3600
    session.save()


def _next_of(location: str) -> str:
    return parse_qs(urlparse(location).query)["next"][0]


def _verify(client, device, next_url):
    """Enter the code on the code page, as the member would; returns the redirect back."""
    response = client.post(reverse("otp_verify"), {"otp_token": _code(device), "next": next_url})
    assert response.status_code == 302, response.content
    return response["Location"]


@pytest.fixture
def application_data(borrower, people, products):
    return {
        "product": str(products["development"].pk),
        "amount": "50000",
        "term_months": "12",
        "purpose": "Dairy cows for the farm",
        "guarantor_1": people["akinyi"].membership_number,
        "guarantee_1": "10000",
        "guarantor_2": people["baraka"].membership_number,
        "guarantee_2": "5000",
        "guarantor_3": "",
        "guarantee_3": "",
    }


def _assert_form_filled(response, data):
    assert response.status_code == 200
    form = response.context["form"]
    for key, value in data.items():
        assert form.data.get(key, "") == value, key
    html = response.content.decode()
    assert KEPT in html
    assert 'value="Dairy cows for the farm"' in html
    assert f'value="{data["guarantor_1"]}"' in html


def test_a_loan_application_survives_a_stale_code(client, borrower, application_data):
    device = sign_in_verified(client, borrower.user, fresh=False)
    response = client.post(APPLY, application_data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_verify"))
    assert _next_of(response["Location"]) == APPLY
    assert not LoanApplication.objects.exists()
    assert KEPT in client.get(response["Location"]).content.decode()  # the code page says so

    back = _verify(client, device, APPLY)
    assert back == APPLY
    _assert_form_filled(client.get(back), application_data)
    assert not LoanApplication.objects.exists()  # nothing is sent until the member presses Submit

    sent = client.post(APPLY, application_data)
    assert sent.status_code == 302 and sent["Location"] == reverse("member_area:loans")
    application = LoanApplication.objects.get()
    assert application.amount == 50000 and application.term_months == 12
    assert application.purpose == "Dairy cows for the farm"
    assert application.guarantees.count() == 2

    again = client.get(APPLY)  # used once: the next visit is an empty form
    assert KEPT not in again.content.decode() and not again.context["form"].is_bound
    assert LoanApplication.objects.count() == 1


def test_kept_answers_are_checked_again_and_mistakes_named(client, borrower, application_data):
    sign_in_verified(client, borrower.user, fresh=False)
    client.post(APPLY, {**application_data, "amount": "900000", "purpose": ""})
    sign_in_verified(client, borrower.user)  # the code is fresh again (same member: the session is kept)
    response = client.get(APPLY)
    assert "purpose" in response.context["form"].errors  # shown beside the field before the member sends again
    assert response.context["form"].data["amount"] == "900000"


def test_first_set_up_of_the_second_factor_keeps_the_application(client, borrower, application_data):
    client.force_login(borrower.user)  # a member who has not set up a second factor yet
    response = client.post(APPLY, application_data)
    assert response["Location"].startswith(reverse("otp_verify"))
    to_setup = client.get(response["Location"])
    assert to_setup.status_code == 302 and to_setup["Location"].startswith(reverse("otp_setup"))
    assert _next_of(to_setup["Location"]) == APPLY
    setup_page = client.get(to_setup["Location"])
    assert KEPT in setup_page.content.decode()

    device = TOTPDevice.objects.get(user=borrower.user, confirmed=False)
    done = client.post(to_setup["Location"], {"otp_token": _code(device), "next": APPLY})
    assert done.status_code == 302 and done["Location"].startswith(reverse("otp_backup_codes"))
    codes_page = client.get(done["Location"]).content.decode()
    assert f'href="{APPLY}"' in codes_page and "back to my form" in codes_page

    _assert_form_filled(client.get(APPLY), application_data)
    assert not LoanApplication.objects.exists()
    assert client.post(APPLY, application_data).status_code == 302
    assert LoanApplication.objects.count() == 1


def test_bank_details_survive_a_code_that_went_stale_while_typing(client, member):
    device = sign_in_verified(client, member.user)
    assert client.get(BANK).status_code == 200  # asked before the form: the code is fresh
    _make_stale(client)  # ...but the member took a while
    data = {
        "bank_name": "KCB",
        "bank_branch": "Kisumu",
        "bank_account_name": "Amina W",
        "bank_account_number": "1234567890",
    }
    response = client.post(BANK, data)
    assert response["Location"].startswith(reverse("otp_verify"))
    member.refresh_from_db()
    assert member.bank_account_number != "1234567890"

    back = client.get(_verify(client, device, BANK))
    assert back.status_code == 200 and KEPT in back.content.decode()
    assert {k: back.context["form"].data[k] for k in data} == data
    member.refresh_from_db()
    assert member.bank_account_number != "1234567890"

    assert client.post(BANK, data).status_code == 302
    member.refresh_from_db()
    assert (member.bank_name, member.bank_account_number) == ("KCB", "1234567890")
    assert not client.get(BANK).context["form"].is_bound


def test_a_guarantors_answer_survives_the_code_page(client, people, products):
    application = application_with_guarantors(
        borrower=people["juma"],
        product=products["development"],
        amount="120000",
        guarantors=[(people["akinyi"], "40000", "A"), (people["baraka"], "30000", "B")],
    )
    guarantee = application.guarantees.get(guarantor=people["akinyi"])
    url = f"/portal/guarantees/{guarantee.pk}/accept/"
    device = sign_in_verified(client, people["akinyi"].user, fresh=False)
    response = client.post(url)
    assert response["Location"].startswith(reverse("otp_verify")) and _next_of(response["Location"]) == url
    assert KEPT in client.get(response["Location"]).content.decode()

    page = client.get(_verify(client, device, url))
    html = page.content.decode()
    assert page.status_code == 200 and "Accept this guarantee?" in html and "Your answer is kept" in html
    assert "KES 40,000.00" in html and "KES 120,000.00" in html and f'action="{url}"' in html
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.REQUESTED  # a GET changes nothing

    assert client.post(url).status_code == 302
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.ACCEPTED
    assert client.get(url)["Location"] == reverse("member_area:guarantees")  # used once
    assert Guarantee.objects.filter(status=GuaranteeStatus.ACCEPTED).count() == 1


def test_one_members_answers_never_reach_another(client, borrower, people, application_data):
    sign_in_verified(client, borrower.user, fresh=False)
    client.post(APPLY, application_data)
    assert client.session[STASH_SESSION_KEY]["data"]["purpose"] == ["Dairy cows for the farm"]
    sign_in_verified(client, people["akinyi"].user)  # someone else signs in on the same browser
    response = client.get(APPLY)
    assert KEPT not in response.content.decode() and "Dairy cows" not in response.content.decode()

    # Even answers planted in another member's session under the first member's name are not used.
    sign_in_verified(client, borrower.user, fresh=False)
    client.post(APPLY, application_data)
    stash = client.session[STASH_SESSION_KEY]
    sign_in_verified(client, people["baraka"].user)
    session = client.session
    session[STASH_SESSION_KEY] = stash
    session.save()
    response = client.get(APPLY)
    assert "Dairy cows" not in response.content.decode() and not response.context["form"].is_bound
    assert STASH_SESSION_KEY not in client.session


def test_signing_out_drops_kept_answers(client, borrower, application_data):
    sign_in_verified(client, borrower.user, fresh=False)
    client.post(APPLY, application_data)
    client.post(reverse("account_logout"))
    sign_in_verified(client, borrower.user)
    assert not client.get(APPLY).context["form"].is_bound


def test_expired_answers_are_not_offered(client, borrower, application_data):
    sign_in_verified(client, borrower.user, fresh=False)
    client.post(APPLY, application_data)
    session = client.session
    session[STASH_SESSION_KEY]["at"] -= STASH_SECONDS + 1
    session.save()
    sign_in_verified(client, borrower.user)
    response = client.get(APPLY)
    assert KEPT not in response.content.decode() and not response.context["form"].is_bound
    assert STASH_SESSION_KEY not in client.session


def test_answers_are_kept_for_their_own_form_only(client, borrower, application_data):
    sign_in_verified(client, borrower.user, fresh=False)
    client.post(APPLY, application_data)
    sign_in_verified(client, borrower.user)
    bank = client.get(BANK)
    assert not bank.context["form"].is_bound and KEPT not in bank.content.decode()
    assert client.get(APPLY).context["form"].data["purpose"] == "Dairy cows for the farm"


def test_secrets_and_files_are_never_kept_and_size_is_capped(client, borrower, application_data):
    sign_in_verified(client, borrower.user, fresh=False)
    upload = SimpleUploadedFile("id.pdf", b"%PDF-1.4 secret", content_type="application/pdf")
    client.post(
        APPLY,
        {
            **application_data,
            "password": "Harambee-2026!",
            "otp_token": "123456",
            "csrfmiddlewaretoken": "x" * 32,
            "file": upload,
        },
    )
    kept = client.session[STASH_SESSION_KEY]["data"]
    assert {"password", "otp_token", "csrfmiddlewaretoken", "file"}.isdisjoint(kept)
    assert kept["amount"] == ["50000"]

    client.post(APPLY, {**application_data, "purpose": "x" * 20_000})
    assert STASH_SESSION_KEY not in client.session  # too big: not kept, and the older answers are dropped
