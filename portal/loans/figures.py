"""What the loans app tells the member dashboard's cache (issue 17, portal/society/figures_cache.py).

A member's dashboard shows their loans (schedule, arrears), their applications in progress (status, what each waits
for: a guarantor, a workflow step, the payout) and the guarantees they give (with the borrower's balance). Ledger
postings already forget the members on their lines and, through the expander below, the borrower and the guarantors
of any loan on a line. Changes made without a posting — an application submitted, approved, rejected or withdrawn; a
guarantee requested, accepted, declined or released; a schedule changed; a workflow step taken — are caught here by
model signals on the rows the dashboard reads, so no service has to remember to call anything. (Queryset updates do
not send signals: the ones in this app go with a posting on the loan, or with a save of the application.)"""

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save
from wagtail.models import TaskState, WorkflowState

from portal.society.figures_cache import member_figures_expander_register, member_figures_invalidate

from .models import Guarantee, Loan, LoanApplication, LoanInstalment, LoanReview


def loan_members(*, member_ids=(), loan_ids=()) -> set:
    """The borrowers of these loans and everyone who guarantees them (their dashboards show the loan's balance)."""

    if not loan_ids:
        return set()
    members = set(Loan.objects.filter(pk__in=loan_ids).values_list("member_id", flat=True))
    members.update(Guarantee.objects.filter(application__loan__in=loan_ids).values_list("guarantor_id", flat=True))
    return members


def _application_changed(sender, instance, **kwargs):

    guarantors = Guarantee.objects.filter(application_id=instance.pk).values_list("guarantor_id", flat=True)
    member_figures_invalidate(member_ids=[instance.member_id, *guarantors])


def _guarantee_changed(sender, instance, **kwargs):

    borrower = LoanApplication.objects.filter(pk=instance.application_id).values_list("member_id", flat=True)
    member_figures_invalidate(member_ids=[instance.guarantor_id, *borrower])


def _loan_changed(sender, instance, **kwargs):
    member_figures_invalidate(member_ids=[instance.member_id], loan_ids=[instance.pk])


def _instalment_changed(sender, instance, **kwargs):
    member_figures_invalidate(loan_ids=[instance.loan_id])


def _workflow_changed(sender, instance, **kwargs):
    """A step of a loan review taken (Wagtail's own actions in the admin too): the applicant's "waiting for"."""

    state = getattr(instance, "workflow_state", instance)  # a TaskState, or the WorkflowState itself
    if state.base_content_type_id != ContentType.objects.get_for_model(LoanReview).pk:
        return
    applicants = LoanReview.objects.filter(pk=state.object_id).values_list("application__member_id", flat=True)
    member_figures_invalidate(member_ids=list(applicants))


def figures_signals_connect() -> None:

    member_figures_expander_register(loan_members)
    for model, handler in (
        (LoanApplication, _application_changed),
        (Guarantee, _guarantee_changed),
        (Loan, _loan_changed),
        (LoanInstalment, _instalment_changed),
        (WorkflowState, _workflow_changed),
        (TaskState, _workflow_changed),
    ):
        uid = f"member-figures:{model.__name__}"
        post_save.connect(handler, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(handler, sender=model, dispatch_uid=uid + ":delete", weak=False)
