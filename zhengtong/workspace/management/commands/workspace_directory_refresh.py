"""Bring the workspace directory up to date with the staff accounts."""

from django.core.management.base import BaseCommand

from zhengtong.workspace.services import directory_refresh


class Command(BaseCommand):
    help = "Refresh the staff directory (names, pinyin, units, departments, leaders) from the accounts."

    def handle(self, *args, **options):
        count = directory_refresh(via="workspace")
        self.stdout.write(f"directory entries written: {count}")
