"""Wagtail admin pages for savings: check-off import (upload → preview → confirm), bulk entry, reversal, the
missing and incomplete lists and the contribution report. Each checks permission, then calls a service."""

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.periods.guard import PeriodClosed, period_guard
from portal.members.models import Member
from portal.society.file_reader import FileRejected, limits_help_text, upload_read
from portal.society.money import format_money, to_cents
from portal.society.tabular import (
    Section,
    TabularReport,
    downloads_from_replica,
    export_requested,
    tabular_response,
)
from portal.society.wording import counted

from .checkoff import CheckoffFileError, checkoff_post, checkoff_preview, sha256_of
from .checkoff_runs import checkoff_run_start
from .checkoff_uploads import checkoff_upload_keep, checkoff_upload_read
from .models import CheckoffImport, CheckoffRun, MonthlyContribution, ShareCapitalPayment
from .periods import InvalidPeriod, format_period, parse_period, period_of
from .reminders import reminders_send
from .reports import REPORT_FORMATS, report_periods, report_response
from .rules import default_share_capital_term, share_capital_progress, share_capital_target
from .selectors import checkoff_runs_recent, contribution_report, incomplete_share_capital, missing_contributions
from .services import (
    MONTHLY,
    SHARE_CAPITAL,
    AlreadyReversed,
    PaymentItem,
    PaymentsInvalid,
    payment_reverse,
    payments_record,
    payments_validate,
)

POST_PERM = "contributions.post_payments"
REVERSE_PERM = "contributions.reverse_payments"
READ_PERM = "contributions.view_monthlycontribution"
MAX_ERRORS_SHOWN = 500


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


class PeriodField(forms.CharField):
    """A YYYY-MM month; month 13 gets a message, not a 500."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("help_text", "YYYY-MM, e.g. 2026-10")
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_period(value)
        except InvalidPeriod as exc:
            raise ValidationError(str(exc)) from exc


class CheckoffUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or XLSX with payroll_number or membership_number, share_capital, deposits, "
        "loan_repayment columns."
    )
    period = PeriodField(label="Period the deposits pay for")
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)
    received_on = forms.DateField(
        label="Date the money was received", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    below_minimum_reason = forms.CharField(
        required=False,
        max_length=255,
        help_text="Only if some deposits are below what members owe: why they are accepted (kept on each record).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        primary = bank_account_primary()
        self.fields["bank_account"].initial = primary.pk if primary else None
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["period"].initial = format_period(period_of(timezone.localdate()))
        if "file" in self.fields:
            self.fields["file"].help_text += " " + limits_help_text()

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise ValidationError("The date received cannot be in the future.")
        try:
            period_guard(dates=[day])
        except PeriodClosed as exc:
            raise ValidationError(str(exc)) from None
        return day


class CheckoffConfirmForm(CheckoffUploadForm):
    file = None
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    file_name = forms.CharField(widget=forms.HiddenInput, max_length=200)
    # From the preview; only chooses between posting now and in the background (either way every row is checked).
    row_count = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)


def checkoff_import_view(request):
    """Step 1 (GET/POST with a file): upload and preview. Step 2 (POST confirm): post the previewed file."""
    _require(request, POST_PERM)
    if request.method == "POST" and "confirm" in request.POST:
        return _checkoff_confirm(request)
    form = CheckoffUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "runs": checkoff_runs_recent()}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = upload_read(upload)
            preview = checkoff_preview(
                content=content,
                file_name=upload.name,
                period=form.cleaned_data["period"],
                below_minimum_reason=form.cleaned_data["below_minimum_reason"],
            )
        except FileRejected as exc:
            form.add_error("file", str(exc))
        except CheckoffFileError as exc:
            form.add_error("file", exc.message_dict["file"])
        else:
            sha = sha256_of(content)
            checkoff_upload_keep(sha=sha, content=content)
            data = form.cleaned_data
            confirm = CheckoffConfirmForm(
                initial={
                    "sha256": sha,
                    "file_name": upload.name,
                    "period": format_period(data["period"]),
                    "bank_account": str(data["bank_account"].pk),
                    "received_on": data["received_on"],
                    "below_minimum_reason": data["below_minimum_reason"],
                    "row_count": preview.row_count,
                }
            )
            context.update(
                preview=preview,
                confirm_form=confirm,
                errors_shown=preview.errors[:MAX_ERRORS_SHOWN],
                sample_rows=preview.rows[:20],
                bank_account=data["bank_account"],
            )
    return TemplateResponse(request, "contributions/admin/checkoff_import.html", context)


def _checkoff_confirm(request):
    form = CheckoffConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The confirmation was incomplete; upload the file again.")
        return redirect("contributions_checkoff_import")
    data = form.cleaned_data
    content = checkoff_upload_read(sha=data["sha256"])
    if content is None:
        messages.error(request, "The uploaded file is no longer available; upload it again.")
        return redirect("contributions_checkoff_import")
    if (data.get("row_count") or 0) > settings.CHECKOFF_BACKGROUND_ROWS:
        already = CheckoffImport.objects.filter(sha256=data["sha256"]).first()
        if already is not None:
            messages.warning(
                request, f"This file was already posted on {already.posted_at:%d %b %Y}; nothing was posted again."
            )
            return redirect("wagtailsnippets_contributions_checkoffimport:inspect", already.pk)
        run = checkoff_run_start(
            content=content,
            file_name=data["file_name"],
            period=data["period"],
            bank_account=data["bank_account"],
            received_on=data["received_on"],
            below_minimum_reason=data["below_minimum_reason"],
            created_by=request.user,
        )
        return redirect("contributions_checkoff_run", run.pk)
    try:
        outcome = checkoff_post(
            content=content,
            file_name=data["file_name"],
            period=data["period"],
            bank_account=data["bank_account"],
            received_on=data["received_on"],
            below_minimum_reason=data["below_minimum_reason"],
            posted_by=request.user,
        )
    except (PaymentsInvalid, CheckoffFileError, ValidationError) as exc:
        messages.error(request, "Nothing was posted: " + "; ".join(exc.messages[:20]))
        return redirect("contributions_checkoff_import")
    if outcome.created:
        messages.success(
            request,
            f"{outcome.checkoff.file_name}: {outcome.checkoff.row_count} rows posted, "
            f"KES {outcome.checkoff.total_amount:,.2f} in total.",
        )
    else:
        messages.warning(
            request, f"This file was already posted on {outcome.checkoff.posted_at:%d %b %Y}; nothing was posted again."
        )
    return redirect("wagtailsnippets_contributions_checkoffimport:inspect", outcome.checkoff.pk)


def checkoff_run_view(request, pk):
    """The progress of a file posting in the background; refreshes itself (no JavaScript) until the run ends."""
    _require(request, POST_PERM)
    run = get_object_or_404(CheckoffRun.objects.defer("content").select_related("bank_account", "checkoff"), pk=pk)
    context = {
        "run": run,
        "percent_checked": (100 * run.rows_checked // run.row_count) if run.row_count else 0,
        "refresh_seconds": 2,
    }
    return TemplateResponse(request, "contributions/admin/checkoff_run.html", context)


class BulkEntryForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(MONTHLY, "Monthly contributions"), (SHARE_CAPITAL, "Share capital")], widget=forms.RadioSelect
    )
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)
    date = forms.DateField(label="Date received", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": "MB-202401-00001, 1500, 2026-10, MPESA-QK12AB"}),
        help_text="One payment per line: membership number, amount, period (contributions only), reference. "
        "The reference makes the line safe to enter twice.",
    )
    below_minimum_reason = forms.CharField(
        required=False, max_length=255, help_text="Only for contributions below what the member owes: why."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        primary = bank_account_primary()
        self.fields["bank_account"].initial = primary.pk if primary else None
        self.fields["date"].initial = timezone.localdate()
        self.fields["kind"].initial = MONTHLY


@dataclass
class CounterLine:
    """One line of a counter entry as the preview shows it: who, how much, for what, what it posts, and its
    problems (none when it can be posted)."""

    line: int
    text: str
    member: Member | None = None
    member_label: str = ""
    amount: Decimal | None = None
    period: datetime.date | None = None
    reference: str = ""
    posts: str = ""
    already_posted: bool = False
    problems: list[str] = field(default_factory=list)


def _parse_lines(
    text: str, kind: str, day: datetime.date, reason: str, *, nonce: str = ""
) -> tuple[list[PaymentItem], list[CounterLine]]:
    """The lines as payment items, and a preview line for each non-blank line (its shape problems named).

    A line without a reference gets one made of the preview's `nonce` and its line number, so confirming the
    same preview twice (a double click, a refresh) posts it once: the ledger refuses a reference twice."""
    numbers = set()
    parsed = []
    lines: list[CounterLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        expected = 4 if kind == MONTHLY else 3
        counter_line = CounterLine(line=number, text=line.strip())
        lines.append(counter_line)
        if len(parts) != expected:
            what = "number, amount, period, reference" if kind == MONTHLY else "number, amount, reference"
            counter_line.problems.append(f"Expected {expected} values ({what}), found {len(parts)}.")
            counter_line.member_label = parts[0]
            continue
        if nonce and not parts[-1]:
            parts[-1] = f"counter-{nonce}-{number}"
        parsed.append((number, parts))
        numbers.add(parts[0].upper())
    members = {
        m.membership_number: m for m in Member.objects.filter(membership_number__in=numbers).select_related("user")
    }
    items = []
    for number, parts in parsed:
        if kind == MONTHLY:
            member_number, amount, period, reference = parts
        else:
            member_number, amount, reference = parts
            period = None
        items.append(
            PaymentItem(
                members.get(member_number.upper()),
                amount,
                period,
                day,
                reference,
                reason,
                row=number,
                member_label=member_number,
            )
        )
    return items, lines


def _counter_preview(
    *, kind: str, items: list[PaymentItem], lines: list[CounterLine], bank_account: BankAccount
) -> list[CounterLine]:
    """Each line with what it will post and its problems, checked by the same rules as posting
    (`payments_validate`); a line whose reference was posted before for the same payment is skipped, and says so."""
    by_line = {c.line: c for c in lines}
    checked = payments_validate(kind=kind, items=items)
    model = MonthlyContribution if kind == MONTHLY else ShareCapitalPayment
    references = [c.item.reference.strip() for c in checked if c.item.reference.strip()]
    posted = set(
        model.objects.filter(reference__in=references).values_list(
            "reference", "member_id", "amount", *(["period"] if kind == MONTHLY else [])
        )
    )
    into = "the member's deposits (2000)" if kind == MONTHLY else "the member's share capital (3000)"
    for c in checked:
        line = by_line[c.item.row]
        line.member, line.member_label = c.item.member, c.item.member_label
        line.reference = c.item.reference.strip()
        line.problems += [f"{e.field.capitalize()}: {e.message}" for e in c.errors]
        if not any(e.field == "amount" and "below the" not in e.message for e in c.errors):
            line.amount = c.amount
        line.period = c.period
        if c.errors:
            continue
        key = (line.reference, c.item.member.pk, c.amount, *([c.period] if kind == MONTHLY else []))
        line.already_posted = key in posted
        period = f" for {format_period(c.period)}" if kind == MONTHLY else ""
        line.posts = f"{format_money(c.amount)}: debit {bank_account.name}, credit {into}{period}."
    return lines


class CounterConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


COUNTER_SALT = "contributions.counter-payments"
COUNTER_TOKEN_AGE = 24 * 3600


def _counter_token(*, data: dict, user) -> str:
    """What the preview showed, signed: confirming posts exactly that, and only for whoever previewed it."""
    return signing.dumps(
        {
            "user": str(user.pk),
            "nonce": secrets.token_hex(6),
            "kind": data["kind"],
            "bank_account": str(data["bank_account"].pk),
            "date": data["date"].isoformat(),
            "lines": data["lines"],
            "reason": data["below_minimum_reason"],
        },
        salt=COUNTER_SALT,
        compress=True,
    )


def _counter_confirm(request):
    """Post what the signed preview holds. Its references (made from the preview's nonce where a line had none)
    make a second confirm of the same preview post nothing."""
    form = CounterConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise signing.BadSignature
        token = signing.loads(form.cleaned_data["token"], salt=COUNTER_SALT, max_age=COUNTER_TOKEN_AGE)
        if token["user"] != str(request.user.pk):
            raise signing.BadSignature
        bank_account = BankAccount.objects.get(pk=token["bank_account"], active=True)
        day = datetime.date.fromisoformat(token["date"])
    except (signing.BadSignature, BankAccount.DoesNotExist, KeyError, ValueError):
        messages.error(request, "The preview has expired or was changed; enter the payments again.")
        return redirect("contributions_bulk_entry")
    kind = token["kind"]
    items, _lines = _parse_lines(token["lines"], kind, day, token["reason"], nonce=token["nonce"])
    try:
        results = payments_record(
            kind=kind, items=items, recorded_by=request.user, source="bulk", bank_account=bank_account
        )
    except ValidationError:
        # Something changed since the preview (a payment posted meanwhile, a member who left): the lines come back
        # with the preview naming each problem.
        messages.error(request, "Nothing was posted: the lines changed since the preview. Check them again.")
        again = BulkEntryForm(
            {
                "kind": kind,
                "bank_account": bank_account.pk,
                "date": day.isoformat(),
                "lines": token["lines"],
                "below_minimum_reason": token["reason"],
            }
        )
        return _counter_page(request, again)
    created = sum(1 for r in results if r.created)
    if created:
        messages.success(
            request,
            f"{counted(created, 'payment', 'payments')} posted"
            + (f"; {len(results) - created} were already posted and were skipped." if created < len(results) else "."),
        )
    else:
        messages.warning(request, "These payments were already posted; nothing was posted again.")
    target = "monthlycontribution" if kind == MONTHLY else "sharecapitalpayment"
    return redirect(f"wagtailsnippets_contributions_{target}:list")


def bulk_entry_view(request):
    """C3: many contributions or share payments at once. Enter → preview (every line: member, amount, period, what
    it posts, its problems) → confirm posts them all or none, once (idempotent by reference)."""
    _require(request, POST_PERM)
    if request.method == "POST" and "confirm" in request.POST:
        return _counter_confirm(request)
    return _counter_page(request, BulkEntryForm(request.POST or None))


def _counter_page(request, form: BulkEntryForm):
    """The entry form and, once it is filled in, the preview of every line (with the confirm button when no line
    has a problem)."""
    context: dict = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["date"] > timezone.localdate():
            form.add_error("date", "The date received cannot be in the future.")
        else:
            token = _counter_token(data=data, user=request.user)
            nonce = signing.loads(token, salt=COUNTER_SALT)["nonce"]
            items, lines = _parse_lines(
                data["lines"], data["kind"], data["date"], data["below_minimum_reason"], nonce=nonce
            )
            if not lines:
                form.add_error("lines", "There are no payments to post.")
            else:
                lines = _counter_preview(kind=data["kind"], items=items, lines=lines, bank_account=data["bank_account"])
                problems = sum(1 for line in lines if line.problems)
                to_post = [line for line in lines if not line.problems and not line.already_posted]
                context.update(
                    lines=lines,
                    problems=problems,
                    to_post=len(to_post),
                    skipped=sum(1 for line in lines if line.already_posted),
                    total=sum((line.amount for line in to_post), Decimal("0.00")),
                    bank_account=data["bank_account"],
                    confirm_form=CounterConfirmForm(initial={"token": token}) if not problems else None,
                )
    return TemplateResponse(request, "contributions/admin/bulk_entry.html", context)


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Why this payment is reversed; kept on the reversing entry.")


def _reverse_view(request, pk, model, list_name):
    _require(request, REVERSE_PERM)
    payment = get_object_or_404(model.objects.select_related("member__user", "entry"), pk=pk)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment_reverse(payment=payment, reason=form.cleaned_data["reason"], reversed_by=request.user)
        except AlreadyReversed as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request, f"Reversed: {payment}. The original entry stays in the journal beside its contra."
            )
        return redirect(list_name)
    siblings = payment.entry.lines.exclude(member=None).count()
    return TemplateResponse(
        request,
        "contributions/admin/reverse.html",
        {"payment": payment, "form": form, "cancel_url": reverse(list_name), "whole_row": siblings > 1},
    )


def contribution_reverse_view(request, pk):
    return _reverse_view(request, pk, MonthlyContribution, "wagtailsnippets_contributions_monthlycontribution:list")


def share_capital_reverse_view(request, pk):
    return _reverse_view(request, pk, ShareCapitalPayment, "wagtailsnippets_contributions_sharecapitalpayment:list")


def missing_export(*, period: datetime.date) -> tuple[TabularReport, str]:
    """C2's list as a file: the report and its file name (also what a background export job writes)."""
    rows = missing_contributions(period=period)
    section = Section(
        f"Short for {format_period(period)}",
        ["Membership number", "Name", "Employer", "Payroll number", "Phone", "Due", "Paid"],
        [
            [
                m.membership_number,
                m.user.get_full_name(),
                m.employer,
                m.payroll_number,
                m.phone_number,
                to_cents(str(m.due)),
                to_cents(str(m.paid)),
            ]
            for m in rows
        ],
    )
    report = TabularReport("Missing contributions", format_period(period), [section], timezone.now())
    return report, f"missing-contributions-{format_period(period)}"


def _with_progress(members):
    target = share_capital_target()
    default_term = default_share_capital_term()
    for member in members:
        schedule = getattr(member, "contribution_schedule", None)
        term = schedule.share_capital_term_months if schedule else default_term
        yield member, share_capital_progress(paid=member.paid, term_months=term, target=target)


def incomplete_export() -> tuple[TabularReport, str]:
    """C1's list as a file: the report and its file name (also what a background export job writes)."""
    section = Section(
        "Below the share capital target",
        ["Membership number", "Name", "Paid", "Completion (%)", "Term (months)", "Instalment", "Remaining"],
        [
            [
                m.membership_number,
                m.user.get_full_name(),
                p.paid,
                p.completion_percent,
                p.term_months,
                p.instalment,
                p.remaining,
            ]
            for m, p in _with_progress(incomplete_share_capital())
        ],
    )
    covers = f"target KES {share_capital_target():,.2f}"
    return TabularReport("Incomplete share capital", covers, [section], timezone.now()), "incomplete-share-capital"


def _list_download(
    request, kind: str, params: dict, build: Callable[[], tuple[TabularReport, str]], count: Callable[[], int]
):
    """`?export=csv|xlsx` on a list page: the file at once, or — above EXPORT_BACKGROUND_ROWS rows, counted by a
    COUNT query, not by building it — an export job in the reports app (a URL, not an import: reports sits above
    contributions); None to show the page."""
    output = export_requested(request)
    if output is None:
        return None
    if count() > settings.EXPORT_BACKGROUND_ROWS:
        query = urlencode({"export": kind, "format": output, **params})
        return redirect(f"{reverse('reports_export_start')}?{query}")
    report, filename = build()
    return tabular_response(report, output=output, filename=filename)


def _period_from(request) -> tuple[datetime.date, str]:
    text = request.GET.get("period") or format_period(period_of(timezone.localdate()))
    try:
        return parse_period(text), ""
    except InvalidPeriod as exc:
        return period_of(timezone.localdate()), str(exc)


@downloads_from_replica()
def missing_view(request):
    """C2: who has not paid enough for a period; POST sends them reminders (C6)."""
    _require(request, READ_PERM)
    period, error = _period_from(request)
    if request.method == "POST":
        _require(request, "contributions.add_contributionreminder")
        sent = reminders_send(period=period)
        messages.success(request, f"{counted(sent, 'reminder', 'reminders')} sent for {format_period(period)}.")
        return redirect(f"{reverse('contributions_missing')}?period={format_period(period)}")
    rows = missing_contributions(period=period)
    download = _list_download(
        request,
        "missing_contributions",
        {"period": format_period(period)},
        lambda: missing_export(period=period),
        rows.count,
    )
    if download is not None:
        return download
    members = Paginator(rows, 100).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "contributions/admin/missing.html",
        {
            "members": members,
            "period": format_period(period),
            "period_error": error,
            "query": f"period={format_period(period)}",
        },
    )


@downloads_from_replica()
def incomplete_view(request):
    """C1: members below the share capital target, lowest first."""
    _require(request, READ_PERM)

    target = share_capital_target()
    download = _list_download(
        request, "incomplete_share_capital", {}, incomplete_export, lambda: incomplete_share_capital().count()
    )
    if download is not None:
        return download
    page = Paginator(incomplete_share_capital(), 100).get_page(request.GET.get("page"))
    rows = list(_with_progress(page))
    return TemplateResponse(
        request, "contributions/admin/incomplete.html", {"page": page, "rows": rows, "target": target}
    )


@downloads_from_replica(param="format", formats=REPORT_FORMATS)
def report_view(request):
    """C7: contributions for a month or a quarter, on screen or as CSV, XLSX or PDF."""
    _require(request, READ_PERM)
    try:
        periods, title = report_periods(
            kind=request.GET.get("kind", "monthly"),
            period=request.GET.get("period") or format_period(period_of(timezone.localdate())),
            year=request.GET.get("year"),
            quarter=request.GET.get("quarter"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        periods, title = report_periods(kind="monthly", period=format_period(period_of(timezone.localdate())))
    report = contribution_report(periods=periods, title=title)
    output = request.GET.get("format")
    if output in REPORT_FORMATS:
        if len(report.rows) > settings.EXPORT_BACKGROUND_ROWS:
            # Too many rows to build while the browser waits: the reports app's export jobs build it in the
            # background (a URL, not an import: reports sits above contributions).
            # The job gets the months this page actually reported (its default month, or the fallback after a bad
            # parameter), not the raw query: an empty `period` would be "not a period" in the job.
            query = request.GET.copy()
            for name in ("kind", "period", "year", "quarter"):
                query.pop(name, None)
            if len(periods) == 1:
                query.update({"kind": "monthly", "period": format_period(periods[0])})
            else:
                year, quarter = periods[0].year, (periods[0].month - 1) // 3 + 1
                query.update({"kind": "quarterly", "year": str(year), "quarter": str(quarter)})
            query["export"] = "contributions"
            return redirect(f"{reverse('reports_export_start')}?{query.urlencode()}")
        return report_response(report=report, output=output)
    query = request.GET.copy()
    query.pop("format", None)
    return TemplateResponse(
        request,
        "contributions/admin/report.html",
        {"report": report, "query": query.urlencode(), "formats": REPORT_FORMATS, "params": request.GET},
    )
