"""The audit log: events sequenced after commit into a Merkle tree with signed tree heads.

The design follows Certificate Transparency's log (RFC 9162, Trillian): writers never wait on one
another. ``services.record()`` inserts the event and a row on the unsequenced queue in the
writer's own transaction. The sequencer (``integrate``; the task worker runs it continuously, see
``wiring``) takes committed queue rows in batches, gives each event the next position in the log
(``AuditLogEntry``), stores the interior nodes it completes (``AuditNode``) and deletes the queue
rows, all in one transaction under a lock only sequencers contend for. ``publish_head`` signs the
tree's size and root at a fixed interval (``AUDIT_HEAD_INTERVAL_SECONDS``) with the installation's
``audit.tree_head`` key (through ``core.signing``), each head naming the hash of the one before.

Anyone may fetch the heads and consistency proofs between them; an auditor (or the person who acted)
may fetch an event's inclusion proof. ``verify_log`` checks everything: each event against its hash,
each log entry against its event, the pre-log hash chain, contiguity, stored nodes, every signed head
(signature, root, link), truncation, and that every event is either in the log or still queued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from zhengtong.audit import merkle
from zhengtong.audit.models import AuditEvent, AuditLogEntry, AuditNode, AuditQueue, AuditTreeHead
from zhengtong.audit.services import GENESIS_HASH, canonical, compute_hash, event_values
from zhengtong.core import prepared, signing

LOG_ID = "zhengtong-audit"
HEAD_PURPOSE = "audit.tree_head"
_SEQUENCER_LOCK = 0x5A54_5351  # "ZTSQ": taken by sequencers only, never by writers
BATCH = 5000


def _try_lock() -> bool:
    """The sequencer's lock (PostgreSQL advisory, transaction-scoped); SQLite's write transactions
    are IMMEDIATE, so sequencers there are serialized already."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEQUENCER_LOCK])
        return bool(cursor.fetchone()[0])


def tree_size() -> int:
    last = AuditLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return 0 if last is None else last + 1


class _Store:
    """Reads perfect subtrees (level 0: log entries; above: nodes) with a per-use memo."""

    def __init__(self):
        self.memo: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self.memo:
            if level == 0:
                value = AuditLogEntry.objects.values_list("leaf_hash", flat=True).get(seq=index)
            else:
                value = AuditNode.objects.values_list("hash", flat=True).get(level=level, index=index)
            self.memo[key] = bytes.fromhex(value)
        return self.memo[key]


def frontier(size: int, store: _Store | None = None) -> merkle.Frontier:
    store = store or _Store()
    return merkle.Frontier(size, [store(level, index) for level, index in merkle.perfect_ranges(size)])


def integrate(*, max_batch: int = BATCH) -> int:
    """Sequence up to ``max_batch`` committed events; returns how many (0: nothing queued, or another
    sequencer holds the lock)."""
    with transaction.atomic():
        if not _try_lock():
            return 0
        queued = _take_queued(max_batch)
        if not queued:
            return 0
        tree = frontier(tree_size())
        # Column by column (prepared.insert_columns): no model instance per entry or node.
        entries: dict[str, list] = {"seq": [], "event_id": [], "leaf_hash": []}
        nodes: dict[str, list] = {"level": [], "index": [], "hash": []}
        for event_id, content in queued:
            if not content:  # queued by migration 0008 with its event gone: left for verify_log to report
                continue
            leaf = merkle.leaf_hash(bytes.fromhex(content))
            entries["seq"].append(tree.size)
            entries["event_id"].append(event_id)
            entries["leaf_hash"].append(leaf.hex())
            for level, index, node in tree.append(leaf):
                nodes["level"].append(level)
                nodes["index"].append(index)
                nodes["hash"].append(node.hex())
        prepared.insert_columns(AuditLogEntry, entries)
        prepared.insert_columns(AuditNode, nodes)
    return len(queued)


def _take_queued(max_batch: int) -> list[tuple[int, str]]:
    """The oldest ``max_batch`` queued events as (event id, content hash), oldest first, their
    queue rows deleted (in the sequencer's transaction, under its lock). The hash comes with the
    queue row: the event table is not read (a look-up by id alone would visit every monthly
    partition, and a plan from stale statistics turned it into a scan of the month: 1.2 s a batch
    at 200,000 events). On PostgreSQL one ``DELETE ... RETURNING``."""
    if connection.vendor != "postgresql":
        rows = list(AuditQueue.objects.order_by("event_id").values_list("event_id", "hash")[:max_batch])
        AuditQueue.objects.filter(event_id__in=[event_id for event_id, _ in rows]).delete()
        return rows
    queue = connection.ops.quote_name(AuditQueue._meta.db_table)
    with connection.cursor() as cursor:
        # The table's name from the model; the batch size is a parameter.
        cursor.execute(
            f"DELETE FROM {queue} WHERE event_id IN"  # noqa: S608
            f" (SELECT event_id FROM {queue} ORDER BY event_id LIMIT %s) RETURNING event_id, hash",
            [max_batch],
        )
        return sorted(cursor.fetchall())


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head_payload(*, tree_size: int, root_hash: str, timestamp: dt.datetime, prev_head: str) -> bytes:
    """The exact bytes a tree head's signature covers (sorted-key compact JSON)."""
    body = {
        "log": LOG_ID,
        "tree_size": tree_size,
        "root_hash": root_hash,
        "timestamp": _stamp(timestamp),
        "prev_head": prev_head,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def payload_of(head: AuditTreeHead) -> bytes:
    return head_payload(
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        timestamp=head.timestamp,
        prev_head=head.prev_head_hash,
    )


def head_hash(head: AuditTreeHead | None) -> str:
    return GENESIS_HASH if head is None else hashlib.sha256(payload_of(head)).hexdigest()


def latest_head() -> AuditTreeHead | None:
    return AuditTreeHead.objects.order_by("-tree_size").first()


def publish_head(*, force: bool = False) -> AuditTreeHead | None:
    """Sign the current tree if it grew and the interval has passed (``force``: if it grew)."""
    with transaction.atomic():
        if not _try_lock():
            return None
        size = tree_size()
        last = latest_head()
        if size == 0 or (last is not None and last.tree_size >= size):
            return None
        now = timezone.now()
        too_soon = (
            last is not None and (now - last.timestamp).total_seconds() < settings.AUDIT_HEAD_INTERVAL_SECONDS
        )
        if too_soon and not force:
            return None
        root = frontier(size).root().hex()
        prev = head_hash(last)
        payload = head_payload(tree_size=size, root_hash=root, timestamp=now, prev_head=prev)
        signature = signing.sign(purpose=HEAD_PURPOSE, payload=payload, via="audit")
        return AuditTreeHead.objects.create(
            tree_size=size,
            root_hash=root,
            timestamp=now,
            prev_head_hash=prev,
            kid=signature.kid,
            signature=signature.value_b64url,
        )


def _drain() -> int:
    """Integrate batches until one is not full (the queue is drained, or another sequencer holds
    the lock); returns how many events were sequenced."""
    total = 0
    while True:
        done = integrate(max_batch=BATCH)
        total += done
        if done < BATCH:
            return total


def sequence_and_sign() -> int:
    """One turn of the worker's loop (``audit.sequencer``, every ``AUDIT_SEQUENCER_INTERVAL_MS``):
    sequence what is queued, then sign a head when due.

    The loop waits the interval after every turn, busy or not: one turn per interval instead of
    a sequencer that goes round as fast as it can. Measured with 16 writers on two cores
    (``bench/audit.py``), going round at once cost the writers a quarter of their throughput
    (small batches, each with its fixed statements, and the queue's index pages shared with the
    writers' inserts), for a lag the interval keeps well under the 2 s target."""
    done = _drain()
    publish_head()
    return done


def run_until_idle() -> int:
    """Sequence everything queued and sign a head now (commands, tests, the demo)."""
    total = _drain()
    publish_head(force=True)
    return total


# ------------------------------------------------------------------------------------------ proofs


def head_dict(head: AuditTreeHead) -> dict:
    return {
        "log": LOG_ID,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": _stamp(head.timestamp),
        "prev_head": head.prev_head_hash,
        "kid": head.kid,
        "alg": "ES256",
        "signature": head.signature,
    }


def inclusion_proof(event: AuditEvent) -> dict | None:
    """The event's position and audit path to the latest signed head that contains it (None: the
    event is not sequenced or not yet covered by a signed head)."""
    entry = AuditLogEntry.objects.filter(event_id=event.id).first()
    if entry is None:
        return None
    head = AuditTreeHead.objects.filter(tree_size__gt=entry.seq).order_by("-tree_size").first()
    if head is None:
        return None
    path = merkle.inclusion_path(entry.seq, head.tree_size, _Store())
    return {
        "event_id": event.id,
        "canonical": canonical_text(event),
        "event_hash": event.hash,
        "leaf_index": entry.seq,
        "leaf_hash": entry.leaf_hash,
        "path": [p.hex() for p in path],
        "head": head_dict(head),
    }


def canonical_text(event: AuditEvent) -> str:
    return canonical(event_values(event)).decode()


def consistency_proof(first: int, second: int) -> list[str]:
    return [p.hex() for p in merkle.consistency_path(first, second, _Store())]


# ------------------------------------------------------------------------------------ verification


@dataclass(frozen=True)
class LogBreak:
    where: str  # "event 12", "log entry 7", "node 2/3", "head 100"
    reason: str  # edited | deleted | reordered | link | gap | node | head_signature | head_root | head_link | truncated | omitted
    message: str


@dataclass(frozen=True)
class LogReport:
    checked: int
    tree_size: int
    root_hash: str
    heads: int
    unsequenced: int
    first_break: LogBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _chunks(qs, size: int) -> Iterable[list]:
    last = -1
    while True:
        batch = list(qs.filter(seq__gt=last).order_by("seq")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].seq


def verify_log(*, batch_size: int = BATCH) -> LogReport:  # noqa: C901 - one walk, every check in order
    heads = list(AuditTreeHead.objects.order_by("tree_size"))
    head_at = {h.tree_size: h for h in heads}
    tree = merkle.Frontier()
    expected_prev_chain = GENESIS_HASH
    in_chain = True
    checked = 0

    def report(brk: LogBreak | None) -> LogReport:
        return LogReport(checked, tree.size, tree.root().hex(), len(heads), AuditQueue.objects.count(), brk)

    previous_head: AuditTreeHead | None = None
    for batch in _chunks(AuditLogEntry.objects.all(), batch_size):
        events = {e.id: e for e in AuditEvent.objects.filter(id__in=[x.event_id for x in batch])}
        created: dict[int, list[tuple[int, bytes]]] = {}
        for entry in batch:
            if entry.seq != tree.size:
                return report(
                    LogBreak(f"log entry {entry.seq}", "gap", f"log position {tree.size} is missing")
                )
            event = events.get(entry.event_id)
            if event is None:
                return report(
                    LogBreak(
                        f"event {entry.event_id}",
                        "deleted",
                        f"event {entry.event_id} (log position {entry.seq}) was deleted",
                    )
                )
            if compute_hash(event_values(event)) != event.hash:
                return report(
                    LogBreak(
                        f"event {event.id}",
                        "edited",
                        f"event {event.id}: content does not match its hash (edited)",
                    )
                )
            leaf = merkle.leaf_hash(bytes.fromhex(event.hash))
            if leaf.hex() != entry.leaf_hash:
                return report(
                    LogBreak(
                        f"log entry {entry.seq}",
                        "reordered",
                        f"log position {entry.seq} does not hold event {event.id} as sequenced",
                    )
                )
            if event.prev_hash:
                if not in_chain or event.prev_hash != expected_prev_chain:
                    return report(
                        LogBreak(
                            f"event {event.id}",
                            "link",
                            f"event {event.id}: its previous hash does not match the event before it in the chain "
                            "written before the log; a row was deleted, reordered or inserted",
                        )
                    )
                expected_prev_chain = event.hash
            else:
                in_chain = False
            for level, index, value in tree.append(leaf):
                created.setdefault(level, []).append((index, value))
            checked += 1
            head = head_at.get(tree.size)
            if head is not None:
                brk = _check_head(head, previous_head, tree.root().hex())
                if brk:
                    return report(brk)
                previous_head = head
        for level, values in created.items():
            stored = dict(
                AuditNode.objects.filter(
                    level=level, index__gte=values[0][0], index__lte=values[-1][0]
                ).values_list("index", "hash")
            )
            for index, value in values:
                if stored.get(index) != value.hex():
                    return report(
                        LogBreak(
                            f"node {level}/{index}",
                            "node",
                            f"stored tree node {level}/{index} is missing or altered",
                        )
                    )
    for head in heads:
        if head.tree_size > tree.size:
            return report(
                LogBreak(
                    f"head {head.tree_size}",
                    "truncated",
                    f"a signed head covers {head.tree_size} events but the log holds {tree.size}: entries were removed",
                )
            )
    # Every event is in the log or still queued: none left out of sequencing.
    total = AuditEvent.objects.count()
    queued = AuditQueue.objects.count()
    if total != tree.size + queued:
        missing = (
            AuditEvent.objects.exclude(id__in=AuditLogEntry.objects.values("event_id"))
            .exclude(id__in=AuditQueue.objects.values("event_id"))
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        return report(
            LogBreak(
                f"event {missing}", "omitted", f"event {missing} is neither in the log nor queued for it"
            )
        )
    return report(None)


def _check_head(head: AuditTreeHead, previous: AuditTreeHead | None, root: str) -> LogBreak | None:
    where = f"head {head.tree_size}"
    if not signing.verify(kid=head.kid, payload=payload_of(head), signature_b64url=head.signature):
        return LogBreak(
            where, "head_signature", f"the signature of the head at size {head.tree_size} does not verify"
        )
    if head.root_hash != root:
        return LogBreak(
            where,
            "head_root",
            f"the head at size {head.tree_size} does not match the log's root at that size",
        )
    if head.prev_head_hash != head_hash(previous):
        return LogBreak(
            where,
            "head_link",
            f"the head at size {head.tree_size} does not follow the head before it (a head was dropped or forged)",
        )
    return None
