"""Admin for recovery from guarantors (issue 16): the recoveries and the guarantors' claims (read only), and the
maker-checker actions — prepare (from the loan book), approve or cancel (from the recovery list), each behind the
*recover from guarantors* permission; the service refuses the maker as checker."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.finance.permissions import ReadOnlyPermissionPolicy
from portal.society.list_exports import ExportingIndexView

from .guarantor_recovery import (
    guarantor_recovery_approve,
    guarantor_recovery_cancel,
    guarantor_recovery_prepare,
    recovery_plan,
)
from .models import GuarantorClaim, GuarantorRecovery, Loan, RecoveryStatus
from .services import LoanStateError

RECOVER = "loans.recover_from_guarantors"
RECOVERIES = "wagtailsnippets_loans_guarantorrecovery:list"
LOANS = "wagtailsnippets_loans_loan:list"


class RecoveryDateForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return date


def _require(request):
    if not request.user.has_perm(RECOVER):
        raise PermissionDenied


def _plan_intro(loan: Loan, date) -> str:
    plan = recovery_plan(loan=loan, date=date)
    parts = "; ".join(
        f"{s.guarantee.guarantor.membership_number} KES {s.amount:,.2f} "
        f"(guarantee {s.held:,.2f}, free {s.available:,.2f})"
        for s in plan.shares
    )
    return (
        f"Loan of {loan.member.membership_number}, {loan.days_past_due} days past due. Owed on settlement: "
        f"KES {plan.target:,.2f}. From the guarantors today: {parts or 'none'}."
    )


def _page(request, *, title, intro, form, button, cancel):
    return TemplateResponse(
        request,
        "loans/admin/action.html",
        {"title": title, "intro": intro, "form": form, "cancel_url": reverse(cancel), "button": button},
    )


def recovery_prepare_view(request, pk):
    _require(request)
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    form = RecoveryDateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            guarantor_recovery_prepare(loan=loan, by=request.user, today=form.cleaned_data["date"])
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(LOANS)
        messages.success(request, "Recovery prepared and the guarantors told; another person approves it.")
        return redirect(RECOVERIES)
    intro = _plan_intro(loan, timezone.localdate())
    return _page(request, title="Recover from guarantors", intro=intro, form=form, button="Prepare", cancel=LOANS)


def recovery_approve_view(request, pk):
    _require(request)
    recovery = get_object_or_404(GuarantorRecovery.objects.select_related("loan__member__user"), pk=pk)
    form = RecoveryDateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            guarantor_recovery_approve(recovery=recovery, by=request.user, date=form.cleaned_data["date"])
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(RECOVERIES)
        recovery.refresh_from_db()
        messages.success(request, f"KES {recovery.total:,.2f} recovered from the guarantors.")
        return redirect(RECOVERIES)
    intro = _plan_intro(recovery.loan, timezone.localdate())
    return _page(
        request, title="Approve recovery from guarantors", intro=intro, form=form, button="Approve", cancel=RECOVERIES
    )


def recovery_cancel_view(request, pk):
    _require(request)
    recovery = get_object_or_404(GuarantorRecovery, pk=pk)
    if request.method == "POST":
        try:
            guarantor_recovery_cancel(recovery=recovery, by=request.user)
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, "Recovery cancelled; nothing was posted.")
        return redirect(RECOVERIES)
    return _page(
        request,
        title="Cancel recovery from guarantors",
        intro="Nothing has been posted; the guarantors were told of the recovery.",
        form=forms.Form(),
        button="Cancel the recovery",
        cancel=RECOVERIES,
    )


class RecoveryIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.status == RecoveryStatus.PREPARED and self.request.user.has_perm(RECOVER):
            url = reverse("loans_guarantor_recovery_approve", args=[instance.pk])
            buttons.append(ListingMenuItem("Approve", url=url, icon_name="check"))
            url = reverse("loans_guarantor_recovery_cancel", args=[instance.pk])
            buttons.append(ListingMenuItem("Cancel", url=url, icon_name="cross"))
        return buttons


def loan_recovery_button(request, loan):
    """The loan book's "Recover from guarantors" item, for an active loan and who may prepare it."""
    if loan.status == "active" and request.user.has_perm(RECOVER):
        url = reverse("loans_guarantor_recovery_prepare", args=[loan.pk])
        return ListingMenuItem("Recover from guarantors", url=url, icon_name="warning")
    return None


class GuarantorRecoveryViewSet(SnippetViewSet):
    model = GuarantorRecovery
    index_view_class = RecoveryIndexView
    permission_policy = ReadOnlyPermissionPolicy(GuarantorRecovery)
    icon = "warning"
    menu_label = "Recoveries from guarantors"
    list_display = ["loan", "status", "days_past_due", "prepared_by", "prepared_at", "decided_by", "date"]
    list_filter = ["status"]
    list_export = ["loan.member.membership_number", "status", "days_past_due", "prepared_at", "date", "total"]
    export_filename = "guarantor-recoveries"

    def get_queryset(self, request):
        return GuarantorRecovery.objects.select_related("loan__product", "prepared_by", "decided_by")


class GuarantorClaimViewSet(SnippetViewSet):
    model = GuarantorClaim
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(GuarantorClaim)
    icon = "user"
    menu_label = "Guarantors' claims"
    list_display = ["guarantor", "borrower", "amount", "recovered_back", "created_at"]
    search_fields = ["guarantor__membership_number", "borrower__membership_number"]
    list_export = ["guarantor.membership_number", "borrower.membership_number", "amount", "recovered_back"]
    export_filename = "guarantor-claims"

    def get_queryset(self, request):
        return GuarantorClaim.objects.select_related("guarantor__user", "borrower__user")
