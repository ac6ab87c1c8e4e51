"""Print a new VAPID key pair for Web Push, as environment settings."""

from django.core.management.base import BaseCommand

from zhengtong.workspace.services import vapid_keys


class Command(BaseCommand):
    help = "Generate a VAPID key pair (P-256) for Web Push and print it as environment settings."

    def handle(self, *args, **options):
        private, public = vapid_keys()
        self.stdout.write(f"WORKSPACE_VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"WORKSPACE_VAPID_PUBLIC_KEY={public}")
