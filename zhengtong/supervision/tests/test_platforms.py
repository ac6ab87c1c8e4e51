import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core import keys
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.supervision import services
from zhengtong.supervision.models import PlatformReport, SupervisionAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def plat(sv):
    from cryptography.hazmat.primitives import serialization

    private = keys.generate()
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    sv.platform = services.platform_register(
        actor=sv.manager,
        entity=sv.entities[0],
        kind="ride_hailing",
        public_key_pem=pem,
        department=sv.xihu_scjg,
    )
    sv.private = private
    return sv


def _period(months_back=1):
    d = timezone.localdate().replace(day=1)
    for _ in range(months_back):
        d = (d - dt.timedelta(days=1)).replace(day=1)
    return d.strftime("%Y-%m")


def _rows(n, *, unlicensed=0, complaints=0):
    return [
        {
            "order_id": f"O{i}",
            "driver_licensed": i >= unlicensed,
            "vehicle_licensed": True,
            "amount_fen": 1500,
            "complaint": i < complaints,
        }
        for i in range(n)
    ]


def _submit(w, body: bytes, *, sign=True, **kw):
    sig = keys.b64url(keys.sign_es256(w.private, body)) if sign else "AAAA"
    return services.platform_report_submit(uscc=w.platform.entity.uscc, body=body, signature=sig, **kw)


def test_signed_report_accepted_once_and_idempotent(plat, settings):
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    body = json.dumps(
        {"report_type": "ride_orders", "period": _period(), "rows": _rows(20, unlicensed=2)}
    ).encode()
    report, created = _submit(plat, body)
    assert created and report.row_count == 20 and report.summary["unlicensed"] == 2
    assert [a.rule for a in SupervisionAlert.objects.all()] == ["unlicensed"]
    again, created = _submit(plat, body)
    assert not created and again.pk == report.pk
    other = json.dumps({"report_type": "ride_orders", "period": _period(), "rows": _rows(3)}).encode()
    with pytest.raises(Conflict) as exc:
        _submit(plat, other)
    assert exc.value.code == "supervision_report_duplicate"
    assert PlatformReport.objects.count() == 1


def test_forged_signature_and_schema_errors_change_nothing(plat, settings):
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    body = json.dumps({"report_type": "ride_orders", "period": _period(), "rows": _rows(5)}).encode()
    with pytest.raises(PermissionDenied) as exc:
        _submit(plat, body, sign=False)
    assert exc.value.code == "supervision_bad_signature"
    rows = _rows(5)
    rows[2]["amount_fen"] = "abc"
    del rows[4]["order_id"]
    bad = json.dumps({"report_type": "ride_orders", "period": _period(), "rows": rows}).encode()
    with pytest.raises(ValidationError) as exc:
        _submit(plat, bad)
    assert exc.value.details["rows"] == [
        {"row": 3, "field": "amount_fen", "message": "a whole number"},
        {"row": 5, "field": "order_id", "message": "is required"},
    ]
    assert PlatformReport.objects.count() == 0 and SupervisionAlert.objects.count() == 0


def test_late_report_refused_and_csv_over_http(plat, settings):
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 1
    old = json.dumps({"report_type": "ride_orders", "period": "2024-01", "rows": _rows(1)}).encode()
    with pytest.raises(ValidationError) as exc:
        _submit(plat, old)
    assert exc.value.code == "supervision_report_late"
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    csv_body = b"order_id,driver_licensed,vehicle_licensed,amount_fen,complaint\nA1,true,true,100,false\n"
    sig = keys.b64url(keys.sign_es256(plat.private, csv_body))
    r = Client().post(
        f"/api/v1/supervision/platform/reports?report_type=ride_orders&period={_period(2)}",
        data=csv_body,
        content_type="text/csv",
        HTTP_X_ZT_PLATFORM=plat.platform.entity.uscc,
        HTTP_X_ZT_SIGNATURE=sig,
    )
    assert r.status_code == 201, r.content
    assert r.json()["row_count"] == 1


def test_accepted_reports_are_loaded_into_the_catalogue_closed_one_version_per_month(plat, settings, world):
    from zhengtong.catalog.models import DataResource, LoadJob

    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    world.acc.department_create(actor=world.system, org_unit=world.province, code="dsj", name="省大数据局")
    first = _submit(
        plat, json.dumps({"report_type": "ride_orders", "period": _period(2), "rows": _rows(5)}).encode()
    )[0]
    name = services.catalogue_name(plat.platform, "ride_orders")
    assert first.catalogue_resource == name and first.catalogue_result == "loaded"
    resource = DataResource.objects.get(name=name)
    assert resource.openness == "closed" and resource.state == "draft"
    jobs = list(LoadJob.objects.filter(resource=resource).order_by("id"))
    assert len(jobs) == 1
    assert jobs[0].mode == "replace"
    # A refused report (schema) loads nothing.
    bad = json.dumps(
        {"report_type": "ride_orders", "period": _period(1), "rows": [{"order_id": "x"}]}
    ).encode()
    with pytest.raises(ValidationError):
        _submit(plat, bad)
    assert LoadJob.objects.filter(resource=resource).count() == 1
    schemas = Client().get("/api/v1/supervision/platform/schemas").json()
    assert schemas["ride_orders"]["grade"] == "L3"
