from django.core.management import BaseCommand
from rich.console import Console
from rich.table import Table

from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.registry.management.commands.seed_demo import module_demos


class Command(BaseCommand):
    help = "Print the demo accounts."

    def handle(self, *args, **options):
        table = Table(title=f"Demo accounts (password for all: {DEMO_PASSWORD})")
        for column in ("username", "role", "scope", "what to try"):
            table.add_column(column)
        rows = []
        for demo in module_demos():
            rows.extend(getattr(demo, "account_rows", list)())
        for row in rows:
            table.add_row(*row)
        Console(width=140).print(table)
