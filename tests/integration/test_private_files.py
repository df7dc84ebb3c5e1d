"""Issue 12: private files (KYC documents, receipts, backups, report runs) leave as attachments that cannot run on
our origin: Content-Disposition attachment, X-Content-Type-Options nosniff, Content-Security-Policy sandbox. A KYC
upload that is a valid PDF and also carries HTML was served inline before."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.members import roles
from portal.members.kyc import kyc_document_upload
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

POLYGLOT = b"%PDF-1.4\n<html><body><script>fetch('/api/members/').then(r=>r.text()).then(alert)</script>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def assert_download_that_cannot_run(response, body: bytes | None = None):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;"), response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox") and "script-src" not in policy and "default-src 'none'" in policy
    assert "text/html" not in response["Content-Type"]
    if body is not None:
        assert b"".join(response.streaming_content) == body


def test_kyc_polyglot_pdf_is_a_download_for_its_member_and_the_reviewer(client, member, staff_user):
    upload = SimpleUploadedFile("id.pdf", POLYGLOT, content_type="text/html")
    document = kyc_document_upload(member=member, document_type="national_id_front", upload=upload, by=member.user)
    url = reverse("member_area:document_file", args=[document.pk])
    client.force_login(member.user)
    response = client.get(url)
    assert_download_that_cannot_run(response, POLYGLOT)
    assert response["Content-Type"] == "application/pdf" and response["Cache-Control"] == "private, no-store"
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert_download_that_cannot_run(client.get(url), POLYGLOT)


@pytest.mark.parametrize("kind", ["expense", "income"])
def test_receipts_are_downloads(client, staff_user, kind):
    from portal.finance.cashbook.models import ExpenseCategory, IncomeCategory
    from portal.finance.cashbook.services import expense_record, income_record

    receipt = SimpleUploadedFile("r.pdf", POLYGLOT)
    if kind == "expense":
        record, _ = expense_record(
            category=ExpenseCategory.objects.get(name="Rent and utilities"),
            amount="100",
            payee="Landlord",
            description="Rent",
            reference="INV-1",
            receipt=receipt,
        )
    else:
        record, _ = income_record(
            category=IncomeCategory.objects.get(name="Entrance fees"),
            amount="100",
            payer="Someone",
            description="Fee",
            reference="RC-1",
            receipt=receipt,
        )
    admin = staff_user(roles.ADMINISTRATORS)
    admin.is_superuser = True
    admin.save()
    sign_in_verified(client, admin)
    response = client.get(reverse("finance_receipt", args=[kind, record.pk]))
    assert_download_that_cannot_run(response, POLYGLOT)


def test_backups_and_report_runs_are_downloads(client, make_user, member):
    from portal.reports.catalogue import Period
    from portal.reports.models import Backup, BackupStatus
    from portal.reports.saved_reports import report_run

    admin = make_user("admin@sacco.example", role=roles.ADMINISTRATORS)
    admin.groups.add(*Group.objects.filter(name__in=[roles.AUDITORS, roles.TREASURER]))
    backup = Backup.objects.create(vendor="sqlite", status=BackupStatus.DONE, finished_at=timezone.now())
    backup.file.save("b.sqlite3", ContentFile(b"SQLite format 3\0"))
    run = report_run(report_type="member_balances", by=admin, period=Period.PREVIOUS_YEAR, output_format="csv")
    sign_in_verified(client, admin)
    assert_download_that_cannot_run(client.get(f"/admin/reports/backups/{backup.pk}/download/"), b"SQLite format 3\0")
    assert_download_that_cannot_run(client.get(f"/admin/reports/runs/{run.pk}/download/"))
