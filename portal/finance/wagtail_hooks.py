"""Admin for the ledger: the chart of accounts, the journal (read only: nothing posted is edited) and the
trial balance."""

from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_date
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.log_actions import log
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, SnippetViewSet, SnippetViewSetGroup

from portal.society.admin_edit import ServiceEditView
from portal.society.list_exports import ExportingIndexView
from portal.society.money_fields import MoneyFormField
from portal.society.private_files import private_file_response
from portal.society.tabular import Section, downloads_from_replica, list_export

from .banking import admin_views as banking_admin_views
from .banking.models import BankAccount, BankTransaction
from .banking.services import bank_account_create, bank_account_update
from .cashbook.batches import BatchNotProcessable, batch_process
from .cashbook.models import BatchItem, ExpenseCategory, IncomeCategory, SaccoExpense, SaccoIncome, TransactionBatch
from .cashbook.services import (
    expense_category_create,
    expense_category_update,
    expense_record,
    income_category_create,
    income_category_update,
    income_record,
)
from .ledger.accounts import account_update
from .ledger.chain import chain_head
from .ledger.models import Account, JournalEntry, JournalLine
from .ledger.selectors import chain_month_ends, trial_balance
from .periods import admin_views as periods_admin_views
from .permissions import ReadOnlyPermissionPolicy
from .yearend.admin import SurplusAppropriationViewSet, YearCloseViewSet  # registers its admin URLs too


class AccountEditView(ServiceEditView):
    """Saving goes through `account_update`: the chart's checks and the audit entry live there."""

    def call_service(self, *, instance, data, by):
        return account_update(
            account=instance,
            code=data["code"],
            name=data["name"],
            account_type=data["type"],
            parent=data.get("parent"),
            is_contra=data.get("is_contra", False),
            active=data.get("active", False),
            by=by,
        )


class AccountViewSet(SnippetViewSet):
    model = Account
    index_view_class = ExportingIndexView
    edit_view_class = AccountEditView
    icon = "list-ul"
    menu_label = "Chart of accounts"
    list_display = ["code", "name", "type", "is_contra", "active"]
    list_filter = ["type", "active"]
    search_fields = ["code", "name"]
    list_export = ["code", "name", "type", "is_contra", "active"]
    export_filename = "chart-of-accounts"
    panels = [
        FieldPanel("code"),
        FieldPanel("name"),
        FieldPanel("type"),
        FieldPanel("parent"),
        FieldPanel("is_contra"),
        FieldPanel("active"),
    ]


class JournalEntryViewSet(SnippetViewSet):
    """Posted entries, read only: corrections are reversals made by the services."""

    model = JournalEntry
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(JournalEntry)
    icon = "doc-full-inverse"
    menu_label = "Journal"
    inspect_view_enabled = True
    list_display = ["date", "memo", "source", "idempotency_key", "posted_by", "reversal_of"]
    list_filter = ["date"]
    search_fields = ["memo", "idempotency_key", "source"]
    list_export = ["date", "memo", "source", "idempotency_key", "posted_by.email", "posted_at"]
    export_filename = "journal"
    inspect_view_fields = ["date", "memo", "source", "idempotency_key", "posted_by", "posted_at", "reversal_of"]


class JournalLineViewSet(SnippetViewSet):
    model = JournalLine
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(JournalLine)
    icon = "list-ol"
    menu_label = "Journal lines"
    list_display = ["entry", "account", "debit", "credit", "member"]
    list_filter = ["account"]
    list_export = ["entry.date", "entry.memo", "account.code", "debit", "credit", "member.membership_number"]
    export_filename = "journal-lines"

    def get_queryset(self, request):
        return JournalLine.objects.select_related("entry", "account", "member")


class BankAccountCreateView(CreateView):
    """New bank accounts go through `bank_account_create`, which opens their ledger account."""

    def save_instance(self):
        data = self.form.cleaned_data
        instance = bank_account_create(
            name=data["name"],
            kind=data["kind"],
            bank_name=data.get("bank_name", ""),
            branch=data.get("branch", ""),
            account_number=data.get("account_number", ""),
        )
        log(instance=instance, action="wagtail.create", content_changed=True)
        return instance


class BankAccountEditView(ServiceEditView):
    """Saving goes through `bank_account_update`: the same checks as creating one, and the audit entry."""

    def call_service(self, *, instance, data, by):
        return bank_account_update(
            bank_account=instance,
            name=data["name"],
            kind=data["kind"],
            bank_name=data.get("bank_name", ""),
            branch=data.get("branch", ""),
            account_number=data.get("account_number", ""),
            by=by,
        )


class BankAccountViewSet(SnippetViewSet):
    model = BankAccount
    index_view_class = ExportingIndexView
    icon = "home"
    menu_label = "Bank accounts"
    add_view_class = BankAccountCreateView
    edit_view_class = BankAccountEditView
    list_display = ["name", "kind", "bank_name", "account_number", "ledger_account", "is_primary", "active"]
    list_filter = ["kind", "active"]
    list_export = ["name", "kind", "bank_name", "branch", "account_number", "ledger_account.code", "is_primary"]
    export_filename = "bank-accounts"
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("bank_name"),
        FieldPanel("branch"),
        FieldPanel("account_number"),
    ]


class _CategoryCreateView(CreateView):
    service = None

    def save_instance(self):
        instance = type(self).service(name=self.form.cleaned_data["name"])
        log(instance=instance, action="wagtail.create", content_changed=True)
        return instance


class ExpenseCategoryCreateView(_CategoryCreateView):
    service = staticmethod(expense_category_create)


class IncomeCategoryCreateView(_CategoryCreateView):
    service = staticmethod(income_category_create)


class _CategoryEditView(ServiceEditView):
    """Renaming goes through the category's service: the same checks as creating one, and the audit entry."""

    service = None

    def call_service(self, *, instance, data, by):
        return type(self).service(category=instance, name=data["name"], by=by)


class ExpenseCategoryEditView(_CategoryEditView):
    service = staticmethod(expense_category_update)


class IncomeCategoryEditView(_CategoryEditView):
    service = staticmethod(income_category_update)


class ExpenseCategoryViewSet(SnippetViewSet):
    """Each category opens its own expense account under 5000."""

    model = ExpenseCategory
    index_view_class = ExportingIndexView
    icon = "tag"
    menu_label = "Expense categories"
    add_view_class = ExpenseCategoryCreateView
    edit_view_class = ExpenseCategoryEditView
    list_display = ["name", "ledger_account", "active"]
    list_export = ["name", "ledger_account.code", "active"]
    panels = [FieldPanel("name")]


class IncomeCategoryViewSet(SnippetViewSet):
    model = IncomeCategory
    index_view_class = ExportingIndexView
    icon = "tag"
    menu_label = "Income categories"
    add_view_class = IncomeCategoryCreateView
    edit_view_class = IncomeCategoryEditView
    list_display = ["name", "ledger_account", "active"]
    list_export = ["name", "ledger_account.code", "active"]
    panels = [FieldPanel("name")]


class _CashbookCreateView(CreateView):
    """Expenses and income are posted by their service (a balanced entry); afterwards they are read only."""

    def save_instance(self):
        data = self.form.cleaned_data
        counterparty = {"payee": data.get("payee")} if "payee" in data else {"payer": data.get("payer")}
        service = expense_record if self.model is SaccoExpense else income_record
        instance, _ = service(
            category=data["category"],
            amount=data["amount"],
            transaction_cost=data.get("transaction_cost") or "0",
            bank_account=data["bank_account"],
            date=data["date"],
            description=data["description"],
            reference=data.get("reference", ""),
            receipt=data.get("receipt") or None,
            recorded_by=self.request.user,
            **counterparty,
        )
        log(instance=instance, action="wagtail.create", content_changed=True)
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            # As portal.society.admin_edit: Wagtail's form_invalid reads these (unset after a valid form: a 500).
            self.produced_error_code = "invalid"
            self.produced_error_message = " ".join(exc.messages)
            return self.form_invalid(form)


class CreateOnlyPermissionPolicy(ReadOnlyPermissionPolicy):
    """Posted records: created through their service, never edited or deleted."""

    WRITE_ACTIONS = {"change", "delete", "publish", "lock", "unlock"}


class CashbookForm(WagtailAdminModelForm):
    """Amounts through the one money parser (society.money.parse_amount), like the API and the file imports."""

    amount = MoneyFormField()
    transaction_cost = MoneyFormField(required=False, allow_zero=True, help_text="Bank or M-Pesa charges, if any.")


CASHBOOK_PANELS = [
    "category",
    "amount",
    "transaction_cost",
    "bank_account",
    "date",
    "description",
    "reference",
    "receipt",
]


class ReceiptIndexView(ExportingIndexView):
    """Cashbook list: a *Receipt* button on rows that have one."""

    kind = ""

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.receipt:
            buttons.append(
                ListingMenuItem(
                    "Receipt", url=reverse("finance_receipt", args=[self.kind, instance.pk]), icon_name="doc-full"
                )
            )
        return buttons


class ExpenseIndexView(ReceiptIndexView):
    kind = "expense"


class IncomeIndexView(ReceiptIndexView):
    kind = "income"


class SaccoExpenseViewSet(SnippetViewSet):
    model = SaccoExpense
    permission_policy = CreateOnlyPermissionPolicy(SaccoExpense)
    index_view_class = ExpenseIndexView
    add_view_class = _CashbookCreateView
    icon = "arrow-up"
    menu_label = "Expenses"
    inspect_view_enabled = True
    list_display = ["date", "category", "payee", "amount", "transaction_cost", "reference"]
    list_filter = ["category", "date", "bank_account"]
    search_fields = ["payee", "description", "reference"]
    list_export = ["date", "category.name", "payee", "description", "amount", "transaction_cost", "reference"]
    export_filename = "expenses"
    edit_handler = ObjectList([FieldPanel(name) for name in ["payee", *CASHBOOK_PANELS]], base_form_class=CashbookForm)


class SaccoIncomeViewSet(SnippetViewSet):
    model = SaccoIncome
    permission_policy = CreateOnlyPermissionPolicy(SaccoIncome)
    index_view_class = IncomeIndexView
    add_view_class = _CashbookCreateView
    icon = "arrow-down"
    menu_label = "Income"
    inspect_view_enabled = True
    list_display = ["date", "category", "payer", "amount", "transaction_cost", "reference"]
    list_filter = ["category", "date", "bank_account"]
    search_fields = ["payer", "description", "reference"]
    list_export = ["date", "category.name", "payer", "description", "amount", "transaction_cost", "reference"]
    export_filename = "income"
    edit_handler = ObjectList([FieldPanel(name) for name in ["payer", *CASHBOOK_PANELS]], base_form_class=CashbookForm)


class BatchIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.status != "processed" and self.request.user.has_perm("finance.process_transactionbatch"):
            buttons.append(
                ListingMenuItem("Process", url=reverse("finance_batch_process", args=[instance.pk]), icon_name="check")
            )
        return buttons


class TransactionBatchViewSet(SnippetViewSet):
    """Batches are created through the API and processed there or with the *Process* button; never edited."""

    model = TransactionBatch
    permission_policy = ReadOnlyPermissionPolicy(TransactionBatch)
    index_view_class = BatchIndexView
    icon = "list-ul"
    menu_label = "Transaction batches"
    inspect_view_enabled = True
    list_display = ["name", "status", "bank_account", "created_at", "processed_at"]
    list_filter = ["status"]
    list_export = ["name", "status", "bank_account.name", "created_by.email", "created_at", "processed_at"]
    export_filename = "transaction-batches"
    inspect_view_fields = ["name", "status", "bank_account", "errors", "created_by", "created_at", "processed_at"]


class BatchItemViewSet(SnippetViewSet):
    model = BatchItem
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(BatchItem)
    icon = "list-ol"
    menu_label = "Batch lines"
    list_display = ["batch", "line", "kind", "member", "category", "amount", "reference"]
    list_filter = ["kind"]
    list_export = ["batch.name", "line", "kind", "member", "category", "amount", "period", "reference"]


class BankTransactionIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.matched_line_id is None and self.request.user.has_perm("finance.change_banktransaction"):
            url = reverse("finance_bank_match", args=[instance.pk])
            buttons.append(ListingMenuItem("Match", url=url, icon_name="link"))
        return buttons


class BankTransactionViewSet(SnippetViewSet):
    """Imported statement lines (T5), read only; unmatched ones have a *Match* button."""

    model = BankTransaction
    index_view_class = BankTransactionIndexView
    permission_policy = ReadOnlyPermissionPolicy(BankTransaction)
    icon = "link"
    menu_label = "Bank statement lines"
    list_display = ["reference", "date", "description", "amount", "bank_account", "match_method"]
    list_filter = ["bank_account", "match_method", "date"]
    search_fields = ["reference", "description"]
    list_export = ["date", "reference", "description", "amount", "bank_account.name", "match_method", "matched_at"]
    export_filename = "bank-statement-lines"
    list_per_page = 100


class LedgerGroup(SnippetViewSetGroup):
    items = (
        AccountViewSet,
        BankAccountViewSet,
        JournalEntryViewSet,
        JournalLineViewSet,
        ExpenseCategoryViewSet,
        IncomeCategoryViewSet,
        SaccoExpenseViewSet,
        SaccoIncomeViewSet,
        TransactionBatchViewSet,
        BatchItemViewSet,
        BankTransactionViewSet,
        YearCloseViewSet,
        SurplusAppropriationViewSet,
    )
    menu_icon = "doc-full-inverse"
    menu_label = "Ledger"
    menu_name = "ledger"
    menu_order = 200

    def get_submenu_items(self):
        def item(label, url_name, perm, icon, order):
            class PermissionMenuItem(MenuItem):
                def is_shown(self, request):
                    return request.user.has_perm(perm)

            return PermissionMenuItem(label, reverse_lazy(url_name), icon_name=icon, order=order)

        return [
            *super().get_submenu_items(),
            item("Import bank statement", "finance_statement_import", "finance.add_bankstatement", "upload", 950),
            item("Unreconciled items", "finance_unreconciled", "finance.view_banktransaction", "warning", 960),
            item("Periods", "finance_periods", "finance.view_accountingperiod", "date", 970),
            item("Journal hash chain", "finance_journal_chain", "finance.view_journalentry", "lock", 980),
        ]


register_snippet(LedgerGroup)


@downloads_from_replica()
def trial_balance_view(request):
    if not request.user.has_perm("finance.view_journalentry"):
        raise PermissionDenied
    as_of = parse_date(request.GET.get("as_of") or "")
    rows = trial_balance(as_of=as_of)
    total_debit, total_credit = (
        sum((r.debit for r in rows), Decimal("0.00")),
        sum((r.credit for r in rows), Decimal("0.00")),
    )
    download = list_export(
        request=request,
        title="Trial balance",
        covers=f"as of {as_of:%d %b %Y}" if as_of else "all postings",
        sections=[
            Section(
                "Trial balance",
                ["Code", "Account", "Type", "Debit", "Credit"],
                [[r.code, r.name, r.type, r.debit, r.credit] for r in rows],
                ["Total", "", "", total_debit, total_credit],
            )
        ],
        filename=f"trial-balance-{as_of or 'today'}",
    )
    if download is not None:
        return download
    return TemplateResponse(
        request,
        "wagtailadmin_custom/trial_balance.html",
        {
            "rows": rows,
            "as_of": as_of,
            "total_debit": total_debit,
            "total_credit": total_credit,
            "query": f"as_of={as_of}" if as_of else "",
        },
    )


def journal_chain_view(request):
    """Each month's last hash of the journal's hash chain (issue 18), as the AGM pack prints it; read only."""
    if not request.user.has_perm("finance.view_journalentry"):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year)
    return TemplateResponse(
        request,
        "wagtailadmin_custom/journal_chain.html",
        {"year": year, "rows": chain_month_ends(year=year), "head": chain_head(), "years": range(today.year, 1999, -1)},
    )


@hooks.register("register_admin_urls")
def finance_admin_urls():
    return [
        path("ledger/trial-balance/", trial_balance_view, name="finance_trial_balance"),
        path("ledger/chain/", journal_chain_view, name="finance_journal_chain"),
        path(
            "ledger/bank-statements/import/", banking_admin_views.statement_import_view, name="finance_statement_import"
        ),
        path(
            "ledger/bank-statements/lines/<uuid:pk>/match/",
            banking_admin_views.bank_transaction_match_view,
            name="finance_bank_match",
        ),
        path(
            "ledger/bank-statements/unreconciled/", banking_admin_views.unreconciled_view, name="finance_unreconciled"
        ),
        path("ledger/receipts/<str:kind>/<uuid:pk>/", receipt_view, name="finance_receipt"),
        path("ledger/batches/<uuid:pk>/process/", batch_process_view, name="finance_batch_process"),
        path("ledger/periods/", periods_admin_views.periods_view, name="finance_periods"),
    ]


@hooks.register("register_admin_menu_item")
def trial_balance_menu_item():
    class TrialBalanceMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perm("finance.view_journalentry")

    return TrialBalanceMenuItem("Trial balance", reverse("finance_trial_balance"), icon_name="table", order=210)


def receipt_view(request, kind, pk):
    """A stored receipt, only for staff who may view that record (receipts live in private storage)."""
    model = {"expense": SaccoExpense, "income": SaccoIncome}.get(kind)
    if model is None:
        raise Http404
    if not request.user.has_perm(f"finance.view_{model._meta.model_name}"):
        raise PermissionDenied
    record = get_object_or_404(model, pk=pk)
    if not record.receipt:
        raise Http404("This record has no receipt.")
    return private_file_response(  # a download that cannot run on our origin (issue 12)
        record.receipt.open("rb"),
        content_type=record.receipt_content_type,
        filename=f"receipt-{kind}-{record.reference or record.pk}{Path(record.receipt.name).suffix}",
    )


def batch_process_view(request, pk):
    """Confirm on GET; POST processes the batch (every line or none) and returns to the list with the outcome."""
    if not request.user.has_perm("finance.process_transactionbatch"):
        raise PermissionDenied
    batch = get_object_or_404(TransactionBatch, pk=pk)
    if request.method != "POST":
        return TemplateResponse(
            request,
            "wagtailadmin_custom/confirm_action.html",
            {
                "title": f"Process {batch.name}",
                "message": f"All {batch.items.count()} lines are posted together; if any line is wrong, none is.",
                "action_label": "Process",
                "cancel_url": reverse("wagtailsnippets_finance_transactionbatch:list"),
            },
        )
    try:
        errors = batch_process(batch=batch, processed_by=request.user)
    except BatchNotProcessable as exc:
        messages.error(request, exc.messages[0])
    else:
        if errors:
            messages.error(
                request,
                "Nothing was posted: " + "; ".join(f"line {e.line}, {e.field}: {e.message}" for e in errors[:20]),
            )
        else:
            messages.success(request, f"{batch.name}: every line posted.")
    return redirect("wagtailsnippets_finance_transactionbatch:list")
