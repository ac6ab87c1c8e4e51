"""Fixtures of the datause tests: the catalogue's publishers and a published dataset (from the
catalogue's own test fixtures), a second citizen, and a clean cache (the rate limits)."""

from __future__ import annotations

from conftest import shared_fixture
from zhengtong.catalog.tests.conftest import Cat, _catalog_dirs  # noqa: F401 - the autouse fixture

PASSWORD = "Test-pass-2025!"


class Use(Cat):
    def __init__(self, world):
        super().__init__(world)
        from zhengtong.accounts.models import UserKind

        self.citizen = world.citizen
        self.other = world.acc.user_create(
            actor=None, username="citizen2", password=PASSWORD, kind=UserKind.CITIZEN
        )

    def messages(self, user, event=None):
        from zhengtong.notify.models import Message

        qs = Message.objects.filter(recipient=user)
        if event:
            qs = qs.filter(event=event)
        return list(qs)


@shared_fixture
def use(world):
    return Use(world)


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
