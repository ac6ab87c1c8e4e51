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

import copy
import datetime as dt
import inspect
import types
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import Model
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
        # Migration 0005 seeds the 12345 categories; a transactional test's flush removes them.
        from zhengtong.workorders.categories import categories_ensure

        categories_ensure()
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
    """The outer transaction holding the shared province, open or not, and the shared fixtures
    built in it (``shared_fixture``) for the group of tests now running."""

    atomic: transaction.Atomic | None = None
    world: World | None = None
    built: dict[str, object] = {}
    names: frozenset[str] = frozenset()

    @classmethod
    def open(cls, names: frozenset[str] = frozenset()) -> None:
        if cls.atomic is not None and names != cls.names:
            cls.close()  # another group of shared fixtures: start again from the province alone
        if cls.atomic is None:
            cls.atomic = transaction.atomic()
            cls.atomic.__enter__()
            cls.world = World()
            cls.names = names
            cls.built = {}
            for name in sorted(names):
                _build_shared(name, cls.world, cls.built)

    @classmethod
    def close(cls) -> None:
        if cls.atomic is not None:
            transaction.set_rollback(True)
            cls.atomic.__exit__(None, None, None)
            cls.atomic = cls.world = None
            cls.built, cls.names = {}, frozenset()


# Fixtures built once per group of tests, like the province (``shared_fixture``): name -> builder.
_SHARED_BUILDERS: dict[str, Callable[..., object]] = {}


def shared_fixture(build: Callable[..., object]):
    """A fixture ``build(world, **other shared fixtures)`` built once, with the province, for the
    tests that share it (they run together, grouped by the shared fixtures they use); each test
    gets a copy whose ``world`` is its own, so no test sees another's changes in memory, and its
    transaction rolls back as before. A builder changes only the database (and the world it is
    given): settings, files and per-test fixtures are not in effect yet when it runs. Tests that
    build their own province (transactional ones) get ``build`` called for them."""
    name = build.__name__
    if inspect.isgeneratorfunction(build):
        raise TypeError(f"{name}: a shared fixture is built once, so it has no teardown")
    needs = list(inspect.signature(build).parameters)
    if needs[:1] != ["world"] or not set(needs[1:]) <= set(_SHARED_BUILDERS):
        raise TypeError(f"{name}: a shared fixture takes world, then shared fixtures defined before it")
    _SHARED_BUILDERS[name] = build

    def fixture(request: pytest.FixtureRequest, world: World, **others):
        if name in _SharedWorld.built and _shares_world(request.node):
            return _copy_for(_SharedWorld.built[name], world)
        return build(world, **others)

    fixture.__signature__ = inspect.Signature(  # pytest reads the fixtures it needs from here
        [inspect.Parameter(arg, inspect.Parameter.POSITIONAL_OR_KEYWORD) for arg in ["request", *needs]]
    )
    fixture.__doc__ = build.__doc__
    fixture.shared_fixture = name  # what _shared_names looks for
    return pytest.fixture(name=name)(fixture)


def _build_shared(name: str, world: World, built: dict[str, object]) -> None:
    """Build ``name`` into ``built``, after the shared fixtures it takes."""
    if name not in built:
        build = _SHARED_BUILDERS[name]
        others = list(inspect.signature(build).parameters)[1:]
        for other in others:
            _build_shared(other, world, built)
        built[name] = build(world, **{other: built[other] for other in others})


def _copy_for(built: object, world: World) -> object:
    """A copy of a shared fixture's value for one test: containers, plain objects and model
    instances copied (deeply), the shared province replaced by ``world``, anything else (modules,
    classes, functions, strings, numbers) kept as it is."""
    return _copied(built, {id(_SharedWorld.world): world})


def _copied(value: object, memo: dict[int, object]) -> object:
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, Model):
        result = memo[id(value)] = copy.deepcopy(value)
    elif isinstance(value, dict):
        result = memo[id(value)] = {}
        result.update((k, _copied(v, memo)) for k, v in value.items())
    elif isinstance(value, list):
        result = memo[id(value)] = []
        result.extend(_copied(v, memo) for v in value)
    elif isinstance(value, tuple | set | frozenset):
        result = memo[id(value)] = type(value)(_copied(v, memo) for v in value)
    elif hasattr(value, "__dict__") and not isinstance(value, _KEPT):
        result = memo[id(value)] = copy.copy(value)
        for attr, item in vars(value).items():
            setattr(result, attr, _copied(item, memo))
    else:
        result = value
    return result


_KEPT = (types.ModuleType, type, types.FunctionType, types.MethodType, types.BuiltinFunctionType)


def _shared_names(item: pytest.Item) -> frozenset[str]:
    """The shared fixtures ``item`` uses: by the fixture its name resolves to for it (a test module
    may define a plain fixture of the same name)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return frozenset()
    return frozenset(
        name
        for name, defs in info.name2fixturedefs.items()
        if defs and getattr(defs[-1].func, "shared_fixture", None) == name
    )


# The fixtures through which a test reaches the database; pytest-django blocks every other test's
# database access, so a test without one of them gives the same result on every database.
_DATABASE_FIXTURES = frozenset(
    {
        "_django_db_helper",
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)


def _uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    return not _DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


# Kinds of test that need one run only: ``scripts/run_tests.py`` gives each to one database's run.
_ONCE_KINDS: dict[str, Callable[[pytest.Item], bool]] = {
    # pytest-django blocks their database access, so they give the same result on every database
    "no-database": lambda item: not _uses_database(item),
    # walk-throughs of pages in Chromium: the services under them run on both databases in their own tests
    "browser": lambda item: item.get_closest_marker("browser") is not None,
    # marked one_database(engine, reason) for the other engine: costly, and what they check does
    # not depend on the engine (each says why)
    "other-database": lambda item: (
        (marker := item.get_closest_marker("one_database")) is not None
        and marker.args[0] != connection.vendor
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--without",
        action="append",
        default=[],
        choices=sorted(_ONCE_KINDS),
        help="deselect the tests of this kind (repeatable): scripts/run_tests.py runs them in the other"
        " database's run only, so each runs once and the two runs take about as long",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests sharing the province first, so it is built once (pytest-django has already
    put the tests that run in a transaction first; this is a stable partition of those). The kinds
    named by ``--without`` are deselected."""
    left_out = [_ONCE_KINDS[kind] for kind in config.getoption("--without")]
    if left_out:
        kept = [i for i in items if not any(kind(i) for kind in left_out)]
        if len(kept) < len(items):
            kept_ids = {id(i) for i in kept}
            config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept_ids])
        items[:] = kept
    sharing = [i for i in items if _shares_world(i)]
    sharing.sort(key=lambda i: sorted(_shared_names(i)))  # stable: one group per set of shared fixtures
    items[:] = sharing + [i for i in items if not _shares_world(i)]


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    """Open or close the outer transaction just before pytest-django opens a test's own."""
    if fixturedef.argname != "_django_db_helper":
        return
    with request.getfixturevalue("django_db_blocker").unblock():
        if _shares_world(request.node):
            _SharedWorld.open(_shared_names(request.node))
        else:
            _SharedWorld.close()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if connection.vendor == "postgresql":
        # The test database is thrown away: its commits need not wait for the WAL to reach the disk
        # (every connection, the live server's too, takes the database's default).
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")
            cursor.execute("SET synchronous_commit = off")
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
