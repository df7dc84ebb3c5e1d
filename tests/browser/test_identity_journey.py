"""The identity journey in a real browser: staff invite → invitee registers → enrols TOTP → signs in with a
code → uploads KYC → the KYC officer approves in the Wagtail admin → the member sees "verified"."""

import base64
import re
import time

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.members import roles
from portal.members.models import REQUIRED_KYC_TYPES, KycDocument
from tests.browser.helpers import code_from_key, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_invite_register_enrol_upload_and_get_verified(
    browser, live_server, demo_site, staff_user, output_dir, tmp_path, settings
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    base = live_server.url
    clerk = staff_user(roles.CLERKS)
    clerk_device = TOTPDevice.objects.create(user=clerk, name="Clerk app", confirmed=True)

    # 1. The clerk signs in with password and app code, and invites Njeri from the Wagtail admin.
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(staff, base, clerk.email, PASSWORD)
    staff.get_by_role("textbox", name="Code").fill(code_from_key(clerk_device.bin_key))
    staff.get_by_role("button", name="Verify").click()
    staff.goto(base + "/admin/snippets/members/invitation/add/")
    staff.locator("#id_email").fill("njeri@example.com")
    staff.locator("#id_first_name").fill("Njeri")
    staff.locator("#id_last_name").fill("Mwangi")
    staff.get_by_role("button", name="Save").first.click()
    staff.wait_for_url(re.compile(r".*/invitation/$"))
    staff.screenshot(path=str(output_dir / "journey-1-invited.png"), full_page=True)
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.outbox[-1].body).group(0)
    path = link[link.index("/accounts/") :]

    # 2. Njeri opens the link on her phone and registers.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(base + path)
    new_password = "Mvua-ya-Masika-2026"
    phone.get_by_label("Choose a password").fill(new_password)
    phone.get_by_label("Repeat the password").fill(new_password)
    phone.get_by_label("National ID number").fill("28765432")
    phone.get_by_label("Mobile phone number").fill("+254722333444")
    phone.get_by_label("I have read and accept the by-laws").check()
    phone.get_by_role("button", name="Open my account").click()
    phone.get_by_role("heading", name="Habari, Njeri").wait_for()
    phone.screenshot(path=str(output_dir / "journey-2-registered.png"), full_page=True)

    # 3. She turns on two-step sign-in with an authenticator app (the key shown under the QR code).
    phone.goto(base + "/portal/security/")
    phone.get_by_role("link", name="Turn on two-step sign-in").click()
    secret = phone.locator("code.secret").inner_text()
    key = base64.b32decode(secret)
    phone.screenshot(path=str(output_dir / "journey-3-enrol.png"), full_page=True)
    phone.get_by_role("textbox", name="Code").fill(code_from_key(key))
    phone.get_by_role("button", name="Confirm").click()
    phone.get_by_role("heading", name="Your backup codes").wait_for()
    phone.get_by_role("link", name="I have saved them").click()

    # 4. She signs out and in again: the password alone is not enough.
    phone.goto(base + "/accounts/logout/")
    phone.get_by_role("button", name="Sign Out").click()
    sign_in(phone, base, "njeri@example.com", new_password)
    phone.get_by_role("heading", name="Two-step sign-in").wait_for()
    phone.get_by_role("textbox", name="Code").fill(code_from_key(key, drift=1))  # the next step: codes are single-use
    phone.get_by_role("button", name="Verify").click()
    phone.get_by_role("heading", name="Habari, Njeri").wait_for()

    # 5. She uploads her four KYC documents.
    sample = tmp_path / "document.pdf"
    sample.write_bytes(PDF)
    phone.goto(base + "/portal/documents/")
    for document_type in REQUIRED_KYC_TYPES:
        phone.get_by_role("combobox", name="Document").select_option(document_type.value)
        phone.locator("#id_file").set_input_files(str(sample))
        phone.get_by_role("button", name="Upload").click()
        phone.get_by_text("Uploaded. The office will review it").wait_for()
    phone.screenshot(path=str(output_dir / "journey-4-uploaded.png"), full_page=True)
    assert KycDocument.objects.filter(member__user__email="njeri@example.com").count() == 4

    # 6. The clerk approves each document from the Wagtail admin's workflow actions.
    for document in KycDocument.objects.filter(member__user__email="njeri@example.com"):
        staff.goto(f"{base}/admin/snippets/members/kycdocument/edit/{document.pk}/")
        staff.get_by_role("link", name="Open the file").wait_for()
        staff.get_by_role("link", name="Approve…").first.click()  # the decision page asks to confirm
        staff.get_by_role("button", name="Confirm approval").click()
        for _ in range(50):
            if KycDocument.objects.filter(pk=document.pk, decision__status="verified").exists():
                break
            time.sleep(0.1)
        else:  # the poll gave up: the approval did not land, which is a failure, not something to walk past
            pytest.fail(f"{document.document_type} was not verified within 5 s of the clerk's approve click")
    staff.screenshot(path=str(output_dir / "journey-5-approved.png"), full_page=True)

    # 7. Njeri sees that she is verified.
    phone.goto(base + "/portal/documents/")
    assert "Verified" in phone.locator(".kyc-status").inner_text()
    phone.screenshot(path=str(output_dir / "journey-6-verified.png"), full_page=True)
