"""Admin views shared by the approval snippets (KYC documents, loan approvals, dividend declarations, financial
statements): their list, their read-only page, their edit page and the page where a reviewer confirms a decision.

Each reads the record's `approval_summary()` (portal/workflows/summary.py), so none of them names an app."""

from collections.abc import Callable

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.models import TaskState
from wagtail.snippets.views.snippets import EditView, InspectView, WorkflowActionView

from portal.society.list_exports import ExportingIndexView

from .records import ApprovalRecord
from .services import ACTIONS
from .summary import ApprovalSummary, approval_summary_of, days_waiting_display, waiting_step, waiting_task_state

VERBS = {"approve": "approved", "reject": "rejected"}
CONFIRM = {"approve": "Confirm approval", "reject": "Confirm rejection"}

# Answers kept across the second-factor detour: the app that keeps them in the session (members' form stash)
# registers its reader here, since this generic app names no app above it.
_kept_answers_readers: list[Callable[..., QueryDict | None]] = []


def decision_kept_answers_register(reader: Callable[..., QueryDict | None]) -> None:
    """`reader(request=...)` returns the answers kept for this request's path, once, or None."""
    if reader not in _kept_answers_readers:
        _kept_answers_readers.append(reader)


def _kept_answers(request) -> QueryDict | None:
    for reader in _kept_answers_readers:
        kept = reader(request=request)
        if kept is not None:
            return kept
    return None


def summary_for(obj) -> ApprovalSummary:
    """The record's summary, computed once per request object (a list asks it for several columns)."""
    cached = getattr(obj, "_approval_summary", None)
    if cached is None:
        cached = approval_summary_of(obj)
        obj._approval_summary = cached
    return cached


def decision_url(obj, action: str) -> str:
    return reverse("workflows_decide", args=[obj._meta.app_label, obj._meta.model_name, quote(obj.pk), action])


def decided_message(obj, summary: ApprovalSummary, action: str, task_state: TaskState) -> str:
    """What the reviewer is told after a decision, naming the member (or the record), never "your …"."""
    task_state.refresh_from_db()
    if task_state.status == TaskState.STATUS_IN_PROGRESS:
        return f"Your vote to {action} {summary.title} is recorded; more approvals are needed."
    text = f"You {VERBS[action]} {summary.title} at “{task_state.task.name}”."
    step = waiting_step(obj)
    return text + (f" It now waits for: {step}." if step != "—" else "")


class FlagsColumn(Column):
    cell_template_name = "wagtailadmin_custom/approval_flags_cell.html"


class SubjectColumn(TitleColumn):
    """The member (or the record), wide enough on a phone to read a name and a membership number."""

    cell_template_name = "wagtailadmin_custom/approval_title_cell.html"

    class Media:
        css = {"all": ["css/approval_listing.css"]}  # its width: one rule a page, not a style on each row (issue 17)


class WhatColumn(Column):
    """What is asked and how much, on two lines (a phone shows it without scrolling the table)."""

    cell_template_name = "wagtailadmin_custom/approval_what_cell.html"


class ApprovalIndexView(ExportingIndexView):
    """The list of one kind of approval: who, what, how much, the rules failed, the step waiting and days waiting.
    The viewset's own list_display after its first entry follow (status, dates…)."""

    subject_label = "Member or record"  # what the summary's subject is for this kind ("Member", "Period"…)

    @property
    def columns(self):
        title = self._get_title_column_class(SubjectColumn)(
            "subject",
            label=self.subject_label,
            accessor=lambda obj: summary_for(obj).subject,
            get_url=lambda obj: self.get_edit_url(obj) or self.get_inspect_url(obj),
        )
        columns = [
            title,
            WhatColumn("what", label="For", accessor=summary_for),
            FlagsColumn("flags", label="Flags", accessor=lambda obj: summary_for(obj).flags),
            Column("step", label="Step", accessor=waiting_step),
            Column("waiting", label="Waiting", accessor=days_waiting_display),
        ]
        # The viewset's columns keep their places (the bulk-action checkbox first); its title column gives way.
        inherited = list(super().columns)
        at = next((i for i, column in enumerate(inherited) if isinstance(column, TitleColumn)), 0)
        return inherited[:at] + columns + inherited[at + 1 :]


class ApprovalInspectView(InspectView):
    """The read-only page of an approval (for roles that may read approvals but not decide them): the summary,
    the flags said about the member, and every decision so far."""

    template_name = "wagtailadmin_custom/approval_inspect.html"
    # The record's own read-only case, with `get_case_context()` in its context; it lists the decisions itself.
    case_template_name = ""
    # Or the record's own panel shown above the generic list of decisions (a KYC file, a declaration's figures).
    detail_template_name = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        state = obj.workflow_states.order_by("created_at").last()
        context.update(
            {
                "summary": summary_for(obj),
                "step": waiting_step(obj),
                "waiting": days_waiting_display(obj),
                "task_states": (
                    state.task_states.select_related("task", "finished_by").order_by("started_at") if state else []
                ),
                "case_template": self.case_template_name,
                "detail_template": self.detail_template_name,
            }
        )
        context.update(self.get_case_context())
        return context

    def get_case_context(self) -> dict:
        """More of the record for its own template (`case_template_name`); nothing by default."""
        return {}


class ReviewEditView(EditView):
    """The edit view of an approval object, where reviewers read the case and choose Approve or Reject (each opens
    the decision page, which asks for confirmation and a comment).

    Wagtail saves a new revision before running a workflow action; with WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT
    that new revision needs approving again, so the review would never finish. Reviewers change nothing (the
    panels are read-only), so a workflow action posted here runs on the submitted revision without saving one, and
    every other kind of POST (save, submit again, unpublish) is refused: a save would reset the approvals given so
    far.
    """

    def dispatch(self, request, *args, **kwargs):
        """Someone who may read but not decide (the treasurer, an auditor) following an old link is shown the
        read-only page, not "no permission"."""
        policy = self.permission_policy
        user = request.user
        if (
            policy is not None
            and self.inspect_url_name
            and not policy.user_has_permission(user, "change")
            and policy.user_has_permission(user, "view")
        ):
            return redirect(self.inspect_url_name, quote(kwargs.get("pk", args[0] if args else "")))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.action != "workflow-action":
            messages.error(request, "Nothing here is edited: use the Approve or Reject actions.")
            return redirect(self.get_success_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.form = form
        task_state = self.object.current_workflow_task_state
        summary = summary_for(self.object)
        try:
            self.workflow_action_action()
        except ValidationError as exc:
            messages.error(self.request, "; ".join(exc.messages))
            if self.workflow_action in ACTIONS:  # the decision page asks for what was missing
                return redirect(decision_url(self.object, self.workflow_action))
            return redirect(self.get_success_url())
        except PermissionDenied as exc:
            messages.error(self.request, str(exc) or "You cannot do that at this step.")
            return redirect(self.get_success_url())
        if self.workflow_action in ACTIONS:
            messages.success(self.request, decided_message(self.object, summary, self.workflow_action, task_state))
        return redirect(self.get_success_url())


def _ajax(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


class ApprovalWorkflowActionView(WorkflowActionView):
    """Wagtail's own action URL (its dashboard's buttons, an old page). Opened or posted as a plain page (a link, a
    bookmark, a form without JavaScript) it decides nothing and sends to the decision page, which asks for
    confirmation and the comment; from Wagtail's modal (its own confirmation with a comment), a decision the task
    refuses for want of a comment goes to the decision page too, instead of ending in a server error."""

    def get(self, request, *args, **kwargs):
        if not _ajax(request) and self.action_name in ACTIONS:
            return redirect(decision_url(self.object, self.action_name))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not _ajax(request) and self.action_name in ACTIONS:
            return redirect(decision_url(self.object, self.action_name))
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            url = decision_url(self.object, self.action_name)
            if _ajax(request):
                return self.render_modal_json(request, {"step": "success", "redirect": url})
            return redirect(url)


class DecisionForm(forms.Form):
    """The reviewer's comment: required to reject (the member reads it) and to approve a record that fails a rule."""

    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=1000)

    def __init__(self, *args, action: str, summary: ApprovalSummary, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["comment"]
        if action == "reject":
            field.required = True
            field.label = "Reason (the member sees it)"
            field.error_messages["required"] = "Say why; the member reads the reason."
        elif summary.flags:
            field.required = True
            field.label = "Why approve anyway? (required: a rule fails)"
            field.error_messages["required"] = f"{summary.subject} fails: {summary.flag_labels}. Say why you approve."
        else:
            field.label = "Comment (optional)"


def _approval_record(app_label: str, model_name: str, pk: str):
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise Http404 from exc
    if not issubclass(model, ApprovalRecord):
        raise Http404
    return get_object_or_404(model, pk=pk)


def decision_view(request, app_label: str, model_name: str, pk: str, action: str):
    """Confirm a decision on any approval record: its summary and flags, a comment (required to reject, and to
    approve when a rule fails), then the current task's own action (the step's groups, conflicts, one vote each).
    Works without JavaScript; the hidden `workflow-action-name` makes the second-factor gate ask for a fresh code."""
    if action not in ACTIONS:
        raise Http404
    obj = _approval_record(app_label, model_name, pk)
    viewset = obj.snippet_viewset
    listing = reverse(viewset.get_url_name("list"))
    summary = summary_for(obj)
    task_state = waiting_task_state(obj)
    if task_state is None:
        messages.error(request, f"{summary.title} is not waiting for a decision.")
        return redirect(listing)
    task = task_state.task.specific
    labels = {name: label for name, label, _modal in task.get_actions(obj, request.user)}
    if action not in labels:
        messages.error(request, f"You cannot {action} {summary.title} at “{task.name}”.")
        return redirect(listing)
    kept = _kept_answers(request) if request.method == "GET" else None
    if kept is not None:  # back from the code page: the comment typed before it, to check and confirm
        form = DecisionForm(initial={"comment": kept.get("comment", "")}, action=action, summary=summary)
        messages.info(request, f"Your answers are kept. Check the comment and press “{CONFIRM[action]}”.")
    else:
        form = DecisionForm(request.POST or None, action=action, summary=summary)
    if request.method == "POST" and form.is_valid():
        try:
            task.on_action(task_state, request.user, action, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_errors in errors.items():
                form.add_error("comment" if field == "comment" else None, field_errors)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or f"You cannot {action} {summary.title} at “{task.name}”.")
            return redirect(listing)
        else:
            messages.success(request, decided_message(obj, summary, action, task_state))
            return redirect(listing)
    return TemplateResponse(
        request,
        "wagtailadmin_custom/approval_decide.html",
        {
            "object": obj,
            "summary": summary,
            "action": action,
            "label": labels[action],
            "step": task.name,
            "waiting": days_waiting_display(obj),
            "form": form,
            "cancel_url": reverse(viewset.get_url_name("edit"), args=[quote(obj.pk)]),
        },
    )
