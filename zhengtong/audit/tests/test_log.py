"""The audit log: lock-free recording, sequencing into a Merkle tree, signed heads, proofs, and the
detection of every kind of tampering (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from zhengtong.audit import actions, log, merkle
from zhengtong.audit.db import append_only_enforced, append_only_lifted
from zhengtong.audit.models import AuditEvent, AuditLogEntry, AuditNode, AuditQueue, AuditTreeHead
from zhengtong.audit.services import GENESIS_HASH, compute_hash, event_values, record

actions.register({"test.thing.touch": "Touch a thing"})
SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "verify_audit_proof.py"


def _write(n: int, actor=None) -> list[AuditEvent]:
    return [
        record(actor=actor, action="test.thing.touch", target_type="test.thing", target_id=str(i))
        for i in range(n)
    ]


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH written out recursively, independent of the log's incremental frontier."""
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


@pytest.mark.django_db
def test_recording_queues_and_the_sequencer_builds_the_tree_and_signs_a_head():
    events = _write(7)
    assert AuditQueue.objects.count() == 7 and AuditLogEntry.objects.count() == 0
    assert all(e.prev_hash == "" for e in events)
    assert log.run_until_idle() == 7
    assert AuditQueue.objects.count() == 0
    entries = list(AuditLogEntry.objects.order_by("seq"))
    assert [e.event_id for e in entries] == [e.id for e in events]
    leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in events]
    head = log.latest_head()
    assert head.tree_size == 7 and head.root_hash == _mth(leaves).hex()
    assert head.prev_head_hash == GENESIS_HASH
    report = log.verify_log()
    assert report.ok and report.checked == 7 and report.heads == 1 and report.root_hash == head.root_hash


@pytest.mark.django_db
def test_the_queue_row_carries_the_events_hash_and_a_forged_one_is_detected():
    # The sequencer takes the hash from the queue row (it never reads the partitioned event table);
    # verify_log checks each log entry against its event, so a queue row altered before sequencing
    # cannot put another content into the log unnoticed.
    events = _write(3)
    assert dict(AuditQueue.objects.values_list("event_id", "hash")) == {e.pk: e.hash for e in events}
    AuditQueue.objects.filter(event_id=events[1].pk).update(hash="ab" * 32)
    log.run_until_idle()
    report = log.verify_log()
    assert report.first_break.reason == "reordered" and report.first_break.where == "log entry 1"


@pytest.mark.django_db
def test_one_turn_of_the_workers_loop_sequences_the_whole_backlog_in_batches(monkeypatch):
    # The worker pauses AUDIT_SEQUENCER_INTERVAL_MS after every turn, so a turn must not stop at
    # one batch: with batches of 3, seven queued events are sequenced in one turn (3 + 3 + 1).
    monkeypatch.setattr(log, "BATCH", 3)
    events = _write(7)
    assert log.sequence_and_sign() == 7
    assert AuditQueue.objects.count() == 0
    assert list(AuditLogEntry.objects.order_by("seq").values_list("event_id", flat=True)) == [
        e.id for e in events
    ]
    assert log.latest_head().tree_size == 7 and log.verify_log().ok
    assert log.sequence_and_sign() == 0  # nothing left: the turn after is idle


@pytest.mark.django_db
def test_heads_are_signed_at_most_once_per_interval_and_chain_to_each_other():
    _write(2)
    log.run_until_idle()
    first = log.latest_head()
    _write(1)
    log.integrate()
    assert log.publish_head() is None  # the interval has not passed
    second = log.publish_head(force=True)
    assert second.tree_size == 3 and second.prev_head_hash == log.head_hash(first)
    assert log.publish_head(force=True) is None  # nothing new to sign
    assert log.verify_log().ok


@pytest.mark.django_db
def test_unregistered_action_is_refused():
    with pytest.raises(ValueError, match="not registered"):
        record(actor=None, action="test.nobody.registered_this")
    assert AuditEvent.objects.count() == 0 and AuditQueue.objects.count() == 0


@pytest.mark.django_db
def test_database_refuses_update_and_delete_of_events_and_the_log():
    (event,) = _write(1)
    log.run_until_idle()
    with append_only_enforced():
        for model, row in (
            (AuditEvent, {"pk": event.pk}),
            (AuditLogEntry, {"seq": 0}),
            (AuditTreeHead, {"tree_size": 1}),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                model.objects.filter(**row).delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(note="changed")
        record(actor=None, action="test.thing.touch")  # appending still works
        log.run_until_idle()  # and sequencing (it deletes only queue rows)
    assert AuditEvent.objects.count() == 2 == AuditLogEntry.objects.count()
    event.refresh_from_db()
    assert event.note == ""


def _tampered(mutate) -> log.LogReport:
    with append_only_lifted():
        mutate()
    return log.verify_log()


@pytest.mark.django_db
def test_edited_event_is_named():
    events = _write(4)
    log.run_until_idle()
    report = _tampered(lambda: AuditEvent.objects.filter(pk=events[2].pk).update(target_id="forged"))
    assert (report.first_break.reason, report.first_break.where) == ("edited", f"event {events[2].pk}")
    assert report.checked == 2


@pytest.mark.django_db
def test_deleted_event_is_named():
    events = _write(4)
    log.run_until_idle()
    report = _tampered(lambda: AuditEvent.objects.filter(pk=events[1].pk).delete())
    assert report.first_break.reason == "deleted" and str(events[1].pk) in report.first_break.where


@pytest.mark.django_db
def test_reordered_entries_are_detected():
    events = _write(4)
    log.run_until_idle()

    def swap():
        AuditLogEntry.objects.filter(seq=1).update(event_id=-1)
        AuditLogEntry.objects.filter(seq=2).update(event_id=events[1].pk)
        AuditLogEntry.objects.filter(seq=1).update(event_id=events[2].pk)

    report = _tampered(swap)
    assert report.first_break.reason == "reordered" and report.first_break.where == "log entry 1"


@pytest.mark.django_db
def test_truncated_log_is_detected():
    _write(5)
    log.run_until_idle()
    report = _tampered(lambda: AuditLogEntry.objects.filter(seq__gte=3).delete())
    assert report.first_break.reason == "truncated"


@pytest.mark.django_db
def test_event_left_out_of_sequencing_is_detected():
    events = _write(3)
    with append_only_lifted():
        AuditQueue.objects.filter(event_id=events[1].pk).delete()
    log.run_until_idle()
    report = log.verify_log()
    assert report.first_break.reason == "omitted" and report.first_break.where == f"event {events[1].pk}"


@pytest.mark.django_db
def test_forged_dropped_and_altered_heads_and_nodes_are_detected():
    _write(2)
    log.run_until_idle()
    _write(2)
    log.integrate()
    log.publish_head(force=True)
    _write(2)
    log.integrate()
    log.publish_head(force=True)
    assert log.verify_log().ok and log.verify_log().heads == 3

    forged_root = _tampered(lambda: AuditTreeHead.objects.filter(tree_size=4).update(root_hash="0" * 64))
    assert forged_root.first_break.reason == "head_signature"
    with append_only_lifted():
        AuditTreeHead.objects.filter(tree_size=4).delete()
    dropped = log.verify_log()
    assert dropped.first_break.reason == "head_link" and dropped.first_break.where == "head 6"


@pytest.mark.django_db
def test_altered_tree_node_is_detected():
    _write(4)
    log.run_until_idle()
    report = _tampered(lambda: AuditNode.objects.filter(level=1, index=1).update(hash="f" * 64))
    assert report.first_break.reason == "node"


@pytest.mark.django_db
def test_events_from_before_the_log_keep_their_chain_and_enter_the_log_first():
    """What migration 0005 does to an existing installation: chained events are queued in id order."""
    previous = GENESIS_HASH
    legacy = []
    for i in range(3):
        event = AuditEvent(
            occurred_at=AuditEvent._meta.get_field("occurred_at").to_python(f"2026-01-0{i + 1}T00:00:00Z"),
            action="test.thing.touch",
            target_id=str(i),
            prev_hash=previous,
        )
        event.hash = compute_hash(event_values(event))
        event.save(force_insert=True)
        previous = event.hash
        legacy.append(event)
    AuditQueue.objects.bulk_create([AuditQueue(event_id=e.pk, hash=e.hash) for e in legacy])
    _write(2)
    log.run_until_idle()
    assert log.verify_log().ok
    assert list(AuditLogEntry.objects.order_by("seq").values_list("event_id", flat=True)[:3]) == [
        e.pk for e in legacy
    ]
    # A chained event that does not follow its predecessor (one was removed before the log existed).
    with append_only_lifted():
        bad = AuditEvent(occurred_at=legacy[0].occurred_at, action="test.thing.touch", prev_hash="a" * 64)
        bad.hash = compute_hash(event_values(bad))
        bad.save(force_insert=True)
    AuditQueue.objects.create(event_id=bad.pk, hash=bad.hash)
    log.run_until_idle()
    assert log.verify_log().first_break.reason == "link"


@pytest.mark.django_db
def test_audit_verify_command_reports_ok_and_the_broken_event(capsys):
    events = _write(3)
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "audit log intact: 3 events in the log" in out and "1 signed tree heads verified" in out
    with append_only_lifted():
        AuditEvent.objects.filter(pk=events[1].pk).update(note="x")
    with pytest.raises(CommandError, match=f"event {events[1].pk} \\(edited\\)"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_personal_identifiers_are_masked_and_pseudonymized():
    event = record(
        actor=None,
        action="test.thing.touch",
        after={"resident_id": "11010519491231002X", "phone": "13912345678", "name": "张三"},
    )
    event.refresh_from_db()
    stored = str(event.after)
    assert "11010519491231002X" not in stored and "13912345678" not in stored
    assert event.after["resident_id"]["masked"] == "110105********002X"
    assert event.after["phone"]["masked"] == "139****5678"
    assert len(event.after["resident_id"]["pseudonym"]) == 32
    assert event.after["name"] == "张三"
    log.run_until_idle()
    assert log.verify_log().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_sequencers_lose_nothing():
    writers, per_writer = 6, 10
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []
    done = threading.Event()

    def write():
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    record(actor=None, action="test.thing.touch", target_id=str(i))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def sequence():
        try:
            barrier.wait()
            while not done.is_set():
                log.sequence_and_sign()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    sequencer = threading.Thread(target=sequence)
    sequencer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    sequencer.join()
    assert errors == []
    log.run_until_idle()
    report = log.verify_log()
    assert report.ok and report.checked == writers * per_writer == AuditEvent.objects.count()
    assert sorted(AuditLogEntry.objects.values_list("seq", flat=True)) == list(range(writers * per_writer))


def test_inclusion_proof_for_ones_own_event_verifies_with_the_independent_script(world, client, tmp_path):
    mine = record(actor=world.citizen, action="test.thing.touch", target_id="mine")
    theirs = record(
        actor=world.xihu_clerk, action="test.thing.touch", target_id="theirs", org_unit=world.xihu
    )
    client.force_login(world.citizen, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/api/v1/audit/events/{mine.pk}/proof").status_code == 409  # not yet sequenced
    log.run_until_idle()
    proof = client.get(f"/api/v1/audit/events/{mine.pk}/proof")
    assert proof.status_code == 200
    assert client.get(f"/api/v1/audit/events/{theirs.pk}/proof").status_code == 404
    keys = client.get("/api/v1/seals/keys").json()
    (tmp_path / "proof.json").write_text(json.dumps(proof.json()), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    ok = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "proof.json"), str(tmp_path / "keys.json")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    forged = proof.json()
    forged["canonical"] = forged["canonical"].replace("mine", "mint")
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "forged.json"), str(tmp_path / "keys.json")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "does not match its hash" in bad.stderr
    # An auditor of the province sees the clerk's event's proof too.
    client.force_login(world.auditor, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/api/v1/audit/events/{theirs.pk}/proof").status_code == 200


def test_public_tree_head_and_consistency_proofs(world, client):
    _write(3)
    log.run_until_idle()
    first = client.get("/api/v1/audit/tree-heads/latest").json()
    _write(4)
    log.integrate()
    log.publish_head(force=True)
    second = client.get("/api/v1/audit/tree-heads/latest").json()
    proof = client.get(f"/api/v1/audit/consistency?first={first['tree_size']}&second={second['tree_size']}")
    assert proof.status_code == 200
    path = [bytes.fromhex(p) for p in proof.json()["path"]]
    assert merkle.verify_consistency(
        first["tree_size"],
        second["tree_size"],
        bytes.fromhex(first["root_hash"]),
        bytes.fromhex(second["root_hash"]),
        path,
    )
    too_far = client.get(f"/api/v1/audit/consistency?first=1&second={second['tree_size'] + 1}")
    assert too_far.status_code == 422 and "second" in too_far.json()["error"]["details"]["fields"]
    assert client.get("/api/v1/audit/consistency?first=0&second=1").status_code == 422


@override_settings(AUDIT_PUBLIC_PER_MINUTE=2)
def test_public_log_reads_are_rate_limited(world, client):
    codes = [client.get("/api/v1/audit/tree-heads/latest").status_code for _ in range(3)]
    assert codes[:2] == [404, 404] and codes[2] == 429
