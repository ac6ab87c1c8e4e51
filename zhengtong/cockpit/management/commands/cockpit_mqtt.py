"""Subscribe to the live feeds on the MQTT broker (COCKPIT_MQTT_HOST/PORT, topic filter
COCKPIT_MQTT_TOPIC, default ``zhengtong/feeds/+``) and ingest each message as the HTTP push does.

A message's topic names the feed (``zhengtong/feeds/<code>``); its payload is JSON
``{"signature": "<hex HMAC>", "body": "<the JSON body as a string>"}``, signed exactly as an HTTP
push. Messages that fail (unknown feed, bad signature, schema) are logged and dropped.
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


def handle_message(topic: str, payload: bytes) -> dict | None:
    """Ingest one MQTT message; None when it is refused (logged)."""
    code = topic.rsplit("/", 1)[-1]
    try:
        envelope = json.loads(payload)
        body = envelope["body"].encode()
        signature = str(envelope["signature"])
    except (ValueError, KeyError, TypeError, AttributeError):
        logger.warning("mqtt feed %s: payload is not {signature, body}", code[:40])
        return None
    try:
        return feeds.feed_ingest(feed=feeds.feed_get(code), body=body, signature=signature)
    except ZhengtongError as exc:
        logger.warning("mqtt feed %s refused: %s", code[:40], exc.message[:200])
        return None


class Command(BaseCommand):
    help = "Ingest live feeds from the MQTT broker until interrupted."

    def handle(self, *args, **options):
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="zhengtong-cockpit")

        def on_connect(client, userdata, flags, reason_code, properties):
            client.subscribe(settings.COCKPIT_MQTT_TOPIC, qos=1)
            self.stdout.write(f"subscribed to {settings.COCKPIT_MQTT_TOPIC}")

        def on_message(client, userdata, message):
            handle_message(message.topic, message.payload)

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect(settings.COCKPIT_MQTT_HOST, settings.COCKPIT_MQTT_PORT)
        client.loop_forever()
