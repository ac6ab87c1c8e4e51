"""秒批 (issue 19 item 4): cases decided at submission by published CertLogic rules over verified
data; the rule version on the timeline and in the audit trail; every other case left to people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengtong.audit.models import AuditEvent
from zhengtong.core import outbox
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.core.workflow import TimelineEntry
from zhengtong.notify.models import Message
from zhengtong.registry.models import Licence, LicenceType
from zhengtong.seals import services as seals
from zhengtong.services import demo, demo_autodecide, notices, services
from zhengtong.services.models import Case, DecisionRuleSet
from zhengtong.services.services import wallet

pytestmark = pytest.mark.django_db

RULES = [
    {
        "id": "age_16",
        "logic": demo_autodecide._age_at_least(16),
        "explain": "年满16周岁",
        "explain_en": "16 or older",
    },
    {
        "id": "below_60",
        "logic": demo_autodecide._age_below(60),
        "explain": "未满60周岁",
        "explain_en": "under 60",
    },
]


def _item(svc, *, code="T-MIAOPI", materials=None, props=None, fee=0, produces="insurance_certificate"):
    lt = LicenceType.objects.filter(code=produces).first()
    if lt is None and produces:
        from zhengtong.registry import services as registry

        lt = registry.licence_type_create(
            actor=svc.world.system,
            code=produces,
            name="社会保险参保证明",
            holder_kind="person",
            validity_years=1,
        )
    return services.item_publish(
        actor=svc.world.system,
        code=code,
        name="参保证明开具",
        kind="public",
        department=svc.world.xihu_scjg,
        materials=materials if materials is not None else [demo_autodecide.ID_CARD],
        form_schema={"type": "object", "properties": props or demo_autodecide.PERSON, "required": []},
        statutory_days=5,
        promised_days=1,
        fee_fen=fee,
        review_steps=demo.SINGLE,
        legal_basis="《中华人民共和国社会保险法》第七十四条。",
        produces=lt,
    )


def _rules(svc, item, rules=RULES):
    return services.autodecide.decision_rules_publish(actor=svc.world.system, item=item, rules=rules)


def test_a_case_whose_inputs_are_all_verified_is_decided_at_submission(svc):
    item = _item(svc)
    _rules(svc, item)
    case = services.case_submit(actor=svc.citizen, item=item, raw={})
    case.refresh_from_db()
    assert case.state == "completed"
    assert case.completed_at is not None
    licence = Licence.objects.get(pk=case.licence_id)
    assert (licence.number, licence.holder_person_id, licence.state) == (case.number, svc.person.pk, "valid")
    assert licence.data["decided_by"] == "rules:1"
    # the licence record is signed at once (the sealed PDF follows after the commit)
    assert licence.data["signature"]["alg"] == "ES256" and wallet.record_verify(licence)
    Licence.objects.filter(pk=licence.pk).update(valid_to=dt.date(2099, 1, 1))
    licence.refresh_from_db()
    assert not wallet.record_verify(licence)  # a changed record no longer verifies
    # decided at once: the applicant hears of the decision only, not of the receipt too
    assert not Message.objects.filter(recipient=svc.citizen, event="services.case.submitted").exists()
    last = (
        TimelineEntry.objects.filter(object_type="services.case", object_id=str(case.pk))
        .order_by("-id")
        .first()
    )
    assert (last.transition, last.actor_id, last.actor_label) == ("decide_auto", None, "system")
    assert last.data == {"rules": "rules:1", "passed": ["age_16", "below_60"], "via": "services"}
    assert "rule version 1" in case.decision_note or "规则版本 1" in case.decision_note
    assert "✓ 年满16周岁" in case.decision_note
    event = AuditEvent.objects.filter(action="services.case.decide_auto").get()
    assert (event.actor_id, event.via, event.after["state"]) == (None, "services", "completed")
    # the decision notice and the e-licence file are sealed after the commit
    outbox.deliver_pending(topic=notices.TOPIC)
    outbox.deliver_pending(topic=wallet.FILE_TOPIC)
    assert [d.kind for d in notices.case_notices(case)] == ["services.grant"]
    document = wallet.licence_file(licence)
    assert document.department_id == svc.world.xihu_scjg.pk
    assert seals.verify_document(document).status == "valid"
    assert Message.objects.filter(recipient=svc.citizen, event="services.case.complete").count() == 1


def test_a_failed_rule_leaves_the_case_to_the_counter_and_says_why(svc):
    item = _item(svc)
    _rules(svc, item, [{"id": "age_70", "logic": demo_autodecide._age_at_least(70), "explain": "年满70周岁"}])
    case = services.case_submit(actor=svc.citizen, item=item, raw={})
    case.refresh_from_db()
    assert (case.state, case.licence_id, case.decision_note) == ("submitted", None, "")
    told = Message.objects.get(recipient=svc.citizen, event="services.case.not_auto")
    assert "年满70周岁" in told.body
    assert not Licence.objects.filter(number=case.number).exists()


def test_a_rule_reading_a_typed_field_never_decides(svc):
    props = {**demo_autodecide.PERSON, "income": {"type": "string", "title": "月收入", "maxLength": 10}}
    item = _item(svc, props=props)
    _rules(
        svc,
        item,
        [{"id": "poor", "logic": {"<": [{"var": "form.income"}, 3000]}, "explain": "月收入低于3000元"}],
    )
    case = services.case_submit(actor=svc.citizen, item=item, raw={"income": "100"})
    case.refresh_from_db()
    assert case.state == "submitted"
    assert "form.income" in Message.objects.get(recipient=svc.citizen, event="services.case.not_auto").body


def test_an_uploaded_material_or_a_fee_never_decides(svc):
    upload = {"code": "photo", "name": "照片", "form": "电子", "required": True, "source": "upload"}
    item = _item(svc, materials=[demo_autodecide.ID_CARD, upload])
    _rules(svc, item)
    pdf = SimpleUploadedFile("p.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    case = services.case_submit(actor=svc.citizen, item=item, raw={}, files={"material_photo": pdf})
    case.refresh_from_db()
    assert case.state == "submitted"
    paid = _item(svc, code="T-FEE", fee=1000)
    _rules(svc, paid)
    case = services.case_submit(actor=svc.citizen, item=paid, raw={})
    case.refresh_from_db()
    assert case.state == "submitted"


def test_nobody_takes_the_automatic_transition_by_hand(svc):
    item = _item(svc)
    case = services.case_submit(actor=svc.citizen, item=item, raw={})
    before = (case.state, case.version)
    with pytest.raises(PermissionDenied):
        Case.workflow.apply(case, "decide_auto", actor=svc.supervisor)
    case.refresh_from_db()
    assert (case.state, case.version) == before


def test_rule_publication_versions_permissions_and_validation(svc):
    item = _item(svc)
    with pytest.raises(PermissionDenied):
        services.autodecide.decision_rules_publish(actor=svc.counter, item=item, rules=RULES)
    assert DecisionRuleSet.objects.count() == 0
    with pytest.raises(ValidationError) as exc:
        _rules(svc, item, [{"id": "x", "logic": {"nonsense": [1]}, "explain": ""}])
    assert set(exc.value.fields) == {"rules.0.logic", "rules.0.explain"}
    assert DecisionRuleSet.objects.count() == 0
    first = _rules(svc, item)
    assert _rules(svc, item).pk == first.pk  # the same rules again: no new version
    second = _rules(svc, item, RULES[:1])
    first.refresh_from_db()
    assert (first.number, first.is_active, second.number, second.is_active) == (1, False, 2, True)
    assert AuditEvent.objects.filter(action="services.rules.publish").count() == 2


def test_the_demo_items_decide(svc, world):
    for code in ("rlsb", "mzj"):
        world.acc.department_create(actor=world.system, org_unit=world.xihu, code=code, name=code)
    demo.publish_items(world.system, world.xihu)
    assert demo_autodecide.seed(world.system, world.xihu) == {"decision_rule_sets": 2, "benefits": 2}
    item = svc.ServiceItem.objects.get(code="ZJ-RLSB-005")
    case = services.case_submit(actor=svc.citizen, item=item, raw={})
    assert case.state == "completed"
    # 张三 (born 1985, 西湖区 village) meets ZJ-RLSB-003's three rules too
    case = services.case_submit(
        actor=svc.citizen, item=svc.ServiceItem.objects.get(code="ZJ-RLSB-003"), raw={}
    )
    assert case.state == "completed"
