"""Issue 15, "Pay with M-Pesa" in a real browser on a phone: the member presses Pay, the fake Daraja sends the STK
result to the live server, the status page turns from pending to paid by its own meta refresh (no script), and the
ledger holds the posting."""

import re
from decimal import Decimal

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from portal.finance.ledger.selectors import account_balance
from portal.mpesa.models import MpesaReceipt, StkPush, StkStatus
from tests.browser.helpers import code_from_key, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def test_member_pays_with_mpesa_and_sees_it_paid(browser, live_server, fake_daraja, make_member, output_dir):
    member = make_member("amina@example.com", first_name="Amina", last_name="Wanjiru", phone_number="+254712345678")
    device = TOTPDevice.objects.create(user=member.user, name="Phone", confirmed=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, live_server.url, member.user.email, PASSWORD)
    page.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)

    page.goto(live_server.url + "/portal/more/")
    page.locator("main").get_by_role("link", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r".*/portal/pay/$"))
    assert page.evaluate(OVERFLOW) <= 0
    expect(page.get_by_label("Pay from phone number")).to_have_value("+254712345678")
    page.get_by_label("Any amount", exact=True).check()
    page.get_by_label("Amount (KES)").fill("2,500")
    page.screenshot(path=str(output_dir / "mpesa-pay-phone.png"), full_page=True)
    page.get_by_role("button", name="Pay", exact=True).click()

    page.wait_for_url(re.compile(r".*/portal/pay/\d+/$"))
    status = page.locator(".pay-status")
    # Pending at first (unless the callback was quicker than the page), then paid after a refresh by itself.
    expect(status).to_contain_text(re.compile("Waiting for you to confirm|Paid"))
    expect(status).to_contain_text("Paid", timeout=20_000)
    assert page.evaluate(OVERFLOW) <= 0
    push = StkPush.objects.get()
    assert push.status == StkStatus.PAID
    assert push.mpesa_receipt_number in page.locator("main").inner_text()
    receipt = MpesaReceipt.objects.get(trans_id=push.mpesa_receipt_number)
    assert receipt.amount == Decimal("2500.00") and receipt.entry is not None
    assert account_balance(code="2000", member=member) == Decimal("2500.00")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    page.screenshot(path=str(output_dir / "mpesa-paid-phone.png"), full_page=True)
    context.close()
