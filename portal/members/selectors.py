"""Reads for members. Every member-facing query starts from the requesting user."""

import uuid

from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections, router
from django.db.models.query import get_related_populators

from .models import ActivityLog, KycDocument, Member, User


def member_for_user(*, user: User, annotations: dict | None = None) -> Member | None:
    """The Member record of a logged-in user, or None for staff without one. `annotations`: expressions read in the
    same query (the portal's inbox badge), set as attributes of the member.

    Every member page asks this on every request, and compiling the query (the member, its user and the page's
    subqueries) cost more than running it (issue 17): the compiled SQL is kept per database connection and set of
    annotation objects (_member_query_prepared), and each request only runs it with its own user id."""
    if not user.is_authenticated:
        return None
    prepared = _member_query_prepared(annotations or {})
    if prepared is None:
        members = Member.objects.select_related("user").filter(user=user)
        if annotations:
            members = members.annotate(**annotations)
        return members.first()
    return prepared.first(user_id=user.pk)


def _member_query(annotations: dict):
    members = Member.objects.select_related("user")
    return members.annotate(**annotations) if annotations else members


_USER_ID_SENTINEL = uuid.UUID("7318452a-9064-4110-8e5c-d2b1a0f3c9e7")  # compiled in place of the user id, then found
_PREPARED_LIMIT = 64
_prepared: dict = {}


class _PreparedMemberQuery:
    """`members.filter(user_id=…).first()` compiled once: what Django's ModelIterable does with a compiled query
    (converters, the member, its select_related user, the annotations), minus the compiling."""

    def __init__(self, members, expressions):
        self.expressions = expressions  # held: the key names them by identity, so they must outlive the entry
        self.db = members.db
        query = members.filter(user_id=_USER_ID_SENTINEL).order_by("pk")[:1].query
        compiler = query.get_compiler(using=self.db)
        self.sql, params = compiler.as_sql()
        connection = connections[self.db]
        self.user_id_field = Member._meta.get_field("user").target_field
        sentinel = self.user_id_field.get_db_prep_value(_USER_ID_SENTINEL, connection, prepared=False)
        positions = [i for i, value in enumerate(params) if value == sentinel]
        if len(positions) != 1:
            raise ValueError("the user id is not exactly one parameter of the member query")
        self.params, self.position = list(params), positions[0]
        self.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([s[0] for s in select])
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.related_populators = get_related_populators(klass_info, select, self.db)
        self.annotation_col_map = dict(compiler.annotation_col_map or {})

    def first(self, *, user_id) -> Member | None:
        connection = connections[self.db]
        params = list(self.params)
        params[self.position] = self.user_id_field.get_db_prep_value(user_id, connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        member = Member.from_db(self.db, self.init_list, row[self.start : self.end])
        for populator in self.related_populators:
            populator.populate(row, member)
        for name, position in self.annotation_col_map.items():
            setattr(member, name, row[position])
        return member


def _member_query_prepared(annotations: dict) -> _PreparedMemberQuery | None:
    """The prepared query for the database it reads, that connection and these annotation objects, compiled on
    first use; None when it cannot be prepared (the caller then runs the queryset as usual)."""
    db = router.db_for_read(Member)
    connection = connections[db]
    key = (db, id(connection), connection.vendor, tuple((name, id(value)) for name, value in annotations.items()))
    prepared = _prepared.get(key)
    if prepared is None:
        try:
            prepared = _PreparedMemberQuery(_member_query(annotations).using(db), tuple(annotations.values()))
        except (ValueError, EmptyResultSet):
            return None
        if len(_prepared) >= _PREPARED_LIMIT:
            _prepared.clear()
        _prepared[key] = prepared
    return prepared


def _prepared_forget(**kwargs) -> None:
    _prepared.clear()


setting_changed.connect(_prepared_forget, dispatch_uid="members_prepared_member_query_forget")


def members_visible_to(*, user: User | None):
    """The member records this user may read: every member for staff who read the register, their own otherwise,
    none for anyone signed out. Others' records are then a 404, so ids reveal nothing."""
    if user is None or not user.is_authenticated:
        return Member.objects.none()
    if user.is_staff and user.has_perm("members.view_member"):
        return Member.objects.all()
    return Member.objects.filter(user=user)


def kyc_documents_visible_to(*, user: User | None):
    """Every KYC document for staff who review them; the member's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return KycDocument.objects.none()
    if user.has_perm("members.view_kycdocument"):
        return KycDocument.objects.all()
    return KycDocument.objects.filter(member__user=user)


def activity_logs_visible_to(*, user: User | None):
    """Everyone's activity entries for staff who may read them; the user's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return ActivityLog.objects.none()
    if user.has_perm("members.view_activitylog"):
        return ActivityLog.objects.all()
    return ActivityLog.objects.filter(user=user)


def activity_for_user(*, user: User):
    """Activity entries about this user, newest first."""
    return (
        ActivityLog.objects.filter(user=user)
        .only("created_at", "action", "ip_address", "user_agent", "email")
        .order_by("-created_at")
    )
