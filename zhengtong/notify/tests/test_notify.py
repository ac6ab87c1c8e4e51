"""notify(): inbox row in the caller's transaction, outward channels after commit, retries,
SMS rate limit and receipts, the inbox API and page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from zhengtong.core import outbox
from zhengtong.core.models import OutboxMessage
from zhengtong.notify import selectors, services
from zhengtong.notify.models import Delivery, Message
from zhengtong.notify.sms import FileSmsBackend


@pytest.fixture(autouse=True)
def _sms_dir(settings, tmp_path):
    settings.NOTIFY_SMS_DIR = str(tmp_path / "sms")
    settings.NOTIFY_SMS_BACKEND = "zhengtong.notify.sms.FileSmsBackend"
    settings.NOTIFY_SMS_PER_NUMBER_PER_HOUR = 3


@pytest.fixture
def citizen(world):
    world.citizen.email = "citizen@example.cn"
    world.citizen.phone = "13912345678"
    world.citizen.save()
    return world.citizen


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_inbox_only_writes_a_message_and_no_delivery(citizen):
    services.notify(recipient=citizen, event="test.hello", title="Hello", body="Body", link="/x/")
    message = Message.objects.get()
    assert (message.recipient, message.event, message.title, message.read_at) == (
        citizen,
        "test.hello",
        "Hello",
        None,
    )
    assert not Delivery.objects.exists()
    assert selectors.unread_count(citizen) == 1


def test_outward_channels_are_sent_only_after_commit(citizen, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(recipient=citizen, event="e", title="Paid", channels=("inbox", "email", "sms"))
    assert len(mail.outbox) == 0
    assert set(Delivery.objects.values_list("channel", "status")) == {
        ("email", "pending"),
        ("sms", "pending"),
    }
    for cb in callbacks:
        cb()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["citizen@example.cn"]
    assert set(Delivery.objects.values_list("channel", "status")) == {("email", "sent"), ("sms", "sent")}
    sms = Delivery.objects.get(channel="sms")
    assert sms.address_masked == "139****5678" and sms.provider_id
    outbox = (FileSmsBackend().dir / "outbox.jsonl").read_text(encoding="utf-8")
    assert "【政通】Paid" in outbox
    # Receipts: the gateway reports delivery later.
    assert services.sms_receipts_collect() == 1
    assert Delivery.objects.get(channel="sms").status == "delivered"


def test_rolled_back_transaction_sends_nothing(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.notify(recipient=citizen, event="e", title="t", channels=("inbox", "email"))
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == [] and len(mail.outbox) == 0
    assert not Message.objects.exists()


def messages_of(deliveries) -> list[OutboxMessage]:
    """The outbox message of each delivery (topic notify.delivery, key = the delivery's id)."""
    return [OutboxMessage.objects.get(topic=services.DELIVERY_TOPIC, key=str(d.pk)) for d in deliveries]


def test_every_delivery_is_one_outbox_message_written_with_it(citizen):
    services.notify(recipient=citizen, event="e", title="t", channels=("inbox", "email", "sms", "email"))
    deliveries = list(Delivery.objects.order_by("id"))
    assert [d.channel for d in deliveries] == ["email", "sms"]
    messages = messages_of(deliveries)
    assert [(m.state, m.attempts, m.payload) for m in messages] == [
        ("pending", 0, {"delivery_id": deliveries[0].pk}),
        ("pending", 0, {"delivery_id": deliveries[1].pk}),
    ]
    assert OutboxMessage.objects.count() == 2


def test_sms_rate_limit_retries_later_through_the_sweep(citizen, settings):
    for i in range(4):
        services.notify(recipient=citizen, event="e", title=f"t{i}", channels=("sms",))
    deliveries = list(Delivery.objects.order_by("id"))
    messages = messages_of(deliveries)
    states = [outbox.deliver(m.pk) for m in messages]
    assert states == ["delivered", "delivered", "delivered", "pending"]
    assert [d.status for d in Delivery.objects.order_by("id")] == ["sent", "sent", "sent", "retrying"]
    limited = Delivery.objects.get(pk=deliveries[-1].pk)
    message = OutboxMessage.objects.get(pk=messages[-1].pk)
    assert limited.attempts == 1 and message.attempts == 1
    assert message.next_attempt_at > timezone.now() + dt.timedelta(minutes=9)
    assert "limit" in limited.last_error and "limit" in message.last_error
    # Not due yet: nothing happens; an hour later the gateway accepts it.
    assert outbox.deliver_due() == 0
    settings.NOTIFY_SMS_PER_NUMBER_PER_HOUR = 10
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    limited.refresh_from_db()
    assert (limited.status, limited.attempts) == ("sent", 2)
    # A sent delivery is never sent twice: the message is delivered, and re-delivery is harmless.
    assert outbox.deliver_now(message.pk) == "delivered"
    services.delivery_send({"delivery_id": limited.pk})
    limited.refresh_from_db()
    assert (limited.status, limited.attempts) == ("sent", 2)
    assert len((FileSmsBackend().dir / "outbox.jsonl").read_text().splitlines()) == 4


def test_failures_stop_after_max_attempts(citizen, settings, monkeypatch):
    settings.NOTIFY_MAX_ATTEMPTS = 2

    def broken(self, number, text):
        raise OSError("gateway down")

    monkeypatch.setattr(FileSmsBackend, "send", broken)
    services.notify(recipient=citizen, event="e", title="t", channels=("sms",))
    d = Delivery.objects.get()
    (message,) = messages_of([d])
    assert outbox.deliver(message.pk) == "pending"
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("retrying", 1)
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(days=1)) == 1
    d.refresh_from_db()
    message.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == ("failed", 2, "OSError: gateway down")
    assert (message.state, message.attempts, message.next_attempt_at) == ("failed", 2, None)
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(days=30)) == 0


def test_no_address_fails_without_retry(world):
    services.notify(recipient=world.citizen, event="e", title="t", channels=("email",))
    d = Delivery.objects.get()
    (message,) = messages_of([d])
    assert outbox.deliver(message.pk) == "failed"
    d.refresh_from_db()
    message.refresh_from_db()
    assert (d.status, d.attempts, d.address_masked, d.last_error) == ("failed", 1, "", "no email address")
    assert (message.state, message.attempts, message.next_attempt_at) == ("failed", 1, None)


def test_sms_numbers_are_masked_in_logs(citizen, caplog):
    caplog.set_level("INFO", logger="zhengtong.notify.sms")
    services.notify(recipient=citizen, event="e", title="t", channels=("sms",))
    outbox.deliver(messages_of([Delivery.objects.get()])[0].pk)
    assert "13912345678" not in caplog.text and "139****5678" in caplog.text


def test_unknown_channel_and_anonymous_recipient():
    with pytest.raises(ValueError):
        services.notify(recipient=None, event="e", title="t", channels=("fax",))
    services.notify(recipient=None, event="e", title="t")  # nothing to do, no error


def test_inbox_api_lists_only_own_messages_and_marks_read(world, citizen):
    services.notify(recipient=citizen, event="e", title="mine")
    services.notify(recipient=world.xihu_clerk, event="e", title="theirs")
    client = login(citizen)
    body = client.get("/api/v1/notifications/messages").json()
    assert [m["title"] for m in body["items"]] == ["mine"] and body["unread"] == 1
    theirs = Message.objects.get(title="theirs")
    response = client.post(f"/api/v1/notifications/messages/{theirs.pk}/read")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    mine = Message.objects.get(title="mine")
    response = client.post(f"/api/v1/notifications/messages/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    assert client.get("/api/v1/notifications/messages?unread=true").json()["items"] == []
    assert Client().get("/api/v1/notifications/messages").status_code == 401


def test_inbox_api_bad_limit_is_a_field_error(citizen):
    response = login(citizen).get("/api/v1/notifications/messages?limit=0")
    assert response.status_code == 422 and "limit" in json.dumps(response.json())


def test_inbox_page_and_badge(citizen):
    from django.template import Context, Template

    services.notify(recipient=citizen, event="e", title="Your bill is paid", link="/pay/x/")
    client = login(citizen)
    page = client.get("/messages/")
    assert page.status_code == 200 and "Your bill is paid" in page.content.decode()
    html = Template("{% load notify_tags %}{% unread_badge user %}").render(Context({"user": citizen}))
    assert "1 unread message" in html and "/messages/" in html
    client.post("/messages/", {"all": "1"})
    assert selectors.unread_count(citizen) == 0
    assert Client().get("/messages/").status_code == 302
