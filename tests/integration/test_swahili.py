"""Kiswahili (issue 14): the public site, the member portal, emails and PDFs are translated; a visitor chooses the
language with a plain form, a signed-in member's choice is saved on the account and follows them to another
browser, and English stays the default."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.translation import gettext_lazy
from pypdf import PdfReader

from portal.loans.demo import loans_seed
from portal.loans.models import LoanProduct
from portal.members import roles
from portal.members.kyc import kyc_document_upload, kyc_review_act
from portal.notifications.services import notify
from tests.conftest import PASSWORD, sign_in_verified
from tests.factories import application_with_guarantors, loan_disbursed

pytestmark = pytest.mark.django_db

CALCULATOR = "/savings-and-loans/loan-calculator/"


def _choose(client, language, next_url="/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


def test_the_public_site_and_the_calculator_in_kiswahili(client, demo_site):
    loans_seed()
    development = LoanProduct.objects.get(slug="development")
    english = client.get("/").content.decode()
    assert '<html lang="en">' in english and "Member portal" in english and "Lango la wanachama" not in english
    assert 'name="language" value="sw"' in english  # the chooser, a plain POST form in the footer

    response = _choose(client, "sw")
    assert response.status_code == 302 and response.cookies["django_language"].value == "sw"
    home = client.get("/").content.decode()
    assert '<html lang="sw">' in home
    assert "Lango la wanachama" in home and "Viungo vya haraka" in home and "Uanachama kwa ufupi" in home
    calculator = client.get(
        CALCULATOR, {"product": development.pk, "amount": "100,000", "months": "12"}
    ).content.decode()
    assert "Rejesho la kila mwezi" in calculator and "Jumla ya kurejesha" in calculator
    assert "KES 8,884.88" in calculator  # Kiswahili keeps the thousands separator

    assert "Weka upya nenosiri langu" in client.get("/accounts/password/reset/").content.decode()  # allauth's page

    _choose(client, "en-gb")
    assert "Member portal" in client.get("/").content.decode()


def test_a_members_choice_is_saved_and_follows_them_to_another_browser(client, member):
    sign_in_verified(client, member.user)
    _choose(client, "sw", "/portal/")
    member.user.refresh_from_db()
    assert member.user.language == "sw"

    phone = Client()  # another phone: no language cookie
    sign_in_verified(phone, member.user)
    response = phone.get("/portal/")
    assert "Unachodaiwa" in response.content.decode()
    assert response.cookies["django_language"].value == "sw"  # the cookie follows the account

    _choose(phone, "en-gb", "/portal/")
    member.user.refresh_from_db()
    assert member.user.language == "en-gb"
    assert "What you owe" in client.get("/portal/").content.decode()


def test_a_language_chosen_before_signing_in_is_saved_at_sign_in(client, member):
    _choose(client, "sw", "/accounts/login/")
    client.post("/accounts/login/", {"login": member.user.email, "password": PASSWORD})
    member.user.refresh_from_db()
    assert member.user.language == "sw"


def test_the_dashboard_in_kiswahili(client, member):
    member.user.language = "sw"
    member.user.save(update_fields=["language"])
    sign_in_verified(client, member.user)
    html = client.get("/portal/").content.decode()
    assert '<html lang="sw">' in html
    for text in ("Habari, Amina", "Unachodaiwa", "Dhamana unazotoa", "Salio zako", "Mikopo", "Akiba"):
        assert text in html, text


def test_english_stays_the_default(client, member):
    sign_in_verified(client, member.user)
    html = client.get("/portal/").content.decode()
    assert '<html lang="en">' in html and "What you owe" in html


def test_an_email_to_a_member_is_in_their_language(member, other_member, django_capture_on_commit_callbacks):
    member.user.language = "sw"
    member.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=member.user,
            subject=gettext_lazy("Unlock your account"),  # a lazy subject is translated in the member's language
            template="otp_code",
            context={"token": "123456"},
            inbox=False,
        )
        notify(user=other_member.user, subject="Code", template="otp_code", context={"token": "654321"}, inbox=False)
    swahili, english = mail.outbox
    assert swahili.body.startswith("Nambari yako ya kuingia ni 123456") and swahili.subject.endswith(
        "Fungua akaunti yako"
    )
    assert english.body.startswith("Your sign-in code is 654321")


def test_the_loan_statement_pdf_in_kiswahili(client, borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    borrower.user.language = "sw"
    borrower.user.save(update_fields=["language"])
    sign_in_verified(client, borrower.user)
    pdf = client.get(f"/portal/loans/{loan.pk}/statement.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Taarifa ya mkopo" in text and "Salio" in text


def test_the_loans_page_gives_eligibility_reasons_in_kiswahili(client, member, products):
    member.user.language = "sw"
    member.user.save(update_fields=["language"])
    sign_in_verified(client, member.user)
    html = client.get("/portal/loans/").content.decode()
    assert "Hati zako zote za KYC bado hazijathibitishwa." in html  # Amina's documents are not verified
    assert "Hali ya uanachama wako: hai." in html and "Your KYC documents" not in html


def test_a_member_status_badge_in_kiswahili(client, member):
    member.user.language = "sw"
    member.user.save(update_fields=["language"])
    sign_in_verified(client, member.user)
    assert '<span class="badge badge--active">Hai</span>' in client.get("/portal/").content.decode()


def test_a_guarantor_request_email_in_the_guarantors_language(
    products, borrower, people, mailoutbox, django_capture_on_commit_callbacks
):
    akinyi = people["akinyi"]
    akinyi.user.language = "sw"
    akinyi.user.save(update_fields=["language"])
    emergency = products["emergency"]
    with django_capture_on_commit_callbacks(execute=True):
        application_with_guarantors(  # the borrower's request is in English; the guarantor reads Kiswahili
            borrower=borrower,
            product=emergency,
            amount=str(emergency.min_amount),
            guarantors=[(akinyi, str(emergency.min_amount), "Akinyi")],
            term_months=emergency.min_term_months,
        )
    (asked,) = [m for m in mailoutbox if akinyi.user.email in m.to]
    assert asked.subject.endswith("anakuomba umdhamini kwa mkopo")
    assert f"ameomba mkopo ({emergency.name}) wa KES" in asked.body and "Kubali au kataa" in asked.body
    assert "has applied for" not in asked.body


def test_a_kyc_rejection_email_in_the_members_language(
    member, staff_user, settings, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    member.user.language = "sw"
    member.user.save(update_fields=["language"])
    pdf = SimpleUploadedFile("id.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    document = kyc_document_upload(member=member, document_type="national_id_front", upload=pdf, by=member.user)
    with django_capture_on_commit_callbacks(execute=True):  # the clerk works in English
        kyc_review_act(document=document, user=staff_user(roles.CLERKS), action="reject", reason="Picha haionekani")
    (sent,) = [m for m in mailoutbox if m.subject.endswith("Kitambulisho cha taifa (mbele): imekataliwa")]
    assert sent.to == [member.user.email]
    assert "Hati yako (Kitambulisho cha taifa (mbele)) haikukubaliwa: Picha haionekani" in sent.body
