"""Re-apply the role matrix of portal.members.roles to the groups (idempotent)."""

from django.core.management.base import BaseCommand

from portal.members.roles import roles_sync


class Command(BaseCommand):
    help = "Create the role groups and grant the permissions in portal/members/roles.py."

    def handle(self, *args, **options):
        missing = roles_sync()
        for dotted in missing:
            self.stderr.write(f"permission {dotted} does not exist (is its app migrated?)")
        self.stdout.write(self.style.SUCCESS("Roles are in sync."))
