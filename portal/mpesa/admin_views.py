"""Wagtail admin pages for M-Pesa (issue 15): the receipts waiting in 2300 Unallocated receipts and their allocation
(find the member, split the amount, confirm), the raw callback log, and the daily M-Pesa statement matching.

Who: allocating posts payments, so it needs what the counter needs (contributions.post_payments: Clerks,
Treasurer, Administrators) and, for a loan part, loans.record_repayment; the raw callbacks and the statement
matching are banking records (finance.view_banktransaction: Treasurer, Auditors, Administrators)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.finance.banking.models import BankStatement
from portal.members.models import Member
from portal.society.money import InvalidAmount, parse_amount

from .models import CallbackKind, MpesaReceipt, ReceiptStatus
from .receipts import Purpose, ReceiptAlreadyAllocated, Split, receipt_allocate
from .selectors import (
    callbacks_list,
    latest_mpesa_statement,
    member_suggestions,
    members_find,
    mpesa_paybill_accounts,
    statement_receipts_match,
    unallocated_receipts,
)

POST_PERM = "contributions.post_payments"
REPAY_PERM = "loans.record_repayment"
BANKING_READ_PERM = "finance.view_banktransaction"


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def may_allocate(user) -> bool:
    return user.has_perm(POST_PERM)


def may_read_banking(user) -> bool:
    return user.has_perm(BANKING_READ_PERM)


class SplitAmountField(forms.CharField):
    """An amount through the one money parser; blank is zero."""

    def clean(self, value):
        value = super().clean(value)
        if not (value or "").strip():
            return Decimal("0.00")
        try:
            return parse_amount(value, allow_zero=True)
        except InvalidAmount as exc:
            raise forms.ValidationError(str(exc)) from exc


class AllocateForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=Member.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Choose a member.")},
    )
    deposits = SplitAmountField(label=gettext_lazy("Deposits"), required=False, max_length=20)
    loan_repayment = SplitAmountField(label=gettext_lazy("Loan repayment"), required=False, max_length=20)
    share_capital = SplitAmountField(label=gettext_lazy("Share capital"), required=False, max_length=20)

    def __init__(self, *args, receipt: MpesaReceipt, **kwargs):
        super().__init__(*args, **kwargs)
        self.receipt = receipt

    def clean(self):
        data = super().clean()
        parts = [data.get(name) for name in ("deposits", "loan_repayment", "share_capital")]
        if None not in parts and sum(parts, Decimal("0.00")) != self.receipt.amount:
            raise forms.ValidationError(
                _("The parts add up to KES %(total)s; they must add up to the receipt's KES %(amount)s.")
                % {"total": f"{sum(parts, Decimal('0.00')):,.2f}", "amount": f"{self.receipt.amount:,.2f}"}
            )
        return data


def unallocated_view(request):
    """What waits in 2300 from M-Pesa: receipt number, date, amount, phone, reference as sent, payer."""
    if not (may_allocate(request.user) or may_read_banking(request.user)):
        raise PermissionDenied
    q = request.GET.get("q", "")
    receipts = unallocated_receipts(q=q)
    page = Paginator(receipts, 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "mpesa/admin/unallocated.html",
        {"receipts": page, "q": q, "may_allocate": may_allocate(request.user)},
    )


def allocate_view(request, pk):
    """One receipt: find the member (search, or the suggestions from the payer's phone and name), split the amount
    between deposits, loans and share capital, confirm. A second confirm posts nothing."""
    _require(request, POST_PERM)
    receipt = get_object_or_404(MpesaReceipt.objects.select_related("member__user"), pk=pk)
    if receipt.status != ReceiptStatus.UNALLOCATED:
        messages.warning(
            request, _("%(receipt)s is already allocated; nothing was posted.") % {"receipt": receipt.trans_id}
        )
        return redirect("mpesa_unallocated")
    q = request.GET.get("q", "")
    chosen = None
    member_id = request.POST.get("member") or request.GET.get("member")
    if member_id:
        try:
            chosen = Member.objects.select_related("user").filter(pk=member_id).first()
        except ValidationError:
            chosen = None
    elif receipt.member is not None:
        chosen = receipt.member
    if request.method == "POST":
        form = AllocateForm(request.POST, receipt=receipt)
        if form.is_valid():
            data = form.cleaned_data
            if data["loan_repayment"] > 0 and not request.user.has_perm(REPAY_PERM):
                raise PermissionDenied
            split = Split(
                deposits=data["deposits"], loan_repayment=data["loan_repayment"], share_capital=data["share_capital"]
            )
            try:
                receipt_allocate(receipt=receipt, member=data["member"], split=split, by=request.user)
            except ReceiptAlreadyAllocated:
                messages.warning(
                    request, _("%(receipt)s is already allocated; nothing was posted.") % {"receipt": receipt.trans_id}
                )
                return redirect("mpesa_unallocated")
            except ValidationError as exc:
                for name, errors in (
                    exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
                ):
                    form.add_error(None if name == "__all__" or name not in form.fields else name, errors)
            else:
                messages.success(
                    request,
                    _("%(receipt)s (KES %(amount)s) allocated to %(member)s.")
                    % {
                        "receipt": receipt.trans_id,
                        "amount": f"{receipt.amount:,.2f}",
                        "member": data["member"].membership_number,
                    },
                )
                return redirect("mpesa_unallocated")
    else:
        initial = {"member": chosen.pk if chosen else None}
        field = {
            Purpose.DEPOSITS: "deposits",
            Purpose.LOAN_REPAYMENT: "loan_repayment",
            Purpose.SHARE_CAPITAL: "share_capital",
        }.get(receipt.purpose, "deposits")
        initial[field] = f"{receipt.amount:.2f}"
        form = AllocateForm(initial=initial, receipt=receipt)
    context = {
        "receipt": receipt,
        "q": q,
        "found": members_find(q=q) if q else [],
        "suggestions": [] if q else member_suggestions(receipt),
        "chosen": chosen,
        "form": form,
    }
    return TemplateResponse(request, "mpesa/admin/allocate.html", context)


def callbacks_view(request):
    """The raw callbacks as Daraja sent them (read only): what arrived, from where, and what processing did."""
    _require(request, BANKING_READ_PERM)
    kind = request.GET.get("kind", "")
    if kind not in CallbackKind.values:
        kind = ""
    q = request.GET.get("q", "")
    page = Paginator(callbacks_list(kind=kind, q=q), 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "mpesa/admin/callbacks.html",
        {"callbacks": page, "kind": kind, "kinds": CallbackKind.choices, "q": q},
    )


def reconciliation_view(request):
    """An imported M-Pesa statement (Bank reconciliation → import) against the receipts posted, by receipt
    number: what the statement has that was not posted, and what was posted that the statement lacks."""
    _require(request, BANKING_READ_PERM)
    accounts = list(mpesa_paybill_accounts())
    statements = BankStatement.objects.filter(bank_account__in=accounts).select_related("bank_account")
    statement = None
    wanted = request.GET.get("statement")
    if wanted:
        try:
            statement = statements.filter(pk=wanted).first()
        except ValidationError:
            statement = None
    if statement is None:
        for account in accounts:
            latest = latest_mpesa_statement(account)
            if latest is not None and (statement is None or latest.imported_at > statement.imported_at):
                statement = latest
    match = statement_receipts_match(statement=statement) if statement else None
    return TemplateResponse(
        request,
        "mpesa/admin/reconciliation.html",
        {"statements": statements.order_by("-imported_at")[:50], "statement": statement, "match": match},
    )
