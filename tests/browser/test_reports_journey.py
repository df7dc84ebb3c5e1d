"""Issue 6 in a real browser: the treasurer prepares the month's statements → two credit committee members approve
them in the Wagtail admin → a member reads the pack on their phone and downloads its PDF → the treasurer saves a
monthly report with a recipient and runs it → an auditor finds both in the audit trail."""

import datetime
import re

import pytest
from django.core import mail

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.members import roles
from portal.reports.models import FinancialStatement, Report, SavedReport
from tests.browser.helpers import code_from_key, sign_in, staff_page
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_statements_approved_then_read_saved_report_run_and_audited(
    browser, live_server, demo_site, make_member, make_user, staff_user, output_dir
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    base = live_server.url
    amina = make_member("amina@example.com", first_name="Amina", join_date=datetime.date(2024, 1, 10))
    share_capital_payment_record(member=amina, amount="5000", reference="sc-a", date=datetime.date(2026, 1, 8))
    monthly_contribution_record(
        member=amina, amount="2500", period="2026-01", reference="dep-a", date=datetime.date(2026, 1, 25)
    )
    treasurer_user = staff_user(roles.TREASURER)
    auditor_user = staff_user(roles.AUDITORS)

    # 1. The treasurer looks at January's statements and prepares them for approval.
    treasurer, _ = staff_page(browser, base, treasurer_user)
    treasurer.goto(f"{base}/admin/reports/financial-statements/?start=2026-01-01&end=2026-01-31")
    treasurer.get_by_role("heading", name="Balance sheet").first.wait_for()
    treasurer.get_by_role("button", name=re.compile("Prepare these for approval")).click()
    treasurer.wait_for_url(re.compile(r".*/financialstatement/$"))
    pack = FinancialStatement.objects.get()
    assert not pack.live

    # 2. Two committee members approve it from its review page.
    second = make_user("mercy@sacco.example", role=roles.CREDIT_COMMITTEE, first_name="Mercy", last_name="Achieng")
    for n, user in enumerate((staff_user(roles.CREDIT_COMMITTEE), second)):
        page, _ = staff_page(browser, base, user)
        page.goto(f"{base}/admin/snippets/reports/financialstatement/edit/{pack.pk}/")
        page.screenshot(path=str(output_dir / f"statements-approval-{n}.png"), full_page=True)
        page.get_by_role("link", name="Approve…").first.click()  # the decision page asks to confirm
        page.get_by_role("button", name="Confirm approval").click()
        page.wait_for_url(re.compile(r".*/financialstatement/$"))
        page.context.close()
    pack.refresh_from_db()
    assert pack.live

    # 3. Amina reads the approved pack on her phone and downloads the PDF.
    device = TOTPDevice.objects.create(user=amina.user, name="Phone", confirmed=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.set_default_timeout(30_000)
    sign_in(phone, base, amina.user.email, PASSWORD)
    phone.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    phone.get_by_role("button", name="Verify").click()
    phone.goto(base + "/portal/statements/")
    phone.get_by_role("link", name=pack.title).click()
    assert "7,500.00" in phone.content()  # cash at the end of January: 5,000 + 2,500
    phone.screenshot(path=str(output_dir / "statements-member.png"), full_page=True)
    phone.goto(base + "/portal/statements/")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="PDF").first.click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # 4. The treasurer saves "Monthly management accounts" for the auditor, scheduled monthly, and runs it now.
    treasurer.goto(f"{base}/admin/snippets/reports/savedreport/add/")
    treasurer.locator("#id_name").fill("Monthly management accounts")
    treasurer.locator("#id_report_type").select_option("financial_statements")
    treasurer.locator("#id_period").select_option("previous_month")
    treasurer.locator("#id_output_format").select_option("xlsx")
    treasurer.locator("#id_frequency").select_option("monthly")
    treasurer.get_by_label(re.compile(re.escape(auditor_user.email))).check()
    treasurer.locator("footer").get_by_role("button", name="Save").click()
    treasurer.wait_for_url(re.compile(r".*/savedreport/$"))
    saved = SavedReport.objects.get()
    assert saved.schedule.cron == "0 6 1 * *" and list(saved.recipients.all()) == [auditor_user]
    treasurer.goto(f"{base}/admin/reports/saved/{saved.pk}/run/")
    mail.outbox.clear()
    treasurer.get_by_label(re.compile("Also email it")).check()
    treasurer.get_by_role("button", name="Run now").click()
    treasurer.get_by_text("is ready and sent to 1 recipients").wait_for()
    treasurer.screenshot(path=str(output_dir / "saved-report-run.png"), full_page=True)
    with treasurer.expect_download() as download:
        treasurer.get_by_role("link", name="Download").first.click()
    with open(download.value.path(), "rb") as xlsx:
        assert xlsx.read(2) == b"PK"
    assert Report.objects.get().emailed_to == auditor_user.email

    # 5. The auditor finds the pack's approvals and the saved report in the audit trail.
    auditor, _ = staff_page(browser, base, auditor_user)
    auditor.goto(f"{base}/admin/audit/?search=Monthly+management")
    assert "Monthly management accounts" in auditor.locator("table.listing").inner_text()
    auditor.goto(f"{base}/admin/audit/?object_type=reports.financialstatement&action=sacco.vote")
    votes = auditor.locator("table.listing tbody").inner_text()
    assert "Statement approval: approved (1 of 2)" in votes and "Statement approval: approved (2 of 2)" in votes
    auditor.screenshot(path=str(output_dir / "audit-trail.png"), full_page=True)
