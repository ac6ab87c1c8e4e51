from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from zhengtong.audit import actions
from zhengtong.audit.db import append_only_enforced, append_only_lifted
from zhengtong.audit.models import AuditEvent
from zhengtong.audit.services import GENESIS_HASH, record, verify_chain

actions.register({"test.thing.touch": "Touch a thing"})


def _write(n: int, actor=None) -> list[AuditEvent]:
    return [
        record(actor=actor, action="test.thing.touch", target_type="test.thing", target_id=str(i))
        for i in range(n)
    ]


@pytest.mark.django_db
def test_clean_chain_verifies_and_links_each_row_to_the_previous():
    events = _write(5)
    assert events[0].prev_hash == GENESIS_HASH
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.prev_hash == earlier.hash
    report = verify_chain()
    assert report.ok
    assert report.checked == 5
    assert report.head_hash == events[-1].hash


@pytest.mark.django_db
def test_unregistered_action_is_refused():
    with pytest.raises(ValueError, match="not registered"):
        record(actor=None, action="test.nobody.registered_this")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_database_refuses_update_and_delete():
    (event,) = _write(1)
    with append_only_enforced():
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(note="changed")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        record(actor=None, action="test.thing.touch")  # appending still works
    assert AuditEvent.objects.count() == 2
    event.refresh_from_db()
    assert event.note == ""


@pytest.mark.django_db
def test_edited_row_is_named():
    events = _write(4)
    with append_only_lifted():
        AuditEvent.objects.filter(pk=events[2].pk).update(target_id="forged")
    report = verify_chain()
    assert not report.ok
    assert report.first_break.event_id == events[2].pk
    assert report.first_break.reason == "edited"
    assert report.checked == 2


@pytest.mark.django_db
def test_deleted_row_breaks_the_next_link():
    events = _write(4)
    with append_only_lifted():
        AuditEvent.objects.filter(pk=events[1].pk).delete()
    report = verify_chain()
    assert report.first_break.event_id == events[2].pk
    assert report.first_break.reason == "link"
    assert f"row {events[0].pk}" in report.first_break.message


@pytest.mark.django_db
def test_reordered_rows_are_detected():
    events = _write(4)
    a, b = events[1], events[2]
    fields = ["target_id", "prev_hash", "hash", "occurred_at"]
    values_a = {f: getattr(a, f) for f in fields}
    values_b = {f: getattr(b, f) for f in fields}
    with append_only_lifted():
        AuditEvent.objects.filter(pk=a.pk).update(hash="x" * 64)  # free the unique hash first
        AuditEvent.objects.filter(pk=b.pk).update(**values_a)
        AuditEvent.objects.filter(pk=a.pk).update(**values_b)
    report = verify_chain()
    assert not report.ok
    assert report.first_break.event_id == a.pk


@pytest.mark.django_db
def test_audit_verify_command_reports_ok_and_the_broken_row(capsys):
    events = _write(3)
    call_command("audit_verify")
    assert "3 events verified" in capsys.readouterr().out
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
    assert "11010519491231002X" not in stored
    assert "13912345678" not in stored
    assert event.after["resident_id"]["masked"] == "110105********002X"
    assert event.after["phone"]["masked"] == "139****5678"
    assert len(event.after["resident_id"]["pseudonym"]) == 32
    assert event.after["name"] == "张三"
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_a_single_line():
    writers, per_writer = 6, 10
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work():
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    record(actor=None, action="test.thing.touch", target_id=str(i))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == writers * per_writer
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes), (
        "two events claim the same predecessor: the chain forked"
    )
    report = verify_chain()
    assert report.ok and report.checked == writers * per_writer
