"""M3: lockout after N failed sign-ins (SaccoSettings), the same answer for unknown emails, staff unlock, logs."""

import re
from unittest import mock

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from portal.members import roles
from portal.members.models import ActivityLog
from portal.society.models import SaccoSettings
from tests.conftest import PASSWORD, sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def threshold_three():
    sacco = SaccoSettings.load()
    sacco.lockout_threshold = 3
    sacco.lockout_minutes = 15
    sacco.save()


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_account_locks_after_the_threshold_even_with_the_right_password(client, member):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    response = _login(client, member.user.email, PASSWORD)
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert ActivityLog.objects.filter(user=member.user, action="locked_out").exists()
    # three wrong passwords, then the right one refused while locked
    assert ActivityLog.objects.filter(user=member.user, action="login_failed").count() == 4


def test_unknown_email_gets_exactly_the_same_answers(client, member):
    known = [_login(client, member.user.email, "wrong-password-x") for _ in range(4)]
    unknown = [_login(client, "nobody@example.com", "wrong-password-x") for _ in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [200, 200, 429, 429]

    def strip(response):  # the typed email and the per-request CSRF token are the only differences allowed
        page = response.content.decode().replace(member.user.email, "").replace("nobody@example.com", "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert strip(known[-1]) == strip(unknown[-1])


def test_a_success_before_the_threshold_resets_the_count(client, member):
    _login(client, member.user.email, "wrong-password-x")
    _login(client, member.user.email, "wrong-password-x")
    assert _login(client, member.user.email, PASSWORD).status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username=member.user.email, failures_since_start__gt=0).exists()


def test_locking_one_email_does_not_lock_another_from_the_same_office(client, member, other_member):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    assert _login(client, other_member.user.email, PASSWORD).status_code == 302


def test_api_token_endpoint_shares_the_lockout(member):
    api = APIClient()
    for _ in range(3):
        api.post("/api/auth/otp-login/", {"email": member.user.email, "password": "wrong"}, format="json")
    response = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"


def test_staff_see_locked_accounts_and_unlock_them(client, member, staff_user):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    clerk = staff_user(roles.CLERKS)
    staff = type(client)()
    sign_in_verified(staff, clerk)
    listing = staff.get(reverse("wagtailsnippets_axes_accessattempt:list"))
    assert member.user.email in listing.content.decode()
    assert AccessFailureLog.objects.filter(username=member.user.email).count() == 3
    attempt = AccessAttempt.objects.get(username=member.user.email)
    assert staff.post(reverse("members_lockout_unlock", args=[attempt.pk])).status_code == 302
    assert ActivityLog.objects.filter(user=member.user, action="unlocked", actor=clerk).exists()
    assert _login(client, member.user.email, PASSWORD).status_code == 302


def test_auditors_see_but_cannot_unlock(client, member, staff_user):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    sign_in_verified(client, staff_user(roles.AUDITORS))
    assert client.get(reverse("wagtailsnippets_axes_accessattempt:list")).status_code == 200
    attempt = AccessAttempt.objects.get(username=member.user.email)
    client.post(reverse("members_lockout_unlock", args=[attempt.pk]))
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


# --- issue 12: lockout can't be used as a weapon, guessing stays capped, the owner can let themselves in ------

OWNER_IP = "198.51.100.5"
ATTACKER_IP = "203.0.113.66"


def _login_from(client, email, password, ip, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip, **extra)


def test_an_attacker_from_another_address_does_not_lock_the_owner_out(client, member):
    attacker = type(client)()
    answers = [_login_from(attacker, member.user.email, "wrong-password-x", ATTACKER_IP).status_code for _ in range(5)]
    assert answers == [200, 200, 429, 429, 429]  # the attacker's own address is locked
    assert _login_from(client, member.user.email, PASSWORD, OWNER_IP).status_code == 302


def test_a_forged_x_forwarded_for_does_not_give_a_new_allowance(client, member):
    for n in range(3):
        _login_from(client, member.user.email, "wrong-password-x", ATTACKER_IP, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = _login_from(client, member.user.email, PASSWORD, ATTACKER_IP, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_many_addresses_still_cannot_guess_forever(client, member):
    """Per account, failures from all addresses are capped at threshold × LOCKOUT_ACCOUNT_FACTOR (3 × 4 here)."""
    for n in range(12):
        _login_from(type(client)(), member.user.email, "wrong-password-x", f"203.0.113.{n + 1}")
    fresh_address = _login_from(type(client)(), member.user.email, PASSWORD, "192.0.2.200")
    assert fresh_address.status_code == 429  # even the right password: the account is locked everywhere new


def test_the_owners_usual_address_stays_open_when_the_account_cap_is_hit(client, member):
    assert _login_from(client, member.user.email, PASSWORD, OWNER_IP).status_code == 302  # a known source now
    client.logout()
    for n in range(15):
        _login_from(type(client)(), member.user.email, "wrong-password-x", f"203.0.113.{n + 1}")
    assert _login_from(type(client)(), member.user.email, PASSWORD, "192.0.2.200").status_code == 429
    assert _login_from(client, member.user.email, PASSWORD, OWNER_IP).status_code == 302
    # and from the known address guessing is still capped at the per-source limit
    owner_ip_guesses = [
        _login_from(type(client)(), member.user.email, "wrong-password-x", OWNER_IP).status_code for _ in range(4)
    ]
    assert owner_ip_guesses[-1] == 429


def _unlock_link():
    from django.core import mail

    (message,) = mail.outbox
    return re.search(r"https?://\S+/accounts/unlock/\S+/", message.body).group(0)


def test_the_owner_unlocks_with_an_emailed_single_use_link(client, member, mailoutbox):
    for _ in range(3):
        _login_from(client, member.user.email, "wrong-password-x", OWNER_IP)
    locked = _login_from(client, member.user.email, PASSWORD, OWNER_IP)
    assert locked.status_code == 429 and "Email me an unlock link" in locked.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(reverse("lockout_unlock_request"), {"email": member.user.email.upper()})
    assert asked.status_code == 200 and "If that address has a locked account" in asked.content.decode()
    link = _unlock_link()
    assert client.get(link).status_code == 200  # a mail scanner opening the link unlocks nothing
    assert _login_from(client, member.user.email, PASSWORD, OWNER_IP).status_code == 429
    assert client.post(link, REMOTE_ADDR=OWNER_IP).status_code == 302
    assert ActivityLog.objects.filter(user=member.user, action="unlocked", detail__via="email link").exists()
    assert _login_from(client, member.user.email, PASSWORD, OWNER_IP).status_code == 302
    client.logout()
    for _ in range(3):
        _login_from(client, member.user.email, "wrong-password-x", OWNER_IP)
    reused = client.post(link, REMOTE_ADDR=OWNER_IP)
    assert reused.status_code == 410 and "used already" in reused.content.decode()
    assert _login_from(client, member.user.email, PASSWORD, OWNER_IP).status_code == 429


def test_the_owners_link_opens_their_address_only_and_gives_guessers_no_new_budget(client, member, mailoutbox):
    """Found in review: the link cleared every address's failures, so each unlock handed an attacker with many
    addresses a fresh round of guesses. It opens the owner's address (a known source from then on) and no other."""
    for n in range(12):  # the account-wide cap (3 × 4): locked everywhere new
        _login_from(type(client)(), member.user.email, "wrong-password-x", f"203.0.113.{n + 1}")
    owner_ip = "192.0.2.200"
    assert _login_from(client, member.user.email, PASSWORD, owner_ip).status_code == 429
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("lockout_unlock_request"), {"email": member.user.email}, REMOTE_ADDR=owner_ip)
    assert client.post(_unlock_link(), REMOTE_ADDR=owner_ip).status_code == 302
    assert _login_from(client, member.user.email, PASSWORD, owner_ip).status_code == 302
    assert _login_from(type(client)(), member.user.email, PASSWORD, "192.0.2.201").status_code == 429
    assert _login_from(type(client)(), member.user.email, PASSWORD, "203.0.113.1").status_code == 429


def test_unlock_links_do_not_reveal_accounts_and_forged_ones_fail(client, member, mailoutbox):
    for _ in range(3):
        _login_from(client, "nobody@example.com", "wrong-password-x", ATTACKER_IP)  # a locked unknown address
    for email in ("nobody@example.com", member.user.email):  # unknown; known but not locked
        with TestCase.captureOnCommitCallbacks(execute=True):
            asked = client.post(reverse("lockout_unlock_request"), {"email": email})
        assert asked.status_code == 200 and "If that address has a locked account" in asked.content.decode()
    assert mailoutbox == []
    forged = client.post(reverse("lockout_unlock_confirm", args=["eyJlIjoiYUBiLmMifQ:forged:sig"]))
    assert forged.status_code == 410 and "not valid" in forged.content.decode()


def test_an_expired_unlock_link_is_refused(client, member, mailoutbox):
    import datetime

    from django.utils import timezone

    for _ in range(3):
        _login_from(client, member.user.email, "wrong-password-x", OWNER_IP)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("lockout_unlock_request"), {"email": member.user.email})
    link = _unlock_link()
    later = timezone.now() + datetime.timedelta(hours=2)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.post(link)
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_the_api_lockout_answer_offers_the_unlock_link(member, mailoutbox):
    api = APIClient()
    for _ in range(3):
        api.post("/api/auth/otp-login/", {"email": member.user.email, "password": "wrong"}, format="json")
    locked = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json")
    assert locked.status_code == 429 and locked.json()["unlock_request"] == "/api/auth/unlock-request/"
    with TestCase.captureOnCommitCallbacks(execute=True):
        unknown = api.post("/api/auth/unlock-request/", {"email": "nobody@example.com"}, format="json")
        known = api.post("/api/auth/unlock-request/", {"email": member.user.email}, format="json")
    assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()
    assert len(mailoutbox) == 1 and "/accounts/unlock/" in mailoutbox[0].body


def test_one_address_cannot_walk_a_list_of_emails_with_unlock_requests(client, member, mailoutbox):
    """Each email gets one link per five minutes; one address gets 20 requests an hour, whatever the emails, so a
    list of members' addresses cannot be used to flood their inboxes. The answer stays the same throughout."""
    from portal.members.lockout_services import UNLOCK_REQUESTS_PER_ADDRESS

    for _ in range(3):
        _login_from(client, member.user.email, "wrong-password-x", OWNER_IP)
    for n in range(UNLOCK_REQUESTS_PER_ADDRESS):
        client.post(reverse("lockout_unlock_request"), {"email": f"someone{n}@example.com"}, REMOTE_ADDR=ATTACKER_IP)
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(reverse("lockout_unlock_request"), {"email": member.user.email}, REMOTE_ADDR=ATTACKER_IP)
    assert asked.status_code == 200 and "If that address has a locked account" in asked.content.decode()
    assert mailoutbox == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("lockout_unlock_request"), {"email": member.user.email}, REMOTE_ADDR=OWNER_IP)
    assert len(mailoutbox) == 1  # the owner, from their own address, still gets the link
