"""Mass email (M12): queue a message for an audience, then django-q2 sends it in batches.

Each recipient is one MassEmailDelivery row (unique per member), so a retried batch never emails anyone twice.

Who is in an audience is the member register's to say, and notifications sits below it (issue 13): the members app
registers, in its AppConfig.ready(), a resolver for each audience (MassEmailAudience):

    mass_email_audiences.register(MassEmailAudience.ACTIVE, mass_email_members)

A resolver is called as `resolver(audience=..., employer=...)` and returns a queryset of members, each with its
`user` (whose email the message goes to), filtered by employer when one is given.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from portal.audit.services import ACTION, audit_log

from .models import MassEmail, MassEmailAudience, MassEmailDelivery

BATCH_SIZE = 200

AudienceResolver = Callable[..., QuerySet]


class MassEmailAudiences:
    """The resolvers of the audiences, by audience (see the module's docstring)."""

    def __init__(self):
        self._resolvers: dict[str, AudienceResolver] = {}

    def register(self, audience: str, resolver: AudienceResolver) -> None:
        """Resolve `audience` with `resolver`. The same resolver again is a no-op (Django may run ready() more than
        once); another resolver for an audience already taken is refused, as is an audience that is not one."""
        if audience not in MassEmailAudience.values:
            raise ValueError(f"{audience!r} is not a mass email audience.")
        existing = self._resolvers.get(audience)
        if existing is not None and existing is not resolver:
            raise ValueError(f"A resolver for the {audience!r} audience is already registered.")
        self._resolvers[audience] = resolver

    def registered(self) -> dict[str, AudienceResolver]:
        return dict(self._resolvers)


mass_email_audiences = MassEmailAudiences()


def mass_email_recipients(*, audience: str, employer: str = "") -> QuerySet:
    """The members an email to `audience` (of `employer`, when given) goes to, as the registered resolver says."""
    resolver = mass_email_audiences.registered().get(audience)
    if resolver is None:
        raise ImproperlyConfigured(f"No app resolves the mass email audience {audience!r}.")
    return resolver(audience=audience, employer=employer)


@transaction.atomic
def mass_email_queue(*, mass_email: MassEmail, by) -> MassEmail:
    """Freeze the recipient list and hand the sending to the background worker."""
    mass_email = MassEmail.objects.select_for_update().get(pk=mass_email.pk)
    if mass_email.status != MassEmail.DRAFT:
        return mass_email
    recipients = mass_email_recipients(audience=mass_email.audience, employer=mass_email.employer)
    MassEmailDelivery.objects.bulk_create(
        [MassEmailDelivery(mass_email=mass_email, member=m, email=m.user.email) for m in recipients.iterator()],
        ignore_conflicts=True,
        batch_size=1000,
    )
    mass_email.total = mass_email.deliveries.count()
    mass_email.status = MassEmail.QUEUED
    mass_email.queued_at = timezone.now()
    mass_email.save(update_fields=["total", "status", "queued_at"])
    audit_log(
        instance=mass_email,
        action=ACTION,
        by=by,
        summary=f"Mass email “{mass_email.subject}” queued for {mass_email.total} members",
    )
    transaction.on_commit(
        lambda: async_task("portal.notifications.mass_email.mass_email_send_batch", str(mass_email.pk))
    )
    return mass_email


def mass_email_send_batch(mass_email_id: str, batch_size: int = BATCH_SIZE) -> int:
    """Send up to `batch_size` pending deliveries over one SMTP connection; queue the next batch if any remain."""
    mass_email = MassEmail.objects.get(pk=mass_email_id)
    MassEmail.objects.filter(pk=mass_email.pk, status=MassEmail.QUEUED).update(status=MassEmail.SENDING)
    with transaction.atomic():
        pending = list(
            MassEmailDelivery.objects.select_for_update(skip_locked=True)
            .select_related("member__user")
            .filter(mass_email=mass_email, status=MassEmailDelivery.PENDING)
            .order_by("pk")[:batch_size]
        )
        connection = get_connection()
        sent = failed = 0
        for delivery in pending:
            body = mass_email.body.replace("{first_name}", delivery.member.user.first_name or "member").replace(
                "{membership_number}", delivery.member.membership_number
            )
            try:
                EmailMessage(mass_email.subject, body, to=[delivery.email], connection=connection).send()
            except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
                delivery.status, delivery.error = MassEmailDelivery.FAILED, str(exc)[:300]
                failed += 1
            else:
                delivery.status, delivery.sent_at = MassEmailDelivery.SENT, timezone.now()
                sent += 1
        MassEmailDelivery.objects.bulk_update(pending, ["status", "error", "sent_at"])
        MassEmail.objects.filter(pk=mass_email.pk).update(
            sent_count=F("sent_count") + sent, failed_count=F("failed_count") + failed
        )
    if MassEmailDelivery.objects.filter(mass_email=mass_email, status=MassEmailDelivery.PENDING).exists():
        async_task("portal.notifications.mass_email.mass_email_send_batch", str(mass_email.pk), batch_size)
    else:
        MassEmail.objects.filter(pk=mass_email.pk).update(status=MassEmail.SENT, finished_at=timezone.now())
    return len(pending)
