"""Public pages in Kiswahili (docs/translation.md): the same URLs, the language from the cookie or the account, the
English page wherever no Kiswahili copy is published."""

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.models import Locale, Page

from portal.home.models import HomePage, StandardPage
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(module_demo_site, db):
    """The demo website, seeded once for this module (tests/conftest.py: module_demo_site)."""
    return module_demo_site


def _kiswahili(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sw"
    return client


def _english_page(slug):
    return Page.objects.get(slug=slug, locale=Locale.get_default()).specific


def test_a_kiswahili_reader_gets_the_kiswahili_home_page_and_menu_at_the_same_url(client, demo_site):
    html = _kiswahili(client).get("/").content.decode()
    assert "Weka akiba pamoja, kopa kwa busara" in html
    assert "Mwamba SACCO is owned by 2,400" not in html  # the English hero (the tagline is a setting, English)
    for title, path in [("Kuhusu sisi", "/about-us/"), ("Akiba na mikopo", "/savings-and-loans/")]:
        assert f'href="{path}"' in html and title in html
    assert "Downloads" in html  # no Kiswahili copy: the English menu entry stays


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/about-us/", "Jinsi tunavyoongozwa"),
        ("/membership/", "Jinsi ya kujiunga"),
        ("/savings-and-loans/", "Mkopo wa maendeleo"),
        ("/faqs/", "Kuna tofauti gani kati ya hisa na akiba?"),
        ("/contact/", "Wasiliana nasi"),
        ("/news/", "Notice of the 31st Annual General Meeting"),  # the Kiswahili index lists the English articles
    ],
)
def test_a_kiswahili_reader_gets_each_translated_page_at_its_english_url(client, demo_site, path, text):
    response = _kiswahili(client).get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_an_english_reader_gets_exactly_the_english_pages(client, demo_site):
    html = client.get("/").content.decode()
    assert "Save together, borrow wisely" in html
    assert "Kuhusu sisi" not in html and "Weka akiba" not in html
    assert "How we are governed" in client.get("/about-us/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    assert "Jinsi" not in client.get("/membership/").content.decode()


@pytest.mark.parametrize(
    ("path", "text"), [("/downloads/", "By-laws of Mwamba SACCO Society Ltd"), ("/news/agm-notice/", "audited")]
)
def test_a_page_without_a_kiswahili_copy_is_served_in_english(client, demo_site, path, text):
    response = _kiswahili(client).get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_a_draft_kiswahili_copy_falls_back_to_the_english_page(client, demo_site):
    sw_about = _english_page("about-us").get_translation(Locale.objects.get(language_code="sw"))
    sw_about.unpublish()
    response = _kiswahili(client).get("/about-us/")
    assert response.status_code == 200
    assert "How we are governed" in response.content.decode()


def test_a_new_english_page_is_served_to_a_kiswahili_reader_before_it_is_translated(client, demo_site):
    parent = _english_page("about-us")
    page = StandardPage(title="Board elections", slug="board-elections", intro="Who stands this year.")
    parent.add_child(instance=page)
    page.save_revision().publish()
    response = _kiswahili(client).get("/about-us/board-elections/")
    assert response.status_code == 200
    assert "Who stands this year." in response.content.decode()
    assert _kiswahili(client).get("/about-us/no-such-page/").status_code == 404


def test_a_member_gets_the_language_of_the_account(client, demo_site, member):
    member.user.language = "sw"
    member.user.save(update_fields=["language"])
    client.force_login(member.user)
    assert "Weka akiba pamoja" in client.get("/").content.decode()


def test_responses_vary_by_cookie_and_language(client, demo_site):
    for path in ["/", "/about-us/", "/downloads/"]:
        vary = {part.strip().lower() for part in client.get(path).headers.get("Vary", "").split(",")}
        assert {"cookie", "accept-language"} <= vary, path


def test_the_sitemap_lists_each_url_once(client, demo_site):
    xml = _kiswahili(client).get("/sitemap.xml").content.decode()
    locations = [part.split("</loc>")[0] for part in xml.split("<loc>")[1:]]
    assert len(locations) == len(set(locations))
    assert any(loc.endswith("/about-us/") for loc in locations)
    assert not any("home-sw" in loc for loc in locations)


def test_the_demo_keeps_one_english_home_page_and_one_kiswahili_copy(demo_site):
    from portal.home.demo import site_seed

    site_seed()  # idempotent
    english = HomePage.objects.get(locale=Locale.get_default())
    sw = HomePage.objects.get(locale__language_code="sw")
    assert english.translation_key == sw.translation_key and sw.live
    assert english.hero_heading == "Save together, borrow wisely, grow together"
    assert not any(Page.find_problems())  # the tree's paths and child counts are consistent


def test_a_page_editor_can_open_translate_in_the_admin(client, demo_site, staff_user):
    downloads = _english_page("downloads")
    for role in (roles.CLERKS, roles.ADMINISTRATORS):
        client.logout()
        sign_in_verified(client, staff_user(role))
        url = reverse("simple_translation:submit_page_translation", args=[downloads.pk])
        assert client.get(url).status_code == 200, role
        assert client.get(reverse("wagtailadmin_pages:edit", args=[downloads.pk])).status_code == 200


def test_translate_copies_a_page_into_the_kiswahili_tree_as_a_draft(client, demo_site, staff_user):
    downloads = _english_page("downloads")
    sw = Locale.objects.get(language_code="sw")
    sign_in_verified(client, staff_user(roles.ADMINISTRATORS))
    url = reverse("simple_translation:submit_page_translation", args=[downloads.pk])
    response = client.post(url, {"locales": [sw.pk]})
    assert response.status_code == 302
    copy = downloads.get_translation(sw)
    assert not copy.live and copy.slug == "downloads"
    assert "By-laws" in _kiswahili(client).get("/downloads/").content.decode()  # English until published


def test_a_member_cannot_translate_pages(client, demo_site, member):
    sign_in_verified(client, member.user)
    url = reverse("simple_translation:submit_page_translation", args=[_english_page("downloads").pk])
    assert client.get(url).status_code in (302, 403)


def test_a_kiswahili_reader_sends_the_contact_form_with_the_same_field_names(client, demo_site):
    from django.core import mail
    from wagtail.contrib.forms.models import FormSubmission

    from portal.home.models import ContactPage

    sw_contact = ContactPage.objects.get(locale__language_code="sw")
    html = _kiswahili(client).get("/contact/").content.decode()
    assert "Jina lako" in html and "Barua pepe" in html
    data = {
        "your_name": "Achieng Odhiambo",
        "email_address": "achieng@example.com",
        "phone_number": "",
        "membership_number": "",
        "subject": "Mikopo",
        "message": "Mkopo wa karo ya shule huchukua muda gani?",
    }
    response = client.post("/contact/", data)
    assert response.status_code == 200
    assert "Asante" in response.content.decode()
    assert FormSubmission.objects.get(page=sw_contact).get_data()["message"] == data["message"]
    assert mail.outbox[0].to == ["info@mwamba-sacco.example"]
