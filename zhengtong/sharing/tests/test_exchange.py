"""Verification and interface delivery: answers, the log, receipts, and every refusal (nothing
returned, the attempt logged)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from zhengtong.core.errors import PermissionDenied, RateLimited, ValidationError
from zhengtong.sharing import receipts, services
from zhengtong.sharing.models import Exchange, Grant


def call(secret, subject, mode="verification", **extra):
    return services.exchange_call(
        secret=secret, mode=mode, body={"subject": subject, **extra}, client="10.0.0.1"
    )


def test_verification_answers_per_field_never_the_data(shr):
    _grant, secret = shr.grant()
    p = shr.person
    answer = call(secret, {"resident_id": p.resident_id, "name": "张三"}, on_behalf_of="ZJ2026-0001")
    assert answer["result"] == "match" and answer["fields"] == {"resident_id": "match", "name": "match"}
    assert "李" not in json.dumps(answer) and p.phone not in json.dumps(answer)
    wrong = call(secret, {"resident_id": p.resident_id, "name": "李四"})
    assert wrong["result"] == "no_match" and wrong["fields"]["name"] == "no_match"
    missing = call(secret, {"resident_id": "110105194912310021", "name": "张三"})
    assert missing["result"] == "not_found"
    logged = Exchange.objects.filter(grant=_grant).order_by("id")
    assert [e.outcome for e in logged] == ["ok", "ok", "ok"]
    first = logged[0]
    assert first.on_behalf_of == "ZJ2026-0001"
    body = {"subject": {"resident_id": p.resident_id, "name": "张三"}, "on_behalf_of": "ZJ2026-0001"}
    assert first.request_sha256 == receipts.body_hash(body)
    assert first.response_sha256 == receipts.body_hash({k: v for k, v in answer.items() if k != "receipt"})
    assert receipts.verify(answer["receipt"])
    assert answer["receipt"]["payload"]["id"] == str(first.receipt_id)


def test_altered_or_forged_receipt_fails(shr):
    _grant, secret = shr.grant()
    receipt = call(secret, {"resident_id": shr.person.resident_id})["receipt"]
    altered = json.loads(json.dumps(receipt))
    altered["payload"]["outcome"] = "refused"
    assert not receipts.verify(altered)
    forged = {**receipt, "signature": receipt["signature"][:-4] + "AAAA"}
    assert not receipts.verify(forged)
    assert not receipts.verify({**receipt, "kid": "nobody"})


def _refused(grant, secret, subject, code, mode="verification"):
    before = Exchange.objects.filter(grant=grant, outcome="refused").count()
    with pytest.raises((PermissionDenied, ValidationError, RateLimited)) as exc:
        call(secret, subject, mode=mode)
    assert exc.value.code == code
    assert "receipt" in exc.value.details and receipts.verify(exc.value.details["receipt"])
    assert Exchange.objects.filter(grant=grant, outcome="refused").count() == before + 1
    row = Exchange.objects.filter(grant=grant).latest("id")
    assert row.reason == code and row.rows == 0
    return exc.value


def test_unknown_key_refused_not_logged_and_rate_limited(shr, settings):
    settings.SHARING_BAD_KEY_PER_MINUTE = 2
    count = Exchange.objects.count()
    for _ in range(2):
        with pytest.raises(PermissionDenied) as exc:
            call("zts_nothing_here", {"resident_id": shr.person.resident_id})
        assert exc.value.code == "no_grant"
    with pytest.raises(RateLimited):
        call("zts_nothing_here", {"resident_id": shr.person.resident_id})
    assert Exchange.objects.count() == count


def test_revoked_suspended_and_expired_grants_refuse(shr):
    grant, secret = shr.grant()
    services.grant_suspend(actor=shr.owner, grant=grant, note="核查")
    _refused(grant, secret, {"resident_id": shr.person.resident_id}, "grant_inactive")
    services.grant_resume(actor=shr.owner, grant=grant)
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _refused(grant, secret, {"resident_id": shr.person.resident_id}, "grant_inactive")
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    grant.refresh_from_db()
    services.grant_revoke(actor=shr.owner, grant=grant, note="结束")
    _refused(grant, secret, {"resident_id": shr.person.resident_id}, "grant_inactive")


def test_fields_outside_the_grant_refused(shr):
    grant, secret = shr.grant()
    _refused(
        grant, secret, {"resident_id": shr.person.resident_id, "phone": shr.person.phone}, "outside_fields"
    )


def test_record_outside_row_scope_refused(shr, world):
    grant, secret = shr.grant(row_scope="330106002")
    assert call(secret, {"resident_id": shr.person.resident_id})["result"] == "match"
    elsewhere = world.person(world.xihu, name="王五", seq=45)  # 西湖区 but not in 北山街道
    _refused(grant, secret, {"resident_id": elsewhere.resident_id}, "outside_row_scope")


def test_owner_jurisdiction_bounds_the_source(shr, world):
    _grant, secret = shr.grant()
    yiwu_person = world.person(world.yiwu, name="赵六", seq=51)
    assert call(secret, {"resident_id": yiwu_person.resident_id})["result"] == "not_found"


def test_rate_limit_refused_and_logged_once_per_window(shr):
    grant, secret = shr.grant(rate_limit_per_minute=2)
    for _ in range(2):
        call(secret, {"resident_id": shr.person.resident_id})
    _refused(grant, secret, {"resident_id": shr.person.resident_id}, "rate_limited")
    with pytest.raises(RateLimited):
        call(secret, {"resident_id": shr.person.resident_id})
    assert Exchange.objects.filter(grant=grant, outcome="refused").count() == 1


def test_wrong_mode_refused(shr):
    grant, secret = shr.grant()
    before = Exchange.objects.filter(grant=grant).count()
    with pytest.raises(PermissionDenied) as exc:
        services.exchange_call(secret=secret, mode="interface", body={"filters": []})
    assert exc.value.code == "wrong_mode"
    assert Exchange.objects.filter(grant=grant).count() == before + 1


def test_interface_reads_one_registry_record_projected(shr):
    grant, secret = shr.grant(mode="interface", fields=["resident_id", "name", "sex"])
    body = {
        "filters": [{"field": "resident_id", "op": "eq", "value": shr.person.resident_id}],
        "fields": ["name"],
    }
    answer = services.exchange_call(secret=secret, mode="interface", body=body)
    assert answer["rows"] == [{"name": "张三"}]
    with pytest.raises(PermissionDenied) as exc:
        services.exchange_call(secret=secret, mode="interface", body={**body, "fields": ["name", "phone"]})
    assert exc.value.code == "outside_fields"


def test_off_hours_use_raises_one_alert(shr):
    from zhengtong.notify.models import Message
    from zhengtong.sharing.models import Alert

    hour = timezone.localtime().hour
    start, end = ((hour + 1) % 24, (hour + 2) % 24) if hour < 22 else (0, 1)
    grant, secret = shr.grant(hours_from=min(start, end), hours_to=max(start, end))
    call(secret, {"resident_id": shr.person.resident_id})
    call(secret, {"resident_id": shr.person.resident_id})
    assert Alert.objects.filter(grant=grant, kind="off_hours").count() == 1
    assert Message.objects.filter(recipient=shr.owner, event="sharing.alert").count() == 1


def test_verify_for_case_sees_a_new_or_suspended_grant_at_once(shr, world):
    # The department's grants for cases are kept per process (sharing.grants): a grant approved
    # or suspended after an earlier look-up is seen by the next one.
    def verify():
        return services.verify_for_case(
            consumer_department=world.xihu_scjg,
            registry="person",
            subject={"resident_id": shr.person.resident_id, "name": "张三"},
            case_number="ZJ-CASE-1",
            item_code="ZJ-SCJG-004",
        )

    assert verify() is None
    grant, _ = shr.grant()
    assert verify()["result"] == "match"
    services.grant_suspend(actor=shr.owner, grant=grant, note="核查")
    with pytest.raises(PermissionDenied):
        verify()


def test_verify_for_case_uses_the_item_grant_and_logs_the_case(shr, world):
    grant, _ = shr.grant()
    answer = services.verify_for_case(
        consumer_department=world.xihu_scjg,
        registry="person",
        subject={"resident_id": shr.person.resident_id, "name": "张三"},
        case_number="ZJ-CASE-1",
        item_code="ZJ-SCJG-004",
    )
    assert answer["result"] == "match"
    assert Exchange.objects.get(grant=grant, on_behalf_of="ZJ-CASE-1").outcome == "ok"
    none = services.verify_for_case(
        consumer_department=world.yiwu_scjg,
        registry="person",
        subject={"resident_id": shr.person.resident_id},
        case_number="ZJ-CASE-2",
        item_code="ZJ-SCJG-004",
    )
    assert none is None
