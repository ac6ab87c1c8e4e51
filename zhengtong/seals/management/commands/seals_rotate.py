"""Rotate a department's seal key (or an installation statement key): the old key is retired and
keeps verifying what it signed."""

from django.core.management.base import BaseCommand, CommandError

from zhengtong.accounts import selectors as accounts
from zhengtong.seals import services
from zhengtong.seals.models import SEAL


class Command(BaseCommand):
    help = (
        "Rotate a seal key: --department <id> for a department seal, or --purpose <name> for a statement key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", type=int, help="department id (its seal key)")
        parser.add_argument("--purpose", default=SEAL, help="statement purpose, e.g. sharing.receipt")

    def handle(self, *args, department=None, purpose=SEAL, **options):
        dept = None
        if purpose == SEAL:
            if department is None:
                raise CommandError("--department is required for a department seal")
            dept = accounts.department_by_id(department)
            if dept is None:
                raise CommandError(f"no department {department}")
        try:
            key = services.key_rotate(department=dept, purpose=purpose, via="seals.command")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"new active key {key.kid} for {purpose}" + (f" of {dept.name}" if dept else ""))
