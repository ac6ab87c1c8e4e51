"""``via``: a person's action with a system effect through another module is recorded as theirs."""

from __future__ import annotations

import pytest

from zhengtong.audit import actions, log
from zhengtong.audit.db import append_only_lifted
from zhengtong.audit.models import AuditEvent
from zhengtong.audit.services import canonical, compute_hash, record

actions.register({"test.via.touch": "Touch via a module"})


@pytest.mark.django_db
def test_via_is_recorded_and_hashed_and_an_edit_of_it_breaks_the_chain(world):
    citizen = world.citizen
    event = record(actor=citizen, action="test.via.touch", target_type="t", target_id="1", via="payments")
    event.refresh_from_db()
    assert (event.actor_id, event.actor_label, event.via) == (citizen.pk, citizen.username, "payments")
    assert b'"via":"payments"' in canonical({"via": "payments"})
    log.run_until_idle()
    assert log.verify_log().ok
    with append_only_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(via="")
    report = log.verify_log()
    assert not report.ok
    assert report.first_break.where == f"event {event.pk}"
    assert report.first_break.reason == "edited"


def test_an_event_without_via_hashes_as_before_the_field_existed():
    values = {"action": "x", "prev_hash": "0" * 64, "via": ""}
    assert b"via" not in canonical(values)
    assert compute_hash(values) == compute_hash({k: v for k, v in values.items() if k != "via"})
