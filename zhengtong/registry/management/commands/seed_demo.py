from django.core.management import BaseCommand

from zhengtong.registry.demo import seed


class Command(BaseCommand):
    help = "Load the demo province (deterministic, idempotent)."

    def handle(self, *args, **options):
        counts = seed(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS("demo province ready: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        )
