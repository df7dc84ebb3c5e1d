"""C1, C2, C3, C5, C8: share capital and monthly contributions through the posting services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.contributions.models import MemberShareSummary, MonthlyContribution, ShareCapitalPayment
from portal.contributions.periods import parse_period
from portal.contributions.selectors import (
    incomplete_share_capital,
    member_balances,
    missing_contributions,
    savings_series,
)
from portal.contributions.services import (
    MONTHLY,
    SHARE_CAPITAL,
    AlreadyReversed,
    PaymentItem,
    PaymentsInvalid,
    contribution_schedule_set,
    monthly_contribution_record,
    payment_reverse,
    payments_record,
    share_capital_payment_record,
    share_capital_term_set,
    shares_recalculate,
)
from portal.finance.ledger.models import JournalEntry, JournalLine
from portal.finance.ledger.selectors import account_balance, trial_balance

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date.today()


def test_a_contribution_posts_dr_bank_cr_member_deposits(member):
    result = monthly_contribution_record(member=member, amount="1500", period="2026-03", reference="MP-1")
    assert result.created
    lines = {(line.account.code, line.debit, line.credit, line.member_id) for line in result.record.entry.lines.all()}
    assert lines == {("1010", D("1500.00"), D("0.00"), None), ("2000", D("0.00"), D("1500.00"), member.pk)}
    assert result.record.period == datetime.date(2026, 3, 1)
    assert account_balance(code="2000", member=member) == D("1500.00")
    assert MemberShareSummary.objects.get(member=member).deposits == D("1500.00")


def test_share_capital_posts_to_equity_and_progress_follows_domain_rules(member):
    # Defaults: share value 1,000 × 20 shares = 20,000 target; 12-month term → 1,666.67 instalment.
    share_capital_payment_record(member=member, amount="5000.00", reference="SC-1")
    balances = member_balances(member=member)
    assert balances.share_capital == D("5000.00")
    progress = balances.share_capital_progress
    assert progress.target == D("20000.00")
    assert progress.instalment == D("1666.67")
    assert progress.completion_percent == D("25.00")
    share_capital_term_set(member=member, term_months=24)
    assert member_balances(member=member).share_capital_progress.instalment == D("833.33")
    assert account_balance(code="3000", member=member) == D("5000.00")


def test_completion_is_capped_at_100_percent(member):
    share_capital_payment_record(member=member, amount="25000", reference="SC-2")
    assert member_balances(member=member).share_capital_progress.completion_percent == D("100.00")
    assert member not in incomplete_share_capital()


def test_the_term_must_be_12_or_24(member):
    with pytest.raises(ValidationError) as exc:
        share_capital_term_set(member=member, term_months=18)
    assert "term_months" in exc.value.message_dict


def test_the_same_reference_posts_once(member):
    first = monthly_contribution_record(member=member, amount="1000", period="2026-03", reference="MP-QK1")
    again = monthly_contribution_record(member=member, amount="1000", period="2026-03", reference="MP-QK1")
    assert not again.created and again.record.pk == first.record.pk
    assert MonthlyContribution.objects.count() == 1 and JournalEntry.objects.count() == 1


def test_a_reference_reused_for_a_different_payment_is_refused(member, other_member):
    monthly_contribution_record(member=member, amount="1000", period="2026-03", reference="MP-QK1")
    with pytest.raises(PaymentsInvalid) as exc:
        monthly_contribution_record(member=other_member, amount="1000", period="2026-03", reference="MP-QK1")
    assert exc.value.row_errors[0].field == "reference"


@pytest.mark.parametrize(
    ("amount", "period", "field", "words"),
    [
        ("-100", "2026-03", "amount", "negative"),
        ("0", "2026-03", "amount", "more than zero"),
        ("abc", "2026-03", "amount", "not a number"),
        ("1000.005", "2026-03", "amount", "two decimal"),
        ("1000", "2026-13", "period", "months run from 01 to 12"),
        ("1000", "2026-3", "period", "YYYY-MM"),
        ("1000", "", "period", "YYYY-MM"),
    ],
)
def test_bad_input_names_the_field_and_posts_nothing(member, amount, period, field, words):
    with pytest.raises(PaymentsInvalid) as exc:
        monthly_contribution_record(member=member, amount=amount, period=period, reference="X")
    error = exc.value.row_errors[0]
    assert error.field == field and words in error.message
    assert JournalEntry.objects.count() == 0 and MonthlyContribution.objects.count() == 0


def test_below_the_minimum_needs_a_reason(member):
    with pytest.raises(PaymentsInvalid) as exc:
        monthly_contribution_record(member=member, amount="500", period="2026-03")
    assert "override" in exc.value.row_errors[0].message
    result = monthly_contribution_record(
        member=member, amount="500", period="2026-03", below_minimum_reason="Half pay while on leave"
    )
    assert result.record.below_minimum_reason == "Half pay while on leave"


def test_a_part_payment_counts_with_what_was_already_paid(member):
    monthly_contribution_record(member=member, amount="600", period="2026-03", below_minimum_reason="M-Pesa part 1")
    second = monthly_contribution_record(member=member, amount="400", period="2026-03")
    assert second.created


def test_the_members_own_schedule_raises_what_is_due(member):
    contribution_schedule_set(member=member, monthly_amount="2500")
    with pytest.raises(PaymentsInvalid):
        monthly_contribution_record(member=member, amount="1000", period="2026-03")
    with pytest.raises(ValidationError) as exc:
        contribution_schedule_set(member=member, monthly_amount="200")
    assert "monthly_amount" in exc.value.message_dict


def test_bulk_is_all_or_nothing_and_names_every_bad_row(member, other_member):
    items = [
        PaymentItem(member, "1000", "2026-03", reference="B-1", row=1),
        PaymentItem(other_member, "1000", "2026-13", reference="B-2", row=2),
        PaymentItem(None, "1000", "2026-03", reference="B-3", row=3, member_label="MB-999"),
        PaymentItem(member, "1000", "2026-04", reference="B-1", row=4),
    ]
    with pytest.raises(PaymentsInvalid) as exc:
        payments_record(kind=MONTHLY, items=items)
    assert {(e.row, e.field) for e in exc.value.row_errors} == {(2, "period"), (3, "member"), (4, "reference")}
    assert "Row 3, member: No member 'MB-999' was found." in exc.value.messages
    assert JournalEntry.objects.count() == 0
    results = payments_record(
        kind=MONTHLY, items=[items[0], PaymentItem(other_member, "1000", "2026-03", reference="B-2")]
    )
    assert all(r.created for r in results)
    again = payments_record(kind=MONTHLY, items=[items[0]])
    assert not again[0].created and JournalEntry.objects.count() == 2


def test_reversal_is_a_contra_entry_and_restores_balances(member, staff_user):
    from portal.members import roles

    clerk = staff_user(roles.CLERKS)
    payment = share_capital_payment_record(member=member, amount="3000", reference="SC-9").record
    with pytest.raises(ValidationError):
        payment_reverse(payment=payment, reason=" ", reversed_by=clerk)
    payment_reverse(payment=payment, reason="Paid to the wrong member", reversed_by=clerk)
    payment.refresh_from_db()
    assert payment.is_reversed
    assert ShareCapitalPayment.objects.filter(pk=payment.pk).exists()  # still there: nothing posted is deleted
    assert account_balance(code="3000", member=member) == D("0.00")
    assert MemberShareSummary.objects.get(member=member).share_capital == D("0.00")
    with pytest.raises(AlreadyReversed):
        payment_reverse(payment=payment, reason="again", reversed_by=clerk)
    rows = trial_balance()
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_missing_list_uses_unreversed_payments_and_the_due_amount(member, other_member, make_member):
    late_joiner = make_member(join_date=datetime.date(2026, 5, 2))
    monthly_contribution_record(member=member, amount="1000", period="2026-03", reference="A")
    wrong = monthly_contribution_record(member=other_member, amount="1000", period="2026-03", reference="B").record
    payment_reverse(payment=wrong, reason="Bounced cheque", reversed_by=None)
    missing = list(missing_contributions(period=parse_period("2026-03")))
    assert other_member in missing and member not in missing and late_joiner not in missing
    row = next(m for m in missing if m.pk == other_member.pk)
    assert row.paid == D("0") and row.due == D("1000.00")


def test_summary_cache_equals_the_ledger_after_recalculation(member, other_member):
    share_capital_payment_record(member=member, amount="1200", reference="S1")
    monthly_contribution_record(member=other_member, amount="1000", period="2026-02", reference="S2")
    MemberShareSummary.objects.all().delete()
    assert shares_recalculate() >= 2
    for m in (member, other_member):
        summary = MemberShareSummary.objects.get(member=m)
        assert summary.share_capital == account_balance(code="3000", member=m)
        assert summary.deposits == account_balance(code="2000", member=m)


def test_savings_series_runs_the_balance_month_by_month(member):
    share_capital_payment_record(member=member, amount="1000", reference="S1", date=datetime.date(2026, 1, 10))
    monthly_contribution_record(
        member=member, amount="1000", period="2026-01", reference="C1", date=datetime.date(2026, 1, 10)
    )
    monthly_contribution_record(
        member=member, amount="1000", period="2026-02", reference="C2", date=datetime.date(2026, 2, 10)
    )
    series = savings_series(member=member, months=3, today=datetime.date(2026, 3, 5))
    assert [(s["period"].month, s["deposits"], s["share_capital"]) for s in series] == [
        (1, D("1000.00"), D("1000.00")),
        (2, D("2000.00"), D("1000.00")),
        (3, D("2000.00"), D("1000.00")),
    ]


def test_exited_members_cannot_pay(member):
    member.status = "exited"
    member.save()
    with pytest.raises(PaymentsInvalid) as exc:
        payments_record(kind=SHARE_CAPITAL, items=[PaymentItem(member, "100")])
    assert exc.value.row_errors[0].field == "member"


money = st.decimals(min_value=D("0.01"), max_value=D("50000.00"), places=2)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operations=st.lists(
        st.tuples(st.sampled_from(["monthly", "share", "reverse"]), st.integers(0, 2), money), min_size=1, max_size=12
    )
)
def test_any_sequence_of_payments_and_reversals_keeps_cache_equal_to_ledger(make_member, operations):
    """Property: through the savings services, entries balance, the trial balance nets to zero, and each member's
    cached summary equals the sum of their ledger lines."""
    with transaction.atomic():
        sid = transaction.savepoint()
        members = [make_member() for _ in range(3)]
        posted = []
        for number, (kind, who, amount) in enumerate(operations):
            if kind == "reverse":
                if posted:
                    payment_reverse(payment=posted.pop(0), reason="property test", reversed_by=None)
                continue
            items = [PaymentItem(members[who], amount, "2026-01", reference=f"p{number}", below_minimum_reason="test")]
            result = payments_record(kind=MONTHLY if kind == "monthly" else SHARE_CAPITAL, items=items)[0]
            posted.append(result.record)
        rows = trial_balance()
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        for entry in JournalEntry.objects.prefetch_related("lines"):
            assert sum(ln.debit for ln in entry.lines.all()) == sum(ln.credit for ln in entry.lines.all())
        for member in members:
            summary = MemberShareSummary.objects.filter(member=member).first()
            for code, cached in (
                ("2000", summary.deposits if summary else D("0")),
                ("3000", summary.share_capital if summary else D("0")),
            ):
                lines = JournalLine.objects.filter(member=member, account__code=code)
                assert (
                    cached
                    == sum((ln.credit - ln.debit for ln in lines), D("0.00"))
                    == account_balance(code=code, member=member)
                )
        transaction.savepoint_rollback(sid)


def test_ledger_check_compares_the_summary_cache_with_the_ledger(member):
    from django.core.management import CommandError, call_command

    monthly_contribution_record(member=member, amount="1000", period="2026-03", reference="LC")
    call_command("ledger_check")
    MemberShareSummary.objects.filter(member=member).update(deposits=D("999.00"))
    with pytest.raises(CommandError):
        call_command("ledger_check")
    shares_recalculate()
    call_command("ledger_check")


def test_recalculate_shares_command_rebuilds_the_cache(member, capsys):
    from django.core.management import call_command

    share_capital_payment_record(member=member, amount="700", reference="RC")
    MemberShareSummary.objects.all().delete()
    call_command("recalculate_shares")
    assert MemberShareSummary.objects.get(member=member).share_capital == D("700.00")
    assert "Recalculated" in capsys.readouterr().out
