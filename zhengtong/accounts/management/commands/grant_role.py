from __future__ import annotations

from django.core.management import BaseCommand, CommandError

from zhengtong.accounts import services
from zhengtong.accounts.models import Department, User
from zhengtong.accounts.selectors import org_unit_get
from zhengtong.core.errors import ZhengtongError


class Command(BaseCommand):
    help = "Grant a role to a user at an org unit (optionally one department), as the system account."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role")
        parser.add_argument("org_unit", help="region code")
        parser.add_argument("--department", default="", help="department code inside the org unit")

    def handle(self, *args, username, role, org_unit, department, **options):
        try:
            user = User.objects.get(username=username)
            unit = org_unit_get(org_unit)
            dept = Department.objects.get(org_unit=unit, code=department) if department else None
            services.role_grant(
                actor=services.system_actor(), user=user, role=role, org_unit=unit, department=dept
            )
        except (User.DoesNotExist, Department.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        except ZhengtongError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"{username}: {role} at {unit}"))
