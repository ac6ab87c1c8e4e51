"""Data entitlements as scopes (issue 12, item 6): a consumer system (a confidential client with
``client_credentials``) obtains its access to a sharing grant or a sandbox project here, as a
scope of its token:

- ``sharing:grant:<id>``: a sharing grant whose consumer department is the client's department;
  the token is the credential of the sharing exchange endpoints for that grant;
- ``sandbox:project:<id>``: an approved sandbox project of the client's department.

A client may ask for them only when an administrator allowed the family (``sharing:grant:*``,
``sandbox:project:*``) in its scopes. The token never outlives the entitlement; a grant that is
revoked, suspended or expired (a project closed or past its end) refuses the scope
(``invalid_scope``) and makes introspection answer ``{"active": false}``. The entitlement itself
is read through the owning module's selectors (never its models)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from zhengtong.sandbox import selectors as sandbox_selectors
from zhengtong.sharing import selectors as sharing_selectors

SHARING = "sharing:grant:"
SANDBOX = "sandbox:project:"
FAMILIES = {SHARING: SHARING + "*", SANDBOX: SANDBOX + "*"}
SHARING_AUDIENCE = "urn:zhengtong:sharing"


@dataclass(frozen=True)
class Entitlement:
    scope: str
    department_id: int | None
    live: bool
    reason: str
    expires_at: dt.datetime | None


def family_of(scope: str) -> str | None:
    """The family (``sharing:grant:`` or ``sandbox:project:``) of a data scope, else None."""
    return next((prefix for prefix in FAMILIES if scope.startswith(prefix)), None)


def data_scopes(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split() if family_of(s)]


def _sharing(scope: str, key: str, now: dt.datetime) -> Entitlement | None:
    row = sharing_selectors.grant_entitlement(key)
    if row is None:
        return None
    expires = row["expires_at"]
    if row["state"] != "active":
        return Entitlement(
            scope, row["consumer_department_id"], False, f"the grant is {row['state']}", expires
        )
    if expires <= now:
        return Entitlement(scope, row["consumer_department_id"], False, "the grant has expired", expires)
    return Entitlement(scope, row["consumer_department_id"], True, "", expires)


def _sandbox(scope: str, key: str, now: dt.datetime) -> Entitlement | None:
    row = sandbox_selectors.project_entitlement(key)
    if row is None:
        return None
    # A project runs to the end of its last day (in the site's time zone).
    end = timezone.make_aware(dt.datetime.combine(row["ends_on"] + dt.timedelta(days=1), dt.time()))
    department = row["applicant_department_id"]
    if row["state"] != "approved":
        return Entitlement(scope, department, False, f"the project is {row['state']}", end)
    if end <= now:
        return Entitlement(scope, department, False, "the project has ended", end)
    return Entitlement(scope, department, True, "", end)


def resolve(scope: str, now: dt.datetime | None = None) -> Entitlement | None:
    """The entitlement a data scope names, or None for a malformed scope or an unknown id."""
    family = family_of(scope)
    key = scope[len(family) :] if family else ""
    if not key.isdecimal() or len(key) > 18:
        return None
    now = now or timezone.now()
    return (_sharing if family == SHARING else _sandbox)(scope, key, now)


def refusal(client, scope: str, now: dt.datetime | None = None) -> tuple[str, dt.datetime | None]:
    """Why ``client`` may not have ``scope`` now ("" when it may), with the entitlement's end."""
    family = family_of(scope)
    if family is None:
        return "", None
    if FAMILIES[family] not in client.scopes:
        return f"the client may not request {FAMILIES[family]} scopes", None
    if "client_credentials" not in client.grant_types or client.is_public:
        return "data scopes are for confidential clients with client_credentials", None
    found = resolve(scope, now)
    if found is None:
        return f"no such entitlement: {scope[:60]}", None
    if client.department_id is None or found.department_id != client.department_id:
        return f"{scope[:60]} is not an entitlement of the client's department", None
    if not found.live:
        return f"{scope[:60]}: {found.reason}", None
    return "", found.expires_at


def live(scope: str | None) -> bool:
    """Whether every data scope of a token is still live (introspection asks this)."""
    now = timezone.now()
    for s in data_scopes(scope):
        found = resolve(s, now)
        if found is None or not found.live:
            return False
    return True
