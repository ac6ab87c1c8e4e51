"""Subscribe to the live feeds on the MQTT broker (COCKPIT_MQTT_HOST/PORT, topic filter
COCKPIT_MQTT_TOPIC, default ``zhengtong/feeds/+``) and ingest each message as the HTTP push does.

A message's topic names the feed (``zhengtong/feeds/<code>``); its payload is JSON
``{"signature": "<hex HMAC>", "body": "<the JSON body as a string>"}``, signed exactly as an HTTP
push. Messages that fail (unknown feed, bad signature, schema) are logged and dropped.

Messages are not ingested one by one: they are held for a tick (``COCKPIT_FEED_FLUSH_MS``, 200 ms, or
``COCKPIT_FEED_FLUSH_PUSHES`` messages, whichever comes first) and each feed's messages of the tick go
to their windows in one transaction (``services.feeds.FeedBuffer``), so the rate does not depend on
how the senders split their readings into MQTT messages; a threshold event waits at most one tick.
"""

from __future__ import annotations

import json
import logging

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand

from zhengtong.cockpit.services import feeds
from zhengtong.core.errors import ZhengtongError

logger = logging.getLogger(__name__)


def envelope_of(topic: str, payload: bytes) -> tuple[str, bytes, str] | None:
    """(feed code, body, signature) of an MQTT message; None when the payload is not an envelope."""
    code = topic.rsplit("/", 1)[-1]
    try:
        envelope = json.loads(payload)
        body = envelope["body"].encode()
        signature = str(envelope["signature"])
    except (ValueError, KeyError, TypeError, AttributeError):
        logger.warning("mqtt feed %s: payload is not {signature, body}", code[:40])
        return None
    return code, body, signature


def handle_message(topic: str, payload: bytes) -> dict | None:
    """Ingest one MQTT message at once; None when it is refused (logged)."""
    envelope = envelope_of(topic, payload)
    if envelope is None:
        return None
    code, body, signature = envelope
    try:
        return feeds.feed_ingest(feed=feeds.feed_get(code), body=body, signature=signature)
    except ZhengtongError as exc:
        logger.warning("mqtt feed %s refused: %s", code[:40], exc.message[:200])
        return None


def flush(buffer: feeds.FeedBuffer) -> dict:
    """Ingest what ``buffer`` holds, logging what was refused."""
    out = buffer.flush()
    for code, result in out.items():
        if result.get("error"):
            logger.warning("mqtt feed %s refused: %s", code[:40], result["error"])
        for reason in result.get("refused") or []:
            logger.warning("mqtt feed %s: a message was refused: %s", code[:40], reason)
    return out


def subscriber(buffer: feeds.FeedBuffer, *, client_id: str = "zhengtong-cockpit", on_subscribe=None):
    """An MQTT client subscribed to COCKPIT_MQTT_TOPIC whose messages go into ``buffer``; the caller
    runs ``client.loop()`` and flushes the buffer when it is due (``run``)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)

    def on_connect(client, userdata, flags, reason_code, properties):
        client.subscribe(settings.COCKPIT_MQTT_TOPIC, qos=1)
        if on_subscribe:
            on_subscribe()

    def on_message(client, userdata, message):
        envelope = envelope_of(message.topic, message.payload)
        if envelope is not None:
            buffer.add(*envelope)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(settings.COCKPIT_MQTT_HOST, settings.COCKPIT_MQTT_PORT)
    return client


def run(client, buffer: feeds.FeedBuffer, *, stop=None) -> None:
    """Process the network and flush the buffer every tick until ``stop`` (an Event) is set."""
    while stop is None or not stop.is_set():
        client.loop(timeout=min(0.05, buffer.seconds))
        if buffer.due():
            flush(buffer)
    if buffer.count:
        flush(buffer)


class Command(BaseCommand):
    help = "Ingest live feeds from the MQTT broker until interrupted."

    def handle(self, *args, **options):
        buffer = feeds.FeedBuffer(
            seconds=settings.COCKPIT_FEED_FLUSH_MS / 1000, max_pushes=settings.COCKPIT_FEED_FLUSH_PUSHES
        )
        client = subscriber(
            buffer, on_subscribe=lambda: self.stdout.write(f"subscribed to {settings.COCKPIT_MQTT_TOPIC}")
        )
        run(client, buffer)
