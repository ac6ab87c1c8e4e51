"""Org units: region-code rules, the materialized path, subtree queries, departments and users."""

from __future__ import annotations

import pytest

from zhengtong.accounts import selectors, services
from zhengtong.accounts.models import Department, OrgUnit, User
from zhengtong.accounts.permissions import subtree_q
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError


def test_paths_and_depths(world):
    assert [(u.code, u.path, u.depth) for u in OrgUnit.objects.filter(subtree_q(world.xihu.path))] == [
        ("330106", "330000/330100/330106/", 2),
        ("330106002", "330000/330100/330106/330106002/", 3),
        ("330106002001", "330000/330100/330106/330106002/330106002001/", 4),
        ("330106002001001", "330000/330100/330106/330106002/330106002001/330106002001001/", 5),
    ]


def test_subtree_query_excludes_siblings_and_ancestors(world):
    codes = set(OrgUnit.objects.filter(subtree_q(world.hangzhou.path)).values_list("code", flat=True))
    assert codes == {"330100", "330106", "330106002", "330106002001", "330106002001001"}
    assert list(selectors.org_unit_subtree(world.jinhua).values_list("code", flat=True)) == [
        "330700",
        "330782",
    ]
    assert list(selectors.org_unit_subtree(world.xihu, max_depth=1).values_list("code", flat=True)) == [
        "330106",
        "330106002",
    ]


def test_create_under_a_parent(world):
    unit = services.org_unit_create(
        actor=world.system, code="330106003", name="西溪街道", level="township", parent=world.xihu
    )
    assert (unit.path, unit.depth, unit.parent) == ("330000/330100/330106/330106003/", 3, world.xihu)
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.after) == (
        "accounts.org_unit.create",
        {"code": "330106003", "name": "西溪街道"},
    )


@pytest.mark.parametrize(
    ("code", "level", "parent", "field", "message"),
    [
        ("33010", "county", "hangzhou", "code", "a county code has 6 digits"),
        ("33010A", "county", "hangzhou", "code", "a county code has 6 digits"),
        ("330206", "county", "hangzhou", "code", "must start with the parent's code 3301"),
        ("330106003001", "village", "xihu", "level", "a county's children are township units"),
        (
            "330106",
            "planet",
            "hangzhou",
            "level",
            "must be one of province, city, county, township, village, grid",
        ),
        ("340000", "city", None, "parent", "only a province has no parent"),
    ],
)
def test_code_rules(world, code, level, parent, field, message):
    count = OrgUnit.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.org_unit_create(
            actor=world.system,
            code=code,
            name="x",
            level=level,
            parent=getattr(world, parent) if parent else None,
        )
    assert exc.value.fields == {field: [message]}
    assert OrgUnit.objects.count() == count


def test_duplicate_code_is_a_conflict(world):
    with pytest.raises(Conflict) as exc:
        services.org_unit_create(
            actor=world.system, code="330782", name="x", level="county", parent=world.jinhua
        )
    assert exc.value.code == "duplicate"


def test_creating_needs_manage_users_at_the_parent(world):
    xihu_admin = world.staff("xihu_admin", "org_admin", world.xihu)
    count, events = OrgUnit.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.org_unit_create(
            actor=world.xihu_clerk, code="330106003", name="西溪街道", level="township", parent=world.xihu
        )
    with pytest.raises(PermissionDenied):
        services.org_unit_create(
            actor=xihu_admin, code="330782001", name="稠城街道", level="township", parent=world.yiwu
        )
    assert OrgUnit.objects.count() == count
    assert AuditEvent.objects.count() == events
    services.org_unit_create(
        actor=xihu_admin, code="330106003", name="西溪街道", level="township", parent=world.xihu
    )
    assert OrgUnit.objects.count() == count + 1


def test_load_tree_is_idempotent(world):
    tree = {
        "code": "330000",
        "name": "浙江省",
        "level": "province",
        "children": [
            {
                "code": "330700",
                "name": "金华市",
                "level": "city",
                "children": [{"code": "330702", "name": "婺城区", "level": "county"}],
            }
        ],
    }
    assert services.org_units_load_tree(actor=None, tree=tree) == (1, 2)
    assert services.org_units_load_tree(actor=None, tree=tree) == (0, 3)
    assert OrgUnit.objects.get(code="330702").path == "330000/330700/330702/"


def test_department_rules(world):
    with pytest.raises(Conflict):
        services.department_create(actor=world.system, org_unit=world.xihu, code="gaj", name="重复")
    with pytest.raises(ValidationError) as exc:
        services.department_create(actor=world.system, org_unit=world.xihu, code="", name="x")
    assert exc.value.fields == {"code": ["1 to 32 characters"]}
    count = Department.objects.count()
    with pytest.raises(PermissionDenied):
        services.department_create(actor=world.yiwu_clerk, org_unit=world.yiwu, code="mzj", name="民政局")
    assert Department.objects.count() == count
    assert [d.code for d in selectors.departments_in(world.xihu, subtree=False)] == ["gaj", "scjg"]


def test_user_rules(world, password):
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=world.system, username="s1", password=password, kind="staff")
    assert exc.value.fields == {"org_unit": ["staff accounts belong to an org unit"]}
    with pytest.raises(ValidationError) as exc:
        services.user_create(
            actor=world.system,
            username="s1",
            password=password,
            kind="staff",
            org_unit=world.xihu,
            department=world.yiwu_gaj,
        )
    assert exc.value.fields == {"department": ["the department must belong to the user's org unit"]}
    with pytest.raises(Conflict) as exc:
        services.user_create(actor=None, username="CITIZEN", password=password, kind="citizen")
    assert exc.value.details == {"fields": {"username": ["taken"]}}
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=None, username="weak", password="12345", kind="citizen")
    assert list(exc.value.fields) == ["password"]
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=world.xihu_clerk, username="s2", password=password, kind="staff", org_unit=world.xihu
        )
    assert not User.objects.filter(username__in=["s1", "s2", "weak"]).exists()


def test_user_scope_units(world):
    hz = world.staff("hz_multi", "org_admin", world.hangzhou)
    services.role_grant(actor=world.system, user=hz, role="registry_viewer", org_unit=world.xihu)
    assert [u.code for u in selectors.user_scope_units(hz)] == ["330100"]
    assert [u.code for u in selectors.user_scope_units(world.xihu_clerk)] == ["330106"]
    assert [u.code for u in selectors.user_scope_units(world.system)] == ["330000"]
