"""Demo data of the sharing module (deterministic, idempotent): the sharing attributes of 西湖区's
population and legal-entity registries, and the grants the demo service items use —
西湖区市场监督管理局 verifies applicants' identity against the population registry (owned by
西湖区公安局) for 个体工商户注册登记 and 特种设备作业人员资格认定 — plus one request waiting for the
owner's decision."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.sharing import services
from zhengtong.sharing.models import Grant, SharingProfile, SharingRequest

GRANTS = [
    # service item, fields, purpose, legal basis
    (
        "ZJ-SCJG-004",
        ["resident_id", "name"],
        "个体工商户注册登记：核验经营者身份与户籍信息",
        "《促进个体工商户发展条例》第十条；《市场主体登记管理条例》",
    ),
    (
        "ZJ-SCJG-001",
        ["resident_id", "name"],
        "特种设备作业人员资格认定：核验申请人身份与户籍信息",
        "《特种设备安全法》第十四条",
    ),
]


def _user(username: str):
    return account_selectors.user_with_username(username)


def seed(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda *_: None)
    gaj = account_selectors.department_by_code("330106", "gaj")
    scjg = account_selectors.department_by_code("330106", "scjg")
    xihu = account_selectors.org_unit_by_code("330106")
    clerk, counter, officer, publisher = (
        _user("xihu_clerk"),
        _user("xihu_counter"),
        _user("zj_data_officer"),
        _user("xihu_data_publisher"),
    )
    if None in (gaj, scjg, xihu, clerk, counter, officer, publisher):
        say("sharing demo: the registry and catalogue demos' people are missing; run them first")
        return {"sharing_grants": 0}
    with transaction.atomic():
        # 西湖区公安局's registry clerk also administers the sharing of its population registry.
        if not account_selectors.role_grant_is_live(user=clerk, role="sharing_admin", org_unit=xihu):
            account_services.role_grant(
                actor=account_services.system_actor(),
                user=clerk,
                role="sharing_admin",
                org_unit=xihu,
                department=gaj,
            )
        person = SharingProfile.objects.filter(registry="person", org_unit=xihu).first()
        if person is None:
            person = services.profile_set(
                actor=clerk,
                registry="person",
                org_unit=xihu,
                department=gaj,
                sharing_type="conditional",
                fields={"phone": {"shareable": False}},
                modes=["verification", "interface"],
            )
        if not SharingProfile.objects.filter(registry="entity", org_unit=xihu).exists():
            services.profile_set(
                actor=publisher,
                registry="entity",
                org_unit=xihu,
                department=scjg,
                sharing_type="unconditional",
                fields={},
            )
        until = timezone.localdate() + dt.timedelta(days=365)
        for item, fields, purpose, basis in GRANTS:
            if Grant.objects.filter(
                consumer_department=scjg, service_item_code=item, state="active"
            ).exists():
                continue
            request = services.request_create(
                actor=counter,
                profile=person,
                fields=fields,
                purpose=purpose,
                legal_basis=basis,
                mode="verification",
                rate_limit_per_minute=600,
                valid_until=until,
                hours_from=0,
                hours_to=24,
                service_item_code=item,
            )
            services.request_approve(actor=clerk, request=request, note="同意共享，仅限核验")
            services.request_approve(actor=officer, request=request, note="L3 数据，核验方式，同意")
        if not SharingRequest.objects.filter(consumer_department=scjg, state="pending").exists():
            services.request_create(
                actor=counter,
                profile=person,
                fields=["resident_id", "address"],
                purpose="企业设立登记：核对法定代表人户籍地址",
                legal_basis="《市场主体登记管理条例》第十六条",
                mode="interface",
                rate_limit_per_minute=60,
                valid_until=until,
                hours_from=8,
                hours_to=20,
                service_item_code="ZJ-SCJG-003",
            )
    counts = {
        "sharing_profiles": SharingProfile.objects.count(),
        "sharing_grants": Grant.objects.filter(state="active").count(),
        "sharing_requests_pending": SharingRequest.objects.filter(
            state__in=["pending", "partly_approved"]
        ).count(),
    }
    say(f"sharing demo: {counts}")
    return counts
