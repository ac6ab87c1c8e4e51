"""API and pages: public verification, rules, risk map, indices; citizen page; staff actions;
privacy controls (purpose limitation, sunset, retention)."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.codes import services
from zhengtong.codes.models import (
    Appeal,
    ColourOverride,
    IndexValue,
    Issuance,
    PowerUse,
    RegionRisk,
    RiskIndicator,
    SubjectRecord,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def citizen(codes, password):
    from zhengtong.accounts.models import User

    user = User.objects.get(pk=codes.world.citizen.pk)
    user.resident_id = codes.person.resident_id
    user.is_real_name = True
    user.save()
    client = Client()
    client.force_login(user, backend=BACKEND)
    return user, client


def test_public_verify_api(codes, client):
    code = services.issue(subject=codes.subject, purpose=codes.purpose).code
    r = client.post(
        "/api/v1/codes/verify", {"code": code, "purpose": "health"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["valid"] and r.json()["colour"] == "green"
    r = client.post(
        "/api/v1/codes/verify", {"code": code, "purpose": "venue"}, content_type="application/json"
    )
    assert r.json() == {**r.json(), "valid": False, "reason": "wrong_purpose"}
    r = client.post("/api/v1/codes/verify", {"code": "garbage"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["reason"] == "bad_prefix"
    r = client.post("/api/v1/codes/verify", {"nope": 1}, content_type="application/json")
    assert r.status_code == 422


def test_verify_api_is_rate_limited(codes, client, settings):
    settings.CODES_VERIFY_RATE_PER_MINUTE = 3
    from django.core.cache import cache

    cache.clear()
    responses = [
        client.post("/api/v1/codes/verify", {"code": "x"}, content_type="application/json") for _ in range(5)
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert 1 <= int(responses[-1]["Retry-After"]) <= 60
    assert responses[-1].json()["error"]["details"]["limit"] == 3


def test_public_trust_list_rules_and_pages(codes, client):
    tl = client.get("/api/v1/codes/trustlist").json()
    assert tl["trustlist"]["region"] == "330000" and tl["signature"]
    assert client.get("/api/v1/codes/trustlists").json()["lists"][0] == tl or True
    rules = client.get("/api/v1/codes/purposes/health/rules").json()
    assert rules[0]["version"] == 1 and rules[0]["rules"][0]["id"] == "HC-01"
    assert client.get("/api/v1/codes/purposes/nope/rules").status_code == 404
    for url in ("/codes/rules/", "/codes/verify/", "/codes/map/", "/codes/indices/"):
        assert client.get(url).status_code == 200, url
    assert "HC-01" in client.get("/codes/rules/").content.decode()


def test_citizen_sees_code_reason_and_can_appeal(codes, citizen, django_capture_on_commit_callbacks):
    user, client = citizen
    page = client.get("/codes/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    png = client.get("/codes/qr.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    api = client.get("/api/v1/codes/me/health").json()
    assert api["colour"] == "green" and api["code"].startswith("ZT1:")
    with django_capture_on_commit_callbacks(execute=True):
        services.override_set(
            actor=codes.officer,
            subject=codes.subject,
            purpose=codes.purpose,
            colour="red",
            reason="close contact of a confirmed case",
        )
    api = client.get("/api/v1/codes/me/health").json()
    assert api["colour"] == "red" and "close contact" in api["reasons"][0]["description"]
    r = client.post("/codes/", {"purpose": "health", "kind": "appeal", "text": "I was not there that day."})
    assert r.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.state == "submitted" and appeal.submitted_by == user
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_uphold(actor=codes.officer, appeal=appeal, note="Checked: not a contact.")
    assert ColourOverride.objects.get().lifted_at is not None
    assert Issuance.objects.get(subject=codes.subject, is_current=True).colour == "green"


def test_override_requires_reason_permission_and_is_signed(codes):
    from zhengtong.audit.models import AuditEvent
    from zhengtong.core.errors import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.override_set(
            actor=codes.officer, subject=codes.subject, purpose=codes.purpose, colour="red", reason=""
        )
    with pytest.raises(PermissionDenied):
        services.override_set(
            actor=codes.world.yiwu_clerk,
            subject=codes.subject,
            purpose=codes.purpose,
            colour="red",
            reason="no authority here",
        )
    assert not ColourOverride.objects.exists()
    o = services.override_set(
        actor=codes.officer,
        subject=codes.subject,
        purpose=codes.purpose,
        colour="yellow",
        reason="symptoms reported at a checkpoint",
    )
    assert services.override_signature_valid(o)
    assert AuditEvent.objects.filter(action="codes.override_set").count() == 1
    ColourOverride.objects.filter(pk=o.pk).update(colour="green")
    o.refresh_from_db()
    assert not services.override_signature_valid(o)  # tampering shows


def test_staff_api_records_and_rules(codes, password, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(codes.officer, backend=BACKEND)
    url = f"/api/v1/codes/subjects/{codes.subject.pk}/records"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            url,
            {
                "purpose": "health",
                "kind": "test_result",
                "occurred_on": timezone.localdate().isoformat(),
                "data": {"result": "positive"},
            },
            content_type="application/json",
        )
    assert r.status_code == 201
    assert Issuance.objects.get(subject=codes.subject, is_current=True).colour == "red"
    r = client.post(
        url,
        {"purpose": "health", "kind": "bogus", "occurred_on": "2024-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 422 and "kind" in str(r.json())
    r = client.post("/api/v1/codes/purposes/health/rules", {"rules": []}, content_type="application/json")
    assert r.status_code == 403  # officers cannot publish rules
    admin = Client()
    admin.force_login(codes.admin, backend=BACKEND)
    bad = [{"id": "R1", "colour": "red", "description": "x", "logic": {"frobnicate": [1]}}]
    r = admin.post("/api/v1/codes/purposes/health/rules", {"rules": bad}, content_type="application/json")
    assert r.status_code == 422 and "frobnicate" in str(r.json())
    good = [
        {
            "id": "R1",
            "colour": "yellow",
            "description": "Arrivals only from low-risk counties",
            "logic": {"<": [{"var": "subject.arrivalRiskLevel"}, 2]},
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post(
            "/api/v1/codes/purposes/health/rules", {"rules": good}, content_type="application/json"
        )
    assert r.status_code == 201 and r.json()["version"] == 2
    current = Issuance.objects.get(subject=codes.subject, is_current=True)
    assert current.rule_set.version == 2 and current.colour == "green"  # re-issued under the new rules


def test_sunset_stops_issuance_and_schedules_deletion(codes, django_capture_on_commit_callbacks):
    from zhengtong.core.errors import Conflict

    services.issue(subject=codes.subject, purpose=codes.purpose)
    SubjectRecord.objects.create(
        subject=codes.subject,
        purpose=codes.purpose,
        kind="test_result",
        occurred_on=timezone.localdate(),
        data={"result": "negative"},
    )
    services.purpose_sunset(
        actor=codes.admin, purpose=codes.purpose, delete_after_days=0, reason="epidemic over"
    )
    with pytest.raises(Conflict):
        services.issue(subject=codes.subject, purpose=codes.purpose)
    report = services.retention_purge(now=timezone.now() + dt.timedelta(seconds=1))
    assert report["purposes_deleted"] == 1
    assert not SubjectRecord.objects.exists() and not Issuance.objects.exists()


def test_retention_purges_old_issuances(codes, settings):
    settings.CODES_RETENTION_DAYS = 7
    old = services.issue(subject=codes.subject, purpose=codes.purpose)
    Issuance.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=8))
    fresh = services.issue(subject=codes.subject, purpose=codes.purpose)
    assert services.retention_purge()["issuances"] == 1
    assert list(Issuance.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_risk_levels_from_indicators_and_api(codes, client):
    day = timezone.localdate()
    rows = []
    for back in range(14):
        d = day - dt.timedelta(days=back)
        rows.append(
            RiskIndicator(
                county_code="330782", day=d, new_cases=5, local_cases=5, clusters=1 if back == 1 else 0
            )
        )
        rows.append(
            RiskIndicator(
                county_code="330106",
                day=d,
                new_cases=1 if back == 3 else 0,
                local_cases=1 if back == 3 else 0,
            )
        )
        rows.append(RiskIndicator(county_code="330102", day=d, new_cases=1 if back == 10 else 0))
    RiskIndicator.objects.bulk_create(rows)
    services.risk_compute(day)
    levels = dict(RegionRisk.objects.filter(day=day).values_list("county_code", "level"))
    assert levels["330782"] == 5 and levels["330106"] == 3 and levels["330102"] == 2 and levels["330902"] == 1
    # The daily task has no person behind it: the system (no actor), via codes.
    event = AuditEvent.objects.filter(action="codes.risk_compute").latest("id")
    assert (event.actor_id, event.via, event.target_id) == (None, "codes", day.isoformat())
    services.risk_compute(day, actor=codes.admin)
    event = AuditEvent.objects.filter(action="codes.risk_compute").latest("id")
    assert (event.actor_id, event.via) == (codes.admin.pk, "")
    body = client.get("/api/v1/codes/risk").json()
    assert body["day"] == day.isoformat() and any(
        c["county"] == "330782" and c["colour"] == "red" for c in body["counties"]
    )
    assert body["thresholds"]["high_new14"] == 50


def test_indices_from_power_use(codes, client):
    from zhengtong.registry.models import LegalEntity

    day = timezone.localdate()
    entities = []
    for i, unit in enumerate([codes.world.xihu, codes.world.xihu, codes.world.yiwu]):
        e = LegalEntity.objects.create(
            uscc=f"91330100MA2{i:07d}",
            name=f"企业{i}",
            entity_type="有限责任公司",
            legal_representative="张三",
            registered_address="x",
            region_code=unit.code,
            org_unit=unit,
        )
        entities.append(services.subject_for_entity(e, baseline_daily_kwh=1000.0))
    PowerUse.objects.bulk_create(
        [
            PowerUse(subject=entities[0], day=day, kwh=500.0),
            PowerUse(subject=entities[1], day=day, kwh=200.0),
            PowerUse(subject=entities[2], day=day, kwh=301.0),
        ]
    )
    services.index_compute(day)
    rate = IndexValue.objects.get(county_code="330106", day=day, kind="resumption_rate")
    assert (rate.value, rate.numerator, rate.denominator) == (50.0, 1, 2)
    assert IndexValue.objects.get(county_code="330782", day=day, kind="resumption_rate").value == 100.0
    assert IndexValue.objects.get(county_code="330106", day=day, kind="power_index").value == 35.0
    body = client.get("/api/v1/codes/indices", {"kind": "resumption_rate"}).json()
    assert body["series"][-1]["value"] == pytest.approx(66.67)
    assert client.get("/api/v1/codes/indices", {"kind": "nope"}).status_code == 422


def test_indices_are_published_to_the_catalogue(codes, django_capture_on_commit_callbacks):
    from zhengtong.catalog.models import DataResource
    from zhengtong.registry.models import LegalEntity

    w = codes.world
    w.acc.department_create(actor=w.system, org_unit=w.province, code="dsj", name="浙江省大数据发展管理局")
    day = timezone.localdate()
    e = LegalEntity.objects.create(
        uscc="91330100MA20000099",
        name="企业",
        entity_type="有限责任公司",
        legal_representative="张三",
        registered_address="x",
        region_code=w.xihu.code,
        org_unit=w.xihu,
    )
    subject = services.subject_for_entity(e, baseline_daily_kwh=1000.0)
    PowerUse.objects.create(subject=subject, day=day, kwh=500.0)
    with django_capture_on_commit_callbacks(execute=True):
        services.index_compute(day)
    resource = DataResource.objects.get(name="county-daily-indices")
    assert resource.state == "draft" and resource.domain == "economy"
    # One county, two kinds: two rows, aggregates only.
    assert resource.current_version is not None and resource.current_version.row_count == 2
    from zhengtong.audit.models import AuditEvent

    created = AuditEvent.objects.get(action="catalog.resource.create", target_id=str(resource.pk))
    assert (created.actor_id, created.via) == (None, "codes")
    stored = (settings.VAR_DIR / "generated" / "county-daily-indices.csv").read_text(encoding="utf-8")
    assert stored.splitlines()[0] == "day,county_code,kind,value,numerator,denominator"
    assert "企业" not in stored  # aggregates only: no enterprise name


def test_staff_console_pages(codes, password):
    client = Client()
    client.force_login(codes.officer, backend=BACKEND)
    assert client.get("/console/codes/").status_code == 200
    r = client.get("/console/codes/", {"resident_id": codes.person.resident_id})
    assert r.status_code == 302
    page = client.get(r.url)
    assert page.status_code == 200
    r = client.post(
        r.url, {"form": "override", "colour": "yellow", "hours": 24, "reason": "checkpoint fever"}
    )
    assert r.status_code == 302 and ColourOverride.objects.count() == 1
