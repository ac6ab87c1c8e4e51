from django.core.management import BaseCommand, CommandError
from django.db import transaction

from zhengtong.accounts.services import system_actor
from zhengtong.audit import log
from zhengtong.audit.services import record


class Command(BaseCommand):
    help = (
        "Sequence what is queued and sign a head, then check the whole audit log: every event against "
        "its hash, the log entries, the tree nodes, every signed tree head, and that no event was left out."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-sequence", action="store_true", help="only verify; leave queued events for the worker"
        )

    def handle(self, *args, no_sequence=False, **options):
        if not no_sequence:
            log.run_until_idle()
        report = log.verify_log()
        with transaction.atomic():
            record(
                actor=system_actor(),
                action="audit.chain.verify",
                after={"ok": report.ok, "checked": report.checked, "root": report.root_hash},
            )
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"audit log intact: {report.checked} events in the log ({report.unsequenced} queued), "
                    f"{report.heads} signed tree heads verified; root {report.root_hash} at size {report.tree_size}"
                )
            )
            return
        brk = report.first_break
        raise CommandError(
            f"audit log broken at {brk.where} ({brk.reason}): {brk.message}; "
            f"{report.checked} events before it verified"
        )
