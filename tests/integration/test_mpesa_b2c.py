"""Issue 15: loan disbursement by M-Pesa B2C. The real DarajaClient talks to the fake Daraja; its result callbacks are
posted to the real views. Hand-computed: the development loan of KES 100,000.00 (fees deducted: 1 % processing =
1,000.00, 0.5 % insurance = 500.00) pays out KES 98,500.00."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.loans.disbursement_channels import payout_describe
from portal.loans.models import ApplicationStatus, Loan, LoanInstalment, LoanStatus
from portal.loans.services import application_approve, application_submit, loan_disburse, loan_repay
from portal.members import roles
from portal.mpesa.b2c import b2c_bank_account, payouts_in_transit_account
from portal.mpesa.models import B2CPayout, CallbackKind, MpesaCallback, PayoutStatus

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 1, 15)
PHONE = "+254712345678"


@pytest.fixture
def mpesa_product(products):
    product = products["development"]
    product.disburse_by_mpesa = True
    product.save(update_fields=["disburse_by_mpesa"])
    return product


@pytest.fixture
def approved(borrower, mpesa_product, staff_user):
    borrower.phone_number = PHONE
    borrower.save(update_fields=["phone_number"])
    application = application_submit(
        member=borrower, product=mpesa_product, amount="100000", term_months=12, purpose="Build"
    )
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    return application


@pytest.fixture
def treasurer(staff_user):
    return staff_user(roles.TREASURER)


def _lines(entry):
    return sorted((line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account"))


def _disburse(application, treasurer, capture):
    with capture(execute=True):
        return loan_disburse(application=application, by=treasurer, date=DAY).loan


def _deliver(client, fake, capture, *, index=-1):
    """Post the fake's B2C result callback (as Daraja would) to our view; the q2 task runs on commit."""
    callback = fake.outbox[index]
    path = callback["url"].removeprefix("http://testserver")
    with capture(execute=True):
        response = client.post(path, data=json.dumps(callback["json"]), content_type="application/json")
    assert response.status_code == 200 and response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    return callback["json"]


def test_a_paid_payout_goes_through_the_clearing_account_then_the_b2c_account(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks
):
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    transit = payouts_in_transit_account().code
    assert _lines(loan.disbursement_entry) == sorted(
        [("1100", D("100000.00"), D("0")), (transit, D("0"), D("98500.00")), ("4100", D("0"), D("1000.00")),
         ("4110", D("0"), D("500.00"))]
    )  # fmt: skip
    sent = fake_daraja_offline.calls("/mpesa/b2c/v1/paymentrequest")
    assert len(sent) == 1 and sent[0]["json"]["Amount"] == 98500 and sent[0]["json"]["PartyB"] == "254712345678"
    payout = B2CPayout.objects.get(loan=loan)
    assert payout.status == PayoutStatus.REQUESTED and payout.amount == D("98500.00") and payout.conversation_id
    assert account_balance(code=transit) == D("-98500.00")

    result = _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)

    payout.refresh_from_db()
    receipt = result["Result"]["TransactionID"]
    assert payout.status == PayoutStatus.PAID and payout.transaction_receipt == receipt
    settled = JournalEntry.objects.get(idempotency_key=f"b2c:{payout.reference}:paid")
    b2c = b2c_bank_account().ledger_account.code
    assert _lines(settled) == sorted([(transit, D("98500.00"), D("0")), (b2c, D("0"), D("98500.00"))])
    assert account_balance(code=transit) == D("0.00") and account_balance(code=b2c) == D("-98500.00")
    assert account_balance(code="1100") == D("100000.00")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE and loan.instalments.count() == 12
    assert MpesaCallback.objects.get(kind=CallbackKind.B2C_RESULT).outcome == f"paid {receipt}"
    call_command("ledger_check")


def test_a_failed_payout_reverses_the_disbursement_with_a_contra_entry(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks
):
    fake_daraja_offline.set_outcome("insufficient")
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    entry = loan.disbursement_entry
    booked = _lines(entry)
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)

    payout = B2CPayout.objects.get(loan=loan)
    assert payout.status == PayoutStatus.FAILED and payout.result_code == "1"
    reversal = JournalEntry.objects.get(reversal_of=entry)
    transit = payouts_in_transit_account().code
    assert _lines(reversal) == sorted(
        [("1100", D("0"), D("100000.00")), (transit, D("98500.00"), D("0")), ("4100", D("1000.00"), D("0")),
         ("4110", D("500.00"), D("0"))]
    )  # fmt: skip
    entry.refresh_from_db()
    assert _lines(entry) == booked  # the original stands, untouched
    for code in ("1100", transit, "4100", "4110"):
        assert account_balance(code=code) == D("0.00")
    loan.refresh_from_db()
    approved.refresh_from_db()
    assert loan.status == LoanStatus.REVERSED and not LoanInstalment.objects.filter(loan=loan).exists()
    assert approved.status == ApplicationStatus.APPROVED
    assert payout_describe(loan) == "M-Pesa: Failed (reversed; Disburse pays it out again)"
    assert not JournalEntry.objects.filter(idempotency_key__startswith="b2c:").exists()
    told = [m for m in mail.outbox if m.to == [approved.member.user.email] and "did not go through" in m.subject]
    assert len(told) == 1 and "KES 98,500.00" in told[0].body
    with pytest.raises(ValidationError):  # nothing to repay on a reversed loan
        loan_repay(loan=loan, amount="100", reference="R1", date=DAY)
    call_command("ledger_check")


def test_after_a_failure_the_treasurer_pays_out_again_and_it_is_paid(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks
):
    fake_daraja_offline.set_outcome("cancelled")
    first = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        result = loan_disburse(application=approved, by=treasurer, date=DAY + datetime.timedelta(days=3))
    assert result.created and result.loan.pk == first.pk
    loan = Loan.objects.get(pk=first.pk)
    assert loan.status == LoanStatus.ACTIVE and loan.disbursed_on == DAY + datetime.timedelta(days=3)
    assert loan.instalments.count() == 12 and loan.instalments.first().due_date == datetime.date(2026, 2, 18)
    assert loan.disbursement_entry.idempotency_key == f"disbursement:{approved.pk}:after:{first.disbursement_entry_id}"
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    statuses = sorted(B2CPayout.objects.filter(loan=loan).values_list("status", flat=True))
    assert statuses == [PayoutStatus.FAILED, PayoutStatus.PAID]
    assert account_balance(code="1100") == D("100000.00")
    assert account_balance(code=payouts_in_transit_account().code) == D("0.00")
    assert account_balance(code="4100") == D("1000.00") and account_balance(code="4110") == D("500.00")
    approved.refresh_from_db()
    assert approved.status == ApplicationStatus.DISBURSED
    call_command("ledger_check")


def test_a_replayed_result_changes_nothing(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks
):
    _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    entries = JournalEntry.objects.count()
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    assert JournalEntry.objects.count() == entries
    replay = MpesaCallback.objects.filter(kind=CallbackKind.B2C_RESULT).order_by("pk").last()
    assert replay.outcome.startswith("replay:")
    # A failed result after the paid one changes nothing either.
    body = fake_daraja_offline.outbox[-1]["json"]
    body["Result"]["ResultCode"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(fake_daraja_offline.outbox[-1]["url"], data=json.dumps(body), content_type="application/json")
    assert JournalEntry.objects.count() == entries and B2CPayout.objects.get().status == PayoutStatus.PAID
    call_command("ledger_check")


def test_a_result_for_an_unknown_conversation_is_stored_and_posts_nothing(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks
):
    _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    body = json.loads(json.dumps(fake_daraja_offline.outbox[-1]["json"]))
    body["Result"]["OriginatorConversationID"] = "99999-00000-1"
    body["Result"]["ConversationID"] = "AG_UNKNOWN"
    entries = JournalEntry.objects.count()
    url = reverse("mpesa:b2c_result", args=["test-callback-token-0123456789abcdef0123456789abcdef"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    stored = MpesaCallback.objects.get(kind=CallbackKind.B2C_RESULT)
    assert "AG_UNKNOWN" in stored.body and stored.processed_at is None
    assert JournalEntry.objects.count() == entries and B2CPayout.objects.get().status == PayoutStatus.REQUESTED


def test_a_wrong_token_is_refused_and_stores_nothing(client, db):
    for name in ("mpesa:b2c_result", "mpesa:b2c_timeout"):
        response = client.post(
            reverse(name, args=["wrong-token"]), data=json.dumps({"Result": {}}), content_type="application/json"
        )
        assert response.status_code == 404
    assert not MpesaCallback.objects.exists()


def test_a_sender_outside_the_allowed_addresses_is_refused(client, db, settings):
    settings.MPESA_ALLOWED_IPS = ["196.201.214.0/24"]
    url = reverse("mpesa:b2c_result", args=[settings.MPESA_CALLBACK_TOKEN])
    response = client.post(url, data="{}", content_type="application/json")
    assert response.status_code == 403 and not MpesaCallback.objects.exists()


def test_unreadable_result_is_stored_and_posts_nothing(client, db, settings, django_capture_on_commit_callbacks):
    url = reverse("mpesa:b2c_result", args=[settings.MPESA_CALLBACK_TOKEN])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data="not json", content_type="application/json")
    assert response.status_code == 200
    assert MpesaCallback.objects.get().outcome.startswith("unreadable")


def test_daraja_refusing_the_request_fails_the_payout_and_reverses(
    approved, treasurer, settings, fake_daraja_offline, django_capture_on_commit_callbacks
):
    fake_daraja_offline.b2c_credential = "something-else"  # Daraja answers 400 "Invalid Initiator"
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    payout = B2CPayout.objects.get(loan=loan)
    assert payout.status == PayoutStatus.FAILED and "Invalid Initiator" in payout.result_desc
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REVERSED and account_balance(code="1100") == D("0.00")
    call_command("ledger_check")


def test_a_queue_timeout_is_recorded_and_a_later_failure_reverses(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks, settings
):
    fake_daraja_offline.set_outcome("insufficient")
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    result = fake_daraja_offline.outbox[-1]["json"]
    timeout_url = reverse("mpesa:b2c_timeout", args=[settings.MPESA_CALLBACK_TOKEN])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(timeout_url, data=json.dumps(result), content_type="application/json")
    payout = B2CPayout.objects.get(loan=loan)
    assert payout.status == PayoutStatus.REQUESTED and payout.timed_out_at is not None
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and account_balance(code="1100") == D("0.00")
    call_command("ledger_check")


def test_no_phone_or_a_fractional_amount_is_refused_before_anything_is_booked(
    borrower, mpesa_product, staff_user, treasurer
):
    application = application_submit(
        member=borrower, product=mpesa_product, amount="100000", term_months=12, purpose="Build"
    )
    officer = staff_user(roles.LOANS_OFFICERS)
    application_approve(application=application, by=officer)
    with pytest.raises(ValidationError) as exc:
        loan_disburse(application=application, by=treasurer, date=DAY)
    assert "phone_number" in exc.value.message_dict
    borrower.phone_number = PHONE
    borrower.save(update_fields=["phone_number"])
    other = application_submit(
        member=borrower, product=mpesa_product, amount="10050", term_months=12, purpose="Roof"
    )  # 1.5 % of 10,050 = 150.75 → pays out 9,899.25, not whole shillings
    application_approve(application=other, by=officer)
    with pytest.raises(ValidationError) as exc:
        loan_disburse(application=other, by=treasurer, date=DAY)
    assert "amount" in exc.value.message_dict
    assert not Loan.objects.exists() and not JournalEntry.objects.filter(idempotency_key__startswith="disb").exists()


def test_a_product_without_the_flag_pays_from_the_bank_as_before(borrower, products, treasurer, staff_user):
    application = application_submit(
        member=borrower, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    loan = loan_disburse(application=application, by=treasurer, date=DAY).loan
    assert not B2CPayout.objects.exists()
    codes = {code for code, *_ in _lines(loan.disbursement_entry)}
    assert codes == {"1100", "4100", "4110", loan.disbursement_entry.lines.get(credit=D("98500.00")).account.code}
    assert loan.disbursement_entry.lines.get(credit=D("98500.00")).account.bank_account is not None


def test_only_those_who_may_disburse_start_a_payout_through_the_api(
    approved, staff_user, treasurer, fake_daraja_offline, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    url = reverse("api:loan-disburse", args=[approved.pk])
    clerk = APIClient()
    clerk.force_authenticate(staff_user(roles.CLERKS))
    assert clerk.post(url, {}, format="json").status_code == 403
    assert not B2CPayout.objects.exists()
    api = APIClient()
    api.force_authenticate(treasurer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {}, format="json")
    assert response.status_code == 201
    assert B2CPayout.objects.get().status == PayoutStatus.REQUESTED
    assert len(fake_daraja_offline.calls("/mpesa/b2c/v1/paymentrequest")) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("outcome", "status"), [("success", PayoutStatus.PAID), ("insufficient", PayoutStatus.FAILED)])
def test_end_to_end_the_fake_daraja_calls_back_the_live_server(approved, treasurer, fake_daraja, outcome, status):
    """No capture: the disbursement commits, the q2 task sends the request, the fake posts its result to the live
    server, whose view stores it and processes it (whichever comes first: the result or the stored ids)."""
    fake_daraja.set_outcome(outcome)
    loan = loan_disburse(application=approved, by=treasurer, date=DAY).loan
    fake_daraja.wait_idle()
    sent = fake_daraja.outbox[-1]
    assert sent["status"] == 200 and sent["answer"] == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payout = B2CPayout.objects.get(loan=loan)
    assert payout.status == status
    loan.refresh_from_db()
    transit = payouts_in_transit_account().code
    assert account_balance(code=transit) == D("0.00")
    if status == PayoutStatus.PAID:
        assert loan.status == LoanStatus.ACTIVE and account_balance(code="1100") == D("100000.00")
        assert account_balance(code=b2c_bank_account().ledger_account.code) == D("-98500.00")
    else:
        assert loan.status == LoanStatus.REVERSED and account_balance(code="1100") == D("0.00")
    assert MpesaCallback.objects.get(kind=CallbackKind.B2C_RESULT).processed_at is not None
    call_command("ledger_check")


def test_the_treasurer_disburses_in_the_admin_and_sees_the_payout_on_the_loan(
    client, approved, treasurer, fake_daraja_offline, django_capture_on_commit_callbacks
):
    from portal.finance.banking.services import bank_account_primary
    from tests.conftest import sign_in_verified

    sign_in_verified(client, treasurer)
    url = f"/admin/loans/applications/{approved.pk}/disburse/"
    assert "pays out by M-Pesa to +254712345678, or from the bank" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"bank_account": bank_account_primary().pk, "date": DAY.today().isoformat()})
    assert response.status_code == 302
    book = client.get("/admin/snippets/loans/loan/").content.decode()
    assert "M-Pesa: Sent, awaiting M-Pesa" in book
    receipt = _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)["Result"]["TransactionID"]
    assert f"M-Pesa: Paid ({receipt})" in client.get("/admin/snippets/loans/loan/").content.decode()
    assert f"M-Pesa: Paid ({receipt})" in client.get("/admin/snippets/loans/loanapplication/").content.decode()


def test_without_the_m_pesa_settings_the_disbursement_is_refused_and_nothing_is_booked(approved, treasurer, settings):
    settings.MPESA_CALLBACK_BASE_URL = ""
    with pytest.raises(ValidationError) as exc:
        loan_disburse(application=approved, by=treasurer, date=DAY)
    assert "product" in exc.value.message_dict
    assert not Loan.objects.exists() and not B2CPayout.objects.exists()


def test_a_failure_after_money_came_in_on_the_loan_is_left_for_staff_and_the_books_stay_whole(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks
):
    fake_daraja_offline.set_outcome("insufficient")
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    loan_repay(loan=loan, amount="5000", reference="EARLY1", date=DAY)
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    payout = B2CPayout.objects.get(loan=loan)
    loan.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and loan.status == LoanStatus.ACTIVE
    assert MpesaCallback.objects.get(kind=CallbackKind.B2C_RESULT).outcome.startswith("failed; reversal refused")
    assert not JournalEntry.objects.filter(reversal_of=loan.disbursement_entry).exists()
    assert account_balance(code=payouts_in_transit_account().code) == D("-98500.00")  # staff settle it by hand
    assert "not reversed" in payout_describe(loan)
    call_command("ledger_check")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("codes", [[0, 0, 0, 0], [0, 1, 0, 1]])
def test_results_processed_by_four_workers_at_once_settle_or_reverse_once(
    approved, treasurer, fake_daraja_offline, codes
):
    from portal.mpesa.b2c import b2c_result_process
    from tests.factories import run_together

    loan = loan_disburse(application=approved, by=treasurer, date=DAY).loan  # sends on commit (q2 runs inline)
    template = fake_daraja_offline.outbox[-1]["json"]
    ids = []
    for code in codes:
        body = json.loads(json.dumps(template))
        body["Result"]["ResultCode"] = code
        ids.append(MpesaCallback.objects.create(kind=CallbackKind.B2C_RESULT, body=json.dumps(body)).pk)

    results, errors = run_together([lambda pk=pk: b2c_result_process(pk) for pk in ids])
    assert errors == []
    payout = B2CPayout.objects.get(loan=loan)
    assert payout.status in (PayoutStatus.PAID, PayoutStatus.FAILED)
    assert sum(1 for r in results if r.startswith(("paid", "failed ("))) == 1
    settled = JournalEntry.objects.filter(idempotency_key__startswith="b2c:").count()
    reversed_ = JournalEntry.objects.filter(reversal_of=loan.disbursement_entry).count()
    assert (settled, reversed_) == ((1, 0) if payout.status == PayoutStatus.PAID else (0, 1))
    assert account_balance(code=payouts_in_transit_account().code) == D("0.00")
    call_command("ledger_check")


def test_after_a_failure_the_treasurer_may_pay_from_the_bank_in_the_admin(
    client, approved, treasurer, fake_daraja_offline, django_capture_on_commit_callbacks
):
    from portal.finance.banking.services import bank_account_primary
    from tests.conftest import sign_in_verified

    fake_daraja_offline.set_outcome("insufficient")
    first = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    sign_in_verified(client, treasurer)
    bank = bank_account_primary()
    today = datetime.date.today()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/loans/applications/{approved.pk}/disburse/",
            {"bank_account": bank.pk, "date": today.isoformat(), "by_bank": "on"},
        )
    assert response.status_code == 302
    loan = Loan.objects.get(pk=first.pk)
    assert loan.status == LoanStatus.ACTIVE and loan.disbursed_on == today and loan.instalments.count() == 12
    assert B2CPayout.objects.count() == 1  # nothing sent again
    assert (bank.ledger_account.code, D("0"), D("98500.00")) in _lines(loan.disbursement_entry)
    assert account_balance(code="1100") == D("100000.00")
    assert account_balance(code=payouts_in_transit_account().code) == D("0.00")
    assert payout_describe(loan) == "Paid from the bank after a failed M-Pesa payout"
    call_command("ledger_check")


def test_the_member_s_pages_and_the_staff_reports_open_on_a_reversed_loan(
    approved, treasurer, client, fake_daraja_offline, django_capture_on_commit_callbacks, staff_user
):
    from tests.conftest import sign_in_verified

    fake_daraja_offline.set_outcome("insufficient")
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    _deliver(client, fake_daraja_offline, django_capture_on_commit_callbacks)
    sign_in_verified(client, approved.member.user)
    assert client.get(reverse("member_area:loans")).status_code == 200
    detail = client.get(reverse("member_area:loan_detail", args=[loan.pk]))
    assert detail.status_code == 200 and "Payout failed, reversed" in detail.content.decode()
    assert client.get(reverse("member_area:loan_statement_pdf", args=[loan.pk])).status_code == 200
    sign_in_verified(client, treasurer)
    for url in ("/admin/snippets/loans/loan/", f"/admin/snippets/loans/loan/inspect/{loan.pk}/"):
        assert client.get(url).status_code == 200


def test_the_accounts_are_created_once_and_reused(db, settings):
    first, again = b2c_bank_account(), b2c_bank_account()
    assert first.pk == again.pk and first.name == "M-Pesa B2C 600001" and first.kind == "mpesa"
    transit = payouts_in_transit_account()
    assert payouts_in_transit_account().pk == transit.pk and transit.type == "asset"
    assert not hasattr(transit, "bank_account")  # a clearing account, never offered as a bank to pay from


def test_a_payout_whose_result_never_comes_is_marked_not_made_by_the_treasurer_and_reversed(
    client, approved, treasurer, staff_user, settings, fake_daraja_offline, django_capture_on_commit_callbacks
):
    from wagtail.models import ModelLogEntry

    from portal.mpesa.fake_daraja import FakeDaraja
    from tests.conftest import sign_in_verified

    fake_daraja_offline.set_outcome("no_callback")
    loan = _disburse(approved, treasurer, django_capture_on_commit_callbacks)
    assert fake_daraja_offline.outbox == []  # Daraja never answers
    url = reverse("loans_loan_payout_not_made", args=[loan.pk])

    clerk_user = staff_user(roles.CLERKS)
    sign_in_verified(client, clerk_user)  # no disburse permission: turned away, nothing changes
    clerk = client.post(url, {"reason": "x", "checked": "on"})
    assert clerk.status_code == 302 and clerk["Location"] == "/admin/"
    sign_in_verified(client, treasurer)
    book = client.get(f"/admin/snippets/loans/loan/inspect/{loan.pk}/").content.decode()  # the loan's page (issue 17)
    assert f"/admin/loans/loans/{loan.pk}/payout-not-made/" in book
    early = client.post(url, {"reason": "Not on the M-Pesa portal", "checked": "on"})
    assert early.status_code == 200 and "M-Pesa may still answer" in early.content.decode()
    assert B2CPayout.objects.get().status == PayoutStatus.REQUESTED
    B2CPayout.objects.update(sent_at=timezone.now() - datetime.timedelta(hours=1))
    sign_in_verified(client, clerk_user)
    assert client.post(url, {"reason": "x", "checked": "on"}).status_code == 302
    assert B2CPayout.objects.get().status == PayoutStatus.REQUESTED
    sign_in_verified(client, treasurer)
    assert client.post(url, {"reason": "Not on the M-Pesa portal"}).status_code == 200  # the box must be ticked
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Not on the M-Pesa portal", "checked": "on"})
    assert response.status_code == 302
    payout = B2CPayout.objects.get()
    loan.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and "Not on the M-Pesa portal" in payout.result_desc
    assert loan.status == LoanStatus.REVERSED and account_balance(code="1100") == D("0.00")
    logged = ModelLogEntry.objects.filter(object_id=str(loan.pk), user=treasurer)
    assert any(entry.data.get("summary", "").startswith("Disbursement reversed") for entry in logged)

    # Daraja's success arrives after all: stored, flagged for staff, nothing posted.
    late = FakeDaraja.b2c_result({**next(iter(fake_daraja_offline.payouts.values())), "outcome": "success"})
    entries = JournalEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("mpesa:b2c_result", args=[settings.MPESA_CALLBACK_TOKEN]),
            data=json.dumps(late),
            content_type="application/json",
        )
    assert JournalEntry.objects.count() == entries
    assert MpesaCallback.objects.get(kind=CallbackKind.B2C_RESULT).outcome.startswith("needs staff")
    call_command("ledger_check")
