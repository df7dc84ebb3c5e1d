"""The savings journey in a real browser: a clerk uploads a check-off file with a bad row, reads the preview,
fixes the file, confirms; the member then sees the money on their phone (dashboard, chart, contributions)."""

import datetime
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.contributions.models import CheckoffImport
from portal.finance.ledger.selectors import account_balance
from portal.members import roles
from tests.browser.helpers import code_from_key, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_clerk_imports_checkoff_and_member_sees_it(
    browser, live_server, demo_site, staff_user, make_member, output_dir, tmp_path, settings
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    base = live_server.url
    amina = make_member(
        "amina@example.com", first_name="Amina", payroll_number="TSC1001", join_date=datetime.date(2025, 1, 10)
    )
    make_member(payroll_number="TSC1002")
    clerk = staff_user(roles.CLERKS)
    device = TOTPDevice.objects.create(user=clerk, name="Clerk app", confirmed=True)
    period = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")

    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.set_default_timeout(30_000)
    sign_in(staff, base, clerk.email, PASSWORD)
    staff.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    staff.get_by_role("button", name="Verify").click()
    staff.wait_for_url(re.compile(r".*/admin/$"))

    # 1. A file with a bad row: the preview names it and offers no confirm button.
    bad = tmp_path / "checkoff-bad.csv"
    bad.write_text("payroll_number,share_capital,deposits\nTSC1001,2000,1500\nTSC9999,0,1000\n")
    staff.goto(base + "/admin/savings/checkoff/")
    staff.locator("#id_file").set_input_files(str(bad))
    staff.locator("#id_period").fill(period)
    staff.get_by_role("button", name="Check the file").click()
    staff.wait_for_load_state()
    staff.screenshot(path=str(output_dir / "savings-1-preview-errors.png"), full_page=True)
    staff.get_by_text("Nothing can be posted").wait_for()
    assert "No member has payroll number TSC9999" in staff.locator("#checkoff-errors").inner_text()
    assert staff.get_by_role("button", name=re.compile("Confirm and post")).count() == 0
    staff.screenshot(path=str(output_dir / "savings-1-preview-errors.png"), full_page=True)

    # 2. The fixed file previews clean; confirming posts both rows.
    good = tmp_path / "checkoff.csv"
    good.write_text("payroll_number,share_capital,deposits\nTSC1001,2000,1500\nTSC1002,0,1000\n")
    staff.locator("#id_file").set_input_files(str(good))
    staff.locator("#id_period").fill(period)
    staff.get_by_role("button", name="Check the file").click()
    staff.get_by_role("button", name="Confirm and post 2 rows").click()
    staff.get_by_text("2 rows posted").wait_for()
    staff.screenshot(path=str(output_dir / "savings-2-posted.png"), full_page=True)
    assert CheckoffImport.objects.count() == 1
    assert account_balance(code="2000", member=amina) == 1500

    # 3. Amina, on her phone, sees her deposits, share capital progress and the contribution.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.set_default_timeout(30_000)
    sign_in(phone, base, "amina@example.com", PASSWORD)
    phone.get_by_role("heading", name="Your balances").wait_for()
    assert "KES 1,500.00" in phone.locator(".balance-deposits").inner_text()
    assert "KES 2,000.00" in phone.locator(".balance-share-capital").inner_text()
    assert phone.locator(".savings-chart svg polyline").count() == 2
    phone.screenshot(path=str(output_dir / "savings-3-dashboard.png"), full_page=True)
    phone.get_by_role("navigation", name="Member shortcuts").get_by_role("link", name="Savings").click()
    row = phone.locator("table.data tbody tr").first
    assert period in row.inner_text() and "1,500.00" in row.inner_text()
    phone.screenshot(path=str(output_dir / "savings-4-contributions.png"), full_page=True)
