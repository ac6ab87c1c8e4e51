"""Drive the demo's air-quality live tile: publish signed readings of the ``xihu-air`` stations
every few seconds, over MQTT (the broker ``cockpit_mqtt`` subscribes to) or over HTTP:

    manage.py cockpit_demo_feed --via mqtt --every 5 --count 100
    manage.py cockpit_demo_feed --via http --url http://127.0.0.1:8000 --every 5

The feed's key is rotated first, as the demo's feed administrator (``xihu_data_admin``), since a
key's secret is shown only once; a real station keeps the secret it was given.
"""

from __future__ import annotations

import json
import math
import random
import time
import urllib.request

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengtong.accounts.selectors import user_with_username
from zhengtong.cockpit.demo import STATIONS
from zhengtong.cockpit.services import feeds


class Command(BaseCommand):
    help = "Publish signed demo air-quality readings to the xihu-air feed (MQTT or HTTP)."

    def add_arguments(self, parser):
        parser.add_argument("--via", choices=("mqtt", "http"), default="mqtt")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the platform, for --via http")
        parser.add_argument("--every", type=float, default=5.0, help="seconds between rounds")
        parser.add_argument("--count", type=int, default=0, help="rounds (0: until interrupted)")

    def handle(self, *args, **options):
        admin = user_with_username("xihu_data_admin")
        try:
            feed = feeds.feed_get("xihu-air")
        except Exception as exc:  # noqa: BLE001 - NotFound: say what to do
            raise CommandError("no xihu-air feed: run seed_demo first") from exc
        if admin is None:
            raise CommandError("no demo account xihu_data_admin: run seed_demo first")
        if not options["url"].startswith(("http://", "https://")):
            raise CommandError("--url must be http:// or https://")
        secret = feeds.feed_key_rotate(actor=admin, feed=feed)
        client = None
        if options["via"] == "mqtt":
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="zhengtong-demo-feed")
            client.connect(settings.COCKPIT_MQTT_HOST, settings.COCKPIT_MQTT_PORT)
            client.loop_start()
        rng = random.Random(1)
        n = 0
        while not options["count"] or n < options["count"]:
            phase = math.sin(n / 6)
            messages = [
                {
                    "station": s,
                    "aqi": round(max(5, v[0] * (1 + 0.25 * phase) + rng.uniform(-8, 8)), 1),
                    "at": timezone.now().isoformat(),
                }
                for s, v in STATIONS.items()
            ]
            body = json.dumps({"messages": messages}, ensure_ascii=False)
            signature = feeds.sign(secret, body.encode())
            if client is not None:
                topic = settings.COCKPIT_MQTT_TOPIC.replace("+", feed.code)
                client.publish(
                    topic, json.dumps({"signature": signature, "body": body}), qos=1
                ).wait_for_publish()
            else:
                request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
                    f"{options['url']}/api/v1/cockpit/feeds/{feed.code}/messages",
                    data=body.encode(),
                    headers={
                        "Content-Type": "application/json",
                        "X-Zhengtong-Signature": "sha256=" + signature,
                    },
                    method="POST",
                )
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
                    self.stdout.write(response.read().decode())
            n += 1
            self.stdout.write(f"round {n}: {len(messages)} readings")
            time.sleep(options["every"])
        if client is not None:
            client.loop_stop()
            client.disconnect()
