"""Shared fixtures: a small province built through the real service functions."""

from __future__ import annotations

import datetime as dt

import pytest

PASSWORD = "Test-pass-2025!"


@pytest.fixture(autouse=True)
def _english_and_fresh_calendar(settings):
    """Tests assert English messages; no cached value or rate-limit count leaks between tests."""
    from django.utils import translation

    from zhengtong.core import cache

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    cache.clear()
    yield
    translation.deactivate()


class World:
    """A province (330000) with Hangzhou/西湖区 and Jinhua/义乌市, departments and staff."""

    def __init__(self):
        from zhengtong.accounts import services as acc
        from zhengtong.accounts.models import UserKind
        from zhengtong.accounts.services import system_actor

        self.acc = acc
        tree = {
            "code": "330000",
            "name": "浙江省",
            "level": "province",
            "children": [
                {
                    "code": "330100",
                    "name": "杭州市",
                    "level": "city",
                    "children": [
                        {
                            "code": "330106",
                            "name": "西湖区",
                            "level": "county",
                            "children": [
                                {
                                    "code": "330106002",
                                    "name": "北山街道",
                                    "level": "township",
                                    "children": [
                                        {
                                            "code": "330106002001",
                                            "name": "栖霞岭社区",
                                            "level": "village",
                                            "children": [
                                                {
                                                    "code": "330106002001001",
                                                    "name": "栖霞岭社区第一网格",
                                                    "level": "grid",
                                                }
                                            ],
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                },
                {
                    "code": "330700",
                    "name": "金华市",
                    "level": "city",
                    "children": [{"code": "330782", "name": "义乌市", "level": "county", "children": []}],
                },
            ],
        }
        acc.org_units_load_tree(actor=None, tree=tree)
        from zhengtong.accounts.models import OrgUnit

        self.system = system_actor()
        self.province = OrgUnit.objects.get(code="330000")
        self.hangzhou = OrgUnit.objects.get(code="330100")
        self.xihu = OrgUnit.objects.get(code="330106")
        self.beishan = OrgUnit.objects.get(code="330106002")
        self.village = OrgUnit.objects.get(code="330106002001")
        self.grid = OrgUnit.objects.get(code="330106002001001")
        self.jinhua = OrgUnit.objects.get(code="330700")
        self.yiwu = OrgUnit.objects.get(code="330782")
        self.xihu_gaj = acc.department_create(
            actor=self.system, org_unit=self.xihu, code="gaj", name="西湖区公安分局"
        )
        self.xihu_scjg = acc.department_create(
            actor=self.system, org_unit=self.xihu, code="scjg", name="西湖区市场监督管理局"
        )
        self.yiwu_gaj = acc.department_create(
            actor=self.system, org_unit=self.yiwu, code="gaj", name="义乌市公安局"
        )
        self.yiwu_scjg = acc.department_create(
            actor=self.system, org_unit=self.yiwu, code="scjg", name="义乌市市场监督管理局"
        )
        self.xihu_clerk = self.staff("xihu_clerk", "registry_clerk", self.xihu, self.xihu_gaj)
        self.yiwu_clerk = self.staff("yiwu_clerk", "registry_clerk", self.yiwu, self.yiwu_gaj)
        self.xihu_viewer = self.staff("xihu_viewer", "registry_viewer", self.xihu)
        self.auditor = self.staff("auditor", "auditor", self.province)
        self.xihu_auditor = self.staff("xihu_auditor", "auditor", self.xihu)
        self.citizen = acc.user_create(
            actor=None, username="citizen", password=PASSWORD, kind=UserKind.CITIZEN
        )

    def staff(self, username, role, unit, department=None, kind="staff"):
        user = self.acc.user_create(
            actor=self.system,
            username=username,
            password=PASSWORD,
            kind=kind,
            org_unit=unit,
            department=department,
        )
        self.acc.role_grant(actor=self.system, user=user, role=role, org_unit=unit, department=department)
        return user

    def person(self, unit=None, *, birth=dt.date(1985, 6, 15), seq=11, name="张三", phone="13912345678"):
        from zhengtong.core.identifiers import generate_resident_id
        from zhengtong.registry import services

        unit = unit or self.village
        region = unit.code[:6]
        return services.person_create(
            actor=self.system,
            org_unit=unit,
            resident_id=generate_resident_id(region, birth, seq),
            name=name,
            phone=phone,
            address=f"{unit.name}1号",
        )


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def password():
    return PASSWORD
