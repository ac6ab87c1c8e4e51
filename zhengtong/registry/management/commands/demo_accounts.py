from django.core.management import BaseCommand
from rich.console import Console
from rich.table import Table

from zhengtong.registry.demo import DEMO_PASSWORD, account_rows


class Command(BaseCommand):
    help = "Print the demo accounts."

    def handle(self, *args, **options):
        table = Table(title=f"Demo accounts (password for all: {DEMO_PASSWORD})")
        for column in ("username", "role", "scope", "what to try"):
            table.add_column(column)
        for row in account_rows():
            table.add_row(*row)
        Console(width=140).print(table)
