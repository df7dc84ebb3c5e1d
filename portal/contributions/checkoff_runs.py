"""Large check-off files post in the background (issue 17): confirming a file of more than CHECKOFF_BACKGROUND_ROWS
rows records a CheckoffRun and queues a django-q2 task; the clerk watches its progress page.

Progress is written in phases, never from inside the posting transaction: the task checks every row first, outside
any transaction, saving `rows_checked` every 10,000 rows (each update commits at once, so the progress page sees
it); then it posts every row in one transaction (`checkoff_post`), and only when that has committed does the run say
"posted" with its `rows_posted`. A failure at either phase posts nothing and the run keeps the errors, each naming
the row and field. The same file twice posts once: `CheckoffImport.sha256` is unique, so a second run of the same
bytes (or a retried task) ends "posted" with `already_posted` and posts nothing."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.finance.banking.models import BankAccount

from .checkoff import checkoff_post, sha256_of
from .models import CheckoffRun, CheckoffRunStatus
from .services import PaymentsInvalid

logger = logging.getLogger(__name__)

ERRORS_KEPT = 500
TASK = "portal.contributions.checkoff_runs.checkoff_run_task"


def checkoff_run_start(
    *,
    content: bytes,
    file_name: str,
    period: datetime.date,
    bank_account: BankAccount,
    received_on: datetime.date,
    below_minimum_reason: str = "",
    created_by=None,
) -> CheckoffRun:
    """Record the run and queue its task once this transaction commits (the worker must find the run)."""
    from django_q.tasks import async_task

    run = CheckoffRun.objects.create(
        file_name=file_name[:200],
        sha256=sha256_of(content),
        content=content,
        period=period,
        bank_account=bank_account,
        received_on=received_on,
        below_minimum_reason=below_minimum_reason.strip()[:255],
        created_by=created_by,
    )
    transaction.on_commit(lambda: async_task(TASK, str(run.pk), task_name=f"checkoff-run-{run.pk}"))
    return run


def _update(run_id, **fields) -> None:
    CheckoffRun.objects.filter(pk=run_id).update(**fields)


def checkoff_run_task(run_id: str) -> str:
    """The django-q2 task: check, then post, the run's file. A run already finished (a retried task) is left as it
    is. Never raises for a file that cannot be posted: the run records why."""
    run = CheckoffRun.objects.select_related("bank_account", "created_by").filter(pk=run_id).first()
    if run is None or run.finished:
        return "nothing to do"
    _update(run.pk, status=CheckoffRunStatus.RUNNING, started_at=timezone.now())

    def progress(checked: int, total: int) -> None:
        _update(run.pk, rows_checked=checked, row_count=total)

    try:
        outcome = checkoff_post(
            content=bytes(run.content),
            file_name=run.file_name,
            period=run.period,
            bank_account=run.bank_account,
            received_on=run.received_on,
            below_minimum_reason=run.below_minimum_reason,
            posted_by=run.created_by,
            progress=progress,
        )
    except PaymentsInvalid as exc:
        errors = exc.row_errors
        _fail(
            run,
            f"Nothing was posted: {len(errors):,} problem{'s' if len(errors) != 1 else ''} in the file, the first: "
            f"{errors[0]}.",
            [[e.row, e.field, e.message] for e in errors[:ERRORS_KEPT]],
        )
        return "failed"
    except ValidationError as exc:  # the file unreadable, the bank account closed, …
        _fail(run, "Nothing was posted: " + "; ".join(exc.messages[:20]), [])
        return "failed"
    except Exception as exc:
        logger.exception("check-off run %s failed", run.pk)
        _fail(run, f"Nothing was posted: the posting stopped with an error ({type(exc).__name__}: {exc}).", [])
        return "failed"
    checkoff = outcome.checkoff
    _update(
        run.pk,
        status=CheckoffRunStatus.POSTED,
        checkoff=checkoff,
        already_posted=not outcome.created,
        row_count=checkoff.row_count,
        rows_checked=checkoff.row_count if outcome.created else run.rows_checked,
        rows_posted=checkoff.row_count if outcome.created else 0,
        content=b"",
        finished_at=timezone.now(),
    )
    return "posted" if outcome.created else "already posted"


def _fail(run: CheckoffRun, error: str, row_errors: list) -> None:
    _update(
        run.pk,
        status=CheckoffRunStatus.FAILED,
        error=error[:5000],
        row_errors=row_errors,
        rows_posted=0,
        content=b"",
        finished_at=timezone.now(),
    )
