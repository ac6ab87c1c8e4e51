from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from zhengtong.accounts import selectors, services
from zhengtong.accounts.models import Credential, CredentialKind, Department, OrgUnit
from zhengtong.accounts.roles import role_label
from zhengtong.core.masking import mask_resident_id
from zhengtong.core.schemas import ERRORS

router = Router(tags=["accounts"])


class GrantOut(Schema):
    role: str
    role_label: str
    org_unit: str
    org_unit_name: str
    department: str | None


class MeOut(Schema):
    username: str
    kind: str
    display_name: str
    is_real_name: bool
    resident_id_masked: str
    uscc: str
    org_unit: str | None
    department: str | None
    language: str
    elder_mode: bool
    grants: list[GrantOut]


@router.get("/me", response={200: MeOut, **ERRORS}, operation_id="accounts_me")
def me(request):
    """The current user: identity (ID number masked), roles and the org units they apply to."""
    return me_out(request.auth)


def me_out(user) -> MeOut:
    """``GET /me``'s answer for ``user``: the one implementation, called by the operation above and
    by the identity centre's lean service for bearer calls (``identity.wsgi_oidc``)."""
    grants = [
        GrantOut(role=role, role_label=role_label(role), org_unit=code, org_unit_name=name, department=dept)
        for role, code, name, dept in selectors.user_grants_cached(user)
    ]
    return MeOut(
        username=user.username,
        kind=user.kind,
        display_name=user.display_name,
        is_real_name=user.is_real_name,
        resident_id_masked=mask_resident_id(user.resident_id),
        uscc=user.uscc,
        org_unit=user.org_unit.code if user.org_unit_id else None,
        department=user.department.name if user.department_id else None,
        language=user.language,
        elder_mode=user.elder_mode,
        grants=grants,
    )


class OrgUnitOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None
    depth: int

    @staticmethod
    def resolve_parent(obj: OrgUnit) -> str | None:
        return obj.parent.code if obj.parent_id else None


class OrgNode(Schema):
    code: str
    name: str
    name_en: str
    level: str
    children: list[OrgNode]


@router.get(
    "/org-units", response={200: list[OrgNode], **ERRORS}, auth=None, operation_id="accounts_org_units_tree"
)
def org_units_tree(request, depth: int = 2):
    """The administrative tree from the province down ``depth`` levels (0–5)."""
    depth = max(0, min(depth, 5))
    units = list(OrgUnit.objects.filter(depth__lte=depth).order_by("path"))
    return selectors.org_tree(units)


@router.get(
    "/org-units/{code}",
    response={200: OrgUnitOut, **ERRORS},
    auth=None,
    operation_id="accounts_org_unit_detail",
)
def org_unit_detail(request, code: str):
    """One org unit by its code, with its parent (public)."""
    return OrgUnit.objects.select_related("parent").get(pk=selectors.org_unit_get(code).pk)


@router.get(
    "/org-units/{code}/subtree",
    response={200: list[OrgNode], **ERRORS},
    auth=None,
    operation_id="accounts_org_unit_subtree",
)
def org_unit_subtree(request, code: str, depth: int = 5):
    """The unit and everything below it, ``depth`` levels deep, nested."""
    unit = selectors.org_unit_get(code)
    units = list(selectors.org_unit_subtree(unit, max_depth=max(0, min(depth, 5))))
    return selectors.org_tree(units)


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    org_unit: str

    @staticmethod
    def resolve_org_unit(obj: Department) -> str:
        return obj.org_unit.code


@router.get(
    "/departments",
    response={200: list[DepartmentOut], **ERRORS},
    auth=None,
    operation_id="accounts_departments",
)
def departments(request, org_unit: str = "", subtree: bool = False):
    """Departments of an org unit (and, with ``subtree=true``, of the units below it)."""
    unit = selectors.org_unit_get(org_unit or settings.REGION_CODE)
    return list(selectors.departments_in(unit, subtree=subtree)[:2000])


class TokenIn(Schema):
    name: str
    scopes: list[str] = ["read"]
    days: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str


@router.get("/me/tokens", response={200: list[TokenOut], **ERRORS}, operation_id="accounts_tokens")
def my_tokens(request):
    """The caller's personal API tokens (names, scopes, last use; never the secret)."""
    return list(selectors.credentials_of(owner=request.auth, kind=CredentialKind.API_TOKEN))


@router.post("/me/tokens", response={201: TokenCreatedOut, **ERRORS}, operation_id="accounts_token_create")
def token_create(request, payload: TokenIn):
    """Create an API token; the token itself is in this response only."""
    row, token = services.api_token_create(
        actor=request.auth, name=payload.name, scopes=payload.scopes, days=payload.days
    )
    return Status(201, {**TokenOut.from_orm(row).dict(), "token": token})


@router.delete("/me/tokens/{token_id}", response={204: None, **ERRORS}, operation_id="accounts_token_revoke")
def token_revoke(request, token_id: int):
    """Revoke one of the caller's API tokens; it stops working at once."""
    token = get_object_or_404(Credential, pk=token_id, owner=request.auth, kind=CredentialKind.API_TOKEN)
    services.api_token_revoke(actor=request.auth, token=token)
    return Status(204, None)
