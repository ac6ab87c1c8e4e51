"""The audit app's start-up connections: the recorder port and the log's sequencer loop."""

from __future__ import annotations

from django.conf import settings

from zhengtong.audit import indicators, log
from zhengtong.audit.services import record, record_statement
from zhengtong.core import partitions, trail
from zhengtong.core.tasks import register_loop


def install() -> None:
    trail.install(record, record_statement)
    # Audit events are kept (no retention): the Merkle log's proofs need them.
    partitions.register(partitions.Partitioned("audit_auditevent", "occurred_at"))
    indicators.install()
    register_loop("audit.sequencer", log.sequence_and_sign, settings.AUDIT_SEQUENCER_INTERVAL_MS / 1000)
