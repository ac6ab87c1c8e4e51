"""Role grants: who may grant what where, subtree validity, department-limited grants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.accounts import services
from zhengtong.accounts.models import RoleGrant
from zhengtong.accounts.permissions import can, forget_grants, scope_roots
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError


@pytest.fixture
def hz_admin(world):
    return world.staff("hz_admin", "org_admin", world.hangzhou)


@pytest.fixture
def newcomer(world, password):
    return services.user_create(
        actor=world.system, username="newcomer", password=password, kind="staff", org_unit=world.xihu
    )


def grant_rows(user) -> list[tuple]:
    return list(
        RoleGrant.objects.filter(user=user).values_list(
            "role", "org_unit__code", "department__code", "revoked_at"
        )
    )


def test_org_admin_cannot_grant_outside_their_unit(world, hz_admin, newcomer):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.role_grant(actor=hz_admin, user=newcomer, role="registry_viewer", org_unit=world.yiwu)
    assert exc.value.message == "you do not have the permission “accounts.grant_roles” (义乌市)"
    assert grant_rows(newcomer) == []
    assert AuditEvent.objects.count() == events
    assert can(newcomer, "registry.view", world.yiwu) is False


def test_org_admin_cannot_grant_permissions_they_lack(world, hz_admin, newcomer):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.role_grant(actor=hz_admin, user=newcomer, role="registry_clerk", org_unit=world.xihu)
    assert exc.value.message == (
        "you cannot grant permissions you do not hold: "
        "registry.change, registry.handle_correction, registry.import"
    )
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=hz_admin, user=newcomer, role="platform_admin", org_unit=world.xihu)
    assert grant_rows(newcomer) == []
    assert AuditEvent.objects.count() == events


def test_org_admin_grants_within_scope_and_revokes(world, hz_admin, newcomer):
    grant = services.role_grant(actor=hz_admin, user=newcomer, role="registry_viewer", org_unit=world.xihu)
    assert grant_rows(newcomer) == [("registry_viewer", "330106", None, None)]
    assert grant.granted_by == hz_admin
    assert can(newcomer, "registry.view", world.village) is True
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.after) == (
        "accounts.role.grant",
        {"role": "registry_viewer", "org_unit": "330106", "department": None},
    )
    # Granting the same role again returns the existing grant.
    assert (
        services.role_grant(actor=hz_admin, user=newcomer, role="registry_viewer", org_unit=world.xihu)
        == grant
    )
    assert RoleGrant.objects.filter(user=newcomer).count() == 1

    services.role_revoke(actor=hz_admin, grant=grant)
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is not None
    assert can(newcomer, "registry.view", world.village) is False
    assert AuditEvent.objects.order_by("-id").first().action == "accounts.role.revoke"


def test_revoke_outside_scope_is_refused(world, hz_admin):
    grant = RoleGrant.objects.get(user=world.yiwu_clerk)
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=hz_admin, grant=grant)
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is None
    forget_grants(world.yiwu_clerk)
    assert can(world.yiwu_clerk, "registry.change", world.yiwu) is True


def test_grant_at_a_county_covers_its_villages_not_its_sibling_or_parent(world):
    viewer = world.xihu_viewer
    assert can(viewer, "registry.view", world.xihu) is True
    assert can(viewer, "registry.view", world.village) is True
    assert can(viewer, "registry.view", world.grid) is True
    assert can(viewer, "registry.view", world.yiwu) is False
    assert can(viewer, "registry.view", world.hangzhou) is False
    assert can(viewer, "registry.view", world.province) is False
    assert can(viewer, "registry.change", world.village) is False
    # Without an org unit the question is "anywhere".
    assert can(viewer, "registry.view") is True
    assert can(viewer, "audit.view") is False
    assert scope_roots(viewer, "registry.view") == ["330000/330100/330106/"]


def test_department_limited_grant(world):
    clerk = world.xihu_clerk  # registry_clerk at 西湖区, limited to 西湖区公安分局
    assert can(clerk, "registry.change", world.xihu, world.xihu_gaj) is True
    assert can(clerk, "registry.change", world.xihu, world.xihu_scjg) is False
    # An object with no department is judged by the grant's org scope alone.
    assert can(clerk, "registry.change", world.village, None) is True
    # A department id is accepted as well as the object.
    assert can(clerk, "registry.change", world.xihu, world.xihu_gaj.pk) is True
    # The same kind of department in another county is another department, and out of scope.
    assert can(clerk, "registry.change", world.yiwu, world.yiwu_gaj) is False


def test_expired_and_revoked_grants_do_not_count(world, newcomer):
    grant = services.role_grant(
        actor=world.system,
        user=newcomer,
        role="registry_viewer",
        org_unit=world.xihu,
        valid_until=timezone.now() + dt.timedelta(hours=1),
    )
    assert can(newcomer, "registry.view", world.xihu) is True
    RoleGrant.objects.filter(pk=grant.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    forget_grants(newcomer)
    assert can(newcomer, "registry.view", world.xihu) is False


def test_inactive_user_can_nothing(world):
    world.xihu_clerk.is_active = False
    assert can(world.xihu_clerk, "registry.view", world.xihu) is False


def test_grant_validation(world, newcomer):
    with pytest.raises(ValidationError) as exc:
        services.role_grant(actor=world.system, user=newcomer, role="emperor", org_unit=world.xihu)
    assert exc.value.fields == {"role": ["unknown role “emperor”"]}
    with pytest.raises(ValidationError) as exc:
        services.role_grant(
            actor=world.system,
            user=newcomer,
            role="registry_clerk",
            org_unit=world.xihu,
            department=world.yiwu_gaj,
        )
    assert exc.value.fields == {"department": ["the department must belong to the org unit"]}
    assert grant_rows(newcomer) == []


def test_platform_admin_grant_allows_everything_in_the_subtree_only(world, password):
    admin = world.staff("xihu_admin", "platform_admin", world.xihu)
    assert can(admin, "registry.change", world.grid) is True
    assert can(admin, "core.manage_calendar", world.xihu) is True
    assert can(admin, "registry.view", world.yiwu) is False
