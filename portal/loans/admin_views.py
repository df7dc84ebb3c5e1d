"""Admin actions on loans (decisions are the "Loan approval" workflow's, see approval.py): disburse an
application, record a repayment, download a statement. Each checks permission (and, for money going out, a fresh
second-factor code), then calls a service."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.members.form_stash import form_stash_take
from portal.members.otp_views import fresh_otp_required
from portal.society.money_fields import MoneyFormField
from portal.society.tabular import downloads_from_replica, list_export

from .disbursement_channels import payout_describe, payout_pending_channel
from .models import Loan, LoanApplication, LoanRepayment, LoanStatus
from .portfolio_tables import loan_portfolio_sections
from .reversal import RepaymentAlreadyReversed, repayment_reverse
from .selectors import portfolio_aging, portfolio_by_product, portfolio_report
from .services import LoanStateError, disbursement_date_check, loan_disburse, loan_repay
from .statements import loan_statement_pdf

APPLICATIONS = "wagtailsnippets_loans_loanapplication:list"
LOANS = "wagtailsnippets_loans_loan:list"


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


class DisburseForm(forms.Form):
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    by_bank = forms.BooleanField(
        label=_lazy("Pay from the bank account instead of M-Pesa"),
        required=False,
        help_text=_lazy("For a product that pays out by M-Pesa, e.g. after a failed M-Pesa payout."),
    )

    def __init__(self, *args, by_mpesa: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not by_mpesa:
            del self.fields["by_bank"]
        primary = bank_account_primary()
        self.fields["bank_account"].initial = primary.pk if primary else None
        self.fields["date"].initial = timezone.localdate()


class RepaymentForm(forms.Form):
    amount = MoneyFormField()
    reference = forms.CharField(max_length=100, help_text="M-Pesa code or bank slip: the same reference posts once.")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        primary = bank_account_primary()
        self.fields["bank_account"].initial = primary.pk if primary else None
        self.fields["date"].initial = timezone.localdate()


def _page(request, *, title, intro, form, cancel, button):
    return TemplateResponse(
        request,
        "loans/admin/action.html",
        {"title": title, "intro": intro, "form": form, "cancel_url": reverse(cancel), "button": button},
    )


def _apply_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@fresh_otp_required
def application_disburse_view(request, pk):
    _require(request, "loans.disburse_loan")
    application = get_object_or_404(LoanApplication.objects.select_related("member__user", "product"), pk=pk)
    kept = form_stash_take(request=request) if request.method == "GET" else None
    by_mpesa = application.product.disburse_by_mpesa
    if kept is not None:  # back from the code page: what the treasurer chose, checked again, to confirm
        form = DisburseForm(kept, by_mpesa=by_mpesa)
        form.is_valid()
        messages.info(request, "Your answers are kept. Check them and press “Disburse” to pay out.")
    else:
        form = DisburseForm(request.POST or None, by_mpesa=by_mpesa)
    if request.method == "POST" and form.is_valid():
        try:
            if not Loan.objects.filter(application=application).exclude(status=LoanStatus.REVERSED).exists():
                disbursement_date_check(application=application, date=form.cleaned_data["date"])
            result = loan_disburse(
                application=application,
                by=request.user,
                date=form.cleaned_data["date"],
                bank_account=form.cleaned_data["bank_account"],
                by_bank=form.cleaned_data.get("by_bank", False),
            )
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(APPLICATIONS)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            loan = result.loan
            if result.created and by_mpesa and not form.cleaned_data.get("by_bank"):
                messages.success(
                    request,
                    _("Sending KES %(amount)s to %(phone)s by M-Pesa; the loan shows the payout until M-Pesa answers.")
                    % {"amount": f"{loan.amount_paid_out:,.2f}", "phone": application.member.phone_number},
                )
            elif result.created:
                messages.success(request, f"Paid out KES {loan.amount_paid_out:,.2f}; the schedule is ready.")
            else:
                messages.warning(request, "This application was already paid out; nothing was paid again.")
            return redirect(LOANS)
    intro = f"Pay out {application.product} of KES {application.amount:,.2f} to {application.member.membership_number}."
    if application.product.disburse_by_mpesa:
        phone = application.member.phone_number or _("(no phone number)")
        intro += " " + _("This product pays out by M-Pesa to %(phone)s, or from the bank if you tick below.") % {
            "phone": phone
        }
    return _page(request, title="Disburse", intro=intro, form=form, cancel=APPLICATIONS, button="Disburse")


class PayoutNotMadeForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("What you checked"),
        max_length=150,
        help_text=_lazy("E.g. the M-Pesa portal shows no such payment; it goes in the audit trail."),
    )
    checked = forms.BooleanField(label=_lazy("I checked that M-Pesa did not pay this loan out"))


@fresh_otp_required
def loan_payout_not_made_view(request, pk):
    """A payout whose result never came: the treasurer, having checked M-Pesa, marks it not made; the channel fails
    it and reverses the disbursement as a failed result would (disbursement_channels.py)."""
    _require(request, "loans.disburse_loan")
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    channel = payout_pending_channel(loan)
    if channel is None:
        messages.warning(request, _("No payout of this loan is waiting for M-Pesa."))
        return redirect(LOANS)
    form = PayoutNotMadeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = channel.give_up(loan=loan, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Payout marked not made: %(outcome)s.") % {"outcome": outcome})
            return redirect(LOANS)
    intro = _("%(product)s of %(member)s: %(payout)s.") % {
        "product": loan.product,
        "member": loan.member.membership_number,
        "payout": payout_describe(loan),
    }
    return _page(request, title=_("Payout not made"), intro=intro, form=form, cancel=LOANS, button=_("Mark not made"))


def loan_repayment_view(request, pk):
    _require(request, "loans.record_repayment")
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    form = RepaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = loan_repay(
                loan=loan,
                amount=data["amount"],
                reference=data["reference"],
                date=data["date"],
                bank_account=data["bank_account"],
                recorded_by=request.user,
            )
        except LoanStateError as exc:
            messages.error(request, exc.messages[0])
            return redirect(LOANS)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            r = result.repayment
            if result.created:
                messages.success(
                    request,
                    f"KES {r.amount:,.2f} recorded: penalties {r.penalty_part:,.2f}, interest {r.interest_part:,.2f}, "
                    f"principal {r.principal_part:,.2f}"
                    + (f", to deposits {r.overpayment:,.2f}." if r.overpayment else "."),
                )
            else:
                messages.warning(request, f"Reference {r.reference} was already recorded; nothing was posted again.")
            return redirect(LOANS)
    intro = f"{loan.product} of {loan.member.membership_number} {loan.member.user.get_full_name()}."
    return _page(request, title="Record a repayment", intro=intro, form=form, cancel=LOANS, button="Record")


def loan_statement_view(request, pk):
    _require(request, "loans.view_loan")
    loan = get_object_or_404(Loan.objects.select_related("member__user", "product"), pk=pk)
    response = HttpResponse(
        loan_statement_pdf(loan=loan, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="loan-statement-{loan.member.membership_number}.pdf"'
    return response


@downloads_from_replica()
def portfolio_report_view(request):
    """PAR and provisioning (L9): the loan book by SASRA class."""
    _require(request, "loans.view_loan")
    today = timezone.localdate()
    download = list_export(
        request=request,
        title="Loan portfolio",
        covers=f"as of {today:%d %b %Y}",
        sections=loan_portfolio_sections(today, today, today),
        filename=f"loan-portfolio-{today}",
    )
    if download is not None:
        return download
    return TemplateResponse(
        request,
        "loans/admin/portfolio.html",
        {
            "report": portfolio_report(),
            "by_product": portfolio_by_product(today=today),
            "aging": portfolio_aging(today=today),
        },
    )


class ReverseRepaymentForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("Why it is reversed"),
        max_length=200,
        help_text=_lazy("Wrong member, amount or reference; it goes in the audit trail and on the member's statement."),
    )


REPAYMENTS = "wagtailsnippets_loans_loanrepayment:list"


@fresh_otp_required
def repayment_reverse_view(request, pk):
    """*Reverse* on a repayment (issue 16): the treasurer or an administrator, with a reason and a fresh code
    (reversal.py says what it posts)."""
    _require(request, "loans.reverse_loanrepayment")
    repayment = get_object_or_404(LoanRepayment.objects.select_related("loan__member__user", "loan__product"), pk=pk)
    kept = form_stash_take(request=request) if request.method == "GET" else None
    if kept is not None:  # back from the code page: the reason typed, to confirm
        form = ReverseRepaymentForm(kept)
        form.is_valid()
        messages.info(request, _("Your answers are kept. Check them and press “Reverse” to reverse the repayment."))
    else:
        form = ReverseRepaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reversal = repayment_reverse(repayment=repayment, by=request.user, reason=form.cleaned_data["reason"])
        except RepaymentAlreadyReversed as exc:
            messages.error(request, exc.messages[0])
            return redirect(REPAYMENTS)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            moved = reversal.reallocations.count()
            text = _("Repayment %(reference)s of KES %(amount)s reversed.") % {
                "reference": repayment.reference,
                "amount": f"{repayment.amount:,.2f}",
            }
            if moved:
                text += " " + _("%(n)s later repayment(s) re-allocated.") % {"n": moved}
            if reversal.loan_reopened:
                text += " " + _("The loan is open again.")
            messages.success(request, text)
            return redirect(REPAYMENTS)
    loan = repayment.loan
    intro = _(
        "Reverse KES %(amount)s, ref. %(reference)s of %(date)s, on the %(product)s of %(member)s %(name)s. "
        "Money that came by check-off or M-Pesa goes back to unallocated receipts; a counter or bank payment goes "
        "back out of its bank account. Later repayments of this loan are allocated again."
    ) % {
        "amount": f"{repayment.amount:,.2f}",
        "reference": repayment.reference,
        "date": f"{repayment.date:%d %b %Y}",
        "product": loan.product,
        "member": loan.member.membership_number,
        "name": loan.member.user.get_full_name(),
    }
    title = _("Reverse a repayment")
    return _page(request, title=title, intro=intro, form=form, cancel=REPAYMENTS, button=_("Reverse"))
