"""The audit app's start-up connections: the recorder port and the log's sequencer loop."""

from __future__ import annotations

from django.conf import settings

from zhengtong.audit import log
from zhengtong.audit.services import record
from zhengtong.core import trail
from zhengtong.core.tasks import register_loop


def install() -> None:
    trail.install(record)
    register_loop("audit.sequencer", log.sequence_and_sign, settings.AUDIT_SEQUENCER_INTERVAL_MS / 1000)
