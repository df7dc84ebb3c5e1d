"""Issue 13: an existing database migrates with its data. SaccoSettings moved from `home` to `society` (home 0005,
society 0001) without touching its table; a database seeded at the schema before the move keeps its settings row,
and the groups' permissions and the audit entries follow the content type, which is renamed, not duplicated.

The test walks the real migrations with MigrationExecutor: back to the previous schema, seed through the historical
models, forward to the latest leaves (then post_migrate, as `manage.py migrate` sends it), and reads the result
through the current models. It runs on SQLite and on PostgreSQL, and always leaves the database at the latest schema.
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps as live_apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import ModelLogEntry

from portal.members import roles
from portal.members.models import User
from portal.society.models import SaccoSettings
from portal.society.policy import sacco_settings

# The leaf migration of every app at commit ee0555b, the last commit before SaccoSettings moved from `home` to
# `society` (4e9cab2). Computed with MigrationLoader(None).graph.leaf_nodes() over `git archive ee0555b` (settings
# portal.settings.test); the portal apps' leaves are also the last files `git ls-tree -r ee0555b portal` lists under
# each portal/<app>/migrations/. The `society` app did not exist then. Third-party leaves are those of this venv.
PREVIOUS_SCHEMA = {
    "account": "0009_emailaddress_unique_primary_email",
    "admin": "0003_logentry_add_action_flag_choices",
    "audit": "0002_audit_refuses_truncate",
    "auth": "0012_alter_user_first_name_max_length",
    "axes": "0010_accessattemptexpiration",
    "contenttypes": "0002_remove_content_type_name",
    "contributions": "0003_checkoffrow_loan_allocated_at",
    "dividends": "0003_dividend_year",
    "django_q": "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more",
    "finance": "0011_journal_refuses_truncate",
    "home": "0004_saccosettings_provision_doubtful_and_more",
    "loans": "0005_loanreview",
    "members": "0020_flush_expired_tokens_schedule",
    "notifications": "0002_massemail_massemaildelivery",
    "otp_email": "0006_add_timestamps",
    "otp_static": "0003_add_timestamps",
    "otp_totp": "0003_add_timestamps",
    "reports": "0006_report_run_name",
    "sessions": "0001_initial",
    "taggit": "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx",
    "token_blacklist": "0013_alter_blacklistedtoken_options_and_more",
    "wagtailadmin": "0006_formstate",
    "wagtailcore": "0097_baselogentry_uuid_action_timestamp_indexes",
    "wagtaildocs": "0014_alter_document_file_size",
    "wagtailembeds": "0009_embed_cache_until",
    "wagtailforms": "0005_alter_formsubmission_form_data",
    "wagtailimages": "0027_image_description",
    "wagtailredirects": "0008_add_verbose_name_plural",
    "wagtailsearch": "0010_add_text_fields",
    "wagtailusers": "0015_userprofile_keyboard_shortcuts",
    "workflows": "0004_loan_approval_workflow",
}

# Only the apps the move touched are migrated back and forth: the journal and the audit log refuse UPDATE, DELETE
# and TRUNCATE, so their apps stay where they are (their leaves are the same at ee0555b and now).
MOVED_APPS = ("home", "society")

SEEDED = {
    "name": "Umoja Teachers SACCO Society Ltd",
    "short_name": "UMOJA",
    "email": "office@umoja.example",
    "share_value": Decimal("1234.50"),
    "minimum_shares": 25,
    "loan_multiple": Decimal("4.50"),
    "withholding_tax_rate": Decimal("7.5000"),
    "lockout_threshold": 7,
    "invitation_valid_days": 10,  # home 0003
    "provision_doubtful": Decimal("60.0000"),  # home 0004
}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _previous_targets():
    """home at its ee0555b leaf, and every app that did not exist then (society, mpesa…) unapplied."""
    graph = MigrationExecutor(connection).loader.graph
    newer = sorted({app for app, _ in graph.nodes} - set(PREVIOUS_SCHEMA) - set(MOVED_APPS))
    return [(app, PREVIOUS_SCHEMA.get(app)) for app in (*newer, *MOVED_APPS)]


def _latest_leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets):
    """Migrate with a fresh executor (it reads what is applied now), and forget cached content types."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(targets)
    executor.migrate(targets, plan=plan)
    ContentType.objects.clear_cache()
    return plan


def _migrate_to_latest():
    """Forward to every latest leaf, then post_migrate as `manage.py migrate` sends it (content types and
    permissions of the current models are created there if a migration failed to carry them over)."""
    plan = _migrate(_latest_leaves())
    emit_post_migrate_signal(0, False, connection.alias, apps=live_apps, plan=plan)
    ContentType.objects.clear_cache()
    # Warm the cache again, as every other test finds it: the next transactional test reloads the serialized
    # database, and a signal that asks for a content type while the table is still empty would otherwise insert
    # one the reload then inserts again (a duplicate content type on PostgreSQL).
    ContentType.objects.get_for_models(*live_apps.get_models(), for_concrete_models=False)


def _seed_previous_schema():
    """Seed through the historical models of the previous schema; returns the primary keys to follow."""
    executor = MigrationExecutor(connection)
    # Squashed migrations' replaced names are recorded as applied too; the graph knows only the squashes.
    applied = set(executor.loader.applied_migrations) & set(executor.loader.graph.nodes)
    assert ("home", PREVIOUS_SCHEMA["home"]) in applied
    assert not {node for node in applied if node[0] not in PREVIOUS_SCHEMA}, "apps newer than ee0555b still applied"
    assert not {node for node in applied if node[0] == "home" and node[1] > PREVIOUS_SCHEMA["home"]}
    old = executor.loader.project_state(tuple(applied)).apps

    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group = old.get_model("auth", "Group")
    User = old.get_model("members", "User")
    HomeSettings = old.get_model("home", "SaccoSettings")
    LogEntry = old.get_model("wagtailcore", "ModelLogEntry")

    # What a database at ee0555b holds: one content type for the settings, in `home`, with its permissions.
    assert list(ContentType.objects.filter(model="saccosettings").values_list("app_label", flat=True)) == ["home"]
    settings_type = ContentType.objects.get(app_label="home", model="saccosettings")
    change = Permission.objects.get(content_type=settings_type, codename="change_saccosettings")

    row = HomeSettings.objects.first() or HomeSettings()
    for field, value in SEEDED.items():
        setattr(row, field, value)
    row.save()
    assert HomeSettings.objects.count() == 1

    editors = Group.objects.create(name="Settings editors (migration test)")
    editors.permissions.add(change)
    user = User.objects.create(
        email="settings.editor@sacco.example",
        password="!unusable",  # noqa: S106 - an unusable password hash, nobody signs in
        first_name="Neema",
        last_name="Mutua",
        is_staff=True,
    )
    user.groups.add(editors)
    entry = LogEntry.objects.create(
        content_type=settings_type,
        label="SACCO settings",
        action="wagtail.edit",
        data={},
        timestamp=datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC),
        object_id=str(row.pk),
        user_id=user.pk,
    )
    holders = set(Group.objects.filter(permissions=change).values_list("pk", flat=True))
    return {
        "settings": row.pk,
        "content_type": settings_type.pk,
        "permission": change.pk,
        "group": editors.pk,
        "user": user.pk,
        "log_entry": entry.pk,
        "holders": holders,
    }


def test_a_database_at_the_previous_schema_migrates_with_its_settings_permissions_and_log_entries():
    try:
        _migrate(_previous_targets())
        seeded = _seed_previous_schema()

        _migrate_to_latest()

        # The settings row is the same row, read through the current model.
        current = sacco_settings()
        assert current.pk == seeded["settings"]
        assert SaccoSettings.objects.count() == 1
        for field, value in SEEDED.items():
            assert getattr(current, field) == value, field

        # One content type, renamed in place: same row, now society's.
        settings_type = ContentType.objects.get_for_model(SaccoSettings)
        assert settings_type.pk == seeded["content_type"]
        assert list(ContentType.objects.filter(model="saccosettings").values_list("app_label", flat=True)) == [
            "society"
        ]

        # The groups keep the same permission row, which is now society.change_saccosettings.
        change = Permission.objects.get(pk=seeded["permission"])
        assert (change.content_type.app_label, change.codename) == ("society", "change_saccosettings")
        assert Permission.objects.filter(codename="change_saccosettings").count() == 1
        editors = Group.objects.get(pk=seeded["group"])
        assert list(editors.permissions.all()) == [change]
        assert set(Group.objects.filter(permissions=change).values_list("pk", flat=True)) == seeded["holders"]
        for role in (roles.TREASURER, roles.ADMINISTRATORS):  # the matrix grants it to them (members/roles.py)
            assert Group.objects.get(name=role).pk in seeded["holders"]
        user = User.objects.get(pk=seeded["user"])
        assert user.has_perm("society.change_saccosettings")
        assert not user.has_perm("home.change_saccosettings")

        # The audit entry still points at the settings.
        entry = ModelLogEntry.objects.get(pk=seeded["log_entry"])
        assert entry.content_type_id == settings_type.pk
        assert list(ModelLogEntry.objects.for_instance(current)) == [entry]

        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    finally:
        # Whatever failed above, later tests get the latest schema.
        _migrate_to_latest()
