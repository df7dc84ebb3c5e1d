"""Every REST path the seed document lists (63) resolves to one of the API's views — none falls through to the
website's pages. The list is copied from the seed, placeholders and all."""

import re
import uuid

import pytest
from django.urls import resolve

SEED_PATHS = """
/api/auth/admin/reset-user-otp/<uuid:user_id>/
/api/auth/admin/send-mass-email/
/api/auth/admin/toggle-user-status/<uuid:user_id>/
/api/auth/admin/verify-document/<uuid:document_id>/
/api/auth/complete-registration/
/api/auth/invite/
/api/auth/otp-login/
/api/auth/profile/
/api/auth/reset-password-request/
/api/auth/reset-password/
/api/auth/upload-document/
/api/auth/verify-otp/
/api/contributions/monthly/
/api/contributions/monthly/bulk-create/
/api/contributions/monthly/generate-report/
/api/contributions/monthly/missing-contributions/
/api/contributions/monthly/send-reminders/
/api/contributions/recalculate-shares/
/api/contributions/share-capital/
/api/contributions/share-capital/bulk-create/
/api/contributions/share-capital/incomplete-share-capital/
/api/loans/applications/
/api/loans/applications/<uuid:pk>/approve/
/api/loans/applications/<uuid:pk>/reject/
/api/loans/eligibility/
/api/loans/loans/
/api/loans/loans/<uuid:pk>/add-repayment/
/api/loans/loans/<uuid:pk>/disburse/
/api/loans/loans/<uuid:pk>/generate-statement/
/api/loans/loans/<uuid:pk>/repayment-schedule/
/api/loans/loans/due-payments/
/api/loans/loans/send-payment-reminders/
/api/members/
/api/members/<uuid:pk>/
/api/members/<uuid:pk>/activity-logs/
/api/members/<uuid:pk>/contributions/
/api/members/<uuid:pk>/dividends/
/api/members/<uuid:pk>/documents/
/api/members/<uuid:pk>/loans/
/api/members/<uuid:pk>/set-share-capital-term/
/api/members/<uuid:pk>/share-capital/
/api/members/<uuid:pk>/share-summary/
/api/members/<uuid:pk>/toggle-active/
/api/members/dashboard/
/api/members/profile/
/api/reports/audit-logs/
/api/reports/backups/
/api/reports/backups/create-backup/
/api/reports/financial-statements/
/api/reports/financial-statements/<uuid:pk>/approve/
/api/reports/member-statements/
/api/reports/reports/
/api/reports/saved-reports/
/api/reports/saved-reports/<uuid:pk>/run-report/
/api/reports/saved-reports/<uuid:pk>/schedule/
/api/transactions/bank-accounts/
/api/transactions/bank-accounts/<uuid:pk>/set-as-primary/
/api/transactions/bank-transactions/
/api/transactions/bank-transactions/<uuid:pk>/reconcile/
/api/transactions/batches/
/api/transactions/batches/<uuid:pk>/process-batch/
/api/transactions/expenses/
/api/transactions/income/
""".split()


def test_the_seed_lists_63_paths():
    assert len(SEED_PATHS) == len(set(SEED_PATHS)) == 63


@pytest.mark.parametrize("seed_path", SEED_PATHS)
def test_seed_path_resolves_to_an_api_view(seed_path):
    concrete = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), seed_path)
    concrete = re.sub(r"<int:\w+>", "1", concrete)
    concrete = re.sub(r"<str:\w+>", "x", concrete)
    match = resolve(concrete)
    assert match.namespace == "api" and match.url_name, (seed_path, match)
