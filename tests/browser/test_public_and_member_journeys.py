"""Key journeys in a real browser: the home page, the contact form, a member signing in."""

import pytest
from django.core import mail
from wagtail.contrib.forms.models import FormSubmission

from portal.members.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_home_page_renders_with_navigation(page, live_server, demo_site, output_dir):
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.inner_text() == "Save together, borrow wisely, grow together"
    nav = page.get_by_role("navigation", name="Main")
    for label in ["About us", "Membership", "News", "FAQs", "Downloads", "Contact us"]:
        assert nav.get_by_role("link", name=label).is_visible()
    assert page.get_by_role("heading", name="News and announcements").is_visible()
    page.screenshot(path=str(output_dir / "home.png"), full_page=True)
    nav.get_by_role("link", name="FAQs").click()
    page.get_by_text("How much can I borrow?").click()  # <details> opens without JavaScript libraries
    assert page.get_by_text("Up to three times your deposits").is_visible()
    page.screenshot(path=str(output_dir / "faqs.png"), full_page=True)


def test_contact_form_submits_on_a_phone(phone_page, live_server, demo_site, output_dir):
    page = phone_page
    page.goto(live_server.url + "/contact/")
    page.get_by_label("Your name").fill("Kiprop Langat")
    page.get_by_label("Email address").fill("kiprop@example.com")
    page.get_by_label("Subject").select_option("Statements")
    page.get_by_label("Message").fill("Please send me my 2025 statement.")
    page.screenshot(path=str(output_dir / "contact-filled.png"), full_page=True)
    page.get_by_role("button", name="Send message").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    page.screenshot(path=str(output_dir / "contact-thanks.png"), full_page=True)
    assert FormSubmission.objects.count() == 1
    assert len(mail.outbox) == 1 and "2025 statement" in mail.outbox[0].body


def test_demo_member_signs_in_and_sees_the_dashboard(page, live_server, demo_site, output_dir):
    from django.core.management import call_command

    call_command("seed_demo", members=2, years=2)
    from portal.members.models import Member

    member = Member.objects.get(user__email="member@sacco.example")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Member portal").first.click()
    page.get_by_label("Email").fill("member@sacco.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.screenshot(path=str(output_dir / "login.png"), full_page=True)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Habari, Amina").wait_for()
    assert member.membership_number in page.locator(".membership-number").inner_text()
    page.screenshot(path=str(output_dir / "dashboard.png"), full_page=True)


A11Y_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label')
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('unlabelled ' + el.tagName + ' ' + (el.name || ''));
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push('image without alt ' + img.src);
  }
  for (const tag of ['header', 'main', 'footer', 'nav']) {
    if (!document.querySelector(tag)) problems.push('missing landmark ' + tag);
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('expected exactly one h1');
  if (!document.documentElement.lang) problems.push('missing lang');
  return problems;
}"""


def test_public_pages_pass_a_basic_accessibility_check(page, live_server, demo_site):
    for path in ["/", "/about-us/", "/membership/", "/news/", "/faqs/", "/downloads/", "/contact/", "/accounts/login/"]:
        page.goto(live_server.url + path)
        assert page.evaluate(A11Y_CHECK) == [], path
