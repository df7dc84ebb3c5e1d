"""Helpers shared by the browser journeys (not tests): a TOTP code from a device key, the sign-in form, and a staff
member's admin page signed in with the second factor. They live here so no journey imports another journey."""

import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD


def code_from_key(key: bytes, drift: int = 0) -> str:
    """The six-digit TOTP code an authenticator app would show for this device key (drift in 30 s steps)."""
    return f"{totp(key, step=30, t0=0, digits=6, drift=drift):06d}"


def sign_in(page, base, email, password):
    """Fill and submit the sign-in form (the second factor, if asked, is the caller's next step)."""
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def staff_page(browser, base, user):
    """A new page signed in to the Wagtail admin as `user` with a fresh confirmed TOTP device: (page, device)."""
    device = TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, user.email, PASSWORD)
    page.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
    return page, device
