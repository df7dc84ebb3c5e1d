"""Issue 14: the loan application finds guarantors inside its own form, without JavaScript. "Find" and "Add" post
the form back with every answer kept, save nothing, need no fresh code and show no mistakes yet; the results are
names and numbers of members who can guarantee, with the same rules and limits as the search page."""

import re

import pytest
from django.urls import reverse

from portal.loans.models import Guarantee, LoanApplication
from portal.members.form_stash import STASH_SESSION_KEY
from portal.members.models import MemberStatus
from tests.conftest import sign_in_verified
from tests.factories import member_with_savings

pytestmark = pytest.mark.django_db

APPLY = "/portal/loans/apply/"


@pytest.fixture
def savers(make_member):
    """Akinyi Odhiambo and Baraka Mwangi can guarantee; Chebet has no deposits; Daudi has left the society."""
    daudi = member_with_savings(
        make_member, email="daudi@example.com", first_name="Daudi", last_name="Akinyi", deposits="50000"
    )
    daudi.status = MemberStatus.INACTIVE
    daudi.save(update_fields=["status"])
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
        "daudi": daudi,
    }


@pytest.fixture
def typed(products):
    """A half-filled application: the amount with a thousands separator, no guarantors yet."""
    return {
        "product": str(products["development"].pk),
        "amount": "150,000",
        "term_months": "18",
        "purpose": "Dairy shed",
        "guarantor_1": "",
        "guarantee_1": "",
        "guarantor_2": "",
        "guarantee_2": "",
        "guarantor_3": "",
        "guarantee_3": "",
    }


def _results(html: str) -> str:
    found = re.search(r'<ul class="guarantor-results">(.*?)</ul>', html, re.S)
    return found[1] if found else ""


def _value(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found, f"no input {name}"
    value = re.search(r'value="([^"]*)"', found[0])
    return value[1] if value else ""


def _assert_kept(html: str, typed: dict, product_pk) -> None:
    assert _value(html, "amount") == typed["amount"]
    assert _value(html, "term_months") == typed["term_months"]
    assert _value(html, "purpose") == typed["purpose"]
    assert re.search(rf'<option value="{product_pk}"[^>]*selected', html)


def test_find_keeps_the_answers_saves_nothing_and_asks_no_code(client, borrower, products, savers, typed):
    sign_in_verified(client, borrower.user, fresh=False)  # a stale code: a submit would go to the code page
    response = client.post(APPLY, {**typed, "guarantor_query": "odhiambo", "find_guarantor": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    _assert_kept(html, typed, products["development"].pk)
    assert _value(html, "guarantor_query") == "odhiambo"
    found = _results(html)
    assert "Akinyi Odhiambo" in found and savers["akinyi"].membership_number in found
    assert "KES" not in found and "60,000" not in found  # names and numbers only
    assert f'name="add_guarantor" value="{savers["akinyi"].membership_number}"' in found
    assert "field__error" not in html.split('id="guarantor-search"')[0]  # no mistakes shown for unfinished fields
    assert 'class="form__errors"' not in html
    assert not LoanApplication.objects.exists() and not Guarantee.objects.exists()
    assert STASH_SESSION_KEY not in client.session  # not treated as a submission waiting for a code


def test_add_fills_the_next_empty_row_and_keeps_everything(client, borrower, products, savers, typed):
    sign_in_verified(client, borrower.user, fresh=False)
    typed = {**typed, "guarantor_1": savers["baraka"].membership_number, "guarantee_1": "10,000"}
    number = savers["akinyi"].membership_number
    response = client.post(APPLY, {**typed, "guarantor_query": "odhiambo", "add_guarantor": number})
    assert response.status_code == 200
    html = response.content.decode()
    _assert_kept(html, typed, products["development"].pk)
    assert _value(html, "guarantor_1") == savers["baraka"].membership_number
    assert _value(html, "guarantee_1") == "10,000"
    assert _value(html, "guarantor_2") == number
    assert _value(html, "guarantor_3") == ""
    assert "Akinyi Odhiambo" in html and "is guarantor 2" in html
    assert f'name="add_guarantor" value="{number}"' not in html  # already named: no second Add
    assert not LoanApplication.objects.exists() and not Guarantee.objects.exists()
    assert STASH_SESSION_KEY not in client.session


def test_add_refuses_a_member_who_cannot_guarantee_and_a_full_form(client, borrower, products, savers, typed):
    sign_in_verified(client, borrower.user)
    for who in ("chebet", "daudi"):
        html = client.post(APPLY, {**typed, "add_guarantor": savers[who].membership_number}).content.decode()
        assert "cannot guarantee your loan" in html and _value(html, "guarantor_1") == ""
    html = client.post(APPLY, {**typed, "add_guarantor": borrower.membership_number}).content.decode()
    assert "cannot guarantee your loan" in html and _value(html, "guarantor_1") == ""
    full = {**typed, "guarantor_1": "X1", "guarantor_2": "X2", "guarantor_3": "X3"}
    html = client.post(APPLY, {**full, "add_guarantor": savers["akinyi"].membership_number}).content.decode()
    assert "already names three guarantors" in html
    assert [_value(html, f"guarantor_{n}") for n in (1, 2, 3)] == ["X1", "X2", "X3"]
    assert not LoanApplication.objects.exists()


def test_results_leave_out_the_member_and_those_who_cannot_guarantee(client, borrower, products, savers, typed):
    sign_in_verified(client, borrower.user)
    html = _results(client.post(APPLY, {**typed, "guarantor_query": "akinyi", "find_guarantor": "1"}).content.decode())
    assert savers["akinyi"].membership_number in html
    assert savers["chebet"].membership_number not in html  # no free deposits
    assert savers["daudi"].membership_number not in html  # not active
    mine = client.post(APPLY, {**typed, "guarantor_query": "juma", "find_guarantor": "1"}).content.decode()
    assert borrower.membership_number not in _results(mine)


def test_results_leave_out_members_at_the_guarantee_limit(client, borrower, products, savers, typed):
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
    html = client.post(APPLY, {**typed, "guarantor_query": "akinyi", "find_guarantor": "1"}).content.decode()
    assert savers["akinyi"].membership_number not in _results(html)
    added = client.post(APPLY, {**typed, "add_guarantor": savers["akinyi"].membership_number}).content.decode()
    assert "cannot guarantee your loan" in added and _value(added, "guarantor_1") == ""


def test_at_least_three_characters_and_a_few_searches_a_minute(client, borrower, products, savers, typed, monkeypatch):
    # The limit counts per clock minute: hold the clock still, or a loop that crosses a minute boundary never sees 429.
    import types

    from portal.member_area import forms as guarantor_forms

    monkeypatch.setattr(guarantor_forms, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))
    sign_in_verified(client, borrower.user)
    short = client.post(APPLY, {**typed, "guarantor_query": "ak", "find_guarantor": "1"})
    html = short.content.decode()
    assert short.status_code == 200 and "Type at least 3" in html and not _results(html)
    _assert_kept(html, typed, products["development"].pk)
    empty = client.post(APPLY, {**typed, "guarantor_query": "", "find_guarantor": "1"}).content.decode()
    assert "Type at least 3" not in empty and not _results(empty)
    statuses = {
        client.post(APPLY, {**typed, "guarantor_query": "akinyi", "find_guarantor": "1"}).status_code for _ in range(31)
    }
    assert statuses == {200, 429}
    assert not LoanApplication.objects.exists()


def test_anonymous_and_non_members_are_refused(client, staff_user, typed):
    from portal.members import roles

    response = client.post(APPLY, {**typed, "guarantor_query": "akinyi", "find_guarantor": "1"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    response = client.post(APPLY, {**typed, "add_guarantor": "M0001"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.post(APPLY, {**typed, "guarantor_query": "akinyi", "find_guarantor": "1"}).status_code == 404


def test_after_find_and_add_the_submit_still_asks_the_code_and_saves_once(client, borrower, products, savers, typed):
    sign_in_verified(client, borrower.user, fresh=False)
    step = {**typed, "guarantor_query": "odhiambo", "add_guarantor": savers["akinyi"].membership_number}
    assert client.post(APPLY, step).status_code == 200
    final = {**typed, "guarantor_1": savers["akinyi"].membership_number, "guarantee_1": "20,000"}
    final.update(guarantor_2=savers["baraka"].membership_number, guarantee_2="10,000")
    final["guarantor_query"] = "odhiambo"  # the search box is part of the form and is sent along
    stale = client.post(APPLY, final)
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("otp_verify"))
    assert not LoanApplication.objects.exists()

    sign_in_verified(client, borrower.user)
    sent = client.post(APPLY, final)
    assert sent.status_code == 302, (sent.context["form"].errors, sent.context["form"].guarantor_errors)
    assert sent.status_code == 302 and sent["Location"] == reverse("member_area:loans")
    application = LoanApplication.objects.get()
    assert (application.amount, application.term_months, application.purpose) == (150000, 18, "Dairy shed")
    assert sorted(application.guarantees.values_list("guarantor", "amount")) == sorted(
        [(savers["akinyi"].pk, 20000), (savers["baraka"].pk, 10000)]
    )
    assert LoanApplication.objects.count() == 1


def test_the_search_page_for_links_still_works(client, borrower, products, savers):
    sign_in_verified(client, borrower.user)
    html = client.get("/portal/loans/guarantors/", {"q": "odhiambo"}).content.decode()
    assert savers["akinyi"].membership_number in _results(html)
