"""Demo data of the identity centre: the administrator ``identity_admin`` and three clients
(README demo table). Idempotent.

- ``demo-rp``: confidential, secret ``demo-rp-secret``, redirect ``http://127.0.0.1:8765/callback``,
  scopes ``openid profile phone``, sector ``demo-sector-a``; ID tokens RS256.
- ``demo-rp2``: the same, secret ``demo-rp2-secret``, another sector (``demo-sector-b``), so the
  same person has another ``sub`` there; ID tokens ES256.
- ``demo-spa``: public, PKCE, redirect ``http://127.0.0.1:8765/spa``.

The documented secrets are stored through the one credential model like any client secret
(only their digest).
"""

from __future__ import annotations

from django.db import transaction

from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.selectors import department_by_code, org_unit_by_code, user_with_username
from zhengtong.accounts.services import system_actor
from zhengtong.identity import keys, services
from zhengtong.identity.models import Client
from zhengtong.registry.demo import DEMO_PASSWORD

REDIRECT = "http://127.0.0.1:8765/callback"
ACCOUNTS = [("identity_admin", "identity_admin", "330000", "OIDC client registry, signing keys")]

CLIENTS = [
    {
        "client_id": "demo-rp",
        "secret": "demo-rp-secret",
        "name": "示范应用（政务服务）",
        "sector": "demo-sector-a",
        "id_token_alg": "RS256",
        "redirect_uris": [REDIRECT],
        "purpose": "演示：用统一身份认证登录西湖区政务服务应用",
    },
    {
        "client_id": "demo-rp2",
        "secret": "demo-rp2-secret",
        "name": "示范应用二（医保）",
        "sector": "demo-sector-b",
        "id_token_alg": "ES256",
        "redirect_uris": [REDIRECT],
        "purpose": "演示：另一部门的应用，看到另一个用户标识",
    },
    {
        "client_id": "demo-spa",
        "secret": None,
        "name": "示范单页应用",
        "sector": "demo-sector-a",
        "id_token_alg": "ES256",
        "redirect_uris": ["http://127.0.0.1:8765/spa"],
        "purpose": "演示：浏览器里的公开客户端（PKCE）",
    },
]


def _seed_accounts(actor) -> None:
    for username, role, scope, _note in ACCOUNTS:
        if user_with_username(username) is not None:
            continue
        unit = org_unit_by_code(scope)
        if unit is None:
            continue
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=DEMO_PASSWORD,
            kind=UserKind.STAFF,
            display_name="身份认证中心管理员",
            org_unit=unit,
            validate=False,
        )
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit)


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    created = 0
    with transaction.atomic():
        _seed_accounts(actor)
        unit = org_unit_by_code("330106") or org_unit_by_code("330000")
        if unit is None:
            return {"clients": 0}
        department = department_by_code(unit.code, "scjg")
        for spec in CLIENTS:
            if Client.objects.filter(client_id=spec["client_id"]).exists():
                continue
            confidential = spec["secret"] is not None
            services.client_create(
                actor=actor,
                client_id=spec["client_id"],
                name=spec["name"],
                org_unit=unit,
                department=department,
                purpose=spec["purpose"],
                client_type="confidential" if confidential else "public",
                redirect_uris=spec["redirect_uris"],
                post_logout_redirect_uris=["http://127.0.0.1:8765/"],
                scopes=["openid", "profile", "phone"],
                grant_types=["authorization_code", "refresh_token"]
                + (["client_credentials"] if confidential else []),
                sector=spec["sector"],
                id_token_alg=spec["id_token_alg"],
                known_secret=spec["secret"],
            )
            created += 1
        keys.public_jwks()  # the first ES256 and RS256 keys
    if stdout is not None:
        stdout.write(f"identity: {created} demo clients (demo-rp, demo-rp2, demo-spa)\n")
    return {"clients": created}


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, r, s, n) for u, r, s, n in ACCOUNTS]
