"""Admin for membership exits and deaths (issue 16): the list of exits with their next action (prepare, approve),
the payables with *Pay*, and the forms to take a notice or record a death from a member's row. Each view checks its
permission, then calls the service in membership_exit.py / member_death.py (which refuse what is not allowed: the
notice period, the guarantees, the preparer approving)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.permissions import ReadOnlyPermissionPolicy
from portal.members.models import ExitPayable, Member, MemberExit, MemberExitStatus
from portal.members.otp_views import fresh_otp_required
from portal.society.list_exports import ExportingIndexView

from .member_death import member_death_record
from .membership_exit import exit_notice_give, exit_refund_pay, exit_settlement_approve, exit_settlement_prepare

EXITS = "wagtailsnippets_members_memberexit:list"
PAYABLES = "wagtailsnippets_members_exitpayable:list"


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _page(request, *, title, intro, form, cancel, button):
    return TemplateResponse(
        request,
        "loans/admin/action.html",
        {"title": title, "intro": intro, "form": form, "cancel_url": reverse(cancel), "button": button},
    )


def _errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class NoticeForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Member.objects.exclude(status="exited"), to_field_name="membership_number")
    reason = forms.CharField(max_length=255, required=False)


class DeathForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Member.objects.exclude(status="exited"), to_field_name="membership_number")
    died_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    document = forms.FileField(required=False, help_text="The death certificate or burial permit.")


class PrepareForm(forms.Form):
    share_capital = forms.ChoiceField(choices=[("transfer", "Transfer to another member"), ("refund", "Refund")])
    share_receiver = forms.ModelChoiceField(
        queryset=Member.objects.filter(status="active"), required=False, to_field_name="membership_number"
    )


class PayForm(forms.Form):
    reference = forms.CharField(max_length=100)
    bank_account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True), empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        primary = bank_account_primary()
        self.fields["bank_account"].initial = primary.pk if primary else None


def exit_notice_view(request):
    _require(request, "members.give_exit_notice")
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exit_notice_give(member=form.cleaned_data["member"], by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Notice recorded; the settlement can be prepared when the notice period ends.")
            return redirect(EXITS)
    return _page(
        request, title="Exit notice", intro="Record a member's notice to leave.", form=form, cancel=EXITS, button="Save"
    )


def death_record_view(request):
    _require(request, "members.record_death")
    form = DeathForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_death_record(
                member=form.cleaned_data["member"],
                died_on=form.cleaned_data["died_on"],
                document=form.cleaned_data.get("document"),
                by=request.user,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Death recorded; the settlement can be prepared.")
            return redirect(EXITS)
    return TemplateResponse(
        request,
        "loans/admin/action_upload.html",
        {
            "title": "Record a death",
            "intro": "The date of death and the certificate or burial permit.",
            "form": form,
            "cancel_url": reverse(EXITS),
            "button": "Save",
        },
    )


def exit_prepare_view(request, pk):
    _require(request, "members.prepare_exit_settlement")
    record = get_object_or_404(MemberExit.objects.select_related("member__user"), pk=pk)
    form = PrepareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exit_settlement_prepare(
                member_exit=record,
                by=request.user,
                share_capital=form.cleaned_data["share_capital"],
                share_receiver=form.cleaned_data["share_receiver"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, "Settlement prepared; another person approves it.")
            return redirect(EXITS)
    intro = f"Prepare the settlement of {record.member} ({record.get_kind_display().lower()})."
    return _page(request, title="Prepare settlement", intro=intro, form=form, cancel=EXITS, button="Prepare")


@fresh_otp_required
def exit_approve_view(request, pk):
    _require(request, "members.approve_exit_settlement")
    record = get_object_or_404(MemberExit.objects.select_related("member__user"), pk=pk)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            exit_settlement_approve(member_exit=record, by=request.user)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"Settlement posted; {record.member.membership_number} has exited.")
            return redirect(EXITS)
    intro = (
        f"{record.member}: deposits KES {record.deposits:,.2f}, loans offset KES {record.loans_offset:,.2f}, "
        f"insurance claim KES {record.insurance_cleared:,.2f}, loans left KES {record.loans_left:,.2f}, "
        f"refund payable KES {record.refund_payable:,.2f}, share capital KES {record.share_capital:,.2f} "
        f"({record.share_capital_treatment}{' to ' + str(record.share_receiver) if record.share_receiver else ''})."
    )
    return _page(request, title="Approve settlement", intro=intro, form=form, cancel=EXITS, button="Approve and post")


@fresh_otp_required
def exit_payable_pay_view(request, pk):
    _require(request, "members.pay_exit_refund")
    payable = get_object_or_404(ExitPayable.objects.select_related("member_exit__member"), pk=pk)
    form = PayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exit_refund_pay(
                payable=payable,
                by=request.user,
                reference=form.cleaned_data["reference"],
                bank_account=form.cleaned_data["bank_account"],
                date=timezone.localdate(),
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"Paid KES {payable.amount:,.2f} to {payable.payee}.")
            return redirect(PAYABLES)
    intro = f"Pay KES {payable.amount:,.2f} to {payable.payee} ({payable.member_exit.member.membership_number})."
    return _page(request, title="Pay refund", intro=intro, form=form, cancel=PAYABLES, button="Pay")


class ExitIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        user = self.request.user
        if instance.status != MemberExitStatus.SETTLED and user.has_perm("members.prepare_exit_settlement"):
            url = reverse("loans_exit_prepare", args=[instance.pk])
            buttons.append(ListingMenuItem("Prepare settlement", url=url, icon_name="edit"))
        if instance.status == MemberExitStatus.PREPARED and user.has_perm("members.approve_exit_settlement"):
            url = reverse("loans_exit_approve", args=[instance.pk])
            buttons.append(ListingMenuItem("Approve settlement", url=url, icon_name="tick"))
        return buttons

    def get_header_more_buttons(self):
        buttons = list(super().get_header_more_buttons())
        if self.request.user.has_perm("members.give_exit_notice"):
            buttons.append(
                Button("Record exit notice", url=reverse("loans_exit_notice"), icon_name="plus", priority=10)
            )
        if self.request.user.has_perm("members.record_death"):
            buttons.append(Button("Record a death", url=reverse("loans_death_record"), icon_name="plus", priority=20))
        return buttons


class PayableIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.paid_on is None and self.request.user.has_perm("members.pay_exit_refund"):
            url = reverse("loans_exit_payable_pay", args=[instance.pk])
            buttons.append(ListingMenuItem("Pay", url=url, icon_name="arrow-up"))
        return buttons


class MemberExitViewSet(SnippetViewSet):
    model = MemberExit
    index_view_class = ExitIndexView
    permission_policy = ReadOnlyPermissionPolicy(MemberExit)
    icon = "logout"
    menu_label = "Exits and deaths"
    inspect_view_enabled = True
    list_display = ["member", "kind", "status", "notice_given_on", "settle_from", "refund_payable", "loans_left"]
    list_filter = ["kind", "status"]
    list_export = [
        "member.membership_number",
        "kind",
        "status",
        "notice_given_on",
        "settle_from",
        "died_on",
        "deposits",
        "share_capital",
        "loans_offset",
        "insurance_cleared",
        "loans_left",
        "refund_payable",
    ]
    export_filename = "membership-exits"

    def get_queryset(self, request):
        return MemberExit.objects.select_related("member__user")


class ExitPayableViewSet(SnippetViewSet):
    model = ExitPayable
    index_view_class = PayableIndexView
    permission_policy = ReadOnlyPermissionPolicy(ExitPayable)
    icon = "arrow-up"
    menu_label = "Exit refunds"
    list_display = ["payee", "member_exit", "share_percent", "amount", "paid_on", "reference"]
    list_export = ["payee", "member_exit.member.membership_number", "share_percent", "amount", "paid_on", "reference"]
    export_filename = "exit-refunds"

    def get_queryset(self, request):
        return ExitPayable.objects.select_related("member_exit__member__user")
