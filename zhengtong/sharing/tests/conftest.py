"""Fixtures of the sharing tests: 西湖区公安分局 owns the population registry's sharing profile;
西湖区市场监督管理局 is the consumer; a data security officer; two persons (西湖区, 义乌市)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from conftest import shared_fixture


class Shr:
    def __init__(self, world, *, person: bool = True):
        from zhengtong.sharing import services

        w = world
        self.world = w
        self.owner = w.staff("sh_owner", "sharing_admin", w.xihu, w.xihu_gaj)
        self.owner2 = w.staff("sh_owner2", "sharing_admin", w.xihu, w.xihu_gaj)
        self.officer = w.staff("sh_officer", "data_officer", w.xihu)
        self.consumer = w.staff("sh_consumer", "counter_staff", w.xihu, w.xihu_scjg)
        self.yiwu_consumer = w.staff("sh_yiwu", "counter_staff", w.yiwu, w.yiwu_scjg)
        self.person = w.person(w.village, name="张三") if person else None
        self.profile = services.profile_set(
            actor=self.owner,
            registry="person",
            org_unit=w.xihu,
            department=w.xihu_gaj,
            sharing_type="conditional",
            fields={},
        )

    def request(self, actor=None, **kw):
        from zhengtong.sharing import services

        data = {
            "profile": self.profile,
            "fields": ["resident_id", "name"],
            "purpose": "个体工商户注册登记核验申请人身份",
            "legal_basis": "《促进个体工商户发展条例》",
            "mode": "verification",
            "valid_until": timezone.localdate() + dt.timedelta(days=365),
            "service_item_code": "ZJ-SCJG-004",
        }
        data.update(kw)
        return services.request_create(actor=actor or self.consumer, **data)

    def grant(self, **kw):
        """An approved grant (owner then officer for L3) and its key."""
        from zhengtong.sharing import services

        request = self.request(**kw)
        services.request_approve(actor=self.owner, request=request)
        if request.state != "approved":
            services.request_approve(actor=self.officer, request=request)
        grant = request.grant
        secret = None
        if grant.mode != "batch":
            _row, secret = services.grant_key_issue(actor=self.consumer, grant=grant)
        return grant, secret


@shared_fixture
def shr(world):
    return Shr(world)
