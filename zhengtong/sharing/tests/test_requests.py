from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.sharing import services
from zhengtong.sharing.models import Grant, SharingProfile, SharingRequest


def test_registry_profile_defaults_grades_and_keys(shr):
    fields = {f["name"]: f for f in shr.profile.fields}
    assert fields["resident_id"]["grade"] == "L3"
    assert fields["name"]["grade"] == "L2"
    assert shr.profile.key_field == "resident_id"
    assert AuditEvent.objects.filter(action="sharing.profile.set", target_id=str(shr.profile.pk)).exists()


def test_not_shared_needs_legal_basis_and_grade_never_lowered(shr, world):
    with pytest.raises(ValidationError) as exc:
        services.profile_set(
            actor=shr.owner,
            registry="person",
            org_unit=world.xihu,
            department=world.xihu_gaj,
            sharing_type="not_shared",
            fields={},
        )
    assert "legal_basis" in exc.value.fields
    profile = services.profile_set(
        actor=shr.owner,
        registry="person",
        org_unit=world.xihu,
        department=world.xihu_gaj,
        sharing_type="conditional",
        fields={"resident_id": {"grade": "L1"}, "phone": {"shareable": False}},
    )
    assert profile.field("resident_id")["grade"] == "L3"  # never below the catalogue grade
    assert profile.field("phone")["shareable"] is False


def test_profile_set_by_another_department_is_refused_and_changes_nothing(shr, world):
    other = world.staff("sh_other", "sharing_admin", world.yiwu, world.yiwu_gaj)
    before = SharingProfile.objects.get(pk=shr.profile.pk).fields
    with pytest.raises(PermissionDenied):
        services.profile_set(
            actor=other,
            registry="person",
            org_unit=world.xihu,
            department=world.xihu_gaj,
            sharing_type="unconditional",
            fields={"phone": {"shareable": False}},
        )
    assert SharingProfile.objects.get(pk=shr.profile.pk).fields == before


def test_request_starts_the_owner_clock_and_l3_needs_owner_and_officer(shr):
    request = shr.request()
    assert request.grade == "L3"
    assert request.sla_deadline is not None and request.sla_state == "on_time"
    assert services.approvals_needed(request) == ["owner", "officer"]
    services.request_approve(actor=shr.owner, request=request)
    assert request.state == "partly_approved"
    assert not Grant.objects.filter(request=request).exists()
    with pytest.raises(Conflict):
        services.request_approve(actor=shr.owner, request=request)
    # a second owner-side approver cannot stand in for the officer
    with pytest.raises(PermissionDenied):
        services.request_approve(actor=shr.owner2, request=request)
    services.request_approve(actor=shr.officer, request=request)
    request.refresh_from_db()
    assert request.state == "approved" and request.sla_state == "stopped"
    grant = Grant.objects.get(request=request)
    assert grant.fields == ["resident_id", "name"]
    assert grant.consumer_department_id == shr.world.xihu_scjg.pk
    assert grant.mode == "verification" and grant.state == "active"


def test_l2_request_needs_only_the_owner(shr):
    request = shr.request(fields=["name", "sex"], mode="verification")
    assert request.grade == "L2"
    services.request_approve(actor=shr.owner, request=request)
    assert request.state == "approved"


def test_l4_request_needs_a_legal_basis(shr, world):
    profile = services.profile_set(
        actor=shr.owner,
        registry="person",
        org_unit=world.xihu,
        department=world.xihu_gaj,
        sharing_type="unconditional",
        fields={"address": {"grade": "L4", "shareable": True}},
    )
    with pytest.raises(ValidationError) as exc:
        shr.request(profile=profile, fields=["resident_id", "address"], legal_basis="")
    assert "legal_basis" in exc.value.fields
    request = shr.request(profile=profile, fields=["resident_id", "address"])
    assert request.grade == "L4"
    assert services.approvals_needed(request) == ["owner", "officer"]


def test_request_refusals_name_the_field(shr):
    with pytest.raises(ValidationError) as exc:
        shr.request(fields=["nope"], purpose=" ", valid_until=timezone.localdate(), rate_limit_per_minute=0)
    assert {"fields", "purpose", "valid_until", "rate_limit_per_minute"} <= set(exc.value.fields)
    profile = services.profile_set(
        actor=shr.owner,
        registry="person",
        org_unit=shr.world.xihu,
        department=shr.world.xihu_gaj,
        sharing_type="conditional",
        fields={"phone": {"shareable": False}},
    )
    with pytest.raises(ValidationError) as exc:
        shr.request(profile=profile, fields=["resident_id", "phone"])
    assert "fields" in exc.value.fields


def test_not_shared_source_cannot_be_requested(shr, world):
    profile = services.profile_set(
        actor=shr.owner,
        registry="person",
        org_unit=world.xihu,
        department=world.xihu_gaj,
        sharing_type="not_shared",
        legal_basis="《中华人民共和国居民身份证法》第十九条",
        fields={},
    )
    count = SharingRequest.objects.count()
    with pytest.raises(Conflict) as exc:
        shr.request(profile=profile)
    assert exc.value.code == "not_shared"
    assert SharingRequest.objects.count() == count


def test_consumer_cannot_approve_and_nothing_changes(shr):
    request = shr.request()
    with pytest.raises(PermissionDenied):
        services.request_approve(actor=shr.consumer, request=request)
    request.refresh_from_db()
    assert request.state == "pending" and request.approvals == []


def test_reject_and_withdraw(shr):
    request = shr.request()
    with pytest.raises(ValidationError):
        services.request_reject(actor=shr.owner, request=request, note="")
    services.request_reject(actor=shr.owner, request=request, note="用途不明确")
    assert request.state == "rejected"
    other = shr.request()
    services.request_withdraw(actor=shr.consumer, request=other)
    assert other.state == "withdrawn"


def test_grant_suspend_resume_revoke_and_expire(shr):
    grant, _secret = shr.grant()
    with pytest.raises(PermissionDenied):
        services.grant_suspend(actor=shr.consumer, grant=grant, note="x")
    services.grant_suspend(actor=shr.owner, grant=grant, note="核查")
    assert grant.state == "suspended"
    services.grant_resume(actor=shr.owner, grant=grant)
    services.grant_revoke(actor=shr.officer, grant=grant, note="用途已结束")
    grant.refresh_from_db()
    assert grant.state == "revoked" and grant.credential.revoked_at is not None
    other, _ = shr.grant()
    Grant.objects.filter(pk=other.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.grants_expire() == 1
    other.refresh_from_db()
    assert other.state == "expired"


def test_objection_reaches_the_owner_with_a_clock(shr):
    grant, _ = shr.grant()
    objection = services.objection_raise(
        actor=shr.consumer, grant=grant, description="姓名与户籍记录不一致", field_name="name"
    )
    assert objection.sla_deadline is not None and objection.department_id == grant.department_id
    with pytest.raises(PermissionDenied):
        services.objection_answer(actor=shr.consumer, objection=objection, answer="x")
    services.objection_answer(actor=shr.owner, objection=objection, answer="已核实并更正")
    assert objection.state == "answered"
