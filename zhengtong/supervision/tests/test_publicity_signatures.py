"""The end of publicity (公示期满), hand-drawn signatures, the plan form's filters and the
platforms page."""

import base64
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.core.tasks import periodic_tasks
from zhengtong.supervision import selectors, services
from zhengtong.supervision.models import Inspection, InspectionPlan, PenaltyCase, Platform
from zhengtong.supervision.tests.conftest import SIG, SIGNED
from zhengtong.supervision.tests.test_platforms import _period, _rows, _submit, plat  # noqa: F401

pytestmark = pytest.mark.django_db


def _drawn(w, permille=100):
    plan = services.plan_create(
        actor=w.manager,
        department=w.xihu_scjg,
        title="抽查",
        items=[w.item],
        filters={"region_prefix": "330106"},
        permille={"U": permille},
        inspectors_per_department=1,
    )
    services.plan_commit(actor=w.manager, plan=plan)
    services.plan_draw(actor=w.manager, plan=plan)
    return plan


def _record(inspection, **signatures):
    return services.inspection_record(
        actor=inspection.inspectors.first().user,
        inspection=inspection,
        checklist=[{"ok": True}, {"ok": True}],
        findings="",
        result="pass",
        entity_signer="王五",
        **(signatures or SIGNED),
    )


def _png(size=(600, 200), fmt="PNG", ink=True) -> bytes:
    img = Image.new("RGB", size, "white")
    if ink:
        for x in range(5, size[0] - 5):
            img.putpixel((x, size[1] // 2), (0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


# --- publicity ---------------------------------------------------------------------------------


def test_results_and_decisions_leave_publicity_when_the_period_ends(sv, settings):
    plan = _drawn(sv)
    inspection = plan.inspections.order_by("rank").first()
    _record(inspection)
    services.inspection_publish(actor=sv.manager, inspection=Inspection.objects.get(pk=inspection.pk))
    inspection = Inspection.objects.get(pk=inspection.pk)
    today = timezone.localdate()
    assert inspection.publicity_until == today + dt.timedelta(days=settings.SUPERVISION_RESULT_PUBLICITY_DAYS)
    uscc = inspection.entity.uscc
    assert len(selectors.entity_record(None, uscc, public=True)["inspections"]) == 1

    case = services.penalty_file(actor=sv.manager, department=sv.xihu_scjg, entity=sv.entities[5], facts="x")
    PenaltyCase.objects.filter(pk=case.pk).update(
        state="decided",
        decided_on=today - dt.timedelta(days=400),
        publicity_until=today - dt.timedelta(days=1),
    )
    # Nothing ends before its day.
    assert services.publicity_expire() == {"inspections": 0, "penalties": 1}
    assert Inspection.objects.get(pk=inspection.pk).publicity_removed_at is None

    later = inspection.publicity_until + dt.timedelta(days=1)
    assert services.publicity_expire(on=later) == {"inspections": 1, "penalties": 0}
    assert services.publicity_expire(on=later) == {"inspections": 0, "penalties": 0}
    inspection = Inspection.objects.get(pk=inspection.pk)
    assert inspection.publicity_removed_at is not None and not inspection.in_publicity
    assert PenaltyCase.objects.get(pk=case.pk).publicity_removed_at is not None
    events = AuditEvent.objects.filter(action="supervision.publicity.expire").order_by("id")
    assert [(e.target_type, e.target_id, e.actor_id, e.via) for e in events] == [
        ("supervision.penaltycase", str(case.pk), None, "supervision"),
        ("supervision.inspection", str(inspection.pk), None, "supervision"),
    ]
    # Public pages and API stop showing the result; staff still see it, marked.
    assert selectors.entity_record(None, uscc, public=True)["inspections"] == []
    api = Client().get(f"/api/v1/supervision/public/entities/{uscc}").json()
    assert api["inspections"] == [] and api["counts"]["inspections"] == 0
    page = Client().get(f"/supervision/plans/{plan.number}/").content.decode()
    assert "公示期满" in page or "publicity period ended" in page
    staff = Client()
    staff.force_login(sv.manager)
    assert "publicity period ended" in staff.get(
        f"/console/supervision/entities/{uscc}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode().replace("公示期满", "publicity period ended")


def test_publicity_task_is_registered():
    names = {p.name: p.interval_seconds for p in periodic_tasks()}
    assert names["supervision.publicity_expire"] == 3600


# --- signatures --------------------------------------------------------------------------------


def test_signatures_stored_with_their_hash_and_checked_when_served(sv):
    import hashlib

    plan = _drawn(sv)
    inspection = plan.inspections.first()
    _record(inspection)
    inspection = Inspection.objects.get(pk=inspection.pk)
    for who in ("entity", "inspector"):
        stored = services.signature_image(inspection, who)
        assert hashlib.sha256(stored).hexdigest() == getattr(inspection, f"{who}_signature_sha256")
        assert Image.open(io.BytesIO(stored)).size == (600, 200)
    c = Client()
    c.force_login(inspection.inspectors.first().user)
    r = c.get(f"/console/supervision/inspections/{inspection.pk}/signatures/entity.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert c.get(f"/console/supervision/inspections/{inspection.pk}/signatures/other.png").status_code == 404
    page = c.get(f"/console/supervision/inspections/{inspection.pk}/").content.decode()
    assert inspection.entity_signature_sha256[:10] in page
    # A file changed after signing is refused.
    (services.signature_root() / inspection.entity_signature).write_bytes(SIG + b"x")
    with pytest.raises(Conflict) as exc:
        services.signature_image(inspection, "entity")
    assert exc.value.code == "supervision_signature_mismatch"
    assert c.get(f"/console/supervision/inspections/{inspection.pk}/signatures/entity.png").status_code == 409


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("entity_signature", b"", "draw the signature"),
        ("entity_signature", _png(ink=False), "the signature pad is empty"),
        ("entity_signature", _png(fmt="JPEG"), "must be a PNG image"),
        ("inspector_signature", _png(size=(60, 20)), "must be between 100×50 and 2000×1000 pixels"),
        ("inspector_signature", b"not an image", "is not a readable image"),
    ],
)
def test_bad_signatures_refused_and_nothing_changed(sv, field, data, message):
    plan = _drawn(sv)
    inspection = plan.inspections.first()
    with pytest.raises(ValidationError) as exc:
        _record(inspection, **{**SIGNED, field: data})
    assert exc.value.fields == {field: [message]}
    after = Inspection.objects.get(pk=inspection.pk)
    assert (after.state, after.entity_signature, after.inspector_signature) == ("assigned", "", "")
    assert not services.signature_root().exists()


def test_signature_data_url_decoding():
    assert (
        services.signature_from_data_url("data:image/png;base64," + base64.b64encode(SIG).decode(), "f")
        == SIG
    )
    assert services.signature_from_data_url("", "f") == b""
    with pytest.raises(ValidationError) as exc:
        services.signature_from_data_url("data:image/jpeg;base64,AAAA", "entity_signature")
    assert exc.value.fields == {"entity_signature": ["must be a PNG image as a data URL"]}
    with pytest.raises(ValidationError) as exc:
        services.signature_from_data_url("data:image/png;base64,@@@", "entity_signature")
    assert exc.value.fields == {"entity_signature": ["is not valid base64"]}


# --- plan form ---------------------------------------------------------------------------------


def _plan_post(sv, **extra):
    c = Client()
    c.force_login(sv.manager)
    data = {
        "title": "按信用等级抽查",
        "department": sv.xihu_scjg.pk,
        "items": ["SCJG-001"],
        "inspectors_per_department": 1,
        **extra,
    }
    return c.post("/console/supervision/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_plan_form_filters_and_shares_per_grade(sv):
    r = _plan_post(sv, region_prefix="330106", grades=["C", "D"], permille_C="50", permille_D="1000")
    assert r.status_code == 302
    plan = InspectionPlan.objects.get()
    assert plan.filters == {"region_prefix": "330106", "grades": ["C", "D"]}
    assert plan.permille == {"C": 50, "D": 1000}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"region_prefix": "33a"}, "region_prefix", "must be 2 to 12 digits of a region code, e.g. 330106"),
        ({"permille_B": "1001"}, "permille_B", "Ensure this value is less than or equal to 1000."),
        ({"grades": ["A", "X"]}, "grades", "Select a valid choice. X is not one of the available choices."),
        (
            {"licence_type": "NOPE"},
            "licence_type",
            "Select a valid choice. NOPE is not one of the available choices.",
        ),
        ({"grades": ["D"], "permille_A": "10"}, "permille_A", "grade A is not in the chosen grades"),
        (
            {"grades": ["A"], "permille_A": "0"},
            "permille_A",
            "at least one chosen grade must have a share above 0 ‰",
        ),
    ],
)
def test_plan_form_refuses_bad_filters_with_field_errors(sv, extra, field, message):
    r = _plan_post(sv, **extra)
    assert r.status_code == 200
    assert r.context["form"].errors == {field: [message]}
    assert not InspectionPlan.objects.exists()


# --- platforms page ----------------------------------------------------------------------------


def test_platforms_page_shows_reports_lateness_and_alerts(plat, settings, django_assert_max_num_queries):  # noqa: F811
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    body = json.dumps(
        {"report_type": "ride_orders", "period": _period(), "rows": _rows(20, unlicensed=2)}
    ).encode()
    _submit(plat, body)
    c = Client()
    c.force_login(plat.manager)
    # Registered this month: last month's report still counts.
    (t,) = c.get("/console/supervision/platforms/").context["overview"][0]["types"]
    assert (t["received"], t["expected"], t["periods"][-1]["status"]) == (1, 1, "received")
    Platform.objects.filter(pk=plat.platform.pk).update(registered_at=timezone.now() - dt.timedelta(days=100))
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 1
    r = c.get("/console/supervision/platforms/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    text = r.content.decode()
    assert plat.platform.kid in text and "order_id:str*" in text
    assert "2 orders without a licensed driver or merchant" in text and "Seed a plan" in text
    (t,) = r.context["overview"][0]["types"]
    statuses = {p["period"]: p["status"] for p in t["periods"]}
    assert statuses[_period()] == "received"
    assert statuses[_period(2)] == "overdue" and statuses[_period(3)] == "overdue"
    assert (t["received"], t["expected"]) == (1, 4 if statuses[_period(4)] == "overdue" else 3)


def test_platform_registration_needs_manage_and_changes_nothing_without(plat):  # noqa: F811
    officer = plat.officers[1].user
    c = Client()
    c.force_login(officer)
    r = c.post(
        "/console/supervision/platforms/",
        {
            "uscc": plat.entities[3].uscc,
            "kind": "food_delivery",
            "department": plat.xihu_scjg.pk,
            "public_key": "x",
        },
    )
    assert r.status_code == 200 and Platform.objects.count() == 1
    assert (
        "Register a platform"
        not in c.get("/console/supervision/platforms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
