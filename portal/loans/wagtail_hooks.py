"""Admin for loans: products (editable, L1); applications, the loan book, instalments and repayments (read only:
they change only through the loan services)."""

from django.db.models import F
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import Panel
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button, ListingButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet, SnippetViewSetGroup

from portal.finance.permissions import ReadOnlyPermissionPolicy
from portal.society.admin_edit import ServiceEditView
from portal.society.light_listing import LightListingMixin
from portal.society.list_exports import ExportingIndexView
from portal.workflows.permissions import ReviewOnlyPermissionPolicy
from portal.workflows.views import (
    ApprovalIndexView,
    ApprovalInspectView,
    ApprovalWorkflowActionView,
    ReviewEditView,
    summary_for,
)

from . import admin_views, guarantor_admin, settlement_admin
from .approval import loan_review_rules_met, review_progress
from .disbursement_channels import payout_describe, payout_pending_channel
from .eligibility import application_eligibility
from .guarantor_admin import GuarantorClaimViewSet, GuarantorRecoveryViewSet, loan_recovery_button
from .models import Loan, LoanApplication, LoanInstalment, LoanProduct, LoanRepayment, LoanReview
from .products import loan_product_update
from .schedule import schedule_build
from .workout_admin import (
    LoanRestructureViewSet,
    LoanWriteOffViewSet,
    loan_restructure_view,
    loan_workout_buttons,
    loan_write_off_view,
    written_off_view,
)


def _application_payout(application) -> str:
    """The payout of the application's loan (M-Pesa: pending, paid or failed), "" for a bank payment or none."""
    loan = Loan.objects.filter(application=application).first()
    return payout_describe(loan) if loan is not None else ""


class LoanProductEditView(ServiceEditView):
    """Saving goes through `loan_product_update`: the product's checks and its audit entry live there."""

    def call_service(self, *, instance, data, by):
        return loan_product_update(product=instance, changes=data, by=by)


class LoanProductViewSet(SnippetViewSet):
    model = LoanProduct
    edit_view_class = LoanProductEditView
    index_view_class = ExportingIndexView
    icon = "form"
    menu_label = "Loan products"
    list_display = ["name", "annual_rate", "method", "min_term_months", "max_term_months", "max_amount", "active"]
    list_filter = ["method", "active"]
    search_fields = ["name"]
    list_export = [
        "name",
        "annual_rate",
        "method",
        "min_term_months",
        "max_term_months",
        "min_amount",
        "max_amount",
        "deposits_multiple",
        "guarantors_required",
        "processing_fee_percent",
        "insurance_fee_percent",
        "fee_treatment",
        "penalty_rate_monthly",
        "grace_months",
        "application_fee",
        "penalty_kind",
        "penalty_fixed_amount",
        "penalty_grace_days",
        "disburse_by_mpesa",
        "settlement_interest_months",
        "top_up_fee_percent",
        "top_up_fee_fixed",
        "active",
    ]
    export_filename = "loan-products"


class ApplicationIndexView(LightListingMixin, ExportingIndexView):
    """Applications, light (LightListingMixin): the title opens the read-only application; the only row actions are
    the ones these roles use, as small buttons — the approval (deciders its review page, readers its read-only page)
    and, for the treasurer, paying out an approved loan."""

    def get_list_more_buttons(self, instance):
        buttons = []
        user = self.request.user
        review_id = getattr(instance, "review_id", None)
        if review_id and user.has_perm("loans.view_loanreview"):
            # Deciders open the review page; readers (treasurer, auditors) its read-only page.
            view = "edit" if user.has_perm("loans.change_loanreview") else "inspect"
            url = reverse(f"wagtailsnippets_loans_loanreview:{view}", args=[review_id])
            buttons.append(ListingButton("Approval", url=url, attrs={"aria-label": f"Approval: {instance}"}))
        if instance.status == "approved" and user.has_perm("loans.disburse_loan"):
            url = reverse("loans_application_disburse", args=[instance.pk])
            buttons.append(ListingButton("Disburse", url=url, attrs={"aria-label": f"Disburse: {instance}"}))
        return buttons


def loan_actions(request, loan) -> list[Button]:
    """A loan's own actions for this user: repayment, early settlement, payout not made, statement, restructure or
    write-off (issue 16), recovery from guarantors."""
    user = request.user
    buttons = []
    if loan.status == "active" and user.has_perm("loans.record_repayment"):
        buttons.append(
            Button("Record repayment", url=reverse("loans_loan_repayment", args=[loan.pk]), icon_name="plus")
        )
        buttons.append(Button(_("Settle early"), url=reverse("loans_loan_settle", args=[loan.pk]), icon_name="tick"))
    if loan.status == "active" and user.has_perm("loans.disburse_loan") and payout_pending_channel(loan) is not None:
        url = reverse("loans_loan_payout_not_made", args=[loan.pk])
        buttons.append(Button(_("Payout not made"), url=url, icon_name="warning"))
    url = reverse("loans_loan_statement", args=[loan.pk])
    buttons.append(Button("Statement (PDF)", url=url, icon_name="doc-full"))
    for label, url in loan_workout_buttons(loan, user):  # issue 16
        buttons.append(Button(label, url=url, icon_name="repeat" if label == "Restructure" else "bin"))
    if (recover := loan_recovery_button(request, loan)) is not None:  # issue 16
        buttons.append(Button(recover.label, url=recover.url, icon_name=recover.icon_name))
    return buttons


class LoanInspectView(InspectView):
    """A loan's page: its own actions (`loan_actions`) in the header's menu. The loan book's rows carry none (issue
    17: five links a row were half of a 60 KB page); each row's title opens this page."""

    def get_header_more_buttons(self):
        buttons = list(super().get_header_more_buttons())
        for priority, button in enumerate(loan_actions(self.request, self.object), start=100):
            button.priority = priority
            buttons.append(button)
        return buttons


class LoanApplicationViewSet(SnippetViewSet):
    index_view_class = ApplicationIndexView
    model = LoanApplication
    permission_policy = ReadOnlyPermissionPolicy(LoanApplication)
    icon = "doc-empty"
    menu_label = "Applications"
    inspect_view_enabled = True
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "product",
        "amount",
        "term_months",
        "status",
        Column("payout", label=_("Payout"), accessor=_application_payout),
        "created_at",
    ]
    list_filter = ["status", "product"]
    search_fields = ["member__membership_number", "purpose"]
    list_export = [
        "member.membership_number",
        "product.name",
        "amount",
        "term_months",
        "purpose",
        "basic_pay",
        "total_deductions",
        "status",
        "decision_reason",
        "decided_by.email",
        "decided_at",
        "created_at",
    ]
    export_filename = "loan-applications"

    def get_queryset(self, request):
        return LoanApplication.objects.select_related("member", "product").annotate(review_id=F("review__id"))


def review_case_context(review: LoanReview) -> dict:
    """Everything an appraiser, a committee member or a reader weighs: the request, eligibility today (the rules
    failed said about the member, those met), the guarantors, and each decision and vote so far."""
    application = review.application
    eligibility = application_eligibility(application=application)
    state = review.workflow_states.order_by("created_at").last()
    return {
        "review": review,
        "summary": summary_for(review),
        "eligibility": eligibility,
        "met": loan_review_rules_met(eligibility),
        "schedule": schedule_build(
            principal=application.amount,
            annual_rate=application.annual_rate,
            months=application.term_months,
            method=application.method,
            start=timezone.localdate(),
        ),
        "guarantees": application.guarantees.select_related("guarantor__user").order_by("created_at"),
        "task_states": (
            state.task_states.select_related("task", "finished_by")
            .prefetch_related("committee_votes__user")
            .order_by("started_at")
            if state is not None
            else []
        ),
        "progress": review_progress(application),
    }


class ApplicationPanel(Panel):
    """The case on the review page (review_case_context)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtailadmin_custom/loan_review_case.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context.update(review_case_context(self.instance))
            return context


class LoanReviewIndexView(ApprovalIndexView):
    subject_label = "Member"


class LoanReviewInspectView(ApprovalInspectView):
    """The read-only page of an approval, for roles that read approvals without deciding them."""

    case_template_name = "wagtailadmin_custom/loan_review_case.html"

    def get_case_context(self) -> dict:
        return review_case_context(self.object)


class LoanReviewViewSet(SnippetViewSet):
    """Applications in the "Loan approval" workflow: member, product, amount, step, days waiting and the rules each
    fails. The officer and the committee open one and choose Approve or Reject (each asks for confirmation and a
    comment, required to approve when a rule fails); readers open a read-only page."""

    model = LoanReview
    index_view_class = LoanReviewIndexView
    edit_view_class = ReviewEditView
    workflow_action_view_class = ApprovalWorkflowActionView
    inspect_view_enabled = True
    inspect_view_class = LoanReviewInspectView
    permission_policy = ReviewOnlyPermissionPolicy(LoanReview)
    icon = "tasks"
    menu_label = "Approvals"
    list_display = [
        "application",  # replaced by the approval's summary columns (ApprovalIndexView)
        Column("status", label="Application", accessor="application_status"),
        "created_at",
    ]
    list_filter = ["application__status", "application__product"]
    search_fields = ["application__member__membership_number", "application__purpose"]
    list_export = [
        "application.member.membership_number",
        "application.product.name",
        "application.amount",
        "application.status",
        "application.decision_reason",
        "created_at",
    ]
    export_filename = "loan-approvals"
    panels = [ApplicationPanel(heading="Application")]

    def get_queryset(self, request):
        return LoanReview.objects.select_related("application__member__user", "application__product")


class LoanViewSet(SnippetViewSet):
    """The loan book."""

    model = Loan
    index_view_class = ExportingIndexView  # the row's title opens the loan, whose page offers its actions
    inspect_view_class = LoanInspectView
    permission_policy = ReadOnlyPermissionPolicy(Loan)
    icon = "form"
    menu_label = "Loan book"
    inspect_view_enabled = True
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "product",
        "principal",
        "annual_rate",
        "term_months",
        "disbursed_on",
        "status",
        Column("payout", label=_("Payout"), accessor=payout_describe),
    ]
    list_filter = ["status", "product", "disbursed_on"]
    search_fields = ["member__membership_number"]
    list_export = [
        "member.membership_number",
        "product.name",
        "principal",
        "amount_paid_out",
        "processing_fee",
        "insurance_fee",
        "application_fee",
        "annual_rate",
        "method",
        "term_months",
        "disbursed_on",
        "status",
        "closed_on",
    ]
    export_filename = "loan-book"

    def get_queryset(self, request):
        return Loan.objects.select_related("member", "product")


class LoanInstalmentViewSet(SnippetViewSet):
    model = LoanInstalment
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(LoanInstalment)
    icon = "date"
    menu_label = "Instalments"
    list_display = [
        "loan",
        "number",
        "due_date",
        "principal",
        "interest",
        "penalty",
        "principal_paid",
        "interest_paid",
        "schedule_version",
        "superseded",
    ]
    list_filter = ["due_date", "superseded"]  # superseded: the schedules a restructure replaced (issue 16)
    list_export = [
        "loan.member.membership_number",
        "number",
        "due_date",
        "principal",
        "interest",
        "penalty",
        "principal_paid",
        "interest_paid",
        "penalty_paid",
    ]
    export_filename = "loan-instalments"

    def get_queryset(self, request):
        return LoanInstalment.all_versions.select_related("loan__product")


def _repayment_reversed(repayment) -> str:
    """Why and when the repayment was reversed (issue 16), or "" while it stands."""
    reversal = getattr(repayment, "reversal", None)
    if reversal is None:
        return ""
    return f"{reversal.get_kind_display()} ({reversal.reversed_at:%d %b %Y}): {reversal.reason}"


class RepaymentIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if self.request.user.has_perm("loans.reverse_loanrepayment") and not hasattr(instance, "reversal"):
            url = reverse("loans_repayment_reverse", args=[instance.pk])
            buttons.append(ListingMenuItem(_("Reverse"), url=url, icon_name="undo"))
        return buttons


class LoanRepaymentViewSet(SnippetViewSet):
    model = LoanRepayment
    index_view_class = RepaymentIndexView
    permission_policy = ReadOnlyPermissionPolicy(LoanRepayment)
    icon = "arrow-down"
    menu_label = "Repayments"
    list_display = [
        "date",
        "loan",
        "amount",
        "reference",
        "interest_part",
        "principal_part",
        "overpayment",
        Column("reversal", label=_("Reversed"), accessor=_repayment_reversed),
    ]
    list_filter = ["date"]
    search_fields = ["reference", "loan__member__membership_number"]
    list_export = [
        "date",
        "loan.member.membership_number",
        "amount",
        "reference",
        "penalty_part",
        "interest_part",
        "principal_part",
        "overpayment",
    ]
    export_filename = "loan-repayments"

    def get_queryset(self, request):
        return LoanRepayment.objects.select_related("loan__product", "reversal")


class LoansGroup(SnippetViewSetGroup):
    items = (
        LoanProductViewSet,
        LoanApplicationViewSet,
        LoanReviewViewSet,
        LoanViewSet,
        LoanInstalmentViewSet,
        LoanRepaymentViewSet,
        LoanRestructureViewSet,
        LoanWriteOffViewSet,
        GuarantorRecoveryViewSet,
        GuarantorClaimViewSet,
    )
    menu_icon = "form"
    menu_label = "Loans"
    menu_name = "loans"
    menu_order = 160

    def get_submenu_items(self):
        class PortfolioMenuItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm("loans.view_loan")

        items = list(super().get_submenu_items())
        items.append(
            PortfolioMenuItem("PAR and provisioning", reverse_lazy("loans_portfolio"), icon_name="table", order=900)
        )

        class WrittenOffMenuItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm("loans.view_loanwriteoff")

        items.append(
            WrittenOffMenuItem("Written-off loans", reverse_lazy("loans_written_off"), icon_name="bin", order=910)
        )
        return items


register_snippet(LoansGroup)


@hooks.register("register_admin_urls")
def loans_admin_urls():
    return [
        path(
            "loans/applications/<uuid:pk>/disburse/",
            admin_views.application_disburse_view,
            name="loans_application_disburse",
        ),
        path("loans/portfolio/", admin_views.portfolio_report_view, name="loans_portfolio"),
        path("loans/loans/<uuid:pk>/repayment/", admin_views.loan_repayment_view, name="loans_loan_repayment"),
        path("loans/loans/<uuid:pk>/statement.pdf", admin_views.loan_statement_view, name="loans_loan_statement"),
        path(
            "loans/loans/<uuid:pk>/payout-not-made/",
            admin_views.loan_payout_not_made_view,
            name="loans_loan_payout_not_made",
        ),
        # Issue 16: restructure and write-off (workout_admin.py).
        path("loans/loans/<uuid:pk>/restructure/", loan_restructure_view, name="loans_loan_restructure"),
        path("loans/loans/<uuid:pk>/write-off/", loan_write_off_view, name="loans_loan_write_off"),
        path("loans/written-off/", written_off_view, name="loans_written_off"),
        path(
            "loans/repayments/<uuid:pk>/reverse/",
            admin_views.repayment_reverse_view,
            name="loans_repayment_reverse",
        ),
        path("loans/loans/<uuid:pk>/settle/", settlement_admin.loan_settle_view, name="loans_loan_settle"),
    ]


# Membership exits and deaths (issue 16): listed under Members' neighbours in the Loans menu, since the settlement
# offsets loans (exit_admin.py).
from . import exit_admin  # noqa: E402

register_snippet(exit_admin.MemberExitViewSet)
register_snippet(exit_admin.ExitPayableViewSet)


@hooks.register("register_admin_urls")
def exit_admin_urls():
    return [
        path("loans/exits/notice/", exit_admin.exit_notice_view, name="loans_exit_notice"),
        path("loans/exits/death/", exit_admin.death_record_view, name="loans_death_record"),
        path("loans/exits/<uuid:pk>/prepare/", exit_admin.exit_prepare_view, name="loans_exit_prepare"),
        path("loans/exits/<uuid:pk>/approve/", exit_admin.exit_approve_view, name="loans_exit_approve"),
        path("loans/exits/payables/<uuid:pk>/pay/", exit_admin.exit_payable_pay_view, name="loans_exit_payable_pay"),
        # Recovery from guarantors (issue 16)
        path(
            "loans/loans/<uuid:pk>/guarantor-recovery/",
            guarantor_admin.recovery_prepare_view,
            name="loans_guarantor_recovery_prepare",
        ),
        path(
            "loans/guarantor-recoveries/<uuid:pk>/approve/",
            guarantor_admin.recovery_approve_view,
            name="loans_guarantor_recovery_approve",
        ),
        path(
            "loans/guarantor-recoveries/<uuid:pk>/cancel/",
            guarantor_admin.recovery_cancel_view,
            name="loans_guarantor_recovery_cancel",
        ),
    ]
