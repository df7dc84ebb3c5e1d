"""API routes. Paths copy the seed document exactly, hyphens included."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenRefreshView

from . import (
    admin_views,
    agm_pack_views,
    audit_views,
    auth_views,
    banking_views,
    cashbook_views,
    dividends_views,
    guarantor_views,
    loan_actions_views,
    loan_settlement_views,
    loans_views,
    member_exit_views,
    member_views,
    message_preferences_views,
    reports_views,
    sasra_views,
    saved_reports_views,
    verify_views,
    views,
)
from . import contributions_views as cv
from . import loan_workout_views as lw

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Sign-in: password (otp-login), then the second factor (verify-otp) issues the JWT pair.
    path("verify/", verify_views.DocumentVerifyView.as_view(), name="document-verify"),  # issue 18, public
    path("auth/otp-login/", auth_views.OtpLoginView.as_view(), name="otp-login"),
    path("auth/verify-otp/", auth_views.VerifyOtpView.as_view(), name="verify-otp"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/reset-password-request/", auth_views.ResetPasswordRequestView.as_view(), name="reset-password-request"),
    path("auth/reset-password/", auth_views.ResetPasswordView.as_view(), name="reset-password"),
    path("auth/unlock-request/", auth_views.UnlockRequestView.as_view(), name="unlock-request"),
    path("auth/upload-document/", auth_views.UploadDocumentView.as_view(), name="upload-document"),
    path(
        "auth/admin/verify-document/<uuid:document_id>/",
        auth_views.VerifyDocumentView.as_view(),
        name="verify-document",
    ),
    path("auth/admin/send-mass-email/", admin_views.SendMassEmailView.as_view(), name="send-mass-email"),
    path("auth/invite/", auth_views.InviteView.as_view(), name="invite"),
    path("auth/complete-registration/", auth_views.CompleteRegistrationView.as_view(), name="complete-registration"),
    path("auth/admin/reset-user-otp/<uuid:user_id>/", admin_views.ResetUserOtpView.as_view(), name="reset-user-otp"),
    path(
        "auth/admin/toggle-user-status/<uuid:user_id>/",
        admin_views.UserToggleStatusView.as_view(),
        name="toggle-user-status",
    ),
    path("members/<uuid:pk>/toggle-active/", admin_views.MemberToggleActiveView.as_view(), name="member-toggle-active"),
    path("auth/profile/", views.MemberProfileView.as_view(), name="auth-profile"),
    path("transactions/bank-accounts/", banking_views.BankAccountListView.as_view(), name="bank-accounts"),
    path("transactions/bank-transactions/", banking_views.BankTransactionListView.as_view(), name="bank-transactions"),
    path(
        "transactions/bank-transactions/<uuid:pk>/",
        banking_views.BankTransactionDetailView.as_view(),
        name="bank-transaction-detail",
    ),
    path(
        "transactions/bank-transactions/<uuid:pk>/reconcile/",
        banking_views.BankTransactionReconcileView.as_view(),
        name="bank-transaction-reconcile",
    ),
    path(
        "transactions/bank-accounts/<uuid:pk>/set-as-primary/",
        banking_views.BankAccountSetPrimaryView.as_view(),
        name="bank-account-set-primary",
    ),
    path("transactions/expenses/", cashbook_views.ExpenseListView.as_view(), name="expenses"),
    path("transactions/income/", cashbook_views.IncomeListView.as_view(), name="income"),
    path("transactions/batches/", cashbook_views.BatchListView.as_view(), name="batches"),
    path(
        "transactions/batches/<uuid:pk>/process-batch/",
        cashbook_views.ProcessBatchView.as_view(),
        name="process-batch",
    ),
    path(
        "members/message-preferences/",
        message_preferences_views.MessagePreferencesView.as_view(),
        name="message-preferences",
    ),
    path("members/", member_views.MemberListView.as_view(), name="member-list"),
    path("members/<uuid:pk>/", member_views.MemberDetailView.as_view(), name="member-detail"),
    path("members/<uuid:pk>/documents/", member_views.MemberDocumentsView.as_view(), name="member-documents"),
    path(
        "members/<uuid:pk>/activity-logs/", member_views.MemberActivityLogsView.as_view(), name="member-activity-logs"
    ),
    path("members/profile/", views.MemberProfileView.as_view(), name="member-profile"),
    path("members/<uuid:pk>/contributions/", cv.MemberContributionsView.as_view(), name="member-contributions"),
    path("members/<uuid:pk>/share-capital/", cv.MemberShareCapitalView.as_view(), name="member-share-capital"),
    path("members/<uuid:pk>/share-summary/", cv.MemberShareSummaryView.as_view(), name="member-share-summary"),
    path(
        "members/<uuid:pk>/set-share-capital-term/",
        cv.SetShareCapitalTermView.as_view(),
        name="member-set-share-capital-term",
    ),
    path("members/<uuid:pk>/loans/", loans_views.MemberLoansView.as_view(), name="member-loans"),
    path("members/<uuid:pk>/dividends/", dividends_views.MemberDividendsView.as_view(), name="member-dividends"),
    # Loans (L2–L7)
    path("loans/eligibility/", loans_views.EligibilityView.as_view(), name="loan-eligibility"),
    path("loans/applications/", loans_views.ApplicationListView.as_view(), name="loan-applications"),
    path(
        "loans/applications/<uuid:pk>/approve/",
        loans_views.ApplicationApproveView.as_view(),
        name="loan-application-approve",
    ),
    path(
        "loans/applications/<uuid:pk>/reject/",
        loans_views.ApplicationRejectView.as_view(),
        name="loan-application-reject",
    ),
    # A guarantor's answer (issue 12; not in the seed): the same fresh second factor as the portal.
    path("loans/guarantees/", loans_views.GuaranteeListView.as_view(), name="loan-guarantees"),
    path("loans/guarantees/<uuid:pk>/accept/", loans_views.GuaranteeAcceptView.as_view(), name="loan-guarantee-accept"),
    path(
        "loans/guarantees/<uuid:pk>/decline/",
        loans_views.GuaranteeDeclineView.as_view(),
        name="loan-guarantee-decline",
    ),
    path("loans/loans/", loans_views.LoanListView.as_view(), name="loans"),
    path("loans/loans/due-payments/", loans_views.DuePaymentsView.as_view(), name="loan-due-payments"),
    path(
        "loans/loans/send-payment-reminders/",
        loans_views.SendPaymentRemindersView.as_view(),
        name="loan-send-payment-reminders",
    ),
    path("loans/loans/<uuid:pk>/disburse/", loans_views.DisburseView.as_view(), name="loan-disburse"),
    path("loans/loans/<uuid:pk>/add-repayment/", loans_views.AddRepaymentView.as_view(), name="loan-add-repayment"),
    path(
        "loans/loans/<uuid:pk>/repayment-schedule/",
        loans_views.RepaymentScheduleView.as_view(),
        name="loan-repayment-schedule",
    ),
    path(
        "loans/loans/<uuid:pk>/generate-statement/",
        loans_views.GenerateStatementView.as_view(),
        name="loan-generate-statement",
    ),
    # Early settlement (issue 16): the quote for whoever reads the loan, settling for staff who record repayments.
    path(
        "loans/loans/<uuid:pk>/settlement-quote/",
        loan_settlement_views.SettlementQuoteView.as_view(),
        name="loan-settlement-quote",
    ),
    path("loans/loans/<uuid:pk>/settle/", loan_settlement_views.SettleView.as_view(), name="loan-settle"),
    # Guarantors after payout (issue 16): recovery (maker-checker), claims, substitution.
    path(
        "loans/loans/<uuid:pk>/guarantor-recovery/",
        guarantor_views.GuarantorRecoveryPrepareView.as_view(),
        name="loan-guarantor-recovery",
    ),
    path(
        "loans/guarantor-recoveries/", guarantor_views.GuarantorRecoveryListView.as_view(), name="guarantor-recoveries"
    ),
    path(
        "loans/guarantor-recoveries/<uuid:pk>/approve/",
        guarantor_views.GuarantorRecoveryApproveView.as_view(),
        name="guarantor-recovery-approve",
    ),
    path(
        "loans/guarantor-recoveries/<uuid:pk>/cancel/",
        guarantor_views.GuarantorRecoveryCancelView.as_view(),
        name="guarantor-recovery-cancel",
    ),
    path("loans/guarantor-claims/", guarantor_views.GuarantorClaimListView.as_view(), name="guarantor-claims"),
    path(
        "loans/guarantor-claims/<uuid:pk>/repay/",
        guarantor_views.GuarantorClaimRepayView.as_view(),
        name="guarantor-claim-repay",
    ),
    path(
        "loans/guarantees/<uuid:pk>/substitute/",
        guarantor_views.GuaranteeSubstituteView.as_view(),
        name="loan-guarantee-substitute",
    ),
    # Savings (C1–C7)
    path("contributions/monthly/", cv.MonthlyContributionListView.as_view(), name="contributions-monthly"),
    path("contributions/monthly/bulk-create/", cv.MonthlyBulkCreateView.as_view(), name="contributions-bulk-create"),
    path(
        "contributions/monthly/missing-contributions/",
        cv.MissingContributionsView.as_view(),
        name="missing-contributions",
    ),
    path("contributions/monthly/send-reminders/", cv.SendRemindersView.as_view(), name="send-reminders"),
    path("contributions/monthly/generate-report/", cv.GenerateReportView.as_view(), name="generate-report"),
    path("contributions/share-capital/", cv.ShareCapitalListView.as_view(), name="share-capital"),
    path(
        "contributions/share-capital/bulk-create/",
        cv.ShareCapitalBulkCreateView.as_view(),
        name="share-capital-bulk-create",
    ),
    path(
        "contributions/share-capital/incomplete-share-capital/",
        cv.IncompleteShareCapitalView.as_view(),
        name="incomplete-share-capital",
    ),
    path("contributions/recalculate-shares/", cv.RecalculateSharesView.as_view(), name="recalculate-shares"),
    path("members/dashboard/", views.MemberDashboardView.as_view(), name="member-dashboard"),
    path(
        "reports/financial-statements/",
        reports_views.FinancialStatementListView.as_view(),
        name="financial-statements",
    ),
    path("reports/audit-logs/", audit_views.AuditLogView.as_view(), name="audit-logs"),
    path("reports/reports/", saved_reports_views.ReportListView.as_view(), name="reports"),
    path(
        "reports/reports/<uuid:pk>/download/", saved_reports_views.ReportDownloadView.as_view(), name="report-download"
    ),
    path("reports/saved-reports/", saved_reports_views.SavedReportListView.as_view(), name="saved-reports"),
    path(
        "reports/saved-reports/<uuid:pk>/run-report/",
        saved_reports_views.SavedReportRunView.as_view(),
        name="saved-report-run",
    ),
    path(
        "reports/saved-reports/<uuid:pk>/schedule/",
        saved_reports_views.SavedReportScheduleView.as_view(),
        name="saved-report-schedule",
    ),
    path("reports/backups/", reports_views.BackupListView.as_view(), name="backups"),
    path("reports/sasra-returns/", sasra_views.SasraReturnsView.as_view(), name="sasra-returns"),
    path(
        "reports/sasra-returns/<uuid:pk>/approve/",
        sasra_views.SasraReturnApproveView.as_view(),
        name="sasra-return-approve",
    ),
    path("reports/agm-pack/", agm_pack_views.AgmPackView.as_view(), name="agm-pack"),
    path("reports/member-statements/", reports_views.MemberStatementView.as_view(), name="member-statements"),
    path("reports/backups/create-backup/", reports_views.BackupCreateView.as_view(), name="create-backup"),
    path(
        "reports/financial-statements/<uuid:pk>/approve/",
        reports_views.FinancialStatementApproveView.as_view(),
        name="financial-statement-approve",
    ),
    # Issue 16: a repayment posted in error, reversed by the treasurer or an administrator (fresh second factor).
    path(
        "loans/repayments/<uuid:pk>/reverse/",
        loan_actions_views.RepaymentReverseView.as_view(),
        name="loan-repayment-reverse",
    ),
]

# Issue 16: restructuring and writing off loans (portal/api/loan_workout_views.py).
urlpatterns += [
    path("loans/loans/<uuid:pk>/restructure/", lw.RestructurePrepareView.as_view(), name="loan-restructure"),
    path("loans/restructures/<uuid:pk>/approve/", lw.RestructureApproveView.as_view(), name="loan-restructure-approve"),
    path("loans/loans/<uuid:pk>/write-off/", lw.WriteOffPrepareView.as_view(), name="loan-write-off"),
    path("loans/write-offs/", lw.WrittenOffListView.as_view(), name="loan-write-offs"),
    path("loans/write-offs/<uuid:pk>/approve/", lw.WriteOffApproveView.as_view(), name="loan-write-off-approve"),
    # Membership exits and deaths (issue 16).
    path("members/me/exit-notice/", member_exit_views.MyExitNoticeView.as_view(), name="member-my-exit-notice"),
    path("members/<uuid:pk>/exit-notice/", member_exit_views.ExitNoticeView.as_view(), name="member-exit-notice"),
    path("members/<uuid:pk>/exit/", member_exit_views.MemberExitView.as_view(), name="member-exit"),
    path(
        "members/<uuid:pk>/exit-settlement/", member_exit_views.ExitSettlementView.as_view(), name="member-exit-settle"
    ),
    path(
        "members/<uuid:pk>/exit-settlement/approve/",
        member_exit_views.ExitSettlementApproveView.as_view(),
        name="member-exit-approve",
    ),
    path("members/<uuid:pk>/death/", member_exit_views.DeathView.as_view(), name="member-death"),
    path(
        "members/exit-payables/<uuid:pk>/pay/", member_exit_views.ExitPayablePayView.as_view(), name="exit-payable-pay"
    ),
]
