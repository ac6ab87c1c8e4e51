"""Create a platform administrator through the service functions (instead of createsuperuser),
so the account has an org unit, the platform_admin role at the root, and an audit event."""

from __future__ import annotations

import getpass

from django.core.management import BaseCommand, CommandError

from zhengtong.accounts import services
from zhengtong.accounts.models import UserKind
from zhengtong.accounts.permissions import root_unit
from zhengtong.core.errors import ZhengtongError


class Command(BaseCommand):
    help = "Create a platform administrator (password asked interactively or from ZT_ADMIN_PASSWORD)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--display-name", default="")

    def handle(self, *args, username: str, display_name: str, **options):
        import os

        root = root_unit()
        if root is None:
            raise CommandError("load the org tree first (manage.py load_regions FILE)")
        password = os.environ.get("ZT_ADMIN_PASSWORD") or getpass.getpass("password: ")
        system = services.system_actor()
        try:
            user = services.user_create(
                actor=system,
                username=username,
                password=password,
                kind=UserKind.ADMIN,
                display_name=display_name,
                org_unit=root,
            )
            services.role_grant(actor=system, user=user, role="platform_admin", org_unit=root)
        except ZhengtongError as exc:
            raise CommandError(exc.message) from None
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
        self.stdout.write(self.style.SUCCESS(f"platform administrator {username} created at {root}"))
