"""Admin for restructures and write-offs (issue 16): *Restructure* and *Write off* on a loan of the loan book
prepare a proposal (services in restructure.py and write_off.py); the committee decides it under *Loans →
Restructure and write-off approvals* like the other approvals; *Loans → Written-off loans* is the memo record of
what was written off and recovered since."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.workflows.permissions import ReviewOnlyPermissionPolicy
from portal.workflows.views import ApprovalIndexView, ApprovalInspectView, ApprovalWorkflowActionView, ReviewEditView

from .models import Classification, Loan, LoanRestructure, LoanStatus, LoanWriteOff, ProposalStatus
from .restructure import MAX_HOLIDAY_MONTHS, MAX_TERM_MONTHS, restructure_prepare
from .services import LoanStateError
from .write_off import write_off_prepare

LOANS = "wagtailsnippets_loans_loan:list"


class RestructureForm(forms.Form):
    term_months = forms.IntegerField(min_value=1, max_value=MAX_TERM_MONTHS, label="New term (months)")
    annual_rate = forms.DecimalField(
        min_value=0, max_value=100, max_digits=7, decimal_places=4, label="Interest rate (% a year)"
    )
    holiday_months = forms.IntegerField(
        min_value=0,
        max_value=MAX_HOLIDAY_MONTHS,
        initial=0,
        label="Payment holiday (months)",
        help_text="No instalment in these months; their interest falls due with the first instalment.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, help_text="For the committee.")


class WriteOffForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, help_text="For the committee.")


def _page(request, *, title, intro, form, button):
    return TemplateResponse(
        request,
        "loans/admin/action.html",
        {"title": title, "intro": intro, "form": form, "cancel_url": reverse(LOANS), "button": button},
    )


def _errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _outstanding(loan: Loan) -> Decimal:
    totals = loan.instalments.aggregate(due=Sum("principal"), paid=Sum("principal_paid"))
    return (totals["due"] or 0) - (totals["paid"] or 0)


def loan_restructure_view(request, pk):
    if not request.user.has_perm("loans.prepare_loanrestructure"):
        raise PermissionDenied
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    form = RestructureForm(request.POST or None, initial={"annual_rate": loan.annual_rate, "holiday_months": 0})
    if request.method == "POST" and form.is_valid():
        try:
            restructure_prepare(loan=loan, by=request.user, **form.cleaned_data)
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(LOANS)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Restructure prepared: it waits for two credit committee members.")
            return redirect(LOANS)
    intro = (
        f"{loan.product} of {loan.member.membership_number} {loan.member.user.get_full_name()}: outstanding principal "
        f"KES {_outstanding(loan):,.2f}, {loan.get_classification_display().lower()}. Unpaid interest and penalties "
        "are added to the new principal; the loan keeps its class until three instalments are paid on time."
    )
    return _page(request, title="Restructure a loan", intro=intro, form=form, button="Prepare")


def loan_write_off_view(request, pk):
    if not request.user.has_perm("loans.prepare_loanwriteoff"):
        raise PermissionDenied
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    form = WriteOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            write_off_prepare(loan=loan, by=request.user, reason=form.cleaned_data["reason"])
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(LOANS)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Write-off prepared: it waits for two credit committee members.")
            return redirect(LOANS)
    intro = (
        f"{loan.product} of {loan.member.membership_number} {loan.member.user.get_full_name()}: outstanding principal "
        f"KES {_outstanding(loan):,.2f}, {loan.days_past_due} days past due. On approval it is written off against "
        "the provision and tracked off the balance sheet; money recovered later goes to recovery income."
    )
    return _page(request, title="Write off a loan", intro=intro, form=form, button="Prepare")


def written_off_view(request):
    """Written-off loans: the memo record off the balance sheet."""
    if not request.user.has_perm("loans.view_loanwriteoff"):
        raise PermissionDenied
    rows = list(
        LoanWriteOff.objects.filter(status=ProposalStatus.APPLIED)
        .select_related("loan__member__user", "loan__product")
        .order_by("-written_off_on")
    )
    totals = {
        "amount": sum((r.amount for r in rows), Decimal("0.00")),
        "recovered": sum((r.recovered for r in rows), Decimal("0.00")),
        "balance": sum((r.memo_balance for r in rows), Decimal("0.00")),
    }
    return TemplateResponse(request, "loans/admin/written_off.html", {"rows": rows, "totals": totals})


def loan_workout_buttons(loan, user) -> list[tuple[str, str]]:
    """(label, url) of the actions a loan row offers this user."""
    buttons = []
    if loan.status == LoanStatus.ACTIVE and user.has_perm("loans.prepare_loanrestructure"):
        buttons.append(("Restructure", reverse("loans_loan_restructure", args=[loan.pk])))
    if (
        loan.status == LoanStatus.ACTIVE
        and loan.classification == Classification.LOSS
        and user.has_perm("loans.prepare_loanwriteoff")
    ):
        buttons.append(("Write off", reverse("loans_loan_write_off", args=[loan.pk])))
    return buttons


class ProposalIndexView(ApprovalIndexView):
    subject_label = "Member"


class ProposalInspectView(ApprovalInspectView):
    detail_template_name = "loans/admin/proposal_panel.html"

    def get_case_context(self) -> dict:
        return {"proposal": self.object}


class _ProposalViewSet(SnippetViewSet):
    index_view_class = ProposalIndexView
    edit_view_class = ReviewEditView
    workflow_action_view_class = ApprovalWorkflowActionView
    inspect_view_enabled = True
    inspect_view_class = ProposalInspectView
    list_display = ["loan", Column("status", label="Status", accessor="get_status_display"), "prepared_at"]
    list_filter = ["status"]
    search_fields = ["loan__member__membership_number", "reason"]

    def get_queryset(self, request):
        return self.model.objects.select_related("loan__member__user", "loan__product", "prepared_by")


class LoanRestructureViewSet(_ProposalViewSet):
    """Restructures in the workflow "Loan restructure and write-off" (approved by two committee members)."""

    model = LoanRestructure
    permission_policy = ReviewOnlyPermissionPolicy(LoanRestructure)
    icon = "repeat"
    menu_label = "Restructures"
    list_export = ["loan.member.membership_number", "term_months", "annual_rate", "holiday_months", "status"]
    export_filename = "loan-restructures"


class LoanWriteOffViewSet(_ProposalViewSet):
    """Write-offs in the workflow "Loan restructure and write-off" (approved by two committee members)."""

    model = LoanWriteOff
    permission_policy = ReviewOnlyPermissionPolicy(LoanWriteOff)
    icon = "bin"
    menu_label = "Write-offs"
    list_export = ["loan.member.membership_number", "status", "principal", "interest", "penalty", "recovered"]
    export_filename = "loan-write-offs"
