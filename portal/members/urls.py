from django.urls import path

from portal.contributions import views as savings_views
from portal.dividends import views as dividend_views
from portal.loans import views as loan_views
from portal.reports import views as report_views

from . import kyc_views, profile_views, views

app_name = "member_area"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("contributions/", savings_views.ContributionsView.as_view(), name="contributions"),
    path("share-capital/", savings_views.ShareCapitalView.as_view(), name="share_capital"),
    path("loans/", loan_views.LoansView.as_view(), name="loans"),
    path("loans/apply/", loan_views.ApplyView.as_view(), name="loan_apply"),
    path("loans/<uuid:pk>/", loan_views.LoanDetailView.as_view(), name="loan_detail"),
    path(
        "loans/applications/<uuid:pk>/withdraw/", loan_views.application_withdraw_view, name="loan_application_withdraw"
    ),
    path("guarantees/", loan_views.GuaranteesView.as_view(), name="guarantees"),
    path("guarantees/<uuid:pk>/<str:answer>/", loan_views.guarantee_respond_view, name="guarantee_respond"),
    path("loans/<uuid:pk>/statement.pdf", loan_views.loan_statement_pdf_view, name="loan_statement_pdf"),
    path("dividends/", dividend_views.DividendsView.as_view(), name="dividends"),
    path("statements/", report_views.StatementsView.as_view(), name="statements"),
    path("my-statement/", report_views.MyStatementView.as_view(), name="my_statement"),
    path("statements/<uuid:pk>/", report_views.StatementDetailView.as_view(), name="statement_detail"),
    path("statements/<uuid:pk>/pack.pdf", report_views.statement_pdf_view, name="statement_pdf"),
    path("profile/", profile_views.ProfileView.as_view(), name="profile"),
    path("profile/bank/", profile_views.BankDetailsView.as_view(), name="bank_details"),
    path("documents/", kyc_views.documents_view, name="documents"),
    path("documents/<uuid:pk>/file/", kyc_views.document_file_view, name="document_file"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("activity/", views.ActivityView.as_view(), name="activity"),
]
