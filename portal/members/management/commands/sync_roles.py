"""Re-apply the role matrix of portal.members.roles to the groups (idempotent), both ways: grant what it grants,
take away from the role groups what it no longer grants."""

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.members.roles import roles_prune, roles_sync


class Command(BaseCommand):
    help = (
        "Create the role groups, grant the permissions in portal/members/roles.py and remove from those groups "
        "the permissions it does not grant. Groups outside the matrix are left alone."
    )

    def handle(self, *args, **options):
        # One transaction: a group is never seen half synced (granted but not yet pruned).
        with transaction.atomic():
            missing = roles_sync()
            removed = roles_prune()
        for dotted in missing:
            self.stderr.write(f"permission {dotted} does not exist (is its app migrated?)")
        for line in removed:
            self.stdout.write(f"removed {line}")
        self.stdout.write(self.style.SUCCESS(f"Roles are in sync ({len(removed)} permission(s) removed)."))
