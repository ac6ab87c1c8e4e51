"""SMS gateways behind one interface.

``SmsBackend.send(number, text) -> provider message id`` raises ``SmsRateLimited`` when the number
has had too many messages in the last hour (real gateways refuse those: 流控), and
``SmsError`` for other failures (the caller retries). A gateway later reports whether the
message reached the phone (a delivery receipt, 状态报告): ``FileSmsBackend`` writes receipts to
a file that ``poll_receipts()`` reads back, as a real gateway's pull API would.

Numbers never appear in logs unmasked.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengtong.core.masking import mask_phone

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway did not accept the message (temporary: try again later)."""


class SmsRateLimited(SmsError):
    """The gateway refused: too many messages to this number recently."""


class SmsBackend:
    def send(self, number: str, text: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def poll_receipts(self) -> list[tuple[str, str]]:
        """Delivery receipts not yet collected: (provider id, "delivered" | "failed")."""
        return []


class FileSmsBackend(SmsBackend):
    """A local gateway: messages are appended to ``outbox.jsonl`` and a receipt to
    ``receipts.jsonl`` under NOTIFY_SMS_DIR; it enforces the per-number hourly limit."""

    _lock = threading.Lock()
    # Numbers that the local gateway treats as unreachable (receipt "failed"), for trying things out.
    UNREACHABLE_PREFIX = "1700000"

    def __init__(self, directory: str | None = None):
        self.dir = Path(directory or settings.NOTIFY_SMS_DIR)

    def _sent_recently(self, number: str, since: dt.datetime) -> int:
        path = self.dir / "outbox.jsonl"
        if not path.exists():
            return 0
        count = 0
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row["to"] == number and dt.datetime.fromisoformat(row["at"]) >= since:
                    count += 1
        return count

    def send(self, number: str, text: str) -> str:
        now = timezone.now()
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            if (
                self._sent_recently(number, now - dt.timedelta(hours=1))
                >= settings.NOTIFY_SMS_PER_NUMBER_PER_HOUR
            ):
                logger.info("SMS to %s refused: hourly limit", mask_phone(number))
                raise SmsRateLimited("hourly limit for this number reached")
            provider_id = uuid.uuid4().hex
            with (self.dir / "outbox.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(
                    json.dumps(
                        {"id": provider_id, "to": number, "text": text, "at": now.isoformat()},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            status = "failed" if number.startswith(self.UNREACHABLE_PREFIX) else "delivered"
            with (self.dir / "receipts.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"id": provider_id, "status": status}) + "\n")
        logger.info("SMS %s to %s accepted", provider_id, mask_phone(number))
        return provider_id

    def poll_receipts(self) -> list[tuple[str, str]]:
        path = self.dir / "receipts.jsonl"
        with self._lock:
            if not path.exists():
                return []
            taken = path.with_suffix(".taken")
            path.replace(taken)
            rows = [json.loads(line) for line in taken.read_text(encoding="utf-8").splitlines() if line]
            taken.unlink()
        return [(row["id"], row["status"]) for row in rows]


class ConsoleSmsBackend(FileSmsBackend):
    """Like the file gateway, and also prints each message (number masked)."""

    def send(self, number: str, text: str) -> str:
        provider_id = super().send(number, text)
        print(f"[SMS {provider_id}] to {mask_phone(number)}: {text}")  # noqa: T201
        return provider_id


def get_backend() -> SmsBackend:
    return import_string(settings.NOTIFY_SMS_BACKEND)()
