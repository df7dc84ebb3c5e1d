"""Issue 13: `manage.py sync_roles` applies the role matrix both ways — it grants what the matrix grants and
takes from the role groups what it no longer grants — and never touches a group outside the matrix."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from portal.members import roles

pytestmark = pytest.mark.django_db


def _perm(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _perms(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def _expected(role):
    expected = set(roles.ROLE_PERMISSIONS[role])
    if roles.ACCESS_ADMIN in expected:
        expected |= set(roles.WAGTAIL_IMPLICIT_FOR_ADMIN_ACCESS)
    return expected


def _sync():
    out, err = StringIO(), StringIO()
    call_command("sync_roles", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _state():
    """Every group's model, page and collection permissions, to compare before and after."""
    return {
        g.name: (
            _perms(g),
            {(gp.page_id, gp.permission_id) for gp in g.page_permissions.all()},
            {(gc.collection_id, gc.permission_id) for gc in g.collection_permissions.all()},
        )
        for g in Group.objects.all()
    }


def test_an_extra_permission_on_a_role_group_is_removed_and_the_matrix_ones_are_there():
    clerks = Group.objects.get(name=roles.CLERKS)
    clerks.permissions.add(_perm("members.delete_member"), _perm("finance.add_account"))
    clerks.permissions.remove(_perm("members.view_member"))  # one the matrix grants, lost meanwhile

    out, err = _sync()

    assert _perms(clerks) == _expected(roles.CLERKS)
    assert "members.delete_member" not in _perms(clerks) and "members.view_member" in _perms(clerks)
    assert "removed Clerks: members.delete_member" in out and "removed Clerks: finance.add_account" in out
    assert err == ""


def test_every_role_group_ends_with_exactly_the_matrix():
    extra = _perm("reports.view_backup")  # administrators only
    for role in roles.ALL_ROLES:
        if role != roles.ADMINISTRATORS:
            Group.objects.get(name=role).permissions.add(extra)
    _sync()
    for role in roles.ALL_ROLES:
        assert _perms(Group.objects.get(name=role)) == _expected(role), role


def test_page_and_collection_permissions_on_the_root_are_pruned_too():
    clerks = Group.objects.get(name=roles.CLERKS)
    root_page = Page.objects.get(depth=1)
    root_collection = Collection.objects.get(depth=1)
    GroupPagePermission.objects.create(group=clerks, page=root_page, permission_type="publish")
    GroupCollectionPermission.objects.create(
        group=clerks, collection=root_collection, permission=_perm("wagtaildocs.delete_document")
    )

    _sync()

    page_perms = {gp.permission.codename for gp in clerks.page_permissions.all()}
    assert page_perms == set(roles.ROLE_PAGE_PERMISSIONS[roles.CLERKS])
    docs_perms = {
        f"wagtaildocs.{row.permission.codename}"
        for row in clerks.collection_permissions.filter(permission__content_type__app_label="wagtaildocs")
    }
    assert docs_perms == {p for p in roles.ROLE_COLLECTION_PERMISSIONS[roles.CLERKS] if p.startswith("wagtaildocs.")}


def test_wagtails_implicit_choose_image_stays_with_admin_groups():
    _sync()
    for role in roles.STAFF_ROLES:
        group = Group.objects.get(name=role)
        assert "wagtailimages.choose_image" in _perms(group), role
        assert group.collection_permissions.filter(permission__codename="choose_image").exists(), role


def test_a_group_outside_the_matrix_is_untouched():
    branch = Group.objects.create(name="Branch managers")
    own = {_perm("members.delete_member"), _perm("wagtailadmin.access_admin"), _perm("finance.add_account")}
    branch.permissions.add(*own)
    GroupPagePermission.objects.create(group=branch, page=Page.objects.get(depth=1), permission_type="publish")

    _sync()

    assert set(branch.permissions.all()) == own
    assert branch.page_permissions.filter(permission__codename="publish_page").exists()


def test_running_twice_changes_nothing():
    Group.objects.get(name=roles.AUDITORS).permissions.add(_perm("members.change_member"))
    _sync()
    before = _state()
    out, _err = _sync()
    assert _state() == before
    assert not [line for line in out.splitlines() if line.startswith("removed ")]
    assert "(0 permission(s) removed)" in out


def test_the_migration_helper_prunes_with_the_historical_models():
    """`_helpers.sync_roles_and_prune` is for a future migration that takes a permission out of the matrix; it
    must work on the migration state's models (no custom methods, no live registry)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from portal.members.migrations._helpers import sync_roles_and_prune

    Group.objects.get(name=roles.TREASURER).permissions.add(_perm("members.delete_member"))
    state_apps = MigrationExecutor(connection).loader.project_state().apps
    sync_roles_and_prune(state_apps, None)
    assert _perms(Group.objects.get(name=roles.TREASURER)) == _expected(roles.TREASURER)
