"""Issue 14 in a real browser, on a phone and without relying on JavaScript: a member fills in a loan application,
is asked for a code when they press Submit (their code went stale while they typed, or they never set up a second
factor), enters it, comes back to the form with everything they typed, presses Submit once more, and the
application is in with what they typed."""

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.loans.demo import loans_seed
from portal.loans.models import LoanApplication
from portal.members.otp import FRESH_SESSION_KEY
from tests.browser.helpers import code_from_key, sign_in
from tests.conftest import PASSWORD
from tests.factories import member_with_savings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _people(make_member):
    loans_seed()
    juma = member_with_savings(make_member, email="juma@example.com", first_name="Juma", deposits="60000")
    akinyi = member_with_savings(make_member, email="akinyi@example.com", first_name="Akinyi", deposits="80000")
    return juma, akinyi


def _phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def _fill_application(page, base, guarantor):
    page.goto(base + "/portal/loans/apply/")
    page.get_by_role("textbox", name="Amount (KES)", exact=True).fill("50000")
    page.get_by_role("textbox", name="Term (months)", exact=True).fill("12")
    page.get_by_role("textbox", name="What is the loan for?", exact=True).fill("Dairy cows")
    page.get_by_role("textbox", name="Guarantor 1: name or membership number", exact=True).fill(
        guarantor.membership_number
    )
    page.get_by_role("textbox", name="Guarantor 1: amount (KES)", exact=True).fill("10000")
    page.get_by_role("button", name="Submit the application").click()


def _check_kept_and_send(page, guarantor, output_dir, name):
    page.get_by_text("Your answers are kept").first.wait_for()
    assert page.get_by_role("textbox", name="Amount (KES)", exact=True).input_value() in (
        "50000",
        "50,000",
        "50,000.00",
        "50000.00",
    )
    assert page.get_by_role("textbox", name="Term (months)", exact=True).input_value() == "12"
    assert page.get_by_role("textbox", name="What is the loan for?", exact=True).input_value() == "Dairy cows"
    assert (
        page.get_by_role("textbox", name="Guarantor 1: name or membership number", exact=True).input_value()
        == guarantor.membership_number
    )
    assert not LoanApplication.objects.exists()  # nothing sent before the member presses Submit again
    page.screenshot(path=str(output_dir / f"{name}-kept.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Submit the application").click()
    page.get_by_text("Your application is in").wait_for()
    application = LoanApplication.objects.get()
    assert (application.amount, application.term_months, application.purpose) == (50000, 12, "Dairy cows")
    assert list(application.guarantees.values_list("guarantor", "amount")) == [(guarantor.pk, 10000)]


def test_an_application_survives_a_code_that_went_stale_while_typing(browser, live_server, make_member, output_dir):
    base = live_server.url
    juma, akinyi = _people(make_member)
    device = TOTPDevice.objects.create(user=juma.user, name="Phone", confirmed=True)
    page = _phone(browser)
    sign_in(page, base, juma.user.email, PASSWORD)
    page.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r".*/portal/$"))

    # The member takes a while over the form: the code they gave at sign-in is no longer fresh.
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=session_key)
    session[FRESH_SESSION_KEY] = int(time.time()) - 3600
    session.save()

    _fill_application(page, base, akinyi)
    page.wait_for_url(re.compile(r".*/accounts/otp/verify/.*"))
    page.get_by_text("Your answers are kept").wait_for()
    page.screenshot(path=str(output_dir / "fresh-code-verify.png"), full_page=True)
    page.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key, drift=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r".*/portal/loans/apply/$"))
    _check_kept_and_send(page, akinyi, output_dir, "fresh-code")
    page.context.close()


def test_an_application_survives_setting_up_the_second_factor(browser, live_server, make_member, output_dir):
    base = live_server.url
    juma, akinyi = _people(make_member)
    page = _phone(browser)
    sign_in(page, base, juma.user.email, PASSWORD)  # no second factor yet: straight in
    page.wait_for_url(re.compile(r".*/portal/$"))

    _fill_application(page, base, akinyi)
    page.wait_for_url(re.compile(r".*/accounts/otp/setup/.*"))
    page.get_by_text("Your answers are kept").wait_for()
    page.screenshot(path=str(output_dir / "fresh-code-setup.png"), full_page=True)
    page.get_by_role("button", name="Use email codes").click()
    page.get_by_role("link", name=re.compile("back to my form")).click()
    page.wait_for_url(re.compile(r".*/portal/loans/apply/$"))
    _check_kept_and_send(page, akinyi, output_dir, "fresh-code-setup")
    page.context.close()
