"""Deliveries still to be sent (pending, retrying) become transactional outbox messages (topic
``notify.delivery``, key = the delivery's id) keeping their attempts and next attempt time; then the
schedule leaves the Delivery row."""

from django.db import migrations
from django.utils import timezone


def to_outbox(apps, schema_editor):
    Delivery = apps.get_model("notify", "Delivery")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    now = timezone.now()
    for delivery in Delivery.objects.filter(status__in=("pending", "retrying")).order_by("id").iterator():
        OutboxMessage.objects.get_or_create(
            topic="notify.delivery",
            key=str(delivery.pk),
            defaults={
                "payload": {"delivery_id": delivery.pk},
                "state": "pending",
                "attempts": delivery.attempts,
                "next_attempt_at": delivery.next_attempt_at or now,
                "last_error": delivery.last_error,
            },
        )


def from_outbox(apps, schema_editor):
    Delivery = apps.get_model("notify", "Delivery")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    for message in OutboxMessage.objects.filter(topic="notify.delivery", state="pending").iterator():
        Delivery.objects.filter(pk=message.payload.get("delivery_id")).update(
            next_attempt_at=message.next_attempt_at
        )
    OutboxMessage.objects.filter(topic="notify.delivery").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_initial"),
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(to_outbox, from_outbox),
        migrations.RemoveField(
            model_name="delivery",
            name="next_attempt_at",
        ),
    ]
