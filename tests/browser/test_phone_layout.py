"""Issue 14, members on phones: every member-portal page (listed from portal/member_area/urls.py) and the main public
pages fit the screen at 360, 390 and 1280 px, the dashboard's first figure is on the first screen of a phone, the
portal's bottom bar and "More" page and the public menu button work without JavaScript, inputs are thumb-sized,
axe-core finds nothing serious or critical, and an account without a member record gets a clear page."""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.member_area import urls as member_urls
from portal.members import roles
from portal.reports.services import financial_statement_prepare
from tests.browser.helpers import code_from_key, sign_in
from tests.conftest import PASSWORD
from tests.factories import loan_disbursed, loan_products, member_with_savings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

# Routes that are not pages to look at: downloads and POST-only actions.
NOT_PAGES = {
    "loan_application_withdraw",
    "guarantee_respond",
    "loan_statement_pdf",
    "statement_pdf",
    "document_file",
    "pay_status",  # an M-Pesa payment's status: test_mpesa_pay_journey.py opens it on a phone
    "guarantor_substitute",  # a form's POST target on the loan page (issue 16)
    "receipt_pdf",  # issue 18: PDF downloads, linked from the contributions, share capital and loan pages
    "dividend_advice_pdf",
}
# Reached from inside another page (apply from Loans, bank details and leaving from Profile), or the "More" page.
REACHED_FROM_A_PAGE = {"loan_apply", "guarantor_search", "bank_details", "leaving", "more"}
PUBLIC_PAGES = [
    "/",
    "/about-us/",
    "/membership/",
    "/savings-and-loans/",
    "/savings-and-loans/loan-calculator/",
    "/news/",
    "/faqs/",
    "/downloads/",
    "/contact/",
    "/accounts/login/",
    "/verify/",  # issue 18: the public document check, empty and with an answer
    "/verify/?ref=not-a-reference",
]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# The first leaf element in <main> that shows an amount of money, and where it starts.
FIRST_FIGURE_TOP = r"""() => {
  for (const el of document.querySelectorAll('main *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('');
    if (/KES\s?[\d,]+\.\d\d/.test(own) && el.getClientRects().length) return el.getBoundingClientRect().top;
  }
  return null;
}"""
SMALL_CONTROLS = """() => [...document.querySelectorAll(
    'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select, main button, main .button')]
  .filter(el => el.getClientRects().length)
  .map(el => [el.name || el.textContent.trim(), el.getBoundingClientRect().height,
              parseFloat(getComputedStyle(el).fontSize)])
  .filter(([, height, font]) => height < 44 || font < 16)"""


def _portal_paths(*, loan, statement) -> list[str]:
    """Every GET page in the member area: a route with a pk gets the demo object made for it; a new route with a pk
    or a new download fails here until it is listed."""
    objects = {"loan_detail": loan, "statement_detail": statement}
    paths = []
    for pattern in member_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        name = pattern.name
        if name in NOT_PAGES:
            continue
        route = str(pattern.pattern)
        if "<" in route:
            assert name in objects, f"portal route {name} needs a demo object in this test"
            route = re.sub(r"<[^>]+>", str(objects[name].pk), route)
        paths.append("/portal/" + route)
    return paths


@pytest.fixture
def portal_member(make_member, staff_user, demo_site):
    """A member with savings, a disbursed loan, and an approved statement pack for the society."""
    products = loan_products()
    member = member_with_savings(make_member, email="amina@example.com", first_name="Amina", last_name="Wanjiru")
    loan = loan_disbursed(borrower=member, products=products, staff_user=staff_user, date=datetime.date(2026, 1, 15))
    statement = financial_statement_prepare(
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31), by=staff_user(roles.ADMINISTRATORS)
    )
    type(statement).objects.filter(pk=statement.pk).update(live=True)
    return member, loan, statement


def _signed_in(browser, base, user, viewport):
    """A page signed in as `user` with a new confirmed authenticator (a code is good once, so each sign-in gets its
    own device), so pages behind a fresh code open."""
    device = TOTPDevice.objects.create(user=user, name=f"Phone {viewport['width']}", confirmed=True)
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 600, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, user.email, PASSWORD)
    page.get_by_role("textbox", name="Code").fill(code_from_key(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    return page


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_portal_pages_fit_phones_and_desktops_and_pass_axe(browser, live_server, portal_member, output_dir):
    member, loan, statement = portal_member
    paths = _portal_paths(loan=loan, statement=statement)
    assert "/portal/more/" in paths
    problems = []
    for viewport in (SMALL_PHONE, PHONE, DESKTOP):
        page = _signed_in(browser, live_server.url, member.user, viewport)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200 and page.url == live_server.url + path, (path, response.status, page.url)
            if page.evaluate(OVERFLOW) > 0:
                problems.append(f"{path} at {viewport['width']} px scrolls sideways")
            if viewport is PHONE:
                problems += [f"{path}: small control {c}" for c in page.evaluate(SMALL_CONTROLS)]
            if viewport is not SMALL_PHONE:
                problems += [f"{path} at {viewport['width']} px: {v}" for v in _serious(page)]
        page.goto(live_server.url + "/portal/")
        page.screenshot(path=str(output_dir / f"phone-layout-dashboard-{viewport['width']}.png"), full_page=True)
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_the_dashboard_puts_figures_first_and_the_bottom_bar_reaches_every_place(
    browser, live_server, portal_member, output_dir
):
    member, loan, statement = portal_member
    page = _signed_in(browser, live_server.url, member.user, PHONE)
    page.goto(live_server.url + "/portal/")
    top = page.evaluate(FIRST_FIGURE_TOP)
    assert top is not None and top < PHONE["height"], top
    assert not page.get_by_role("navigation", name="Member area").is_visible()  # the long list is off the phone
    bar = page.get_by_role("navigation", name="Member shortcuts")
    assert bar.is_visible()
    box = bar.bounding_box()
    assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)  # at the bottom, in thumb reach
    assert [a.inner_text().split()[0] for a in bar.get_by_role("link").all()] == [
        "Home",
        "Savings",
        "Loans",
        "Guarantees",
        "More",
    ]
    bar.get_by_role("link", name=re.compile("^More")).click()  # a plain link: no JavaScript needed
    page.wait_for_url(re.compile(r".*/portal/more/$"))
    listed = page.get_by_role("navigation", name="Every member page")
    hrefs = {a.get_attribute("href") for a in listed.get_by_role("link").all()}
    for pattern in member_urls.urlpatterns:
        route = str(pattern.pattern)
        if "<" not in route and pattern.name not in REACHED_FROM_A_PAGE:
            assert "/portal/" + route in hrefs, pattern.name
    assert {"/accounts/logout/", "/accounts/password/change/"} <= hrefs
    page.screenshot(path=str(output_dir / "phone-layout-more.png"), full_page=True)
    page.context.close()


def test_public_pages_fit_phones_and_the_menu_opens_without_javascript(browser, live_server, portal_member, output_dir):
    problems = []
    for viewport in (SMALL_PHONE, PHONE, DESKTOP):
        page = browser.new_context(viewport=viewport).new_page()
        page.set_default_timeout(30_000)
        for path in PUBLIC_PAGES:
            response = page.goto(live_server.url + path)
            assert response.status == 200, (path, response.status)
            if page.evaluate(OVERFLOW) > 0:
                problems.append(f"{path} at {viewport['width']} px scrolls sideways")
            if viewport is PHONE:
                problems += [f"{path}: small control {c}" for c in page.evaluate(SMALL_CONTROLS)]
            if viewport is not SMALL_PHONE:
                problems += [f"{path} at {viewport['width']} px: {v}" for v in _serious(page)]
        page.context.close()
    assert problems == [], "\n".join(problems)

    # The phone menu is a <details> element: it opens with JavaScript turned off.
    phone = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    phone.goto(live_server.url + "/")
    header = phone.get_by_role("banner")
    assert header.get_by_role("link", name="Savings & loans").count() == 0  # behind the button, no sideways row
    phone.get_by_text("Menu", exact=True).click()
    menu = phone.get_by_role("navigation", name="Main")
    for label in ["About us", "Membership", "Savings & loans", "News", "FAQs", "Downloads", "Contact us"]:
        assert menu.get_by_role("link", name=label).is_visible(), label
    phone.screenshot(path=str(output_dir / "phone-layout-menu-open.png"), full_page=True)
    menu.get_by_role("link", name="Savings & loans").click()
    phone.wait_for_url(re.compile(r".*/savings-and-loans/$"))
    phone.context.close()


def test_an_account_without_membership_gets_a_clear_page_not_a_menu_of_404s(
    browser, live_server, demo_site, staff_user, output_dir
):
    clerk = staff_user(roles.CLERKS)
    page = _signed_in(browser, live_server.url, clerk, PHONE)
    page.goto(live_server.url + "/portal/")
    assert page.get_by_role("heading", name="This account has no membership").is_visible()
    assert page.get_by_role("link", name="Go to the staff admin").get_attribute("href") == "/admin/"
    page.screenshot(path=str(output_dir / "phone-layout-no-membership.png"), full_page=True)
    response = page.goto(live_server.url + "/portal/loans/")
    assert response.status == 404 and page.get_by_role("heading", name="This account has no membership").is_visible()
    # Every link the portal offers this account opens.
    for start in ("/portal/", "/portal/more/"):
        page.goto(live_server.url + start)
        links = page.locator(".tabbar a, .more-list a, .member-nav a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        for href in sorted(set(links)):
            if href.startswith("/portal/"):
                assert page.request.get(live_server.url + href).status == 200, href
    page.context.close()
