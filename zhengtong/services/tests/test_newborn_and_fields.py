"""The newborn bundle enters the child in the population registry; unknown form fields are errors."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.registry.models import Person
from zhengtong.services import services
from zhengtong.services.models import Bundle, Case

pytestmark = pytest.mark.django_db

BABY = {
    "baby_name": "张小宝",
    "baby_sex": "M",
    "baby_birth_date": "2025-09-01",
    "birth_hospital": "浙江大学医学院附属妇产科医院",
}


@pytest.fixture
def newborn(svc):
    from zhengtong.services import demo

    demo.publish_bundles(svc.world.xihu)
    return Bundle.objects.get(code="newborn")


@pytest.fixture
def gaj_reviewer(svc):
    w = svc.world
    return w.staff("s_gaj_reviewer", "reviewer", w.xihu, w.xihu_gaj)


def _complete(svc, reviewer, case):
    services.case_accept(actor=svc.gaj_counter, case=case)
    services.case_approve(actor=reviewer, case=case, note="同意")
    case.refresh_from_db()
    return case


def _hukou_case(app) -> Case:
    return app.cases.get(item__code="ZJ-GAJ-002")


def test_completing_household_registration_enters_the_newborn(svc, newborn, gaj_reviewer):
    from zhengtong.audit.models import AuditEvent

    app = services.bundle_submit(actor=svc.citizen, bundle=newborn, raw=dict(BABY))
    case = _hukou_case(app)
    before = Person.objects.count()
    case = _complete(svc, gaj_reviewer, case)
    assert case.state == "completed"
    assert Person.objects.count() == before + 1
    baby = Person.objects.get(name="张小宝")
    parent = svc.person
    assert baby.sex == "M" and baby.birth_date == dt.date(2025, 9, 1)
    assert baby.org_unit_id == parent.org_unit_id and baby.address == parent.address
    # A valid, newly assigned number: the county's code, the birth date, an odd (male) sequence.
    assert baby.resident_id.startswith("33010620250901") and int(baby.resident_id[14:17]) % 2 == 1
    assert baby.resident_id != parent.resident_id
    # The registry's trusted entry point names the citizen (the parent) and the module, not "system".
    created = AuditEvent.objects.get(action="registry.person.create", target_id=str(baby.pk))
    assert (created.actor_id, created.via) == (svc.citizen.pk, "services")
    event = AuditEvent.objects.get(action="services.case.newborn", target_id=str(case.pk))
    assert event.actor_id == gaj_reviewer.pk and event.after["person"] == baby.pk
    # Repeated completion (the hook run again) does not create a second record.
    assert services.register_newborn(case, actor=gaj_reviewer).pk == baby.pk
    assert Person.objects.count() == before + 1
    # Nor does a second application for the same child.
    again = _complete(
        svc,
        gaj_reviewer,
        _hukou_case(services.bundle_submit(actor=svc.citizen, bundle=newborn, raw=dict(BABY))),
    )
    assert again.state == "completed"
    assert Person.objects.filter(name="张小宝").count() == 1


def test_a_sister_gets_her_own_even_numbered_record(svc, newborn, gaj_reviewer):
    _complete(
        svc,
        gaj_reviewer,
        _hukou_case(services.bundle_submit(actor=svc.citizen, bundle=newborn, raw=dict(BABY))),
    )
    twin = {**BABY, "baby_name": "张小贝", "baby_sex": "F"}
    _complete(
        svc, gaj_reviewer, _hukou_case(services.bundle_submit(actor=svc.citizen, bundle=newborn, raw=twin))
    )
    boy, girl = Person.objects.get(name="张小宝"), Person.objects.get(name="张小贝")
    assert girl.sex == "F" and int(girl.resident_id[14:17]) % 2 == 0
    assert boy.resident_id != girl.resident_id


def test_other_items_create_no_person(svc):
    before = Person.objects.count()
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case, note="同意")
    case.refresh_from_db()
    assert case.state == "completed" and Person.objects.count() == before


def test_household_outside_the_department_area_blocks_completion(svc, newborn, gaj_reviewer):
    """A parent registered in 义乌 cannot have the newborn entered by 西湖区 police."""
    from zhengtong.registry import services as registry

    w = svc.world
    yiwu_parent = w.person(w.yiwu, name="王五", seq=31, birth=dt.date(1988, 1, 2))
    user = w.acc.user_create(actor=None, username="citizen3", password="Test-pass-2025!", kind="citizen")
    registry.citizen_verify_real_name(actor=user, resident_id=yiwu_parent.resident_id, name="王五")
    user.refresh_from_db()
    app = services.bundle_submit(actor=user, bundle=newborn, raw={**BABY, "baby_name": "王小宝"})
    case = _hukou_case(app)
    services.case_accept(actor=svc.gaj_counter, case=case)
    before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.case_approve(actor=gaj_reviewer, case=case, note="同意")
    assert "applicant" in exc.value.fields
    case.refresh_from_db()
    assert case.state == "accepted" and Person.objects.count() == before


def test_schema_extension_must_name_form_fields(svc):
    from zhengtong.services import demo

    with pytest.raises(ValidationError) as exc:
        services.item_publish(
            actor=svc.world.system,
            code="T-NEWBORN",
            name="测试",
            kind="public",
            department=svc.world.xihu_gaj,
            form_schema={
                **demo.schema({"baby_name": demo._f("姓名", "Name")}),
                services.NEWBORN_KEY: {"name": "baby_name", "sex": "nope", "birth_date": "baby_name"},
            },
            statutory_days=5,
            promised_days=1,
        )
    assert f"form_schema.{services.NEWBORN_KEY}.sex" in exc.value.fields


# --- unknown fields ----------------------------------------------------------------------


def test_api_reports_each_unknown_field(svc, client):
    item = svc.items["ZJ-SCJG-004"]
    client.force_login(svc.citizen)
    r = client.post(
        f"/api/v1/services/{item.pk}/applications",
        {"data": {"shop_name": "张记", "premises": "文三路1号", "shopname": "x", "colour": "red"}},
        content_type="application/json",
    )
    assert r.status_code == 422, r.content
    fields = r.json()["error"]["details"]["fields"]
    assert fields == {"colour": ["unknown field"], "shopname": ["unknown field"]}
    assert not Case.objects.exists()


def test_unknown_field_message_is_translated(svc):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.case_submit(
            actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "oops": 1}
        )
    assert exc.value.fields["oops"] == ["未知字段"]


def test_html_form_posts_keep_working(svc, client):
    """The page posts the CSRF token and buttons: they are not form fields and not errors."""
    item = svc.items["ZJ-SCJG-004"]
    client.force_login(svc.citizen)
    r = client.post(
        f"/services/items/{item.code}/apply/",
        {"shop_name": "张记", "premises": "文三路1号", "action": "submit", "extra_button": "1"},
    )
    assert r.status_code == 302, r.content[:500]
    assert Case.objects.count() == 1


def test_bundle_part_unknown_field_is_named_with_its_prefix(svc, newborn):
    raw = {**BABY, "csrfmiddlewaretoken": "t", "ZJ-GAJ-002.nickname": "宝宝"}
    with pytest.raises(ValidationError) as exc:
        services.bundle_submit(actor=svc.citizen, bundle=newborn, raw=raw)
    assert exc.value.fields == {"ZJ-GAJ-002.nickname": ["unknown field"]}
    assert not Case.objects.exists()
    # Without it, the same post (token and all) is accepted.
    del raw["ZJ-GAJ-002.nickname"]
    assert services.bundle_submit(actor=svc.citizen, bundle=newborn, raw=raw).cases.count() == 1


def test_resubmission_through_the_api_checks_names(svc):
    item = svc.items["ZJ-SCJG-004"]
    case = services.case_submit(actor=svc.citizen, item=item, raw={"shop_name": "张记", "premises": "文三路"})
    services.case_request_correction(actor=svc.counter, case=case, note="地址", items=["门牌号"])
    with pytest.raises(ValidationError) as exc:
        services.case_resubmit(actor=svc.citizen, case=case, raw={"premisses": "文三路1号"})
    assert exc.value.fields == {"premisses": ["unknown field"]}
    case.refresh_from_db()
    assert case.state == "correction_requested"
