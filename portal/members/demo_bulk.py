"""Generated members for a demo society at scale (`seed_demo --members N` beyond the story's members).

The story's members (demo.py) go through `member_create` one by one, with everything a registration does; a
society of 100,000 cannot (19 members/s). Generated members are planned in memory — deterministic, each from its
own seeded generator, so member i is the same whatever the run — and written in bulk (by the caller): users with
one password hash computed once (they can sign in with the demo password), their "Members" group, and member rows whose
membership numbers come from the same per-year counters as `membership_number_next`, reserved a block at a time.

Their email domain (GENERATED_DOMAIN) tells them apart from the story's members, so the story's seeds never walk
them and a second run finds them by email."""

import datetime
import math
import random
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db.models import F

from . import roles
from .demo import EMPLOYERS, FIRST_NAMES, LAST_NAMES
from .models import Member, MembershipNumberCounter, User
from .services import membership_number_format

GENERATED_DOMAIN = "society.example"


@dataclass
class GeneratedMember:
    index: int
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    join_date: datetime.date
    phone_number: str
    national_id: str
    employer: str
    payroll_number: str
    membership_number: str = ""

    def rng(self, seed: int, salt: str) -> random.Random:
        """A generator of this member's own, for one purpose (savings, loans): the same on every run."""
        return random.Random(f"{seed}:{salt}:{self.index}")  # noqa: S311 - demo data


def generated_email(index: int, first: str, last: str) -> str:
    return f"{first}.{last}.{index}@{GENERATED_DOMAIN}".lower()


def generated_members_plan(*, count: int, years: int, today: datetime.date, seed: int = 2026) -> list[GeneratedMember]:
    """`count` members who joined over the last `years` years, oldest first. The society grew: joins are denser in
    recent years (member i of n joined at sqrt(i/n) of the span), as a SACCO's membership grows."""
    span = 365 * years
    start = today - datetime.timedelta(days=span)
    plans = []
    for index in range(1, count + 1):
        rng = random.Random(f"{seed}:member:{index}")  # noqa: S311 - demo data
        offset = int(span * math.sqrt((index - 1 + rng.random()) / count))
        join_date = min(start + datetime.timedelta(days=offset), today - datetime.timedelta(days=1))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        employer, prefix = rng.choice(EMPLOYERS)
        plans.append(
            GeneratedMember(
                index=index,
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                user_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                email=generated_email(index, first, last),
                first_name=first,
                last_name=last,
                join_date=join_date,
                phone_number=f"+2547{rng.randint(10, 99)}{rng.randint(100000, 999999)}",
                national_id=str(rng.randint(20_000_000, 39_999_999)),
                employer=employer,
                payroll_number=f"{prefix}{500000 + index}",
            )
        )
    return plans


def generated_existing() -> set[str]:
    """Emails of the generated members already in the database."""
    return set(User.objects.filter(email__endswith=f"@{GENERATED_DOMAIN}").values_list("email", flat=True))


def generated_numbers_reserve(*, plans: list[GeneratedMember]) -> None:
    """Fill in each plan's membership number from the same per-year counters as `membership_number_next`,
    reserving a block per join year (the counter row stays locked by the UPDATE until the caller's transaction
    commits). Reserved for the whole run at once, so the rows can be built ahead without the database: a run that
    fails later leaves a gap in the numbers, as a rolled-back registration never does — demo data only."""
    by_year: dict[int, list[GeneratedMember]] = {}
    for plan in plans:
        by_year.setdefault(plan.join_date.year, []).append(plan)
    for year, group in by_year.items():
        MembershipNumberCounter.objects.bulk_create([MembershipNumberCounter(year=year)], ignore_conflicts=True)
        MembershipNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + len(group))
        last = MembershipNumberCounter.objects.values_list("last_value", flat=True).get(year=year)
        for sequence, plan in enumerate(group, start=last - len(group) + 1):
            plan.membership_number = membership_number_format(join_date=plan.join_date, sequence=sequence)


def members_group_id() -> int:
    return Group.objects.values_list("pk", flat=True).get(name=roles.MEMBERS)


def generated_members_rows(*, plans: list[GeneratedMember], password_hash: str, group_id: int) -> list[tuple]:
    """Users, their Members group (`group_id`, from `members_group_id()`) and member rows for `plans` (none of them
    existing yet, numbers reserved by `generated_numbers_reserve`), as [(model, rows)] for the bulk insert
    (finance's bulk_insert, which this app cannot import). No query: a worker thread may build them."""
    now = datetime.datetime.now(datetime.UTC)
    users = (
        User,
        [
            {
                "id": p.user_id,
                "email": p.email,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "password": password_hash,
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "date_joined": datetime.datetime.combine(p.join_date, datetime.time(9), tzinfo=datetime.UTC),
            }
            for p in plans
        ],
    )
    groups = (User.groups.through, [{"user_id": p.user_id, "group_id": group_id} for p in plans])
    members = (
        Member,
        [
            {
                "id": p.id,
                "user_id": p.user_id,
                "membership_number": p.membership_number,
                "join_date": p.join_date,
                "phone_number": p.phone_number,
                "national_id": p.national_id,
                "employer": p.employer,
                "payroll_number": p.payroll_number,
                "created_at": now,
            }
            for p in plans
        ],
    )
    return [users, groups, members]
