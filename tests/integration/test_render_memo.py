"""What the portal remembers between requests to save CPU (issue 17) gives the same answers as computing afresh:
remembered URLs and labels follow the language and the script prefix, a remembered fragment refuses to be keyed on
an object, and the member query compiled once reads each member's own row and current figures."""

import uuid

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation

from portal.contributions.selectors import balances_annotations
from portal.members.models import Member
from portal.members.selectors import member_for_user
from portal.notifications.models import Notification


def render(text: str, **context) -> str:
    return Template("{% load i18n render_memo %}" + text).render(Context(context))


def test_a_remembered_label_follows_the_language():
    template = Template('{% load i18n render_memo %}{% translate "Dashboard" %}|{% translate "Sign out" %}')
    with translation.override("en-gb"):
        english = template.render(Context())
    with translation.override("sw"):
        swahili = template.render(Context())
        expected = f"{translation.gettext('Dashboard')}|{translation.gettext('Sign out')}"
    with translation.override("en-gb"):
        again = template.render(Context())
    assert english == "Dashboard|Sign out" == again
    assert swahili == expected
    assert swahili != english


def test_a_remembered_label_renders_as_djangos_own_tag():
    for text in (
        '{% translate "Tom & Jerry" %}',
        '{% translate "Tom & Jerry" as name %}[{{ name }}]',
        '{% autoescape off %}{% translate "Tom & Jerry" %}{% endautoescape %}',
        '{% translate "May" context "month name" %}',
        '{% translate "100%% sure" %}',
    ):
        for _ in range(2):  # the second time from memory
            assert render(text) == Template("{% load i18n %}" + text).render(Context()), text


def test_a_remembered_url_follows_the_script_prefix_and_arguments_are_never_remembered():
    template = Template("{% load render_memo %}{% url 'member_area:dashboard' %}")
    assert template.render(Context()) == reverse("member_area:dashboard") == "/portal/"
    set_script_prefix("/sacco/")
    try:
        assert template.render(Context()) == "/sacco/portal/"
    finally:
        set_script_prefix("/")
    with_argument = Template("{% load render_memo %}{% url 'member_area:loan_detail' pk %}")
    for pk in (uuid.uuid4(), uuid.uuid4()):
        assert with_argument.render(Context({"pk": pk})) == reverse("member_area:loan_detail", args=[pk])


def test_a_fragment_is_kept_per_value_and_refuses_objects():
    template = Template('{% load render_memo %}{% memo_fragment "t" n %}[{{ n }}{{ extra }}]{% end_memo_fragment %}')
    assert template.render(Context({"n": 1, "extra": "a"})) == "[1a]"
    assert template.render(Context({"n": 2, "extra": "b"})) == "[2b]"
    # The same key: the fragment as first rendered (which is why a fragment must name all it reads).
    assert template.render(Context({"n": 1, "extra": "b"})) == "[1a]"
    with pytest.raises(TemplateSyntaxError, match="plain values"):
        template.render(Context({"n": object()}))


@pytest.mark.django_db
def test_the_prepared_member_query_reads_each_members_own_row_and_current_figures(member, other_member, make_user):
    annotations = balances_annotations(pool=True)
    ours = member_for_user(user=member.user, annotations=annotations)
    theirs = member_for_user(user=other_member.user, annotations=annotations)  # the same compiled query
    assert (ours.pk, ours.user.email) == (member.pk, "amina@example.com")
    assert (theirs.pk, theirs.user.email) == (other_member.pk, "otieno@example.com")
    plain = Member.objects.select_related("user").annotate(**balances_annotations(pool=True)).get(pk=member.pk)
    for name in ("balances_term", "balances_monthly", "balances_pool"):
        assert getattr(ours, name) == getattr(plain, name)
    assert isinstance(ours.join_date, type(plain.join_date)) and ours.join_date == plain.join_date
    assert member_for_user(user=make_user("staff@example.com")) is None


@pytest.mark.django_db
def test_the_dashboard_badge_counts_what_is_unread_now(member):
    from portal.member_area.mixins import _unread_count

    annotations = {"unread_count": _unread_count()}
    assert member_for_user(user=member.user, annotations=annotations).unread_count == 0
    Notification.objects.create(user=member.user, subject="Hello", body="One")
    Notification.objects.create(user=member.user, subject="Hello", body="Two")
    assert member_for_user(user=member.user, annotations=annotations).unread_count == 2
    Notification.objects.filter(user=member.user).update(read_at=timezone.now())
    assert member_for_user(user=member.user, annotations=annotations).unread_count == 0
