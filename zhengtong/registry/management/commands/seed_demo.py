from importlib import import_module
from importlib.util import find_spec

from django.core.management import BaseCommand

from zhengtong.registry.demo import seed

# Modules that add to the demo province, in order (each may have a demo.py with seed(stdout) -> counts).
DEMO_MODULES = (
    "privacy",
    "datastore",
    "catalog",
    "payments",
    "notify",
    "workorders",
    "services",
    "codes",
    "grid",
)


def module_demos():
    for module in DEMO_MODULES:
        name = f"zhengtong.{module}.demo"
        if find_spec(name) is not None:
            yield import_module(name)


class Command(BaseCommand):
    help = "Load the demo province (deterministic, idempotent)."

    def handle(self, *args, **options):
        counts = seed(stdout=self.stdout)
        for demo in module_demos():
            counts.update(demo.seed(stdout=self.stdout) or {})
        self.stdout.write(
            self.style.SUCCESS("demo province ready: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        )
