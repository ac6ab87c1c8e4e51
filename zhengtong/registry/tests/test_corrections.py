"""Correction requests (数据纠错): a verified holder asks, a clerk of the record's county handles."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from zhengtong.accounts.models import UserKind
from zhengtong.audit.models import AuditEvent
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.core.workflow import timeline
from zhengtong.registry import selectors, services
from zhengtong.registry.models import CorrectionRequest, Person


def snapshot(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields}


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def person(world):
    person = world.person(world.village, name="张三")
    services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    world.citizen.refresh_from_db()
    return person


@pytest.fixture
def request_(world, person):
    return services.correction_submit(
        actor=world.citizen, field="address", requested_value="北山街道8号", reason="门牌号已变更"
    )


def test_submit_starts_the_clock(world, person):
    events = AuditEvent.objects.count()
    req = services.correction_submit(
        actor=world.citizen, field="address", requested_value=" 北山街道8号 ", reason="门牌号已变更"
    )
    stored = CorrectionRequest.objects.get(pk=req.pk)
    assert (stored.state, stored.version, stored.field) == ("submitted", 0, "address")
    assert (stored.current_value, stored.requested_value) == ("栖霞岭社区1号", "北山街道8号")
    assert (stored.person, stored.org_unit, stored.submitted_by) == (person, world.village, world.citizen)
    today = timezone.localdate()
    assert stored.sla_started_on == today
    assert stored.sla_working_days == settings.REGISTRY_CORRECTION_DAYS
    assert stored.sla_deadline == add_working_days(today, settings.REGISTRY_CORRECTION_DAYS)
    assert stored.sla_state in {"on_time", "due_soon"}
    assert [e.transition for e in timeline(stored)] == ["create"]
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.order_by("-id").first().action == "registry.correction.create"


def test_submit_rules(world, person):
    with pytest.raises(ValidationError) as exc:
        services.correction_submit(actor=world.citizen, field="resident_id", requested_value="x", reason="y")
    assert exc.value.fields == {"field": ["choose one of: name, ethnicity, phone, address"]}
    with pytest.raises(ValidationError) as exc:
        services.correction_submit(
            actor=world.citizen, field="address", requested_value="栖霞岭社区1号", reason="y"
        )
    assert exc.value.fields == {"requested_value": ["is the value the registry already holds"]}
    with pytest.raises(ValidationError) as exc:
        services.correction_submit(actor=world.citizen, field="phone", requested_value="123", reason="y")
    assert list(exc.value.fields) == ["requested_value"]
    with pytest.raises(ValidationError) as exc:
        services.correction_submit(actor=world.citizen, field="name", requested_value="张叁", reason=" ")
    assert exc.value.fields == {"reason": ["is required"]}
    assert CorrectionRequest.objects.count() == 0


def test_unverified_citizen_and_staff_cannot_submit(world, password):
    other = world.acc.user_create(actor=None, username="c2", password=password, kind=UserKind.CITIZEN)
    for actor in (other, world.xihu_clerk):
        with pytest.raises(PermissionDenied) as exc:
            services.correction_submit(actor=actor, field="address", requested_value="x", reason="y")
        assert exc.value.message == "verify your identity first"
    assert CorrectionRequest.objects.count() == 0


def test_clerk_in_scope_takes_and_resolves_and_the_record_changes(world, person, request_):
    services.correction_take(actor=world.xihu_clerk, request=request_)
    services.correction_resolve(actor=world.xihu_clerk, request=request_, note="已核实")
    stored = CorrectionRequest.objects.get(pk=request_.pk)
    assert (stored.state, stored.version, stored.resolution, stored.sla_state) == (
        "resolved",
        2,
        "已核实",
        "stopped",
    )
    assert Person.objects.get(pk=person.pk).address == "北山街道8号"
    assert [(e.transition, e.from_state, e.to_state, e.actor_label) for e in timeline(stored)] == [
        ("create", "", "submitted", "citizen"),
        ("take", "submitted", "in_progress", "xihu_clerk"),
        ("resolve", "in_progress", "resolved", "xihu_clerk"),
    ]
    actions = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:3])
    assert actions == ["registry.person.update", "registry.correction.resolve", "registry.correction.take"]


def test_clerk_of_another_county_can_do_nothing(world, person, request_):
    before, person_before, events = snapshot(request_), snapshot(person), AuditEvent.objects.count()
    for action in ("take", "reject"):
        with pytest.raises(PermissionDenied):
            services.CORRECTION_TRANSITIONS[action](actor=world.yiwu_clerk, request=request_, note="不予受理")
    assert snapshot(request_) == before
    assert snapshot(person) == person_before
    assert AuditEvent.objects.count() == events
    with pytest.raises(NotFound):
        selectors.correction_get_for(world.yiwu_clerk, request_.pk)
    assert list(selectors.corrections_for(world.yiwu_clerk)) == []
    assert list(selectors.corrections_for(world.xihu_clerk)) == [request_]
    assert list(selectors.corrections_for(world.citizen)) == [request_]


def test_reject_needs_a_note(world, request_):
    before, events = snapshot(request_), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.correction_reject(actor=world.xihu_clerk, request=request_, note="  ")
    assert exc.value.fields == {"note": ["a reason is required for this action"]}
    assert snapshot(request_) == before
    assert AuditEvent.objects.count() == events
    services.correction_reject(actor=world.xihu_clerk, request=request_, note="材料不符")
    stored = CorrectionRequest.objects.get(pk=request_.pk)
    assert (stored.state, stored.resolution, stored.sla_state) == ("rejected", "材料不符", "stopped")


def test_only_the_submitter_withdraws(world, request_, password):
    other = world.acc.user_create(actor=None, username="c2", password=password, kind=UserKind.CITIZEN)
    before = snapshot(request_)
    for actor in (other, world.xihu_clerk):
        with pytest.raises(PermissionDenied):
            services.correction_withdraw(actor=actor, request=request_)
    assert snapshot(request_) == before
    services.correction_withdraw(actor=world.citizen, request=request_)
    assert CorrectionRequest.objects.get(pk=request_.pk).state == "withdrawn"


def test_citizen_cannot_handle_their_own_request(world, person, request_):
    before = snapshot(request_)
    with pytest.raises(PermissionDenied):
        services.correction_take(actor=world.citizen, request=request_)
    assert snapshot(request_) == before


# --- API ------------------------------------------------------------------------------------------


def transition(client, obj, **payload):
    return client.post(
        f"/api/v1/registry/corrections/{obj.pk}/transitions",
        data=json.dumps(payload),
        content_type="application/json",
    )


def test_api_submit_and_handle(world, person):
    response = api(world.citizen).post(
        "/api/v1/registry/corrections",
        data=json.dumps({"field": "phone", "requested_value": "13800001111", "reason": "换号"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["version"], body["field"], body["org_unit"]) == (
        "submitted",
        0,
        "phone",
        "330106002001",
    )
    deadline = add_working_days(timezone.localdate(), settings.REGISTRY_CORRECTION_DAYS)
    assert body["sla_deadline"] == deadline.isoformat()
    obj = CorrectionRequest.objects.get(pk=body["id"])
    clerk = api(world.xihu_clerk)
    assert transition(clerk, obj, action="take", version=0).json()["state"] == "in_progress"
    response = transition(clerk, obj, action="resolve", note="ok", version=1)
    assert response.status_code == 200
    assert response.json()["state"] == "resolved"
    assert Person.objects.get(pk=person.pk).phone == "13800001111"


def test_api_stale_version_is_409(world, request_):
    clerk = api(world.xihu_clerk)
    assert transition(clerk, request_, action="take", version=0).status_code == 200
    before, events = snapshot(request_), AuditEvent.objects.count()
    response = transition(clerk, request_, action="reject", note="重复", version=0)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    assert snapshot(request_) == before
    assert AuditEvent.objects.count() == events


def test_api_other_county_clerk_gets_404_and_nothing_changes(world, request_):
    before, events = snapshot(request_), AuditEvent.objects.count()
    response = transition(api(world.yiwu_clerk), request_, action="take", version=0)
    assert response.status_code == 404
    assert snapshot(request_) == before
    assert AuditEvent.objects.count() == events
    assert api(world.yiwu_clerk).get("/api/v1/registry/corrections").json() == {"items": [], "next": None}
