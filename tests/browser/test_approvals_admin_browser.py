"""Issue 14 in a real browser: the loans officer reads the approvals list (member, number, product, KES amount, step,
wait, flags) at phone and desktop widths, is refused an approval without a comment on an application whose KYC is
no longer verified, approves with one; an auditor reads the same approval on its read-only page."""

import re

import pytest

from portal.loans.models import LoanReview
from portal.loans.services import application_submit
from portal.members import roles
from portal.members.models import KycDecision
from tests.browser.helpers import staff_page
from tests.factories import loan_products, member_with_savings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px viewport"


def test_officer_lists_refuses_without_comment_approves_with_one_auditor_reads(
    browser, live_server, make_member, staff_user, output_dir
):
    base = live_server.url
    products = loan_products()
    juma = member_with_savings(make_member, email="juma@example.com", first_name="Juma")
    application = application_submit(
        member=juma, product=products["development"], amount="90000", term_months=12, purpose="Dairy"
    )
    KycDecision.objects.filter(document__member=juma).delete()
    review = LoanReview.objects.get(application=application)

    officer, _ = staff_page(browser, base, staff_user(roles.LOANS_OFFICERS))
    for width, height in ((390, 844), (1280, 800)):
        officer.set_viewport_size({"width": width, "height": height})
        officer.goto(f"{base}/admin/snippets/loans/loanreview/")
        row = officer.locator("tbody tr").first
        text = row.inner_text()
        assert f"Juma Kamau ({juma.membership_number})" in text.replace("\n", " ")
        assert "Development loan" in text and "KES 90,000.00" in text and "KYC not verified" in text
        assert "Loans officer appraisal" in text and "today" in text
        _no_sideways_scroll(officer)
        officer.screenshot(path=str(output_dir / f"approvals-list-{width}.png"), full_page=True)

    officer.set_viewport_size({"width": 390, "height": 844})
    officer.goto(f"{base}/admin/snippets/loans/loanreview/edit/{review.pk}/")
    officer.get_by_role("link", name="Approve…").first.click()
    officer.get_by_text("Juma Kamau's KYC documents are not all verified yet.").wait_for()
    _no_sideways_scroll(officer)
    officer.get_by_role("button", name="Confirm approval").click()
    officer.get_by_text("fails: KYC not verified. Say why you approve.").wait_for()
    officer.screenshot(path=str(output_dir / "approvals-refused-390.png"), full_page=True)
    assert LoanReview.objects.get(pk=review.pk).current_workflow_task_state.task.name == "Loans officer appraisal"

    officer.get_by_label(re.compile("Why approve anyway")).fill("Documents seen at the office")
    officer.get_by_role("button", name="Confirm approval").click()
    officer.wait_for_url(re.compile(r".*/loanreview/$"))
    officer.get_by_text(re.compile(r"You approved Juma Kamau .* It now waits for: Credit committee\.")).wait_for()
    officer.context.close()

    auditor, _ = staff_page(browser, base, staff_user(roles.AUDITORS))
    auditor.set_viewport_size({"width": 390, "height": 844})
    auditor.goto(f"{base}/admin/snippets/loans/loanreview/")
    auditor.locator("tbody tr a", has_text="Juma Kamau").first.click()
    auditor.wait_for_url(re.compile(r".*/loanreview/inspect/.*"))
    auditor.get_by_text("Read only").wait_for()
    assert auditor.get_by_role("link", name="Approve…").count() == 0
    _no_sideways_scroll(auditor)
    auditor.screenshot(path=str(output_dir / "approvals-inspect-390.png"), full_page=True)
