"""What a reviewer sees of an approval record before deciding it: whose it is, what is asked, how much, the step
waiting, how long it has waited and which of its app's rules it fails (flags).

Each ApprovalRecord answers `approval_summary()` with an ApprovalSummary (its app knows its own rules); the workflow
tasks, the approvals lists, the decision page and the "Awaiting your review" panel read it, so this generic app shows
every kind of approval without naming the apps that own them. A record with a flag needs a comment to be approved.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from wagtail.models import TaskState

from portal.society.money import format_money


@dataclass(frozen=True)
class ApprovalFlag:
    """A rule the record fails: `label` is short, for a list ("KYC not verified"); `detail` is a sentence about the
    member or the record, for the reviewer ("Wanjiru Kamau's KYC documents are not all verified yet.")."""

    code: str
    label: str
    detail: str


@dataclass(frozen=True)
class ApprovalSummary:
    """One approval record as a reviewer reads it. `subject` names the member ("Wanjiru Kamau (M00012)") or, for a
    society-wide record, what it covers; `what` is the thing asked for; `amount` is None when no sum is at stake."""

    kind: str
    subject: str
    what: str
    amount: Decimal | None = None
    flags: list[ApprovalFlag] = field(default_factory=list)

    @property
    def amount_display(self) -> str:
        return format_money(self.amount) if self.amount is not None else "—"

    @property
    def flag_labels(self) -> str:
        return ", ".join(flag.label for flag in self.flags)

    @property
    def title(self) -> str:
        """One line for lists and messages: "Wanjiru Kamau (M00012) — Development loan, KES 90,000.00"."""
        return f"{self.subject} — {self.what}" + (f", {self.amount_display}" if self.amount is not None else "")


def comment_required_message(summary: ApprovalSummary) -> str:
    """Why an approval without a comment is refused, naming the member (or the record) and the failed rules."""
    return f"{summary.subject} fails: {summary.flag_labels}. Say why you approve anyway."


def approval_summary_of(obj) -> ApprovalSummary:
    """The record's own summary; anything without one is named by its str (and has no flags)."""
    summary = getattr(obj, "approval_summary", None)
    if summary is not None:
        return summary()
    return ApprovalSummary(kind=type(obj)._meta.verbose_name.capitalize(), subject=str(obj), what="")


def waiting_task_state(obj) -> TaskState | None:
    """The task state waiting for a decision on this record, or None when no step is in progress."""
    state = obj.current_workflow_task_state
    return state if state is not None and state.status == TaskState.STATUS_IN_PROGRESS else None


def waiting_step(obj) -> str:
    """The name of the step waiting for a decision, or a dash when none is."""
    state = waiting_task_state(obj)
    return state.task.name if state is not None else "—"


def days_waiting(obj, *, now=None) -> int | None:
    """Whole days since the waiting step started (None when no step is waiting)."""
    state = waiting_task_state(obj)
    if state is None:
        return None
    return ((now or timezone.now()) - state.started_at).days


def days_waiting_display(obj) -> str:
    days = days_waiting(obj)
    if days is None:
        return "—"
    return "today" if days == 0 else f"{days} day" + ("" if days == 1 else "s")
