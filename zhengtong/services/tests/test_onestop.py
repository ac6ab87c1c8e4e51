"""Counter intake and 帮办代办, 告知承诺制 and 跨省通办 (issue 19 items 1, 2 and 6): each rule,
and refusals asserting nothing changed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def one(svc):
    """A person-held licensing item whose health certificate a commitment may replace."""
    from zhengtong.registry import services as registry
    from zhengtong.services import demo, services

    w = svc.world
    lt = registry.licence_type_create(
        actor=w.system, code="food_workshop", name="食品小作坊登记证", holder_kind="person"
    )
    text = services.commitment_text_publish(
        actor=w.system,
        code="health-cert",
        title="从业人员健康证明承诺书",
        promise="本人承诺从业人员均持有有效健康证明。",
        liability="承诺不实的，撤销登记并记入信用记录。",
    )
    item = services.item_publish(
        actor=w.system,
        code="ZJ-SCJG-101",
        name="食品小作坊登记",
        kind="licensing",
        department=w.xihu_scjg,
        materials=[
            {"code": "health", "name": "从业人员健康证明", "source": "upload", "commitment": "health-cert"},
            {"code": "plan", "name": "生产场所平面图", "source": "upload", "required": False},
        ],
        form_schema=demo.schema(
            {"shop_name": demo._f("作坊名称", "Workshop name", maxLength=60)}, ["shop_name"]
        ),
        statutory_days=20,
        promised_days=5,
        review_steps=demo.SINGLE,
        produces=lt,
    )
    svc.item, svc.text = item, text
    return svc


def _counts():
    from zhengtong.credit.models import CommitmentBreach
    from zhengtong.registry.models import Licence
    from zhengtong.services.models import Case, Commitment, CommitmentCheck, CounterIntake, Rating, Transfer

    return {
        m.__name__: m.objects.count()
        for m in (Case, CounterIntake, Commitment, CommitmentCheck, Transfer, Rating, CommitmentBreach)
    } | {"valid_licences": Licence.objects.filter(state="valid").count()}


def _file(s, actor=None, **kw):
    from zhengtong.services import services

    args = {
        "resident_id": s.citizen.resident_id,
        "id_document": "resident_id_card",
        "id_method": "reader",
        "raw": {"shop_name": "张记豆腐坊"},
        "files": {},
        "commit": {"health"},
        "confirmation": "screen",
    } | kw
    return services.counter_file(actor=actor or s.counter, item=s.item, **args)


def _decide(s, case):
    from zhengtong.services import services

    services.case_accept(actor=s.counter, case=case)
    services.case_approve(actor=s.reviewer, case=case)
    case.refresh_from_db()
    return case


# --- item 1: counter intake and 帮办代办 -------------------------------------------------------


def test_counter_files_for_a_walk_in_citizen_with_confirmation(one):
    from zhengtong.audit.models import AuditEvent
    from zhengtong.core.workflow import timeline
    from zhengtong.services.services.intake import confirmation_digest

    case = _file(one)
    assert case.applicant == one.citizen
    assert case.submitted_by == one.counter
    assert case.intake_channel == "counter"
    intake = case.intake
    assert intake.received_by == one.counter
    assert intake.id_document == "resident_id_card"
    assert intake.id_method == "reader"
    assert (
        intake.id_number_masked != one.citizen.resident_id
        and intake.id_number_masked[-1] == one.citizen.resident_id[-1]
    )
    assert intake.confirmation == "screen" and intake.signature_ref == ""
    assert intake.confirmed_sha256 == confirmation_digest(
        item=one.item, applicant=one.citizen, data=case.data, status=case.materials
    )
    first = timeline(case)[0]
    assert (first.transition, first.actor_id) == ("submit", one.counter.pk)
    event = AuditEvent.objects.get(action="services.case.counter_intake")
    assert event.actor_id == one.counter.pk and event.after["applicant"] == one.citizen.username


def test_drawn_signature_is_stored_with_its_hash(one):
    from django.core.files.storage import default_storage

    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    case = _file(one, confirmation="signature", signature=data_url)
    assert case.intake.signature_sha256 == hashlib.sha256(PNG).hexdigest()
    with default_storage.open(case.intake.signature_ref) as f:
        assert f.read() == PNG


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"confirmation": "signature", "signature": "data:image/jpeg;base64,AAAA"}, "signature"),
        ({"confirmation": "signature", "signature": base64.b64encode(b"GIF89a").decode()}, "signature"),
        ({"confirmation": "nod"}, "confirmation"),
        ({"resident_id": "330106199001010000"}, "resident_id"),
        ({"resident_id": "123"}, "resident_id"),
        ({"id_document": "library_card"}, "id_document"),
        ({"raw": {}}, "shop_name"),
    ],
)
def test_counter_intake_refusals_change_nothing(one, kw, field):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _file(one, **kw)
    assert field in exc.value.fields
    assert _counts() == before


@pytest.mark.parametrize("who", ["gaj_counter", "yiwu_counter", "reviewer", "citizen"])
def test_only_the_items_counter_files(one, who):
    before = _counts()
    with pytest.raises(PermissionDenied):
        _file(one, actor=getattr(one, who))
    assert _counts() == before


def test_family_proxy_at_the_counter_needs_live_consent_covering_the_item(one):
    from zhengtong.services import services

    proxy_rid = one.other_citizen.resident_id
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _file(one, proxy_resident_id=proxy_rid)
    assert "proxy_resident_id" in exc.value.fields and _counts() == before
    until = timezone.now() + dt.timedelta(days=30)
    other_item = services.proxy_consent_grant(
        actor=one.citizen,
        proxy_resident_id=proxy_rid,
        relation="child",
        scope=["ZJ-SCJG-001"],
        valid_until=until,
    )
    with pytest.raises(ValidationError):
        _file(one, proxy_resident_id=proxy_rid)
    assert _counts() == before
    consent = services.proxy_consent_grant(
        actor=one.citizen,
        proxy_resident_id=proxy_rid,
        relation="child",
        scope=["ZJ-SCJG-101"],
        valid_until=until,
    )
    case = _file(one, proxy_resident_id=proxy_rid)
    assert case.intake.proxy == one.other_citizen and case.intake.proxy_consent == consent
    assert case.applicant == one.citizen
    assert other_item.scope == ["ZJ-SCJG-001"]


def test_consent_rules_and_expiry(one):
    from zhengtong.services import services
    from zhengtong.services.models import ProxyConsent

    rid = one.other_citizen.resident_id
    past = timezone.now() - dt.timedelta(minutes=1)
    far = timezone.now() + dt.timedelta(days=400)
    for kw, field in [
        ({"relation": "friend"}, "relation"),
        ({"scope": []}, "scope"),
        ({"scope": ["NOPE-1"]}, "scope"),
        ({"valid_until": past}, "valid_until"),
        ({"valid_until": far}, "valid_until"),
        ({"proxy_resident_id": one.citizen.resident_id}, "proxy_resident_id"),
    ]:
        args = {
            "proxy_resident_id": rid,
            "relation": "spouse",
            "scope": ["*"],
            "valid_until": timezone.now() + dt.timedelta(days=1),
        } | kw
        with pytest.raises(ValidationError) as exc:
            services.proxy_consent_grant(actor=one.citizen, **args)
        assert field in exc.value.fields
    assert ProxyConsent.objects.count() == 0
    with pytest.raises(PermissionDenied):
        services.proxy_consent_grant(
            actor=one.counter,
            proxy_resident_id=rid,
            relation="spouse",
            scope=["*"],
            valid_until=timezone.now() + dt.timedelta(days=1),
        )
    consent = services.proxy_consent_grant(
        actor=one.citizen,
        proxy_resident_id=rid,
        relation="spouse",
        scope=["*"],
        valid_until=timezone.now() + dt.timedelta(days=1),
    )
    # The proxy files online; the case is the principal's, filed by the proxy.
    case = services.proxy_file(
        actor=one.other_citizen,
        consent=consent,
        item=one.item,
        raw={"shop_name": "代办坊"},
        commit={"health"},
    )
    assert (case.applicant, case.submitted_by, case.intake_channel) == (
        one.citizen,
        one.other_citizen,
        "proxy",
    )
    # Expired: refused, nothing written.
    ProxyConsent.objects.filter(pk=consent.pk).update(valid_until=past)
    consent.refresh_from_db()
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.proxy_file(
            actor=one.other_citizen, consent=consent, item=one.item, raw={"shop_name": "x"}, commit={"health"}
        )
    assert _counts() == before
    # Only the principal revokes.
    with pytest.raises(PermissionDenied):
        services.proxy_consent_revoke(actor=one.other_citizen, consent=consent)
    assert ProxyConsent.objects.get(pk=consent.pk).revoked_at is None
    services.proxy_consent_revoke(actor=one.citizen, consent=consent)
    with pytest.raises(Conflict):
        services.proxy_consent_revoke(actor=one.citizen, consent=consent)


def test_on_site_rating_after_the_counter_service(one):
    from zhengtong.services import services
    from zhengtong.services.models import CounterIntake, Rating

    case = _file(one)
    with pytest.raises(PermissionDenied):
        services.counter_rate(actor=one.reviewer, case=case, score=5)
    assert Rating.objects.count() == 0
    rating = services.counter_rate(actor=one.counter, case=case, score=5)
    assert (rating.applicant, rating.score, rating.case) == (one.citizen, 5, case)
    with pytest.raises(Conflict):
        services.counter_rate(actor=one.counter, case=case, score=4)
    # Past the window: refused.
    case2 = _file(one)
    CounterIntake.objects.filter(case=case2).update(confirmed_at=timezone.now() - dt.timedelta(minutes=31))
    with pytest.raises(Conflict):
        services.counter_rate(actor=one.counter, case=case2, score=5)
    assert Rating.objects.count() == 1


# --- item 2: 告知承诺制 ------------------------------------------------------------------------


def test_commitment_texts_are_versioned(one):
    from zhengtong.services import services

    same = services.commitment_text_publish(
        actor=one.world.system,
        code="health-cert",
        title=one.text.title,
        promise=one.text.promise,
        liability=one.text.liability,
    )
    assert same.pk == one.text.pk
    v2 = services.commitment_text_publish(
        actor=one.world.system,
        code="health-cert",
        title=one.text.title,
        promise="新的承诺。",
        liability=one.text.liability,
    )
    assert v2.version == 2
    with pytest.raises(PermissionDenied):
        services.commitment_text_publish(actor=one.counter, code="x", title="t", promise="p", liability="l")
    with pytest.raises(ValidationError) as exc:
        services.commitment_text_publish(
            actor=one.world.system, code="bad code", title="", promise="p", liability="l"
        )
    assert set(exc.value.fields) == {"code", "title"}


def test_item_material_must_name_a_published_text(one):
    from zhengtong.services import services

    with pytest.raises(ValidationError) as exc:
        services.item_publish(
            actor=one.world.system,
            code="ZJ-X-1",
            name="x",
            kind="licensing",
            department=one.world.xihu_scjg,
            materials=[{"code": "a", "name": "A", "commitment": "nope"}],
            statutory_days=5,
            promised_days=5,
        )
    assert "materials.0.commitment" in exc.value.fields


def test_commitment_replaces_material_and_check_opens_at_decision(one):
    from zhengtong.core.calendar import add_working_days

    case = _file(one)
    assert case.materials["health"] == {"by": "commitment", "text": "health-cert", "version": 1}
    (c,) = case.commitments.all()
    assert (c.material_code, c.text, c.signed_by, c.state) == ("health", one.text, one.citizen, "pending")
    assert (
        c.text_sha256
        == hashlib.sha256(f"{one.text.title}\n{one.text.promise}\n{one.text.liability}".encode()).hexdigest()
    )
    case = _decide(one, case)
    assert case.state == "completed" and case.licence.state == "valid"
    check = case.commitment_check
    assert check.state == "open" and check.sla_state == "on_time"
    assert check.sla_deadline == add_working_days(timezone.localdate(), 20)


def test_false_commitment_revokes_decision_and_licence_and_flags_credit(one):
    from zhengtong.credit import selectors as credit_selectors
    from zhengtong.credit import services as credit
    from zhengtong.services import services

    case = _decide(one, _file(one))
    check = case.commitment_check
    # Another county's reviewer, a counter clerk: refused, nothing changed.
    for who in (one.yiwu_reviewer, one.counter):
        before = _counts()
        with pytest.raises(PermissionDenied):
            services.check_find_false(
                actor=who, case=case, note="x", materials=["health"], expected_version=check.version
            )
        assert _counts() == before
    with pytest.raises(ValidationError) as exc:
        services.check_find_false(actor=one.reviewer, case=case, note="", materials=["health"])
    assert "note" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.check_find_false(actor=one.reviewer, case=case, note="x", materials=["plan"])
    assert "materials" in exc.value.fields
    services.check_find_false(
        actor=one.reviewer,
        case=case,
        note="两名从业人员无健康证明",
        materials=["health"],
        expected_version=check.version,
    )
    case.refresh_from_db()
    check.refresh_from_db()
    assert case.state == "revoked" and check.state == "false" and check.sla_state == "stopped"
    assert case.licence.state == "revoked"
    assert case.commitments.get().state == "false"
    measures = credit_selectors.measures_for_person(one.person.resident_id)
    assert measures.flagged and len(measures.false_commitments) == 1
    # Excluded from 告知承诺 until repaired: the commitment is refused with a field error.
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _file(one)
    assert "material_health" in exc.value.fields and _counts() == before
    # ... and from 容缺受理 (the person's flag now counts).
    from zhengtong.services.eforms import holdings_for

    assert services.tolerance_excluded(holdings_for(one.citizen)) != ""
    credit.commitment_breach_repair(
        actor=one.world.system, breach=measures.false_commitments[0], note="已补交健康证明"
    )
    assert not credit_selectors.measures_for_person(one.person.resident_id).flagged
    assert services.tolerance_excluded(holdings_for(one.citizen)) == ""
    assert _file(one).commitments.count() == 1


def test_false_commitment_before_decision_terminates_the_case(one):
    from zhengtong.services import services

    case = _file(one)
    services.case_accept(actor=one.counter, case=case)
    services.check_find_false(actor=one.reviewer, case=case, note="核查不实", materials=["health"])
    case.refresh_from_db()
    assert case.state == "voided" and case.sla_state == "stopped" and case.licence_id is None
    assert case.commitment_check.state == "false"


def test_check_confirmed_true(one):
    from zhengtong.services import services

    case = _decide(one, _file(one))
    check = case.commitment_check
    with pytest.raises(PermissionDenied):
        services.check_confirm(actor=one.yiwu_reviewer, check=check, note="ok")
    check.refresh_from_db()
    assert check.state == "open"
    services.check_confirm(
        actor=one.reviewer, check=check, note="现场核查属实", expected_version=check.version
    )
    check.refresh_from_db()
    assert check.state == "kept" and case.commitments.get().state == "kept"
    case.refresh_from_db()
    assert case.state == "completed" and case.licence.state == "valid"


def test_published_list_of_commitment_items(one, client):
    from zhengtong.services import selectors_onestop

    rows = selectors_onestop.commitment_items()
    assert [(r["item"].code, [m["code"] for m in r["materials"]]) for r in rows] == [
        ("ZJ-SCJG-101", ["health"])
    ]
    page = client.get("/services/commitments/")
    assert page.status_code == 200 and "食品小作坊登记" in page.content.decode()


# --- item 6: 跨省通办 --------------------------------------------------------------------------


def _receive(s, **kw):
    from zhengtong.services import services

    args = {
        "counter_unit": s.world.yiwu,
        "item": s.item,
        "delivery": "post",
        "postal_address": "义乌市稠城街道1号",
        "resident_id": s.citizen.resident_id,
        "id_document": "resident_id_card",
        "id_method": "face",
        "raw": {"shop_name": "异地坊"},
        "files": {},
        "commit": {"health"},
        "confirmation": "screen",
    } | kw
    return services.transfer_receive(actor=s.yiwu_counter, **args)


def test_transfer_needs_tongban_scope(one):
    from zhengtong.services import services

    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _receive(one)
    assert "item" in exc.value.fields and _counts() == before
    with pytest.raises(PermissionDenied):
        services.item_set_tongban(actor=one.yiwu_counter, item=one.item, scope="province")
    services.item_set_tongban(actor=one.world.system, item=one.item, scope="city")  # 杭州 only: 义乌 is 金华
    with pytest.raises(ValidationError):
        _receive(one)
    assert _counts() == before


def test_cross_region_transfer_and_result_by_post(one):
    from zhengtong.services import selectors_onestop, services

    services.item_set_tongban(actor=one.world.system, item=one.item, scope="province")
    # Not the clerk's counter: refused.
    with pytest.raises(PermissionDenied):
        _receive(one, counter_unit=one.world.xihu)
    for kw, field in [({"delivery": "drone"}, "delivery"), ({"postal_address": ""}, "postal_address")]:
        before = _counts()
        with pytest.raises(ValidationError) as exc:
            _receive(one, **kw)
        assert field in exc.value.fields and _counts() == before
    transfer = _receive(one)
    case = transfer.case
    assert transfer.number.startswith("TB") and transfer.state == "transferred"
    assert (case.org_unit, case.department) == (one.world.xihu, one.world.xihu_scjg)
    assert case.intake.counter_unit == one.world.yiwu and case.intake.received_by == one.yiwu_counter
    # Both counters see it.
    assert list(selectors_onestop.transfers_for_staff(one.yiwu_counter)) == [transfer]
    assert list(selectors_onestop.transfers_for_staff(one.counter)) == [transfer]
    assert list(selectors_onestop.transfers_for_staff(one.gaj_counter)) == []
    # No result before the case ends.
    with pytest.raises(Conflict):
        services.transfer_post_result(actor=one.counter, transfer=transfer, post_tracking="EA123456789CN")
    _decide(one, case)
    transfer.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.transfer_post_result(
            actor=one.yiwu_counter, transfer=transfer, post_tracking="EA123456789CN"
        )
    with pytest.raises(ValidationError):
        services.transfer_post_result(actor=one.counter, transfer=transfer, post_tracking="x")
    transfer.refresh_from_db()
    assert transfer.state == "transferred" and transfer.post_tracking == ""
    services.transfer_post_result(actor=one.counter, transfer=transfer, post_tracking="ea123456789cn")
    transfer.refresh_from_db()
    assert (transfer.state, transfer.post_tracking) == ("posted", "EA123456789CN")


def test_result_at_the_receiving_counter(one):
    from zhengtong.services import services

    services.item_set_tongban(actor=one.world.system, item=one.item, scope="cross_province")
    transfer = _receive(one, delivery="counter", postal_address="")
    _decide(one, transfer.case)
    transfer.refresh_from_db()
    with pytest.raises(Conflict):
        services.transfer_post_result(actor=one.counter, transfer=transfer, post_tracking="EA123456789CN")
    services.transfer_send_to_counter(actor=one.counter, transfer=transfer)
    transfer.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.transfer_hand_over(actor=one.counter, transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.state == "at_counter"
    services.transfer_hand_over(actor=one.yiwu_counter, transfer=transfer, note="本人领取")
    transfer.refresh_from_db()
    assert transfer.state == "delivered"
