"""Reads for the inbox."""

from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce

from .models import CHOOSABLE_KINDS, DEFAULT_CHANNELS, Channel, MessagePreference, Notification


def unread_notifications_count(*, user) -> int:
    """Messages in the user's inbox not read yet (0 when signed out): the dashboard and the API show the same count."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def unread_notifications_subquery(*, user):
    """unread_notifications_count as an expression, for a query that reads the user's other rows anyway (the member
    portal counts the inbox badge in the query that reads the member: issue 17)."""
    counted = (
        Notification.objects.filter(user=user, read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(unread=Count("pk"))
        .values("unread")
    )
    return Coalesce(Subquery(counted), 0)


def message_channel(*, user, kind: str) -> str:
    """The channel (email, sms, both) the user wants for `kind`: their saved choice, else the default."""
    if kind not in CHOOSABLE_KINDS or user is None or not getattr(user, "pk", None):
        return DEFAULT_CHANNELS.get(kind, Channel.EMAIL)
    saved = MessagePreference.objects.filter(user=user, kind=kind).values_list("channel", flat=True).first()
    return saved or DEFAULT_CHANNELS[kind]


def message_preferences(*, user) -> dict[str, str]:
    """Every choosable kind → the user's channel (saved or default), in MessageKind order."""
    saved = dict(MessagePreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: saved.get(kind) or DEFAULT_CHANNELS[kind] for kind in CHOOSABLE_KINDS}


def member_phone(*, user) -> str:
    """The mobile number on the user's member record ("" for staff without one, or none saved).

    Read through the reverse relation, so this low layer never imports the members app."""
    member = getattr(user, "member", None)  # RelatedObjectDoesNotExist is an AttributeError too
    return (getattr(member, "phone_number", "") or "") if member is not None else ""
