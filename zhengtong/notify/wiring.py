"""How the notify module plugs into the platform: the periodic SMS receipt poll and (through
``tasks``, which imports ``services``) the outbox handler of deliveries. Installed once by
``NotifyConfig.ready()``."""

from __future__ import annotations

from zhengtong.core.tasks import register_periodic
from zhengtong.notify.tasks import sms_receipts_task


def install() -> None:
    register_periodic("notify.sms_receipts", sms_receipts_task, 60)
