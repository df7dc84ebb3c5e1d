"""Issue 12: every file import — check-off (admin page and service), bank and M-Pesa statements (admin page and
API), invitation lists (admin page) — refuses the zip bomb, damaged workbooks, binary files named .csv and files
past the caps with a form error (or a 400) that names the file; nothing is written; and the refusal comes before
the file is read through (openpyxl never opens the bomb; a lying workbook is parsed one row past the cap)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl.worksheet._reader import WorkSheetParser
from rest_framework.test import APIClient

from portal.contributions.checkoff import CheckoffFileError, checkoff_post
from portal.contributions.models import CheckoffImport, CheckoffRow
from portal.finance.banking.models import BankStatement, BankTransaction
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.models import JournalEntry
from portal.members import roles
from portal.members.models import Invitation
from portal.society import file_reader
from tests import bad_files
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
ROW_CAP = 100
TOO_BIG = b"payroll_number,deposits\n" + b"P001,1000\n" * (10 * 1024 * 1024 // 10 + 1)  # just over 10 MB
CASES = [*bad_files.bad_files(), ("too-big", "big.csv", TOO_BIG)]
PERIOD = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture(autouse=True)
def caps(settings):
    """Default caps, but 100 rows, so the row-cap files stay small and the test fast."""
    settings.FILE_IMPORT_MAX_ROWS = ROW_CAP
    settings.CHECKOFF_MAX_ROWS = ROW_CAP  # check-off files have their own, larger cap (a row per member)


@pytest.fixture
def reading(monkeypatch):
    """Counts what the imports read: workbooks opened by openpyxl and sheet rows parsed."""
    seen = {"opened": [], "rows": 0}
    load, parse_row = file_reader._load_workbook, WorkSheetParser.parse_row

    def counting_load(content):
        seen["opened"].append(len(content))
        return load(content)

    def counting_parse_row(self, element):
        seen["rows"] += 1
        return parse_row(self, element)

    monkeypatch.setattr(file_reader, "_load_workbook", counting_load)
    monkeypatch.setattr(WorkSheetParser, "parse_row", counting_parse_row)
    return seen


def _nothing_written():
    assert not CheckoffImport.objects.exists() and not CheckoffRow.objects.exists()
    assert not JournalEntry.objects.exists()
    assert not BankStatement.objects.exists() and not BankTransaction.objects.exists()
    assert not Invitation.objects.exists()


def _refused_early(case, content, reading):
    if case == "zip-bomb":
        assert reading["opened"] == []  # refused from the zip directory: openpyxl never saw it
    assert reading["rows"] <= ROW_CAP + 5  # never parsed past the cap
    if content is TOO_BIG:
        assert reading["opened"] == []


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(("case", "name", "content"), CASES, ids=[c[0] for c in CASES])
def test_checkoff_admin_upload(client, staff_user, make_member, reading, case, name, content):
    make_member(payroll_number="P001")
    sign_in_verified(client, staff_user(roles.CLERKS))
    data = {
        "file": _upload(name, content),
        "period": PERIOD,
        "bank_account": bank_account_primary().pk,
        "received_on": datetime.date.today().isoformat(),
    }
    response = client.post("/admin/savings/checkoff/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors[0].startswith(f"{name}: ") or errors[0].startswith(f"{name}, row ")
    assert "confirm_form" not in response.context
    _nothing_written()
    _refused_early(case, content, reading)


@pytest.mark.parametrize(("case", "name", "content"), CASES, ids=[c[0] for c in CASES])
def test_checkoff_service(make_member, reading, case, name, content):
    make_member(payroll_number="P001")
    with pytest.raises(CheckoffFileError) as caught:
        checkoff_post(
            content=content, file_name=name, period=datetime.date(2026, 10, 1), bank_account=bank_account_primary()
        )
    assert caught.value.message_dict["file"][0].startswith(name)
    _nothing_written()
    _refused_early(case, content, reading)


@pytest.mark.parametrize(("case", "name", "content"), CASES, ids=[c[0] for c in CASES])
def test_bank_statement_admin_import(client, staff_user, reading, case, name, content):
    sign_in_verified(client, staff_user(roles.TREASURER))
    response = client.post(
        "/admin/ledger/bank-statements/import/",
        {"bank_account": bank_account_primary().pk, "file": _upload(name, content)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith(name)
    _nothing_written()
    _refused_early(case, content, reading)


@pytest.mark.parametrize(("case", "name", "content"), CASES, ids=[c[0] for c in CASES])
def test_bank_statement_api_import(staff_user, reading, case, name, content):
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    response = api.post(
        "/api/transactions/bank-transactions/",
        {"bank_account": str(bank_account_primary().pk), "file": _upload(name, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["file"][0].startswith(name)
    _nothing_written()
    _refused_early(case, content, reading)


@pytest.mark.parametrize(("case", "name", "content"), CASES, ids=[c[0] for c in CASES])
def test_invitation_list_admin_import(client, staff_user, reading, case, name, content):
    sign_in_verified(client, staff_user(roles.CLERKS))
    response = client.post(reverse("members_invitation_import"), {"file": _upload(name, content)})
    assert response.status_code == 200
    shown = list(response.context["form"].errors.get("file", [])) + list(response.context["errors"])
    assert len(shown) == 1 and shown[0].startswith(name)
    assert name in response.content.decode()
    _nothing_written()
    _refused_early(case, content, reading)


def test_a_good_xlsx_statement_still_imports_with_file_row_numbers(staff_user):
    content = bad_files.real_xlsx(
        [
            ("Completion Time", "Receipt No.", "Details", "Paid In", "Withdrawn"),
            (datetime.datetime(2026, 3, 2, 9, 15), "QK7H2M1X", "Deposit", 2500, None),
            (None, None, None, None, None),
            (datetime.datetime(2026, 3, 3, 10, 0), "QK7H2M1Y", "Charge", None, 15.5),
        ]
    )
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    response = api.post(
        "/api/transactions/bank-transactions/",
        {"bank_account": str(bank_account_primary().pk), "file": _upload("mpesa.xlsx", content)},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["rows"] == 2
    lines = {t.row_number: t for t in BankTransaction.objects.all()}
    assert str(lines[2].amount) == "2500.00" and str(lines[4].amount) == "-15.50"
    assert lines[4].reference == "QK7H2M1Y"


def test_a_good_xlsx_invitation_list_invites(client, staff_user):
    sign_in_verified(client, staff_user(roles.CLERKS))
    content = bad_files.real_xlsx(
        [("Email", "First_Name", "Last_Name", "Payroll_Number"), ("xl@example.com", "Achieng", "Otieno", 1234)]
    )
    response = client.post(reverse("members_invitation_import"), {"file": _upload("list.xlsx", content)})
    assert response.status_code == 302
    assert Invitation.objects.get().payroll_number == "1234"
