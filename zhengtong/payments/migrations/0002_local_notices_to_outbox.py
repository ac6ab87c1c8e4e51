"""The local provider's notifications not yet acknowledged nor given up become transactional outbox
messages (topic ``payments.local_notice``), keeping their attempts and next attempt time; the
LocalNotice table goes (the outbox holds the schedule and the state)."""

from django.db import migrations
from django.utils import timezone


def to_outbox(apps, schema_editor):
    LocalNotice = apps.get_model("payments", "LocalNotice")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    now = timezone.now()
    copies: dict[str, int] = {}
    for notice in LocalNotice.objects.order_by("id").iterator():
        copy = copies[notice.event_id] = copies.get(notice.event_id, 0) + 1
        if notice.acked_at or notice.gave_up_at:
            continue
        OutboxMessage.objects.get_or_create(
            topic="payments.local_notice",
            key=notice.event_id if copy == 1 else f"{notice.event_id}:{copy}",
            defaults={
                "payload": {"event_id": notice.event_id, "body": notice.body},
                "state": "pending",
                "attempts": notice.attempts,
                "next_attempt_at": notice.next_attempt_at or now,
                "last_error": f"HTTP {notice.last_status}" if notice.last_status else "",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(to_outbox, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="LocalNotice",
        ),
    ]
