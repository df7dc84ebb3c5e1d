"""The member portal's routes, mounted at /portal/ under the namespace "member_area"."""

from django.urls import path

from . import account, dashboard, dividends, documents, loans, mpesa_pay, profile, receipts, savings, statements
from .guarantor_substitution import guarantor_substitute_view
from .leaving import LeavingView
from .message_settings import MessageSettingsView
from .mixins import MemberAreaPage

app_name = "member_area"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
    path("contributions/", savings.ContributionsView.as_view(), name="contributions"),
    path("share-capital/", savings.ShareCapitalView.as_view(), name="share_capital"),
    path("loans/", loans.LoansView.as_view(), name="loans"),
    path("loans/apply/", loans.ApplyView.as_view(), name="loan_apply"),
    path("loans/guarantors/", loans.GuarantorSearchView.as_view(), name="guarantor_search"),
    path("loans/<uuid:pk>/", loans.LoanDetailView.as_view(), name="loan_detail"),
    path("loans/applications/<uuid:pk>/withdraw/", loans.application_withdraw_view, name="loan_application_withdraw"),
    path("guarantees/", loans.GuaranteesView.as_view(), name="guarantees"),
    path("guarantees/<uuid:pk>/<str:answer>/", loans.guarantee_respond_view, name="guarantee_respond"),
    path("loans/guarantees/<uuid:pk>/substitute/", guarantor_substitute_view, name="guarantor_substitute"),  # issue 16
    path("loans/<uuid:pk>/statement.pdf", loans.loan_statement_pdf_view, name="loan_statement_pdf"),
    path("dividends/", dividends.DividendsView.as_view(), name="dividends"),
    path("dividends/<int:pk>/advice.pdf", receipts.dividend_advice_pdf_view, name="dividend_advice_pdf"),  # issue 18
    path("receipts/<uuid:entry_id>.pdf", receipts.receipt_pdf_view, name="receipt_pdf"),  # issue 18
    path("statements/", statements.StatementsView.as_view(), name="statements"),
    path("my-statement/", statements.MyStatementView.as_view(), name="my_statement"),
    path("statements/<uuid:pk>/", statements.StatementDetailView.as_view(), name="statement_detail"),
    path("statements/<uuid:pk>/pack.pdf", statements.statement_pdf_view, name="statement_pdf"),
    path("profile/", profile.ProfileView.as_view(), name="profile"),
    path("profile/bank/", profile.BankDetailsView.as_view(), name="bank_details"),
    path("documents/", documents.documents_view, name="documents"),
    path("documents/<uuid:pk>/file/", documents.document_file_view, name="document_file"),
    path("security/", account.SecurityView.as_view(), name="security"),
    path("notifications/", account.NotificationsView.as_view(), name="notifications"),
    path("message-settings/", MessageSettingsView.as_view(), name="message_settings"),  # email/SMS (issue 15)
    path("activity/", account.ActivityView.as_view(), name="activity"),
    *mpesa_pay.urlpatterns,  # /portal/pay/: Pay with M-Pesa (issue 15)
    path("leaving/", LeavingView.as_view(), name="leaving"),  # exit notice (issue 16)
    path("more/", MemberAreaPage.as_view(template_name="portal/more.html"), name="more"),
]
