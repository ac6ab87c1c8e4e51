"""Writes of the accounts module: org units, departments, users, role grants, API tokens, TOTP."""

from __future__ import annotations

import hmac
import re
import time
from datetime import timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import credentials
from zhengtong.accounts.errors import AccountsError
from zhengtong.accounts.models import (
    CODE_LENGTH,
    LEVEL_ORDER,
    Credential,
    CredentialKind,
    Department,
    OrgUnit,
    RoleGrant,
    User,
    UserKind,
)
from zhengtong.accounts.permissions import can, ensure_can, forget_grants
from zhengtong.accounts.roles import ROLES
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core import hooks
from zhengtong.core.errors import (
    AuthenticationRequired,
    Conflict,
    CoreError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from zhengtong.core.identifiers import IdentifierError, validate_mobile

audit_actions.register(
    {
        "accounts.org_unit.create": gettext_lazy("Create org unit"),
        "accounts.department.create": gettext_lazy("Create department"),
        "accounts.user.create": gettext_lazy("Create user"),
        "accounts.user.update_preferences": gettext_lazy("Change preferences"),
        "accounts.role.grant": gettext_lazy("Grant role"),
        "accounts.role.revoke": gettext_lazy("Revoke role"),
        "accounts.token.create": gettext_lazy("Create API token"),
        "accounts.token.revoke": gettext_lazy("Revoke API token"),
        "accounts.totp.enable": gettext_lazy("Enable two-step verification"),
        "accounts.totp.disable": gettext_lazy("Disable two-step verification"),
        "accounts.login": gettext_lazy("Log in"),
        "accounts.login_failed": gettext_lazy("Failed login"),
        "accounts.logout": gettext_lazy("Log out"),
    }
)

TOKEN_SCOPES = {"read", "write"}


# --- org units and departments ---------------------------------------------------------


def _check_code(code: str, level: str, parent: OrgUnit | None) -> None:
    if level not in CODE_LENGTH:
        raise ValidationError.for_field("level", _("must be one of %s") % ", ".join(LEVEL_ORDER))
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        raise ValidationError.for_field(
            "code", _("a %(level)s code has %(n)d digits") % {"level": level, "n": CODE_LENGTH[level]}
        )
    if parent is None:
        if level != "province":
            raise ValidationError.for_field("parent", _("only a province has no parent"))
        return
    if LEVEL_ORDER.index(level) != LEVEL_ORDER.index(parent.level) + 1:
        raise ValidationError.for_field(
            "level",
            _("a %(parent)s's children are %(child)s units")
            % {"parent": parent.level, "child": LEVEL_ORDER[LEVEL_ORDER.index(parent.level) + 1]},
        )
    prefix = {"city": 2, "county": 4}.get(level, len(parent.code))
    if code[:prefix] != parent.code[:prefix]:
        raise ValidationError.for_field(
            "code", _("must start with the parent's code %s") % parent.code[:prefix]
        )


@transaction.atomic
def org_unit_create(
    *, actor: Any, code: str, name: str, level: str, parent: OrgUnit | None, name_en: str = ""
) -> OrgUnit:
    """Create an org unit under ``parent`` (actor needs accounts.manage_users at the parent)."""
    if actor is not None:
        ensure_can(actor, "accounts.manage_users", parent)
    _check_code(code, level, parent)
    if OrgUnit.objects.filter(code=code).exists():
        raise Conflict(_("region code %s exists already") % code, code=CoreError.DUPLICATE)
    path = (parent.path if parent else "") + code + "/"
    unit = OrgUnit.objects.create(
        code=code,
        name=name,
        name_en=name_en,
        level=level,
        parent=parent,
        path=path,
        depth=(parent.depth + 1) if parent else 0,
    )
    audit.record(
        actor=actor, action="accounts.org_unit.create", target=unit, after={"code": code, "name": name}
    )
    return unit


@transaction.atomic
def org_units_load_tree(*, actor: Any, tree: dict, parent: OrgUnit | None = None) -> tuple[int, int]:
    """Load a nested region tree (idempotent): returns (created, unchanged)."""
    created = unchanged = 0
    stack = [(tree, parent)]
    while stack:
        node, node_parent = stack.pop()
        unit = OrgUnit.objects.filter(code=node["code"]).first()
        if unit is None:
            unit = org_unit_create(
                actor=actor,
                code=node["code"],
                name=node["name"],
                level=node["level"],
                parent=node_parent,
                name_en=node.get("name_en", ""),
            )
            created += 1
        else:
            unchanged += 1
        stack.extend((child, unit) for child in reversed(node.get("children") or []))
    return created, unchanged


@transaction.atomic
def department_create(
    *, actor: Any, org_unit: OrgUnit, code: str, name: str, name_en: str = "", kind: str = ""
) -> Department:
    if actor is not None:
        ensure_can(actor, "accounts.manage_users", org_unit)
    if not code or len(code) > 32:
        raise ValidationError.for_field("code", _("1 to 32 characters"))
    if Department.objects.filter(org_unit=org_unit, code=code).exists():
        raise Conflict(_("department code %s exists in this unit") % code, code=CoreError.DUPLICATE)
    dept = Department.objects.create(org_unit=org_unit, code=code, name=name, name_en=name_en, kind=kind)
    audit.record(
        actor=actor, action="accounts.department.create", target=dept, org_unit=org_unit, after={"name": name}
    )
    return dept


# --- users ------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None,
    kind: str,
    display_name: str = "",
    org_unit: OrgUnit | None = None,
    department: Department | None = None,
    phone: str = "",
    email: str = "",
    validate: bool = True,
) -> User:
    """Create a user. Staff accounts need accounts.manage_users at their org unit; citizens may
    register themselves (actor None)."""
    if kind not in UserKind.values:
        raise ValidationError.for_field("kind", _("unknown user kind"))
    staff_kind = kind in {UserKind.STAFF, UserKind.GRID_WORKER, UserKind.ADMIN, UserKind.API_CLIENT}
    if staff_kind:
        if org_unit is None:
            raise ValidationError.for_field("org_unit", _("staff accounts belong to an org unit"))
        if actor is not None:
            ensure_can(actor, "accounts.manage_users", org_unit)
    if department is not None and department.org_unit_id != getattr(org_unit, "pk", None):
        raise ValidationError.for_field("department", _("the department must belong to the user's org unit"))
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise ValidationError.for_field("username", _("1 to 150 characters"))
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            _("the username is taken"), code=CoreError.DUPLICATE, details={"fields": {"username": ["taken"]}}
        )
    user = User(
        username=username,
        kind=kind,
        display_name=display_name,
        org_unit=org_unit,
        department=department,
        phone=phone,
        email=email,
        is_staff=kind == UserKind.ADMIN,
    )
    if password:
        if validate:
            try:
                validate_password(password, user)
            except DjangoValidationError as exc:
                raise ValidationError(fields={"password": list(exc.messages)}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        actor=actor,
        action="accounts.user.create",
        target=user,
        org_unit=org_unit,
        after={"username": username, "kind": kind, "phone": phone},
    )
    return user


def user_register_citizen(*, username: str, password: str, phone: str = "") -> User:
    """A citizen creates their own account (password rules apply; the mobile number, if given,
    must be a valid Chinese mobile number). Real-name verification is a separate step."""
    if not re.fullmatch(r"[\w.@+-]{3,150}", username or "", flags=re.ASCII):
        raise ValidationError.for_field("username", _("3 to 150 letters, digits or @ . + - _"))
    if phone:
        try:
            phone = validate_mobile(phone)
        except IdentifierError as exc:
            raise ValidationError.for_field("phone", str(exc)) from None
    return user_create(actor=None, username=username, password=password, kind=UserKind.CITIZEN, phone=phone)


@transaction.atomic
def user_update_preferences(
    *, actor: User, language: str | None = None, elder_mode: bool | None = None
) -> User:
    before = {"language": actor.language, "elder_mode": actor.elder_mode}
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError.for_field("language", _("unsupported language"))
        actor.language = language
    if elder_mode is not None:
        actor.elder_mode = elder_mode
    actor.save(update_fields=["language", "elder_mode"])
    audit.record(
        actor=actor,
        action="accounts.user.update_preferences",
        target=actor,
        before=before,
        after={"language": actor.language, "elder_mode": actor.elder_mode},
    )
    return actor


@transaction.atomic
def role_grant(
    *,
    actor: Any,
    user: User,
    role: str,
    org_unit: OrgUnit,
    department: Department | None = None,
    valid_until=None,
) -> RoleGrant:
    """Grant ``role`` at ``org_unit``; the actor needs accounts.grant_roles there and may only
    hand out permissions they hold there themselves."""
    if role not in ROLES:
        raise ValidationError.for_field("role", _("unknown role “%s”") % role)
    if department is not None and department.org_unit_id != org_unit.pk:
        raise ValidationError.for_field("department", _("the department must belong to the org unit"))
    if actor is not None:
        ensure_can(actor, "accounts.grant_roles", org_unit)
        missing = [p for p in ROLES[role].permissions if not can(actor, p, org_unit)]
        if missing and not actor.is_superuser:
            raise PermissionDenied(
                _("you cannot grant permissions you do not hold: %s") % ", ".join(sorted(missing))
            )
    existing = RoleGrant.objects.filter(
        user=user, role=role, org_unit=org_unit, department=department, revoked_at__isnull=True
    ).first()
    if existing:
        return existing
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        org_unit=org_unit,
        department=department,
        granted_by=actor,
        valid_until=valid_until,
    )
    forget_grants(user)
    audit.record(
        actor=actor,
        action="accounts.role.grant",
        target=user,
        org_unit=org_unit,
        after={"role": role, "org_unit": org_unit.code, "department": getattr(department, "code", None)},
    )
    return grant


@transaction.atomic
def role_revoke(*, actor: Any, grant: RoleGrant) -> RoleGrant:
    ensure_can(actor, "accounts.grant_roles", grant.org_unit)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        forget_grants(grant.user)
        audit.record(
            actor=actor,
            action="accounts.role.revoke",
            target=grant.user,
            org_unit=grant.org_unit,
            before={"role": grant.role, "org_unit": grant.org_unit.code},
        )
    return grant


# --- API tokens (personal credentials of kind api_token; mechanism in accounts.credentials) ------


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, scopes: list[str], days: int | None = None, user: User | None = None
) -> tuple[Credential, str]:
    """Create a token for ``user`` (default: the actor). Returns the row and the token, shown once."""
    owner = user or actor
    if owner.pk != actor.pk:
        ensure_can(actor, "accounts.manage_users", owner.org_unit)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.for_field("name", _("1 to 100 characters"))
    bad = [s for s in scopes if s not in TOKEN_SCOPES]
    if bad or not scopes:
        raise ValidationError.for_field("scopes", _("choose from: %s") % ", ".join(sorted(TOKEN_SCOPES)))
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise ValidationError.for_field("days", _("between 1 and 366"))
    return credentials.credential_create(
        actor=actor,
        kind=CredentialKind.API_TOKEN,
        name=name,
        owner=owner,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=days),
        audit_action="accounts.token.create",
        audit_target=owner,
        audit_after={"scopes": scopes},
    )


@transaction.atomic
def api_token_revoke(*, actor: User, token: Credential) -> Credential:
    """Revoke one of the actor's tokens (or, for a user manager, a token of a user in scope)."""
    if token.kind != CredentialKind.API_TOKEN:
        raise NotFound(_("no such token"))
    if token.owner_id != actor.pk:
        ensure_can(actor, "accounts.manage_users", token.owner.org_unit)
    return credentials.credential_revoke(
        actor=actor, credential=token, audit_action="accounts.token.revoke", audit_target=token.owner
    )


_TOKEN_REFUSALS = {
    "revoked": gettext_lazy("the API token was revoked"),
    "expired": gettext_lazy("the API token has expired"),
    "disabled": gettext_lazy("the account is disabled"),
}


# Other kinds of bearer token the API accepts, contributed by higher modules (the identity
# centre's OpenID Connect access tokens): ``fn(*, raw, method, entitlement=None)``. An entry
# returns None for a token that is not of its kind, the user for a good one, and raises
# ``AuthenticationRequired`` (401 ``invalid_token``) or ``PermissionDenied``
# (403 ``insufficient_scope``) for one of its kind it refuses: the same answers as API tokens.
# Called with ``entitlement`` (a scope prefix such as ``"sharing:grant:"``) by
# ``bearer_entitlements``, an entry returns instead the identifiers its token is entitled to under
# that prefix (a list, possibly empty), None when the token is not of its kind.
BEARER_AUTHENTICATORS = hooks.registry(
    "accounts.bearer_authenticators",
    doc="Bearer tokens other than API tokens that /api/v1 accepts (fn(*, raw, method) -> User | None) "
    "and their data entitlements (fn(*, raw, method, entitlement=prefix) -> list[str] | None).",
)


def bearer_entitlements(raw: str, *, prefix: str) -> list[str] | None:
    """The identifiers a bearer token that is not an API token is entitled to under the scope
    ``prefix`` (e.g. the sharing grants of ``sharing:grant:<id>`` scopes), from the first
    ``BEARER_AUTHENTICATORS`` entry that knows the token; None when none does. A token of a known
    kind that is invalid (bad signature, expired, revoked) raises ``AuthenticationRequired``."""
    for authenticate in BEARER_AUTHENTICATORS.items():
        found = authenticate(raw=raw or "", method="POST", entitlement=prefix)
        if found is not None:
            return list(found)
    return None


def api_token_authenticate(raw: str, *, method: str) -> User:
    """The user behind a bearer token; unsafe methods need the ``write`` scope. A token that is
    not an API token is offered to ``BEARER_AUTHENTICATORS`` (same scope rule: ``api:write``)."""
    kind = CredentialKind.API_TOKEN
    if credentials.credential_parse(raw or "", kind=kind) is None:
        for authenticate in BEARER_AUTHENTICATORS.items():
            user = authenticate(raw=raw or "", method=method)
            if user is not None:
                return user
        raise AuthenticationRequired(_("malformed API token"), code=AccountsError.INVALID_TOKEN)
    row = credentials.credential_lookup(raw, kind=kind)
    if row is None or row.owner is None:
        raise AuthenticationRequired(_("unknown API token"), code=AccountsError.INVALID_TOKEN)
    refusal = credentials.credential_refusal(row)
    if refusal is not None:
        raise AuthenticationRequired(str(_TOKEN_REFUSALS[refusal]), code=AccountsError.INVALID_TOKEN)
    if method not in {"GET", "HEAD", "OPTIONS"} and "write" not in row.scopes:
        raise PermissionDenied(_("this token has no “write” scope"), code=AccountsError.INSUFFICIENT_SCOPE)
    credentials.credential_touch(row)
    return row.owner


# --- two-step verification (TOTP) -----------------------------------------------------------


def totp_uri(*, user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app scans (issuer from TOTP_ISSUER)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=settings.TOTP_ISSUER)


def totp_provisioning(*, actor: User) -> tuple[str, str]:
    """A new secret for the actor (kept in the session until confirmed) and its otpauth:// URI."""
    secret = pyotp.random_base32()
    return secret, totp_uri(user=actor, secret=secret)


def _totp_step_of(secret: str, code: str) -> int | None:
    """The time step whose code ``code`` is: the current one or one either side (clock drift)."""
    totp = pyotp.TOTP(secret)
    code = (code or "").strip()
    if len(code) != totp.digits or not code.isdigit():
        return None
    now = totp.timecode(time.time())
    for step in (now + 1, now, now - 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


@transaction.atomic
def totp_enable(*, actor: User, secret: str, code: str) -> User:
    """Turn two-step verification on with ``secret`` once ``code`` proves the app has it; that
    code counts as used (it cannot sign in afterwards)."""
    step = _totp_step_of(secret, code)
    if step is None:
        raise ValidationError.for_field("otp", _("the code does not match; check the time on your phone"))
    actor.totp_secret = secret
    actor.totp_enabled = True
    actor.totp_last_step = step
    actor.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
    audit.record(actor=actor, action="accounts.totp.enable", target=actor)
    return actor


@transaction.atomic
def totp_disable(*, actor: User, code: str) -> User:
    """Turn two-step verification off; needs a current, unused code."""
    if not actor.totp_enabled or not totp_verify(user=actor, code=code):
        raise ValidationError.for_field("otp", _("enter a current code to turn two-step verification off"))
    actor.totp_secret = ""
    actor.totp_enabled = False
    actor.totp_last_step = None
    actor.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
    audit.record(actor=actor, action="accounts.totp.disable", target=actor)
    return actor


def totp_verify(*, user: User, code: str) -> bool:
    """True when ``code`` is the user's code for now (or one 30-second step either side) and
    newer than the last code accepted; the code is then used up. A code already accepted, or an
    older one, is refused (replay), even by another process at the same moment: the conditional
    UPDATE lets exactly one caller move ``totp_last_step`` forward."""
    if not (user.totp_enabled and user.totp_secret):
        return False
    step = _totp_step_of(user.totp_secret, code)
    if step is None:
        return False
    newer = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    if not User.objects.filter(newer, pk=user.pk, totp_enabled=True).update(totp_last_step=step):
        return False
    user.totp_last_step = step
    return True


def system_actor() -> User:
    """The account that management commands, tasks and the demo act as: a superuser that cannot
    log in (unusable password), so every change they make is attributed in the audit trail."""
    user = User.objects.filter(username="system").first()
    if user is None:
        # Created directly (not via user_create): it must exist even before any org tree is loaded.
        with transaction.atomic():
            root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
            user = User(
                username="system",
                kind=UserKind.ADMIN,
                display_name="system",
                org_unit=root,
                is_superuser=True,
            )
            user.set_unusable_password()
            user.save()
            audit.record(
                actor=None,
                action="accounts.user.create",
                target=user,
                after={"username": "system", "kind": "admin"},
            )
    return user


def user_by_username(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(_("no such user"))
    return user
