"""Identifiers on the staff case page: masked everywhere (申请信息 and 申请材料) by the privacy
detectors; one shown in full by an explicit action that is audited; nothing shown and nothing
recorded for staff out of scope (issue 15)."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.core.masking import mask_resident_id
from zhengtong.services import services
from zhengtong.services.tests.test_cases import submit_shop

pytestmark = pytest.mark.django_db


def _reveals():
    return AuditEvent.objects.filter(action="services.case.identifier_revealed")


def test_the_page_masks_every_identifier(svc, client):
    case = submit_shop(svc)
    full = svc.person.resident_id
    client.force_login(svc.counter)
    html = client.get(f"/services/console/cases/{case.pk}/").content.decode()
    assert full not in html  # neither in 申请信息 nor in 申请材料 (the ID card's number)
    assert html.count(mask_resident_id(full)) >= 2
    assert 'value="data:resident_id"' in html and 'value="material:id_card"' in html
    assert _reveals().count() == 0


def test_show_in_full_is_audited_and_shows_one_identifier(svc, client):
    case = submit_shop(svc)
    full = svc.person.resident_id
    client.force_login(svc.counter)
    r = client.post(
        f"/services/console/cases/{case.pk}/",
        {"action": "reveal", "field": "material:id_card", "reason": "核对身份证原件"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count(full) == 1  # the one asked for; the data table stays masked
    event = _reveals().get()
    assert event.actor_id == svc.counter.pk
    assert event.after == {"field": "material:id_card", "reason": "核对身份证原件"}
    assert full not in str(event.after) and full not in event.note
    case.refresh_from_db()
    assert case.state == "submitted"


def test_reveal_without_reason_and_unknown_field(svc):
    case = submit_shop(svc)
    value = services.case_identifier_reveal(actor=svc.counter, case=case, field="data:resident_id")
    assert value == svc.person.resident_id
    assert _reveals().get().after == {"field": "data:resident_id", "reason": ""}
    with pytest.raises(ValidationError) as info:
        services.case_identifier_reveal(actor=svc.counter, case=case, field="data:shop_name")
    assert "field" in info.value.fields  # not an identifier: nothing to reveal
    with pytest.raises(ValidationError) as info:
        services.case_identifier_reveal(
            actor=svc.counter, case=case, field="data:resident_id", reason="x" * 201
        )
    assert "reason" in info.value.fields
    assert _reveals().count() == 1


def test_out_of_scope_staff_see_nothing_and_nothing_is_recorded(svc, client):
    case = submit_shop(svc)
    full = svc.person.resident_id
    before = AuditEvent.objects.count()
    for user in (svc.yiwu_counter, svc.other_citizen):
        with pytest.raises(PermissionDenied):
            services.case_identifier_reveal(actor=user, case=case, field="data:resident_id")
        client.force_login(user)
        r = client.post(
            f"/services/console/cases/{case.pk}/", {"action": "reveal", "field": "data:resident_id"}
        )
        assert r.status_code in (403, 404)
        assert full not in r.content.decode()
    client.force_login(svc.yiwu_counter)
    r = client.post(
        f"/api/v1/services/tasks/{case.pk}/reveal",
        {"field": "data:resident_id"},
        content_type="application/json",
    )
    assert r.status_code == 404 and full not in r.content.decode()
    assert AuditEvent.objects.count() == before
    assert _reveals().count() == 0


def test_api_reveal(svc, client):
    case = submit_shop(svc)
    client.force_login(svc.counter)
    r = client.post(
        f"/api/v1/services/tasks/{case.pk}/reveal",
        {"field": "data:resident_id", "reason": "电话核实"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"field": "data:resident_id", "value": svc.person.resident_id}
    assert _reveals().get().after["reason"] == "电话核实"
    r = client.post(
        f"/api/v1/services/tasks/{case.pk}/reveal", {"field": "nope"}, content_type="application/json"
    )
    assert r.status_code == 422 and "field" in r.json()["error"]["details"]["fields"]
    assert _reveals().count() == 1


def test_not_found_is_not_permission(svc):
    # the selector keeps other counties' cases invisible before any reveal is tried
    case = submit_shop(svc)
    from zhengtong.services import selectors

    with pytest.raises(NotFound):
        selectors.case_for_staff(svc.yiwu_counter, case.pk)
