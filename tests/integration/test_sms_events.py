"""Issue 15: the events that text a member — payment received (counter, M-Pesa spread over loans, check-off),
instalment reminders, guarantor requests, arrears alerts to guarantors, loan decisions. Each sends exactly one SMS
to the right phone with the right figures, in the member's language, none when the member chose email only, none
for a rolled-back action; a check-off file's query cost does not grow with its rows."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from portal.contributions.checkoff import checkoff_post
from portal.contributions.messages import checkoff_received_text, payment_received_text
from portal.contributions.reminders import reminders_send
from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.finance.banking.services import bank_account_primary
from portal.loans.jobs import loans_daily
from portal.loans.messages import (
    guarantor_arrears_text,
    guarantor_request_text,
    instalment_reminder_text,
    loan_decision_text,
    loan_disbursed_text,
    repayment_received_text,
)
from portal.loans.models import Loan, LoanApplication, LoanInstalment, LoanProduct
from portal.loans.reminders import payment_reminders_send
from portal.loans.services import (
    application_approve,
    application_reject,
    application_submit,
    guarantee_accept,
    loan_disburse,
    loan_repay,
)
from portal.notifications import sms
from portal.notifications.models import MessageKind, SmsMessage
from portal.notifications.services import message_preferences_set
from tests.factories import application_with_guarantors, member_with_savings

pytestmark = pytest.mark.django_db
D = Decimal
PHONE = "+254712345678"
GUARANTOR_PHONE = "+254722000111"
LONGEST = D("1250000.00")


@pytest.fixture
def texts():
    """What the locmem SMS backend sent during the test, as (to, text)."""
    start = len(sms.outbox)

    class Texts:
        @property
        def all(self):
            return sms.outbox[start:]

        def to(self, phone):
            return [text for to, text in sms.outbox[start:] if to == phone]

        def mark(self):
            nonlocal start
            start = len(sms.outbox)

    return Texts()


@pytest.fixture
def saver(make_member):
    return make_member("saver@example.com", first_name="Achieng", phone_number=PHONE)


@pytest.fixture
def texted_borrower(make_member):
    return member_with_savings(
        make_member, email="juma@example.com", first_name="Juma", last_name="Otieno", phone_number=PHONE
    )


@pytest.fixture
def swahili(monkeypatch):
    """Swahili for the given English texts (the Swahili helper translates locale/ later; the test must not wait)."""

    def _add(**pairs):
        catalog = translation.trans_real.translation("sw")._catalog
        for msgid, msgstr in pairs.values():
            monkeypatch.setitem(catalog._catalogs[0], msgid, msgstr)

    return _add


def _deposit(member, amount="7061.02", reference="dep-1"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return monthly_contribution_record(
            member=member, amount=amount, period="2026-11", reference=reference, below_minimum_reason="Test"
        )


# --- every text fits one SMS with the longest values ---------------------------------------------------------


@pytest.mark.parametrize("language", ["en-gb", "sw"])
def test_every_text_fits_one_sms_with_the_longest_amounts_names_and_numbers(language):
    with translation.override(language):
        _every_text_fits()


def _every_text_fits():
    number = "MB-202611-99999-XYZW"  # 20 characters: the column's limit
    product = "Development and Asset Finance Loan for Members in Agriculture and Small Business Enterprises" * 2
    texts = [
        payment_received_text(kind="monthly", amount=LONGEST, balance=D("999999999.99")),
        payment_received_text(kind="share_capital", amount=LONGEST, balance=D("999999999.99")),
        repayment_received_text(amount=LONGEST, product=product[:100], balance=LONGEST),
        repayment_received_text(amount=LONGEST, product=None, balance=LONGEST),
        checkoff_received_text(
            period=datetime.date(2026, 11, 1),
            share_capital=LONGEST,
            deposits=LONGEST,
            deposits_balance=LONGEST,
            loan=LONGEST,
            loan_balance=LONGEST,
        ),
        instalment_reminder_text(
            overdue=True,
            product=product,
            amount=LONGEST,
            due_date=datetime.date(2026, 12, 31),
            membership_number=number,
        ),
        instalment_reminder_text(
            overdue=False,
            product=product,
            amount=LONGEST,
            due_date=datetime.date(2026, 12, 31),
            membership_number=number,
        ),
        guarantor_request_text(
            borrower="Wanjiku Nyambura Kamau-Odhiambo",
            number=number,
            product=product,
            amount=LONGEST,
            guaranteed=LONGEST,
        ),
        guarantor_arrears_text(
            borrower="Wanjiku Nyambura Kamau-Odhiambo", number=number, product=product, guaranteed=LONGEST, days=365
        ),
    ]
    application = LoanApplication(
        product=LoanProduct(name=product[:100]), amount=LONGEST, decision_reason="Not enough " * 30
    )
    texts += [loan_decision_text(application=application, approved=ok) for ok in (True, False)]
    loan = Loan(product=LoanProduct(name=product[:100]), principal=LONGEST, amount_paid_out=LONGEST)
    first = LoanInstalment(due_date=datetime.date(2026, 12, 31), principal=LONGEST, interest=D("0.00"))
    texts += [loan_disbursed_text(loan=loan, first_due=first, on_its_way=way) for way in (True, False)]
    for text in texts:
        assert len(text) <= 160, text
        assert "KES 1,250,000.00" in text
        assert text.isascii()


# --- payments received --------------------------------------------------------------------------------------


def test_a_counter_deposit_sends_one_sms_with_the_amount_and_the_new_balance(saver, texts):
    _deposit(saver, amount="5000.00", reference="dep-0")
    texts.mark()
    _deposit(saver)
    assert texts.all == [
        (PHONE, "Payment received: KES 7,061.02 to your deposits. Your deposits balance is now KES 12,061.02.")
    ]
    message = SmsMessage.objects.get(text__contains="7,061.02")
    assert message.kind == MessageKind.PAYMENT_RECEIVED and message.user == saver.user
    assert any("KES 7,061.02" in m.body for m in mail.outbox)  # "both" is the default channel


def test_a_share_capital_payment_names_share_capital(saver, texts):
    with TestCase.captureOnCommitCallbacks(execute=True):
        share_capital_payment_record(member=saver, amount="1250000", reference="sc-1")
    assert texts.to(PHONE) == [
        "Payment received: KES 1,250,000.00 to your share capital. Your share capital is now KES 1,250,000.00."
    ]


def test_a_retried_reference_sends_nothing_more(saver, texts):
    _deposit(saver)
    _deposit(saver)
    assert len(texts.to(PHONE)) == 1


def test_email_only_members_get_no_sms(saver, texts):
    message_preferences_set(user=saver.user, preferences={MessageKind.PAYMENT_RECEIVED: "email"})
    _deposit(saver)
    assert texts.all == []
    assert any("KES 7,061.02" in m.body for m in mail.outbox)


def test_a_rolled_back_payment_sends_nothing(saver, texts):
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            monthly_contribution_record(
                member=saver, amount="7061.02", period="2026-11", reference="dep-x", below_minimum_reason="Test"
            )
            raise RuntimeError("the request failed after posting")
    assert texts.all == []
    assert not SmsMessage.objects.exists()


def test_a_swahili_member_gets_the_swahili_text(saver, texts, swahili):
    swahili(
        deposits=(
            "Payment received: {amount} to your deposits. Your deposits balance is now {balance}.",
            "Malipo yamepokelewa: {amount} kwa akiba yako. Salio la akiba sasa ni {balance}.",
        )
    )
    saver.user.language = "sw"
    saver.user.save(update_fields=["language"])
    _deposit(saver)
    assert texts.to(PHONE) == ["Malipo yamepokelewa: KES 7,061.02 kwa akiba yako. Salio la akiba sasa ni KES 7,061.02."]


def _loan(borrower, products, *, amount="100000", date=datetime.date(2026, 1, 15)):
    application = application_submit(
        member=borrower, product=products["development"], amount=amount, term_months=12, purpose="Build"
    )
    application_approve(application=application, by=None)
    return loan_disburse(application=application, by=None, date=date).loan


def test_a_counter_loan_repayment_names_the_loan_and_its_balance(texted_borrower, products, texts):
    loan = _loan(texted_borrower, products)
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        loan_repay(loan=loan, amount="8884.88", reference="slip-1", date=datetime.date(2026, 2, 10))
    first = loan.instalments.get(number=1)
    balance = loan.principal - first.principal_paid
    assert texts.to(PHONE) == [
        f"Payment received: KES 8,884.88 to your Development loan. Its balance is now KES {balance:,.2f}."
    ]


def test_one_payment_spread_over_two_loans_in_one_transaction_is_one_sms(texted_borrower, products, texts):
    product = products["development"]
    applications = [
        application_submit(member=texted_borrower, product=product, amount=a, term_months=12, purpose="Cows")
        for a in ("60000", "30000")
    ]
    first, second = [
        loan_disburse(application=application_approve(application=a, by=None), by=None, date=day).loan
        for a, day in zip(applications, (datetime.date(2026, 1, 15), datetime.date(2026, 1, 20)), strict=True)
    ]
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():  # as the M-Pesa router does
        loan_repay(loan=first, amount="1000", reference="MPESA1", date=datetime.date(2026, 2, 10))
        loan_repay(loan=second, amount="500", reference="MPESA1:1", date=datetime.date(2026, 2, 10))
    [text] = texts.to(PHONE)
    assert text.startswith("Payment received: KES 1,500.00 to your loans. Your loans balance is now KES ")


def test_a_rolled_back_repayment_sends_nothing(texted_borrower, products, texts):
    loan = _loan(texted_borrower, products)
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            loan_repay(loan=loan, amount="1000", reference="slip-2", date=datetime.date(2026, 2, 10))
            raise RuntimeError("rolled back")
    assert texts.all == []


# --- check-off files: one SMS per member, whatever the columns; a query cost that does not grow --------------


def _checkoff(rows, name="nov.csv", header="membership_number,share_capital,deposits,loan_repayment"):
    content = (header + "\n" + "".join(f"{r}\n" for r in rows)).encode()
    return checkoff_post(
        content=content,
        file_name=name,
        period=datetime.date(2026, 2, 1),
        bank_account=bank_account_primary(),
        received_on=datetime.date(2026, 2, 25),
        below_minimum_reason="Test",
    )


def test_a_checkoff_row_with_deposits_shares_and_a_loan_part_is_one_sms(texted_borrower, make_member, products, texts):
    other = make_member("wafula@example.com", phone_number=GUARANTOR_PHONE)
    loan = _loan(texted_borrower, products)
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        _checkoff([f"{texted_borrower.membership_number},1000,5000,8884.88", f"{other.membership_number},0,3000,0"])
    balance = sum((i.principal - i.principal_paid for i in loan.instalments.all()), D("0.00"))
    assert texts.to(PHONE) == [
        "Check-off 02/2026: KES 14,884.88 received: shares KES 1,000.00, deposits KES 5,000.00 (balance KES "
        f"125,000.00), loan KES 8,884.88 (balance KES {balance:,.2f})."
    ]
    assert texts.to(GUARANTOR_PHONE) == [
        "Check-off 02/2026: KES 3,000.00 received: deposits KES 3,000.00 (balance KES 3,000.00)."
    ]


def _members(make_member, n, start=0):
    return [make_member(f"m{start + i}@example.com", phone_number=f"+2547{start + i:08d}") for i in range(n)]


def test_checkoff_posting_keeps_its_query_budget_and_texts_each_member_once(make_member, texts):
    few = _members(make_member, 5)
    many = _members(make_member, 40, start=100)

    def post(members, name):
        rows = [f"{m.membership_number},0,3000,0" for m in members]
        with CaptureQueriesContext(connection) as posting:
            with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
                _checkoff(rows, name=name)
        with CaptureQueriesContext(connection) as telling, TestCase.captureOnCommitCallbacks(execute=True):
            for callback in callbacks:
                callback()
        return len(posting), len(telling)

    few_posting, few_telling = post(few, "a.csv")
    texts.mark()
    many_posting, many_telling = post(many, "b.csv")
    assert many_posting == few_posting  # the SMS adds nothing per row to the posting
    assert len(texts.all) == 40 and len({to for to, _ in texts.all}) == 40
    # After commit, in one task: per member only what notify and sms_send cost (channel, inbox entry, rate limit,
    # the SmsMessage row and its update); nothing of ours.
    per_member = (many_telling - few_telling) / 35
    assert per_member <= 16, (few_telling, many_telling)


# --- reminders -------------------------------------------------------------------------------------------------


def test_instalment_reminders_text_once_per_instalment_and_kind(texted_borrower, products, texts):
    loan = _loan(texted_borrower, products)
    first = loan.instalments.get(number=1)
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment_reminders_send(today=first.due_date - datetime.timedelta(days=3))
        payment_reminders_send(today=first.due_date - datetime.timedelta(days=2))  # de-duplicated
    number = texted_borrower.membership_number
    assert texts.to(PHONE) == [
        f"Reminder: your Development loan instalment of KES {first.outstanding:,.2f} is due on "
        f"{first.due_date:%d/%m/%Y}. Pay by M-Pesa, account {number}-L."
    ]
    texts.mark()
    later = first.due_date + datetime.timedelta(days=5)
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment_reminders_send(today=later)
    assert texts.to(PHONE) == [
        f"Your Development loan instalment of KES {first.outstanding:,.2f} was due on {first.due_date:%d/%m/%Y} and "
        f"is overdue. Please pay by M-Pesa, account {number}-L."
    ]
    texts.mark()
    emails = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment_reminders_send(today=later + datetime.timedelta(days=31))  # next month: the email again, no SMS
    assert not any(f"{first.due_date:%d/%m/%Y}" in text for _to, text in texts.all)
    assert any(f"{first.due_date:%d %B %Y}" in m.body for m in mail.outbox[emails:])


def test_a_contribution_reminder_texts_what_is_missing(saver, texts):
    with TestCase.captureOnCommitCallbacks(execute=True):
        monthly_contribution_record(
            member=saver, amount="100", period="2026-11", reference="p1", below_minimum_reason="Test"
        )
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        reminders_send(period=datetime.date(2026, 11, 1))
    [text] = texts.to(PHONE)
    assert text.startswith("Your 11/2026 contribution: KES 100.00 of KES ") and saver.membership_number in text


# --- guarantors -----------------------------------------------------------------------------------------------


@pytest.fixture
def guarantor(make_member):
    return member_with_savings(
        make_member, email="akinyi@example.com", first_name="Akinyi", phone_number=GUARANTOR_PHONE
    )


def test_a_guarantor_request_texts_the_guarantor(texted_borrower, guarantor, products, texts):
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_with_guarantors(
            borrower=texted_borrower,
            product=products["school-fees"],
            amount="200000",
            guarantors=[(guarantor, "100000", "")],
        )
    assert texts.to(GUARANTOR_PHONE) == [
        f"Juma Otieno ({texted_borrower.membership_number}) asks you to guarantee KES 100,000.00 of a School fees "
        "loan of KES 200,000.00. Accept or decline in your portal."
    ]
    assert texts.to(PHONE) == []


def test_guarantors_are_alerted_once_when_the_loan_falls_into_arrears(texted_borrower, guarantor, products, texts):
    application = application_with_guarantors(
        borrower=texted_borrower,
        product=products["school-fees"],
        amount="200000",
        guarantors=[(guarantor, "100000", "")],
    )
    guarantee_accept(guarantee=application.guarantees.get(), by_member=guarantor)
    application_approve(application=application, by=None)
    loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
    due = loan.instalments.get(number=1).due_date
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        loans_daily(today=due)  # due today: not in arrears
        loans_daily(today=due + datetime.timedelta(days=1))
        loans_daily(today=due + datetime.timedelta(days=2))  # the same episode: no second alert
    assert texts.to(GUARANTOR_PHONE) == [
        f"The School fees loan of Juma Otieno ({texted_borrower.membership_number}) that you guarantee for KES "
        "100,000.00 is 1 days in arrears. Please encourage them to pay."
    ]
    assert texts.to(PHONE) == []


# --- decisions --------------------------------------------------------------------------------------------------


def test_approval_and_disbursement_each_text_the_member(texted_borrower, products, texts):
    application = application_submit(
        member=texted_borrower, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_approve(application=application, by=None)
    assert texts.to(PHONE) == ["Your Development loan of KES 100,000.00 is approved. The treasurer will pay it out."]
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
        loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15))  # again: nothing more
    first = loan.instalments.get(number=1)
    assert texts.to(PHONE) == [
        f"Your Development loan of KES {loan.principal:,.2f} is paid out: KES {loan.amount_paid_out:,.2f} sent to "
        f"you. First instalment KES {first.amount:,.2f} due on {first.due_date:%d/%m/%Y}."
    ]


def test_a_rejection_texts_the_reason(texted_borrower, products, texts):
    application = application_submit(
        member=texted_borrower, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_reject(application=application, by=None, reason="Deposits too recent")
    assert texts.to(PHONE) == [
        "Your Development loan application of KES 100,000.00 was not approved: Deposits too recent"
    ]


def test_decisions_for_an_email_only_member_send_no_sms(texted_borrower, products, texts):
    message_preferences_set(user=texted_borrower.user, preferences={MessageKind.LOAN_DECISION: "email"})
    application = application_submit(
        member=texted_borrower, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_approve(application=application, by=None)
    assert texts.all == []


# --- M-Pesa (the C2B/STK posting router): one SMS per receipt --------------------------------------------------


def _mpesa(trans_id, member, purpose, amount):
    from portal.mpesa.receipts import mpesa_receipt_post

    with TestCase.captureOnCommitCallbacks(execute=True):
        return mpesa_receipt_post(
            trans_id=trans_id,
            member=member,
            purpose=purpose,
            amount=D(amount),
            paid_at=datetime.datetime(2026, 2, 25, 10, 30, tzinfo=datetime.UTC),
            phone="254712345678",
        )


def test_an_mpesa_deposit_sends_one_sms_and_its_replay_none(saver, texts):
    from portal.mpesa.receipts import Purpose

    _mpesa("QK1ABC", saver, Purpose.DEPOSITS, "7061.02")
    _mpesa("QK1ABC", saver, Purpose.DEPOSITS, "7061.02")
    assert texts.to(PHONE) == [
        "Payment received: KES 7,061.02 to your deposits. Your deposits balance is now KES 7,061.02."
    ]


def test_an_mpesa_loan_payment_spread_over_two_loans_is_one_sms(texted_borrower, products, texts):
    from portal.mpesa.receipts import Purpose

    product = products["development"]
    applications = [
        application_submit(member=texted_borrower, product=product, amount=a, term_months=12, purpose="Cows")
        for a in ("60000", "30000")
    ]
    loans = [
        loan_disburse(application=application_approve(application=a, by=None), by=None, date=day).loan
        for a, day in zip(applications, (datetime.date(2026, 1, 15), datetime.date(2026, 1, 20)), strict=True)
    ]
    texts.mark()
    _mpesa("QK2DEF", texted_borrower, Purpose.LOAN_REPAYMENT, "20000")
    balance = sum((i.principal - i.principal_paid for loan in loans for i in loan.instalments.all()), D("0.00"))
    assert texts.to(PHONE) == [
        f"Payment received: KES 20,000.00 to your loans. Your loans balance is now KES {balance:,.2f}."
    ]


def test_a_swahili_borrower_gets_the_decision_in_swahili(texted_borrower, products, texts, swahili):
    swahili(
        approved=(
            "Your {product} of {amount} is approved. The treasurer will pay it out.",
            "{product} yako ya {amount} imeidhinishwa. Mweka hazina atakulipa.",
        )
    )
    texted_borrower.user.language = "sw"
    texted_borrower.user.save(update_fields=["language"])
    application = application_submit(
        member=texted_borrower, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        application_approve(application=application, by=None)
    assert texts.to(PHONE) == ["Development loan yako ya KES 100,000.00 imeidhinishwa. Mweka hazina atakulipa."]


def test_a_swahili_guarantor_gets_the_arrears_alert_in_swahili(texted_borrower, guarantor, products, texts, swahili):
    swahili(
        arrears=(
            "The {product} of {name} ({number}) that you guarantee for {guaranteed} is {days} days in arrears. "
            "Please encourage them to pay.",
            "{product} ya {name} ({number}) uliyoidhamini kwa {guaranteed} imechelewa siku {days}.",
        )
    )
    guarantor.user.language = "sw"
    guarantor.user.save(update_fields=["language"])
    application = application_with_guarantors(
        borrower=texted_borrower,
        product=products["school-fees"],
        amount="200000",
        guarantors=[(guarantor, "100000", "")],
    )
    guarantee_accept(guarantee=application.guarantees.get(), by_member=guarantor)
    application_approve(application=application, by=None)
    loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
    due = loan.instalments.get(number=1).due_date
    texts.mark()
    with TestCase.captureOnCommitCallbacks(execute=True):
        loans_daily(today=due + datetime.timedelta(days=3))
    assert texts.to(GUARANTOR_PHONE) == [
        f"School fees loan ya Juma Otieno ({texted_borrower.membership_number}) uliyoidhamini kwa KES 100,000.00 "
        "imechelewa siku 3."
    ]
