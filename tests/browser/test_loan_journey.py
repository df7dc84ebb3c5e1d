"""The loan journey in a real browser: the member checks how much they can borrow and applies with two guarantors
(with a fresh code) → both guarantors accept in their portals → a loans officer appraises and two credit committee
members approve in the Wagtail admin → the treasurer disburses (fresh code) → the member sees the schedule → a clerk
records a repayment → the member downloads the statement PDF."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.finance.ledger.models import JournalLine
from portal.loans.demo import loans_seed
from portal.loans.models import Loan, LoanApplication, LoanReview
from portal.members import roles
from portal.workflows.models import CommitteeVote
from tests.browser.helpers import code_from_key, sign_in, staff_page
from tests.conftest import PASSWORD
from tests.factories import member_with_savings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_member_applies_committee_approves_treasurer_disburses_member_sees_it(
    browser, live_server, demo_site, make_member, make_user, staff_user, output_dir
):
    base = live_server.url
    loans_seed()
    juma = member_with_savings(
        make_member,
        email="juma@example.com",
        first_name="Juma",
        deposits="60000",
        share_capital_reference="sc",
        deposit_reference="dep",
    )
    juma_device = TOTPDevice.objects.create(user=juma.user, name="Phone", confirmed=True)
    guarantors = []
    for email in ("akinyi@example.com", "baraka@example.com"):
        guarantor = member_with_savings(  # deposits only: no KYC and no share capital needed to guarantee
            make_member,
            email=email,
            first_name=email.split("@")[0].title(),
            join_date=datetime.date(2023, 5, 2),
            deposits="80000",
            share_capital="",
            kyc=False,
        )
        guarantors.append((guarantor, TOTPDevice.objects.create(user=guarantor.user, name="Phone", confirmed=True)))

    # 1. Juma, on his phone, sees how much he can borrow and applies; submitting asks for his code.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.set_default_timeout(30_000)
    sign_in(phone, base, juma.user.email, PASSWORD)
    phone.get_by_role("textbox", name="Code").fill(code_from_key(juma_device.bin_key))
    phone.get_by_role("button", name="Verify").click()
    phone.goto(base + "/portal/loans/")
    assert "up to KES 180,000.00" in phone.locator("#eligibility-development").inner_text()
    phone.screenshot(path=str(output_dir / "loan-1-eligibility.png"), full_page=True)
    phone.locator("#eligibility-development").get_by_role("link", name=re.compile("Apply")).click()
    phone.get_by_role("textbox", name="Amount (KES)", exact=True).fill("100000")
    phone.get_by_label("Term (months)").fill("12")
    phone.get_by_label("What is the loan for?").fill("Dairy cows")
    for n, (guarantor, _) in enumerate(guarantors, start=1):
        phone.get_by_label(f"Guarantor {n}: name or membership number").fill(guarantor.membership_number)
        phone.get_by_label(f"Guarantor {n}: amount (KES)").fill("25000")
    phone.get_by_role("button", name="Submit the application").click()
    phone.get_by_text("Your application is in").wait_for()
    application = LoanApplication.objects.get()
    assert application.cover_needed == 40000

    # 2. Each guarantor signs in on their own phone and accepts (with their code).
    for guarantor, device in guarantors:
        other = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
        other.set_default_timeout(30_000)
        sign_in(other, base, guarantor.user.email, PASSWORD)
        other.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
        other.get_by_role("button", name="Verify").click()
        other.goto(base + "/portal/guarantees/")
        other.get_by_role("button", name="Accept").click()
        other.get_by_text("the applicant has been told").wait_for()
        other.screenshot(path=str(output_dir / f"loan-guarantee-{guarantor.user.first_name}.png"), full_page=True)
    assert set(application.guarantees.values_list("status", flat=True)) == {"accepted"}

    # 3. The loans officer appraises, then two credit committee members approve, each from the Wagtail admin's
    #    workflow actions on the application's approval page (the quorum is two distinct members).
    review = LoanReview.objects.get(application=application)
    second = make_user("mercy@sacco.example", role=roles.CREDIT_COMMITTEE, first_name="Mercy", last_name="Achieng")
    for n, user in enumerate((staff_user(roles.LOANS_OFFICERS), staff_user(roles.CREDIT_COMMITTEE), second)):
        page, _ = staff_page(browser, base, user)
        page.goto(f"{base}/admin/snippets/loans/loanreview/edit/{review.pk}/")
        page.get_by_role("heading", name="Eligibility today").wait_for()
        page.screenshot(path=str(output_dir / f"loan-approval-{n}.png"), full_page=True)
        page.get_by_role("link", name="Approve…").first.click()  # the decision page asks to confirm
        page.get_by_role("button", name="Confirm approval").click()
        page.wait_for_url(re.compile(r".*/loanreview/$"))
        page.context.close()
    application.refresh_from_db()
    assert application.status == "approved"
    assert list(CommitteeVote.objects.order_by("voted_at").values_list("user__email", flat=True)) == [
        "credit-committee@sacco.example",
        "mercy@sacco.example",
    ]

    # 4. The treasurer disburses.
    treasurer, _ = staff_page(browser, base, staff_user(roles.TREASURER))
    treasurer.goto(f"{base}/admin/loans/applications/{application.pk}/disburse/")
    treasurer.get_by_role("button", name="Disburse").click()
    treasurer.get_by_text("the schedule is ready").wait_for()
    treasurer.screenshot(path=str(output_dir / "loan-2-disbursed.png"), full_page=True)
    loan = Loan.objects.get()

    # 5. A clerk records an M-Pesa repayment.
    clerk, _ = staff_page(browser, base, staff_user(roles.CLERKS))
    clerk.goto(f"{base}/admin/loans/loans/{loan.pk}/repayment/")
    clerk.locator("#id_amount").fill("8884.88")
    clerk.locator("#id_reference").fill("QK7H2M1X")
    clerk.get_by_role("button", name="Record").click()
    clerk.get_by_text("KES 8,884.88 recorded").wait_for()

    # 6. Juma sees the schedule with the first instalment paid, and downloads the statement.
    phone.goto(f"{base}/portal/loans/{loan.pk}/")
    first_row = phone.locator("table.data tbody tr").first
    assert "8,884.88" in first_row.inner_text()
    assert "QK7H2M1X" in phone.locator("table.statement").inner_text()
    phone.screenshot(path=str(output_dir / "loan-3-schedule.png"), full_page=True)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download the statement (PDF)").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # 7. The dashboard answers "what do I owe, and when is my next payment?" from the books: the balance is the
    # ledger's loan book (1100) for this loan, the next payment the schedule's first instalment not yet paid.
    lines = JournalLine.objects.filter(loan=loan, account__code="1100").aggregate(d=Sum("debit"), c=Sum("credit"))
    in_the_books = lines["d"] - lines["c"]
    assert in_the_books == loan.principal - Decimal("8884.88") + loan.instalments.get(number=1).interest
    following = loan.instalments.get(number=2)
    phone.goto(f"{base}/portal/")
    assert phone.locator(".dash-owed").inner_text() == f"KES {in_the_books:,.2f}"
    next_payment = phone.locator(".dash-next").inner_text()
    assert f"KES {following.principal + following.interest:,.2f}" in next_payment
    assert f"{following.due_date.day} {following.due_date:%b %Y}" in next_payment
    phone.screenshot(path=str(output_dir / "loan-4-dashboard.png"), full_page=True)
