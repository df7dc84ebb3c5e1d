"""M7 on PostgreSQL: members registered from several threads at once get distinct numbers."""

import datetime
import threading

import pytest
from django.db import connection

from portal.members.models import Member, User
from portal.members.services import member_create

THREADS = 8
PER_THREAD = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_get_distinct_numbers():
    users = [
        User.objects.create_user(email=f"race{i}@example.com", password="x-x-x-x-x-x")
        for i in range(THREADS * PER_THREAD)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def register(batch):
        try:
            barrier.wait()
            for user in batch:
                member_create(user=user, join_date=datetime.date(2026, 11, 28))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=register, args=(users[i * PER_THREAD : (i + 1) * PER_THREAD],)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = list(Member.objects.values_list("membership_number", flat=True))
    assert len(numbers) == THREADS * PER_THREAD
    assert len(set(numbers)) == len(numbers)
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences[0] >= 1 and sequences == sorted(set(sequences))  # distinct; gaps would be tolerated
