import datetime as dt

import pytest
from PIL import Image

from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.credit import selectors as credit_selectors
from zhengtong.opengov import selectors as opengov_selectors
from zhengtong.supervision import hooks, selectors, services
from zhengtong.supervision.models import Inspection, PenaltyCase
from zhengtong.supervision.tests.conftest import SIGNED

pytestmark = pytest.mark.django_db


def _drawn(w):
    plan = services.plan_create(
        actor=w.manager,
        department=w.xihu_scjg,
        title="抽查",
        items=[w.item],
        filters={"region_prefix": "330106"},
        permille={"U": 100},
        inspectors_per_department=2,
    )
    services.plan_commit(actor=w.manager, plan=plan)
    services.plan_draw(actor=w.manager, plan=plan)
    return plan


def _inspector(inspection):
    return inspection.inspectors.first().user


OK = [{"ok": True}, {"ok": True}]
BAD = [{"ok": True}, {"ok": False, "note": "两名员工无健康证"}]


def test_only_an_assigned_inspector_records(sv):
    plan = _drawn(sv)
    inspection = plan.inspections.first()
    outsider = next(o.user for o in sv.officers if o not in inspection.inspectors.all())
    with pytest.raises(PermissionDenied) as exc:
        services.inspection_record(
            actor=outsider,
            inspection=inspection,
            checklist=OK,
            findings="",
            result="pass",
            entity_signer="王五",
            **SIGNED,
        )
    assert exc.value.code == "supervision_not_assigned"
    assert Inspection.objects.get(pk=inspection.pk).state == "assigned"


def test_rectify_opens_work_order_and_lowers_credit(sv):
    plan = _drawn(sv)
    inspection = plan.inspections.first()
    services.inspection_record(
        actor=_inspector(inspection),
        inspection=inspection,
        checklist=BAD,
        findings="两名员工无健康证",
        result="rectify",
        entity_signer="王五",
        **SIGNED,
    )
    inspection = Inspection.objects.get(pk=inspection.pk)
    assert inspection.state == "recorded"
    assert inspection.rectification_ref.startswith("GD")
    assert inspection.inspector_signer.startswith("执法员")
    assert inspection.sla_deadline == add_working_days(inspection.inspected_on, 20)
    score = credit_selectors.score_of(inspection.entity)
    assert score.score == 75 and [f["code"] for f in score.factors] == ["inspection_fail"]


def test_pass_with_unmet_check_refused(sv):
    plan = _drawn(sv)
    inspection = plan.inspections.first()
    with pytest.raises(ValidationError):
        services.inspection_record(
            actor=_inspector(inspection),
            inspection=inspection,
            checklist=BAD,
            findings="x",
            result="pass",
            entity_signer="王五",
            **SIGNED,
        )
    with pytest.raises(ValidationError):
        services.inspection_record(
            actor=_inspector(inspection),
            inspection=inspection,
            checklist=OK[:1],
            findings="",
            result="pass",
            entity_signer="王五",
            **SIGNED,
        )
    assert Inspection.objects.get(pk=inspection.pk).state == "assigned"


def test_photo_public_copy_has_no_exif(sv):
    import io

    plan = _drawn(sv)
    inspection = plan.inspections.first()
    img = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    photo = services.inspection_photo_add(
        actor=_inspector(inspection), inspection=inspection, data=buf.getvalue()
    )
    public = Image.open(services.photo_root() / photo.public)
    original = Image.open(services.photo_root() / photo.original)
    assert "SecretCam" in str(dict(original.getexif()))
    assert not dict(public.getexif())


def _penalty_to_notified(w):
    case = services.penalty_file(
        actor=w.manager, department=w.xihu_scjg, entity=w.entities[0], facts="未取得许可从事食品经营"
    )
    services.penalty_investigate(actor=w.manager, case=case)
    services.penalty_notify(actor=w.manager, case=case)
    return PenaltyCase.objects.get(pk=case.pk)


def test_penalty_with_hearing_through_all_steps(sv):
    received = []

    def receiver(*, case):
        received.append(case.pk)

    hooks.PENALTY_DECIDED.connect(receiver)
    try:
        case = _penalty_to_notified(sv)
        with pytest.raises(ValidationError) as exc:  # cannot decide while a hearing may be asked
            services.penalty_decide(
                actor=sv.manager,
                case=case,
                decision_no="西市监罚〔2026〕1号",
                penalty_kind="fine",
                legal_basis="《食品安全法》第一百二十二条",
                fine_fen=5_000_000,
            )
        assert exc.value.code == "supervision_deadline_passed"
        services.penalty_request_hearing(actor=sv.manager, case=case)
        case = PenaltyCase.objects.get(pk=case.pk)
        services.penalty_hold_hearing(actor=sv.manager, case=case, note="当事人陈述申辩")
        case = PenaltyCase.objects.get(pk=case.pk)
        services.penalty_decide(
            actor=sv.manager,
            case=case,
            decision_no="西市监罚〔2026〕1号",
            penalty_kind="fine",
            legal_basis="《食品安全法》第一百二十二条",
            fine_fen=5_000_000,
        )
        for step in ("serve", "execute", "close"):
            case = PenaltyCase.objects.get(pk=case.pk)
            services.PENALTY_ACTIONS[step](actor=sv.manager, case=case)
    finally:
        hooks.PENALTY_DECIDED.disconnect(receiver)
    case = PenaltyCase.objects.get(pk=case.pk)
    assert case.state == "closed" and case.hearing_held_on is not None
    assert received == [case.pk]
    rows = selectors.penalty_decisions_for_publicity()
    assert [r["decision_no"] for r in rows] == ["西市监罚〔2026〕1号"]
    assert credit_selectors.score_of(sv.entities[0]).score == 60  # 80 − 10 × severity 2


def test_late_hearing_request_and_late_service_refused(sv):
    case = _penalty_to_notified(sv)
    PenaltyCase.objects.filter(pk=case.pk).update(notified_on=dt.date(2020, 1, 2))
    case = PenaltyCase.objects.get(pk=case.pk)
    with pytest.raises(ValidationError) as exc:
        services.penalty_request_hearing(actor=sv.manager, case=case)
    assert exc.value.code == "supervision_deadline_passed"
    services.penalty_decide(
        actor=sv.manager, case=case, decision_no="D1", penalty_kind="warning", legal_basis="第X条"
    )
    PenaltyCase.objects.filter(pk=case.pk).update(decided_on=dt.date(2020, 1, 2))
    case = PenaltyCase.objects.get(pk=case.pk)
    with pytest.raises(ValidationError):
        services.penalty_serve(actor=sv.manager, case=case)
    assert PenaltyCase.objects.get(pk=case.pk).state == "decided"


def test_individual_desensitized_in_publicity(sv):
    from zhengtong.core.identifiers import generate_resident_id

    rid = generate_resident_id("330106", dt.date(1980, 1, 1), 21)
    case = services.penalty_file(
        actor=sv.manager, department=sv.xihu_scjg, party_name="赵六", party_id_number=rid, facts="无证摊贩"
    )
    services.penalty_investigate(actor=sv.manager, case=case)
    services.penalty_notify(actor=sv.manager, case=PenaltyCase.objects.get(pk=case.pk))
    services.penalty_decide(
        actor=sv.manager,
        case=PenaltyCase.objects.get(pk=case.pk),
        decision_no="D2",
        penalty_kind="warning",
        legal_basis="第X条",
        waived_hearing=True,
    )
    [row] = selectors.penalty_decisions_for_publicity()
    assert row["party_name"] == "赵*"
    assert row["party_identifier"] == rid[:4] + "*" * 10 + rid[-4:]
    # Open government published it for 双公示 at once (its hook receiver), desensitized as well.
    [entry] = opengov_selectors.publicity_current(kind="penalty")
    assert (entry.decision_number, entry.party_name) == ("D2", "赵*")
    assert rid not in str(vars(entry))


def test_officer_cannot_decide(sv):
    case = _penalty_to_notified(sv)
    with pytest.raises(PermissionDenied):
        services.penalty_decide(
            actor=sv.officers[1].user,
            case=case,
            decision_no="D3",
            penalty_kind="warning",
            legal_basis="x",
            waived_hearing=True,
        )
    assert PenaltyCase.objects.get(pk=case.pk).state == "notified"
