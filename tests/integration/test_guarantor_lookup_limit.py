"""Issue 14 (review): guarantors typed by name or number into the loan application are read through the same limit as
the guarantor search (30 lookups a minute per member, shared by every door), and a name or number that does not name
a member who can guarantee gets the same answer whether or not the member exists: no more than the search shows."""

import types

import pytest

from portal.loans.models import LoanApplication
from portal.member_area import forms as guarantor_forms
from portal.members.models import MemberStatus
from tests.conftest import sign_in_verified
from tests.factories import member_with_savings

pytestmark = pytest.mark.django_db

APPLY = "/portal/loans/apply/"
SEARCH = "/portal/loans/guarantors/"
LIMIT = guarantor_forms.GUARANTOR_LOOKUPS_PER_MINUTE
THROTTLED = "Too many guarantor look-ups in the last minute."


@pytest.fixture
def clock(monkeypatch):
    """The limit counts per clock minute: the clock stands still (a loop crossing a minute boundary would start a new
    window and never be refused) until the test moves it."""
    now = {"t": 1_800_000_000.0}  # the start of a minute
    monkeypatch.setattr(guarantor_forms, "time", types.SimpleNamespace(time=lambda: now["t"]))
    return now


@pytest.fixture
def savers(make_member):
    """Akinyi and Baraka can guarantee; Chebet has no deposits; Daudi has left the society."""
    daudi = member_with_savings(
        make_member, email="daudi@example.com", first_name="Daudi", last_name="Otieno", deposits="50000"
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
            make_member, email="chebet@example.com", first_name="Chebet", last_name="Wanjiru", deposits=""
        ),
        "daudi": daudi,
    }


def _application(products, **guarantors):
    """An application the form refuses for its purpose (so nothing is saved), with guarantor rows to read."""
    return {
        "product": products["development"].pk,
        "amount": "150000",
        "term_months": "24",
        "purpose": "",
        **guarantors,
    }


def _errors(response, field) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def _throttled(response) -> bool:
    return any(THROTTLED in " ".join(_errors(response, f"guarantor_{n}")) for n in (1, 2, 3))


def test_submitted_guarantors_count_against_the_search_limit(client, borrower, products, savers, clock):
    sign_in_verified(client, borrower.user)
    for _ in range(LIMIT - 1):
        assert client.get(SEARCH, {"q": "odhiambo"}).status_code == 200
    response = client.post(
        APPLY,
        _application(
            products,
            purpose="Dairy shed",
            guarantor_1="Odhiambo",
            guarantee_1="20000",
            guarantor_2=savers["baraka"].membership_number,
            guarantee_2="10000",
        ),
    )
    assert response.status_code == 429  # a form error, not a 500 and not a pass
    assert _errors(response, "guarantor_1") == []  # the 30th lookup of the minute is read
    assert THROTTLED in " ".join(_errors(response, "guarantor_2"))  # the 31st is not
    assert THROTTLED in response.content.decode()
    assert not LoanApplication.objects.exists()
    assert client.get(SEARCH, {"q": "odhiambo"}).status_code == 429  # the same limit, whichever door used it


def test_submits_alone_reach_the_limit_and_the_next_minute_opens_it(client, borrower, products, savers, clock):
    sign_in_verified(client, borrower.user)
    rows = {"guarantor_1": "Odhiambo", "guarantee_1": "1000", "guarantor_2": "Mwangi", "guarantee_2": "1000"}
    rows.update(guarantor_3="M9999", guarantee_3="1000")  # a number of nobody is a lookup too
    for _ in range(LIMIT // 3):  # three lookups each, every one answered
        response = client.post(APPLY, _application(products, **rows))
        assert response.status_code == 400 and not _throttled(response)
        assert "No member who can guarantee matches" in " ".join(_errors(response, "guarantor_3"))
    over = client.post(APPLY, _application(products, **rows))
    assert over.status_code == 429
    for n in (1, 2, 3):
        assert THROTTLED in " ".join(_errors(over, f"guarantor_{n}"))
    assert "Akinyi Odhiambo" not in over.content.decode()  # nothing read, nothing said back
    assert client.post(APPLY, {**rows, "guarantor_query": "akinyi", "find_guarantor": "1"}).status_code == 429

    clock["t"] += 60
    fresh = client.post(APPLY, _application(products, **rows))
    assert fresh.status_code == 400 and not _throttled(fresh)


def test_a_failed_lookup_says_no_more_than_the_search(client, borrower, products, savers, clock):
    """A number of a member who cannot guarantee (no deposits, inactive) reads exactly as a number of nobody: no
    name, no status, no balance; the search lists none of them either."""
    sign_in_verified(client, borrower.user)
    answers = {}
    for who, number in [
        ("chebet", savers["chebet"].membership_number),
        ("daudi", savers["daudi"].membership_number),
        ("nobody", "M9999"),
    ]:
        response = client.post(APPLY, _application(products, guarantor_1=number, guarantee_1="10000"))
        assert response.status_code == 400
        (message,) = _errors(response, "guarantor_1")
        answers[who] = message.replace(number, "<number>")
        html = response.content.decode()
        assert "Chebet" not in html and "Daudi" not in html and "active" not in html.split('id="guarantors"')[1]
        search = client.get(SEARCH, {"q": number}).content.decode()
        assert "Chebet" not in search and "Daudi" not in search
    assert answers["chebet"] == answers["daudi"] == answers["nobody"]
    assert answers["nobody"].startswith("No member who can guarantee matches")


def test_the_members_own_number_is_refused_without_a_lookup(client, borrower, products, savers, clock):
    sign_in_verified(client, borrower.user)
    response = client.post(APPLY, _application(products, guarantor_1=borrower.membership_number, guarantee_1="10000"))
    assert "You cannot guarantee your own loan." in _errors(response, "guarantor_1")
