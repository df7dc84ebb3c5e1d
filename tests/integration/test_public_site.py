"""S1–S4: the public website renders its pages, serves the by-laws PDF and takes contact submissions."""

import pytest
from django.core import mail
from wagtail.contrib.forms.models import FormSubmission
from wagtail.documents.models import Document

from portal.home.models import ContactPage, HomePage
from portal.society.models import SaccoSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(module_demo_site, db):
    """The demo website, seeded once for this module (tests/conftest.py: module_demo_site)."""
    return module_demo_site


PAGES = {
    "/": "Save together, borrow wisely",
    "/about-us/": "How we are governed",
    "/membership/": "How to join",
    "/savings-and-loans/": "Development loan",
    "/news/": "Notice of the 31st Annual General Meeting",
    "/news/agm-notice/": "audited accounts",
    "/faqs/": "What is the difference between share capital and deposits?",
    "/downloads/": "By-laws of Mwamba SACCO Society Ltd",
    "/contact/": "Send message",
}


@pytest.mark.parametrize(("path", "text"), PAGES.items())
def test_each_public_page_renders_its_content(client, demo_site, path, text):
    response = client.get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_pages_have_landmarks_skip_link_and_navigation(client, demo_site):
    html = client.get("/").content.decode()
    for needle in [
        '<html lang="en">',
        'class="skip-link" href="#main"',
        '<main id="main"',
        'aria-label="Main"',
        "<footer",
        "<header",
        'href="/about-us/"',
        'href="/contact/"',
        "Mwamba SACCO Society Ltd",
    ]:
        assert needle in html, needle


def test_home_page_reads_figures_from_sacco_settings(client, demo_site):
    sacco = SaccoSettings.load()
    sacco.share_value = 500
    sacco.minimum_shares = 50
    sacco.save()
    html = client.get("/").content.decode()
    assert "KES 25,000" in html  # 500 × 50


def test_the_bylaws_download_is_a_real_pdf(client, demo_site):
    document = Document.objects.get(title="Mwamba SACCO by-laws")
    response = client.get(document.url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"%PDF")
    assert len(body) > 2000


def test_contact_form_stores_the_submission_and_emails_the_office(client, demo_site):
    contact = ContactPage.objects.get(locale__language_code="en-gb")
    fields = {f.clean_name: f for f in contact.form_fields.all()}
    data = {
        "your_name": "Achieng Odhiambo",
        "email_address": "achieng@example.com",
        "phone_number": "+254712000111",
        "membership_number": "",
        "subject": "Loans",
        "message": "How long does a school fees loan take?",
    }
    assert set(data) == set(fields)
    response = client.post("/contact/", data)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    submission = FormSubmission.objects.get(page=contact)
    assert submission.get_data()["message"] == data["message"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["info@mwamba-sacco.example"]
    assert "school fees loan" in mail.outbox[0].body


def test_contact_form_with_bad_input_names_the_field_and_stores_nothing(client, demo_site):
    response = client.post(
        "/contact/", {"your_name": "", "email_address": "not-an-email", "subject": "Loans", "message": "hi"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your name: This field is required." in html
    assert "Email address: Enter a valid email address." in html
    assert FormSubmission.objects.count() == 0
    assert mail.outbox == []


def test_news_index_paginates_and_survives_a_bad_page_number(client, demo_site):
    assert client.get("/news/?page=abc").status_code == 200
    assert client.get("/news/?page=999").status_code == 200


def test_sitemap_lists_public_pages(client, demo_site):
    xml = client.get("/sitemap.xml").content.decode()
    assert "/about-us/" in xml and "/contact/" in xml


def test_there_is_exactly_one_home_page_at_the_site_root(demo_site):
    from wagtail.models import Locale, Site

    english = HomePage.objects.get(locale=Locale.get_default())  # one per language: the sw one is its copy
    assert HomePage.objects.exclude(translation_key=english.translation_key).count() == 0
    assert Site.objects.get(is_default_site=True).root_page.specific == english
