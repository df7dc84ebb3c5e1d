"""Admin pages for bank reconciliation (T5): import a statement, match a line by hand, the unreconciled report."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from portal.society.file_reader import FileRejected, limits_help_text, upload_read
from portal.society.tabular import Section, downloads_from_replica, list_export
from portal.society.wording import counted

from .models import BankAccount, BankTransaction
from .reconciliation import (
    StatementInvalid,
    bank_transaction_reconcile,
    candidate_lines,
    statement_import,
    unreconciled_report,
)

LISTING = "wagtailsnippets_finance_banktransaction:list"


class StatementForm(forms.Form):
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)
    file = forms.FileField(help_text="CSV or XLSX: date, reference, description, and amount or paid in / withdrawn.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += " " + limits_help_text()


def statement_import_view(request):
    if not request.user.has_perm("finance.add_bankstatement"):
        raise PermissionDenied
    form = StatementForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = statement_import(
                bank_account=form.cleaned_data["bank_account"],
                content=upload_read(upload),
                file_name=upload.name,
                by=request.user,
            )
        except FileRejected as exc:
            form.add_error("file", str(exc))
        except StatementInvalid as exc:
            row_errors = exc.rows
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            if result.created:
                messages.success(
                    request,
                    f"{upload.name}: imported; {counted(result.matched, 'line', 'lines')} matched automatically.",
                )
            else:
                messages.warning(request, f"{upload.name} was imported before; nothing was added.")
            return redirect(LISTING)
    return TemplateResponse(request, "finance/admin/statement_import.html", {"form": form, "row_errors": row_errors})


def bank_transaction_match_view(request, pk):
    if not request.user.has_perm("finance.change_banktransaction"):
        raise PermissionDenied
    bank_transaction = get_object_or_404(BankTransaction.objects.select_related("bank_account"), pk=pk)
    candidates = list(candidate_lines(bank_transaction, days=31)[:50])
    if request.method == "POST":
        line = next((c for c in candidates if str(c.pk) == request.POST.get("line")), None)
        if line is None:
            messages.error(request, "Choose one of the ledger lines listed.")
        else:
            try:
                bank_transaction_reconcile(bank_transaction=bank_transaction, line=line, by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Matched.")
                return redirect(LISTING)
    return TemplateResponse(
        request,
        "finance/admin/bank_match.html",
        {"bank_transaction": bank_transaction, "candidates": candidates, "cancel_url": reverse(LISTING)},
    )


@downloads_from_replica()
def unreconciled_view(request):
    if not request.user.has_perm("finance.view_banktransaction"):
        raise PermissionDenied
    today = timezone.localdate()
    accounts = BankAccount.objects.filter(active=True)
    account = (
        accounts.filter(pk=request.GET.get("bank_account") or None).first()
        if request.GET.get("bank_account")
        else accounts.first()
    )
    try:
        start = datetime.date.fromisoformat(request.GET.get("start") or "")
    except ValueError:
        start = today.replace(day=1)
    try:
        end = datetime.date.fromisoformat(request.GET.get("end") or "")
    except ValueError:
        end = today
    report = unreconciled_report(bank_account=account, start=start, end=end) if account else None
    if report is not None:
        download = list_export(
            request=request,
            title=f"Unreconciled items, {account.name}",
            covers=f"{start:%d %b %Y} to {end:%d %b %Y}",
            sections=[
                Section(
                    "On the statement, not in the books",
                    ["Date", "Reference", "Description", "Amount"],
                    [[t.date, t.reference, t.description, t.amount] for t in report.statement_lines],
                ),
                Section(
                    "In the books, not on a statement",
                    ["Date", "Entry", "Description", "Amount"],
                    [
                        [line.date, line.entry.source, line.description or line.entry.memo, line.debit - line.credit]
                        for line in report.ledger_lines
                    ],
                ),
            ],
            filename=f"unreconciled-{start}-{end}",
        )
        if download is not None:
            return download
    return TemplateResponse(
        request,
        "finance/admin/unreconciled.html",
        {
            "report": report,
            "accounts": accounts,
            "account": account,
            "start": start,
            "end": end,
            "query": f"bank_account={account.pk}&start={start}&end={end}" if account else "",
        },
    )
