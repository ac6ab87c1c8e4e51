from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.core.management import BaseCommand

from zhengtong.core import hooks


def module_demos() -> Iterator[ModuleType]:
    """The ``demo`` module (``seed(stdout) -> counts``, optionally ``account_rows()``) of every app
    whose AppConfig sets ``demo_order``, lowest first (registry's base province comes first)."""
    for config, _order in sorted(hooks.app_attributes("demo_order"), key=lambda pair: pair[1]):
        yield import_module(f"{config.name}.demo")


class Command(BaseCommand):
    help = "Load the demo province (deterministic, idempotent)."

    def handle(self, *args, **options):
        counts: dict = {}
        for demo in module_demos():
            counts.update(demo.seed(stdout=self.stdout) or {})
        self.stdout.write(
            self.style.SUCCESS("demo province ready: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        )
