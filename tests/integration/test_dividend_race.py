"""One dividend declaration per financial year in approval at a time, enforced by the database (DividendYear's
unique year) and taken under a lock by dividend_prepare (issue 12)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from portal.dividends.compute import dividend_compute
from portal.dividends.models import DividendDeclaration, DividendPosting, DividendYear
from portal.dividends.services import dividend_prepare, dividend_vote
from portal.members import roles
from tests.factories import dividend_terms


@pytest.mark.django_db
def test_the_database_refuses_a_second_declaration_holding_a_year(year_2025, staff_user):
    treasurer = staff_user(roles.TREASURER)
    first = dividend_prepare(**dividend_terms(), by=treasurer)
    assert DividendYear.objects.get(financial_year=2025).declaration == first
    with pytest.raises(ValidationError) as caught:
        dividend_prepare(**dividend_terms(share_capital_rate=8), by=treasurer)
    assert caught.value.message_dict["financial_year"] == ["A declaration for 2025 is already waiting for approval."]
    other = DividendDeclaration.objects.create(**dividend_terms(), prepared_by=treasurer, live=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        DividendYear.objects.create(financial_year=2025, declaration=other)


@pytest.mark.django_db
def test_a_rejected_declaration_gives_its_year_to_the_next(year_2025, staff_user, deciders):
    treasurer = staff_user(roles.TREASURER)
    rejected = dividend_prepare(**dividend_terms(), by=treasurer)
    dividend_vote(declaration=rejected, user=deciders["tom"], action="reject", reason="Rate too high")
    again = dividend_prepare(**dividend_terms(share_capital_rate=8), by=treasurer)
    assert DividendYear.objects.get(financial_year=2025).declaration == again
    dividend_vote(declaration=again, user=deciders["joseph"])
    dividend_vote(declaration=again, user=deciders["mercy"])
    assert DividendPosting.objects.get(financial_year=2025).declaration == again


@pytest.mark.django_db
def test_a_declaration_that_slipped_into_approval_beside_another_fails_clearly(
    year_2025,
    staff_user,
    deciders,
):
    """The state the race used to leave: two declarations for 2025 in approval. The one not holding the year is
    refused with a message at its last vote (it used to be an IntegrityError); the holder still posts."""
    treasurer = staff_user(roles.TREASURER)
    holder = dividend_prepare(**dividend_terms(), by=treasurer)
    stray = DividendDeclaration(**dividend_terms(), prepared_by=treasurer, live=False)
    stray.preview = dividend_compute(declaration=stray).summary()
    stray.save()
    stray.save_revision(user=treasurer)
    stray.get_workflow().start(stray, treasurer)
    dividend_vote(declaration=stray, user=deciders["joseph"])
    with pytest.raises(ValidationError, match="Another declaration holds 2025"):
        dividend_vote(declaration=stray, user=deciders["mercy"])
    assert not DividendPosting.objects.exists()
    dividend_vote(declaration=holder, user=deciders["joseph"])
    dividend_vote(declaration=holder, user=deciders["mercy"])
    assert DividendPosting.objects.get().declaration == holder


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_preparations_of_one_year_leave_one_in_approval(year_2025, staff_user):
    treasurer = staff_user(roles.TREASURER)
    threads = 8
    barrier = threading.Barrier(threads)
    outcomes: list[object] = []

    def prepare(n):
        try:
            barrier.wait()
            outcomes.append(dividend_prepare(**dividend_terms(share_capital_rate=10 + n), by=treasurer))
        except BaseException as exc:  # collected and asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=prepare, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    prepared = [o for o in outcomes if isinstance(o, DividendDeclaration)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(prepared) == 1 and len(refused) == threads - 1, outcomes
    assert all("already waiting for approval" in e.message_dict["financial_year"][0] for e in refused)
    assert DividendDeclaration.objects.filter(financial_year=2025).count() == 1
    assert DividendYear.objects.get(financial_year=2025).declaration == prepared[0]
