from django.core.management import BaseCommand, CommandError
from django.db import transaction

from zhengtong.accounts.services import system_actor
from zhengtong.audit.services import record, verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain and report the first edited, deleted or reordered row."

    def handle(self, *args, **options):
        report = verify_chain()
        with transaction.atomic():
            record(
                actor=system_actor(),
                action="audit.chain.verify",
                after={"ok": report.ok, "checked": report.checked, "head": report.head_hash},
            )
        if report.ok:
            # Keep the head hash somewhere else (a ticket, a log shipper): deleting the newest rows
            # leaves no later link to break, but it changes the head.
            self.stdout.write(
                self.style.SUCCESS(
                    f"audit chain intact: {report.checked} events verified; head {report.head_hash}"
                )
            )
            return
        brk = report.first_break
        raise CommandError(
            f"audit chain broken at event {brk.event_id} ({brk.reason}): {brk.message}; "
            f"{report.checked} events before it verified"
        )
