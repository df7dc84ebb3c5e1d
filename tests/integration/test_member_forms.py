"""The loan application form names every mistake beside its own field, at once; guarantors are found by name or
number among members who can guarantee; the search shows names and numbers only, to signed-in members."""

import re
import types
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.loans.models import Guarantee, LoanApplication
from portal.member_area import forms as guarantor_forms
from portal.members.models import MemberStatus
from tests.conftest import sign_in_verified
from tests.factories import member_with_savings

pytestmark = pytest.mark.django_db

APPLY = "/portal/loans/apply/"
SEARCH = "/portal/loans/guarantors/"


@pytest.fixture
def savers(make_member):
    """Akinyi Odhiambo and Baraka Mwangi can guarantee; Chebet has no deposits; Daudi has left the society."""
    return {
        "akinyi": member_with_savings(
            make_member, email="akinyi@example.com", first_name="Akinyi", last_name="Odhiambo", deposits="60000"
        ),
        "baraka": member_with_savings(
            make_member, email="baraka@example.com", first_name="Baraka", last_name="Mwangi", deposits="40000"
        ),
        "chebet": member_with_savings(
            make_member, email="chebet@example.com", first_name="Chebet", last_name="Akinyi", deposits=""
        ),
        "daudi": _inactive(
            member_with_savings(
                make_member, email="daudi@example.com", first_name="Daudi", last_name="Akinyi", deposits="50000"
            )
        ),
    }


def _inactive(member):
    member.status = MemberStatus.INACTIVE
    member.save(update_fields=["status"])
    return member


def _field_block(html: str, field: str) -> str:
    """The <div class="field …"> that holds the input named `field`."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, re.S):
        if f'name="{field}"' in block:
            return block
    raise AssertionError(f"no field {field}")


def _error_beside(html: str, field: str) -> str:
    block = _field_block(html, field)
    found = re.search(r'<p class="field__error" id="id_([a-z_0-9]+)_error">(.*?)</p>', block, re.S)
    assert found, f"no error beside {field}"
    assert found[1] == field
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', block), "the input does not point at its error"
    return found[2]


def test_three_mistakes_show_three_messages_beside_three_fields(client, borrower, products):
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY, {"product": products["development"].pk, "amount": "", "term_months": "twelve", "purpose": " "}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the amount you want to borrow." in _error_beside(html, "amount")
    assert "whole number of months" in _error_beside(html, "term_months")
    assert "Say what the loan is for." in _error_beside(html, "purpose")
    assert html.count('class="field__error"') == 3
    assert "3 answers need attention" in html
    assert '<ul class="errorlist' not in html.split('<div class="form__errors"')[0]


def test_amounts_with_thousands_separators_and_guarantors_by_name_and_number(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "150,000.00",
            "term_months": "24",
            "purpose": "Dairy shed",
            "guarantor_1": "akinyi odhiambo",
            "guarantee_1": "15,000",
            "guarantor_2": savers["baraka"].membership_number.lower(),
            "guarantee_2": "15,000.00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    application = LoanApplication.objects.get()
    assert application.amount == Decimal("150000.00")
    assert {(g.guarantor_id, g.amount) for g in Guarantee.objects.all()} == {
        (savers["akinyi"].pk, Decimal("15000.00")),
        (savers["baraka"].pk, Decimal("15000.00")),
    }


def test_money_inputs_ask_phones_for_a_decimal_keypad(client, borrower, products):
    sign_in_verified(client, borrower.user)
    html = client.get(APPLY).content.decode()
    for name in ("amount", "guarantee_1", "guarantee_3"):
        block = _field_block(html, name)
        assert 'inputmode="decimal"' in block and 'type="text"' in block
    assert 'inputmode="numeric"' in _field_block(html, "term_months")


def test_each_guarantor_problem_shows_on_its_own_row(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "150000",
            "term_months": "24",
            "purpose": "Dairy shed",
            "guarantor_1": borrower.membership_number,
            "guarantee_1": "10000",
            "guarantor_2": "Nobody Atall",
            "guarantee_2": "10000",
            "guarantor_3": savers["baraka"].membership_number,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "cannot guarantee your own loan" in _error_beside(html, "guarantor_1")
    assert "No member who can guarantee matches" in _error_beside(html, "guarantor_2")
    assert "Enter how much this guarantor covers." in _error_beside(html, "guarantee_3")
    assert not LoanApplication.objects.exists()


def test_the_services_guarantor_errors_land_on_the_right_row(client, borrower, products, savers):
    """Row 1 is empty: the service counts the rows it was sent, the form maps them back."""
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "250000",
            "term_months": "24",
            "purpose": "Dairy shed",
            "guarantor_2": savers["akinyi"].membership_number,
            "guarantee_2": "10000",
            "guarantor_3": savers["baraka"].membership_number,
            "guarantee_3": "90000",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "More than this member can guarantee now." in _error_beside(html, "guarantee_3")
    assert 'id="guarantors-errors"' in html and "guarantees cover KES 100,000.00" in html


def test_a_guarantee_above_free_deposits_is_marked_on_its_amount_without_their_balance(
    client, borrower, products, savers
):
    """The search shows names and numbers, never balances: the refusal does not name Baraka's free deposits."""
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "150000",
            "term_months": "24",
            "purpose": "Dairy shed",
            "guarantor_1": savers["akinyi"].membership_number,
            "guarantee_1": "20000",
            "guarantor_2": savers["baraka"].membership_number,
            "guarantee_2": "50000",
        },
    )
    html = response.content.decode()
    assert "Ask them how much they can cover." in _error_beside(html, "guarantee_2")
    assert "40,000" not in html and "free deposits)" not in html


def test_a_name_read_as_one_member_is_said_back_while_other_answers_need_fixing(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "150000",
            "term_months": "24",
            "purpose": "",
            "guarantor_1": "Odhiambo",
            "guarantee_1": "10000",
        },
    )
    assert f"Guarantor 1 is Akinyi Odhiambo ({savers['akinyi'].membership_number})." in response.content.decode()


def test_a_name_that_matches_several_members_asks_for_the_number(client, borrower, products, make_member):
    for n, email in enumerate(["wk1@example.com", "wk2@example.com"]):
        member_with_savings(make_member, email=email, first_name="Wairimu", last_name=f"Kariuki{n}", deposits="9000")
    sign_in_verified(client, borrower.user)
    response = client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "50000",
            "term_months": "12",
            "purpose": "Roof",
            "guarantor_1": "Wairimu",
            "guarantee_1": "1000",
        },
    )
    message = _error_beside(response.content.decode(), "guarantor_1")
    assert "More than one member matches" in message and "Type the membership number" in message


# The guarantor search ------------------------------------------------------------------------------------------


def _results(html: str) -> str:
    found = re.search(r'<ul class="guarantor-results">(.*?)</ul>', html, re.S)
    return found[1] if found else ""


def test_search_finds_by_name_and_by_number_and_never_shows_balances(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    by_name = _results(client.get(SEARCH, {"q": "odhiambo"}).content.decode())
    assert savers["akinyi"].membership_number in by_name and "Akinyi Odhiambo" in by_name
    assert "KES" not in by_name and "60,000" not in by_name
    by_number = _results(client.get(SEARCH, {"q": savers["baraka"].membership_number}).content.decode())
    assert "Baraka Mwangi" in by_number and "Akinyi" not in by_number


def test_search_leaves_out_the_member_and_those_who_cannot_guarantee(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    html = _results(client.get(SEARCH, {"q": "akinyi"}).content.decode())
    assert savers["akinyi"].membership_number in html
    assert savers["chebet"].membership_number not in html  # no free deposits
    assert savers["daudi"].membership_number not in html  # not active
    assert borrower.membership_number not in _results(client.get(SEARCH, {"q": "juma"}).content.decode())


def test_search_leaves_out_members_at_the_guarantee_limit(client, borrower, products, savers, settings):
    from portal.society.policy import sacco_settings

    policy = sacco_settings()
    policy.max_active_guarantees = 1
    policy.save()
    sign_in_verified(client, savers["baraka"].user)
    client.post(
        APPLY,
        {
            "product": products["development"].pk,
            "amount": "30000",
            "term_months": "12",
            "purpose": "Roof",
            "guarantor_1": savers["akinyi"].membership_number,
            "guarantee_1": "10000",
        },
    )
    assert Guarantee.objects.filter(guarantor=savers["akinyi"]).exists()
    sign_in_verified(client, borrower.user)
    assert savers["akinyi"].membership_number not in _results(client.get(SEARCH, {"q": "akinyi"}).content.decode())


def test_search_refuses_anonymous_and_short_queries_and_too_many(client, borrower, products, savers, monkeypatch):
    # The limit counts per clock minute: hold the clock still, or a loop that crosses a minute boundary never sees 429.
    monkeypatch.setattr(guarantor_forms, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))
    response = client.get(SEARCH, {"q": "akinyi"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    sign_in_verified(client, borrower.user)
    short = client.get(SEARCH, {"q": "ak"})
    assert short.status_code == 200 and "Type at least 3" in short.content.decode()
    assert not _results(short.content.decode())
    statuses = {client.get(SEARCH, {"q": "akinyi"}).status_code for _ in range(31)}
    assert statuses == {200, 429}


def test_adding_from_the_search_fills_the_next_row_and_keeps_the_answers(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    carried = {"product": products["development"].pk, "amount": "150000", "purpose": "Dairy shed"}
    carried["guarantor_1"] = savers["baraka"].membership_number
    html = client.get(SEARCH, {"q": "odhiambo", **carried}).content.decode()
    add = re.search(r'<a class="button button--secondary" href="([^"]+)"', html)[1].replace("&amp;", "&")
    assert "guarantor_2=" + savers["akinyi"].membership_number in add
    form_html = client.get(add).content.decode()
    assert f'value="{savers["akinyi"].membership_number}"' in _field_block(form_html, "guarantor_2")
    assert f'value="{savers["baraka"].membership_number}"' in _field_block(form_html, "guarantor_1")
    assert 'value="Dairy shed"' in _field_block(form_html, "purpose")


def test_staff_without_a_member_record_get_404_from_the_search(client, staff_user):
    from portal.members import roles

    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get(SEARCH, {"q": "akinyi"}).status_code == 404


# Wording, the inbox's links, the upload form's descriptions ---------------------------------------------------------


def test_articles_and_counts_on_the_loans_page(client, borrower, products):
    LoanApplication.objects.create(
        member=borrower,
        product=products["development"],
        amount=Decimal("20000.00"),
        term_months=1,
        purpose="Seeds",
        annual_rate=products["development"].annual_rate,
        method=products["development"].method,
    )
    sign_in_verified(client, borrower.user)
    html = client.get("/portal/loans/").content.decode()
    assert "Apply for an emergency loan" in html and "Apply for a development loan" in html
    assert "a emergency" not in html
    assert "over 1 month —" in html and "1 months" not in html


def test_the_inbox_links_the_page_instead_of_printing_its_path(client, member):
    from portal.notifications.models import Notification

    Notification.objects.create(
        user=member.user,
        subject="Passport photo: verified",
        body="Your Passport photo was verified.\n\n/portal/documents/",
        link="/portal/documents/",
    )
    Notification.objects.create(user=member.user, subject="Odd", body="See //evil.example/", link="//evil.example/")
    sign_in_verified(client, member.user)
    html = client.get("/portal/notifications/").content.decode()
    assert '<a class="inbox__link" href="/portal/documents/">' in html
    assert ">/portal/documents/<" not in html and "/portal/documents/</p>" not in html
    assert "Your Passport photo was verified." in html
    assert 'href="//evil.example/"' not in html


def test_the_upload_fields_describe_themselves_with_ids_that_exist(client, member):
    sign_in_verified(client, member.user)
    html = client.get("/portal/documents/").content.decode()
    assert 'aria-describedby="id_file_helptext"' in html and 'id="id_file_helptext"' in html
    html = client.post("/portal/documents/", {"document_type": "national_id_front"}).content.decode()
    described = re.search(r'<input type="file"[^>]*aria-describedby="([^"]+)"', html)[1].split()
    for target in described:
        assert f'id="{target}"' in html, target
