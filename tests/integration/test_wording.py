"""Issue 14: messages count and article their nouns ("1 guarantor", "an emergency loan")."""

import pytest

from portal.society.wording import counted, with_article
from tests.factories import application_with_guarantors


def test_counted_nouns_agree_with_their_number():
    assert counted(1, "guarantor", "guarantors") == "1 guarantor"
    assert counted(3, "guarantor", "guarantors") == "3 guarantors"
    assert counted(0, "payment", "payments") == "0 payments"


def test_articles_follow_the_sound_of_the_first_letter():
    assert with_article("emergency loan") == "an emergency loan"
    assert with_article("development loan") == "a development loan"
    assert with_article("Instant loan") == "an Instant loan"


@pytest.mark.django_db
def test_a_guarantor_is_asked_about_an_emergency_loan(
    products, borrower, people, mailoutbox, django_capture_on_commit_callbacks
):
    """The guarantor's email used to say "has applied for a emergency loan"."""
    emergency = products["emergency"]
    with django_capture_on_commit_callbacks(execute=True):
        application_with_guarantors(
            borrower=borrower,
            product=emergency,
            amount=str(emergency.min_amount),
            guarantors=[(people["akinyi"], str(emergency.min_amount), "Akinyi")],
            term_months=emergency.min_term_months,
        )
    asked = [m for m in mailoutbox if "akinyi@example.com" in m.to]
    assert asked and "has applied for an emergency loan" in asked[0].body
