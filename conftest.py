"""Shared fixtures: a small province built through the real service functions.

The province (``World``) is built once and shared: for the tests that use it and run inside a
transaction (every test except ``transaction=True`` / ``live_server`` ones), it is built inside an
outer transaction that stays open while those tests run, each test's own transaction is a savepoint
inside it and rolls back as before, and every test gets a ``World`` whose objects are fetched
afresh from the database, so no test sees another's changes, in the database or in memory. Those
tests run first (after pytest-django's own ordering), so the province is built once per run; the
outer transaction is rolled back before the first test that does not use it, so no other test sees
the province. Transactional tests build their own, as before.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from pytest_django.fixtures import validate_django_db

PASSWORD = "Test-pass-2025!"


@pytest.fixture(autouse=True)
def _english_and_fresh_calendar(settings):
    """Tests assert English messages; no cached value, rate-limit or usage count leaks between tests."""
    from django.utils import translation

    from zhengtong.catalog.compat import common as catalog_compat
    from zhengtong.core import cache, ratelimit

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    cache.clear()
    ratelimit.clear_local()
    with catalog_compat._pending_lock:  # usage counted in memory by an earlier test, rolled back since
        catalog_compat._pending.clear()
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

    @classmethod
    def refetched(cls, world: World) -> World:
        """A copy of ``world`` whose model instances are fetched afresh (one query per model)."""
        from django.db.models import Model

        fresh = cls.__new__(cls)
        fresh.__dict__.update(world.__dict__)
        by_model: dict[type[Model], dict[str, int]] = {}
        for name, value in world.__dict__.items():
            if isinstance(value, Model):
                by_model.setdefault(type(value), {})[name] = value.pk
        for model, names in by_model.items():
            rows = model._default_manager.in_bulk(list(names.values()))
            for name, pk in names.items():
                setattr(fresh, name, rows[pk])
        return fresh

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


def _transactional(item: pytest.Item) -> bool:
    """Whether pytest-django runs ``item`` without a wrapping transaction (its own rule)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transactional, reset_sequences, *_ = validate_django_db(marker)
        if transactional or reset_sequences:
            return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


def _shares_world(item: pytest.Item) -> bool:
    return "world" in getattr(item, "fixturenames", ()) and not _transactional(item)


class _SharedWorld:
    """The outer transaction holding the shared province, open or not."""

    atomic: transaction.Atomic | None = None
    world: World | None = None

    @classmethod
    def open(cls) -> None:
        if cls.atomic is None:
            cls.atomic = transaction.atomic()
            cls.atomic.__enter__()
            cls.world = World()

    @classmethod
    def close(cls) -> None:
        if cls.atomic is not None:
            transaction.set_rollback(True)
            cls.atomic.__exit__(None, None, None)
            cls.atomic = cls.world = None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests sharing the province first, so it is built once (pytest-django has already
    put the tests that run in a transaction first; this is a stable partition of those)."""
    items[:] = [i for i in items if _shares_world(i)] + [i for i in items if not _shares_world(i)]


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    """Open or close the outer transaction just before pytest-django opens a test's own."""
    if fixturedef.argname != "_django_db_helper":
        return
    with request.getfixturevalue("django_db_blocker").unblock():
        if _shares_world(request.node):
            _SharedWorld.open()
        else:
            _SharedWorld.close()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _SharedWorld.close()


@pytest.fixture
def world(request, db):
    if _SharedWorld.world is not None and _shares_world(request.node):
        return World.refetched(_SharedWorld.world)
    return World()


@pytest.fixture
def password():
    return PASSWORD
