"""The authorization matrix (issue 17): every route called by every demo identity.

Every HTML view (walked from the URLconf, each declares ``access_policy``) and every API operation
(from the OpenAPI schema: authenticated unless listed in PUBLIC_OPERATIONS) is called by seven
identities, with its path parameters filled from an in-scope object (西湖区) and an out-of-scope one
(义乌市). Asserted for every request: no 5xx; anonymous on a non-public route is sent to the login
page (HTML) or gets 401 (API); a citizen or enterprise agent on a staff view gets 403 (or 404 where
objects are hidden); and on every refusal (401/403/404/405/429, or the redirect to log in) no row of
any project table and no audit event was added or removed.

Each request runs in a savepoint that is rolled back afterwards, so every request starts from the
same database; one snapshot (all project tables counted in a single query) serves as the baseline.
Tables allowed to change on a refusal: none (failed sign-ins are counted in the cache, not in
tables). Path parameters are resolved by name: ``person_id`` (and any other integer id), ``entity_id``,
``number`` (work orders) and ``code`` (org units) name a 西湖区 object (in scope) and a 义乌市 one (out
of scope) made through the services; for another model an integer id may name any row or none, which
the policy checks do not depend on; other names get a value naming nothing, which must be refused
(404/403/401), never answered. SCOPED_ROUTES says who must reach which object.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import get_resolver, reverse

from zhengtong.accounts.models import UserKind
from zhengtong.api import PUBLIC_OPERATIONS, api
from zhengtong.core import cache
from zhengtong.core.identifiers import generate_uscc
from zhengtong.portal.tests.test_access_policies import operations, walk
from zhengtong.registry import services as registry_services
from zhengtong.workorders import services as workorder_services

# Routes this generic matrix cannot call meaningfully, with the reason. The anonymous check still runs
# on each (a request without credentials must be refused or, for a public route, not fail).
UNTESTABLE_PREFIXES = {
    "admin/": "Django admin: its own is_staff check and per-model URLs; the admin index is called below",
    "api/v1/": "the ninja API: enumerated from its OpenAPI schema instead",
    "static/": "static files, no access policy",
    "media/": "uploaded files served in development only",
}
UNTESTABLE_ROUTES: dict[str, str] = {}

IDENTITIES = ("anonymous", "citizen", "enterprise", "counter", "other_county", "grid_worker", "admin")
NON_STAFF = {"citizen", "enterprise"}
REFUSALS = {401, 403, 404, 405, 429}
WRITE_METHODS = {"post", "put", "patch", "delete"}

# Routes whose object belongs to a unit or a person: who reaches the in-scope and the out-of-scope
# object, as (in, out); every other signed-in identity but those listed in UNCHECKED is refused
# (403/404). Reaching means 2xx (or 422 for an empty write, which passed the permission check).
REGISTRY = {"counter": (True, False), "other_county": (False, True), "admin": (True, True)}
# The requester's own work order (in: the citizen's in 西湖区; out: an order opened by staff in 义乌市).
MINE = {"citizen": (True, False)}
SCOPED_ROUTES = {
    ("get", "console/registry/persons/<int:person_id>/"): REGISTRY,
    ("get", "/api/v1/registry/persons/{person_id}"): REGISTRY,
    ("patch", "/api/v1/registry/persons/{person_id}"): REGISTRY,
    ("get", "/api/v1/registry/legal-entities/{entity_id}"): REGISTRY,
    ("get", "workorders/mine/<str:number>/"): MINE,
    ("get", "/api/v1/workorders/mine/{number}"): MINE,
}
# A grid worker's registry.view reaches its grid's subtree only; not asserted here.
UNCHECKED = {"anonymous", "grid_worker"}

# Findings not fixed yet: (method, route, identity) -> reason; the matrix tolerates exactly these and
# fails when one no longer occurs (none today).
KNOWN_FINDINGS: dict[tuple[str, str, str], str] = {}


def project_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_config.name.startswith("zhengtong.") and m._meta.managed and not m._meta.proxy
    ]


def snapshot_sql():
    qn = connection.ops.quote_name
    models = project_models()
    parts = ", ".join(f"(SELECT COUNT(*) FROM {qn(m._meta.db_table)})" for m in models)
    return [m._meta.label for m in models], f"SELECT {parts}"


def snapshot(labels_sql):
    labels, sql = labels_sql
    with connection.cursor() as cur:
        cur.execute(sql)
        return dict(zip(labels, cur.fetchone(), strict=True))


def html_routes():
    """(route, policy) for every HTML view, and the routes skipped by UNTESTABLE_PREFIXES."""
    found, skipped = [], []
    for route, view in walk(get_resolver().url_patterns):
        bare = route.lstrip("^")
        if bare.startswith(tuple(UNTESTABLE_PREFIXES)):
            skipped.append(route)
        else:
            found.append((route, getattr(view, "access_policy", None)))
    return found, skipped


def api_operations():
    """(method, path template, operation_id, public) of every API operation, from the schema."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            op_id = op["operationId"]
            ops.append((method, path, op_id, op_id in PUBLIC_OPERATIONS))
    return ops


class Objects:
    """Path-parameter values by name: an in-scope (西湖区) and an out-of-scope (义乌市) value."""

    def __init__(self, world):
        inside = world.person(world.village, name="李四", seq=21, birth=dt.date(1990, 3, 3))
        outside = world.person(world.yiwu, name="赵六", seq=23, birth=dt.date(1991, 4, 4))
        self.int_in, self.int_out = str(inside.pk), str(outside.pk)
        self.code_in, self.code_out = world.xihu.code, world.yiwu.code
        entities = []
        for clerk, unit, person, org in (
            (world.xihu_clerk, world.xihu, inside, "91330106MA27XL8T0"),
            (world.yiwu_clerk, world.yiwu, outside, "91330782MA27XL8T0"),
        ):
            entities.append(
                registry_services.legal_entity_create(
                    actor=clerk,
                    org_unit=unit,
                    uscc=generate_uscc(org),
                    name=f"{unit.name}矩阵测试有限公司",
                    entity_type="有限责任公司",
                    legal_representative=person.name,
                    legal_rep_resident_id=person.resident_id,
                    registered_address=f"{unit.name}矩阵路1号",
                )
            )
        orders = [
            workorder_services.work_order_open(
                actor=world.citizen,
                requester=world.citizen,
                kind="complaint",
                category="0701",
                title="超市出售过期食品",
                description="北山街道某超市出售过期牛奶",
                region=world.village,
            ),
            workorder_services.work_order_open(
                actor=world.system,
                kind="complaint",
                category="0701",
                title="市场噪声",
                description="义乌某市场夜间噪声",
                region=world.yiwu,
            ),
        ]
        self.by_name = {
            "entity_id": (str(entities[0].pk), str(entities[1].pk)),
            "number": (orders[0].number, orders[1].number),
        }

    def value(self, name: str, conv: str, scope: str) -> str:
        inside = scope == "in"
        if name == "fmt":
            return "json"
        if name in self.by_name:
            return self.by_name[name][0 if inside else 1]
        if conv == "int" or name in {"pk", "version"} or (name.endswith("_id") and conv != "str"):
            if name == "version":
                return "1"
            return self.int_in if inside else self.int_out
        if conv == "uuid" or name == "token":
            return str(uuid.UUID(int=1 if inside else 2))
        if name == "code":
            return self.code_in if inside else self.code_out
        # number, name, slug, provider, purpose, request_id: names nothing here (must be 404, not 5xx).
        return UNRESOLVED + name.replace("_", "-")


UNRESOLVED = "no-such-"
# What a GET answers for a path value that names nothing: not found, refused, or (CKAN's action API,
# whose action names are a closed list) 400 "unknown action"; or 405 from a POST-only view, which
# refuses the method before it looks anything up.
NAMES_NOTHING = {400, 401, 403, 404, 405}


CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
API_PARAM = re.compile(r"{(?:(\w+):)?(\w+)}")


def fill_html(route: str, objects: Objects, scope: str) -> str:
    if route.startswith("^"):
        url = REGEX_GROUP.sub(lambda m: objects.value(m.group(1), "str", scope), route[1:].rstrip("$"))
        url = url.replace("\\.", ".")
        if "fmt" in route and "json" not in route:
            url = url.replace(".json", "." + re.search(r"\(\?P<fmt>(\w+)", route).group(1))
    else:
        url = CONVERTER.sub(lambda m: objects.value(m.group(2), m.group(1) or "str", scope), route)
    return "/" + url


def fill_api(path: str, objects: Objects, scope: str) -> str:
    return API_PARAM.sub(lambda m: objects.value(m.group(2), m.group(1) or "", scope), path)


def identities(world):
    acc = world.acc
    enterprise = acc.user_create(
        actor=None, username="matrix_agent", password="x-Pass-2025!x", kind=UserKind.ENTERPRISE
    )
    grid_worker = world.staff("matrix_grid", "grid_worker", world.grid, kind=UserKind.GRID_WORKER)
    admin = world.staff("matrix_admin", "platform_admin", world.province, kind=UserKind.ADMIN)
    users = {
        "citizen": world.citizen,
        "enterprise": enterprise,
        "counter": world.xihu_clerk,
        "other_county": world.yiwu_clerk,
        "grid_worker": grid_worker,
        "admin": admin,
    }
    clients = {"anonymous": Client()}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


@pytest.mark.one_database(
    "sqlite",
    "who may call what is decided in the services' permission checks, the same on every engine; the"
    " refusals' 'nothing changed' counts are plain row counts",
)
def test_authorization_matrix(world, capsys):
    started = time.monotonic()
    objects = Objects(world)
    clients = identities(world)
    labels_sql = snapshot_sql()
    baseline = snapshot(labels_sql)
    login_url = reverse("portal:login")
    cookies = {id(c): c.cookies.output(header="", sep=";") for c in clients.values()}

    html, skipped = html_routes()
    ops = api_operations()
    unlisted = [r for r, policy in html if policy not in {"public", "authenticated", "staff"}]
    assert unlisted == [], "routes without an access policy and not listed as untestable"

    problems: list[str] = []
    requests = 0
    findings_seen: set[tuple[str, str, str]] = set()
    scoped_checked: set[tuple[str, str]] = set()
    statuses: dict[str, dict[int, int]] = {identity: {} for identity in IDENTITIES}

    def call(client, method, url, *, api_call):
        nonlocal requests
        requests += 1
        cache.clear()  # no rate-limit count carries over from one request to the next
        with transaction.atomic():
            kwargs = (
                {"content_type": "application/json", "data": "{}"}
                if api_call and method in WRITE_METHODS
                else {}
            )
            try:
                response = getattr(client, method)(url, **kwargs)
            except Exception as exc:  # an uncaught exception is a 500 for the visitor
                response = None
                error = f"{type(exc).__name__}: {exc}"[:200]
            refused_tables = None
            if response is not None and (
                response.status_code in REFUSALS
                or (response.status_code == 302 and login_url in response.get("Location", ""))
            ):
                after = snapshot(labels_sql)
                refused_tables = {k: (baseline[k], v) for k, v in after.items() if v != baseline[k]}
            transaction.set_rollback(True)
        # The rollback restored the session row a request may have ended (logout/): so the cookie.
        client.cookies = SimpleCookie(cookies[id(client)])
        if response is None:
            return 500, {}, error
        return response.status_code, refused_tables or {}, response.get("Location", "")

    def check(kind, method, route, url, policy, identity, scope, status, changed, location):
        unresolved = UNRESOLVED in url
        login_redirect = status == 302 and login_url in location
        key = (method, route, identity)
        statuses[identity][status] = statuses[identity].get(status, 0) + 1
        bad = []
        if status >= 500:
            bad.append(f"server error {status} {location}")
        if identity == "anonymous" and policy != "public":
            if (
                kind == "html"
                and not (status == 302 and login_url in location)
                and status not in {401, 403, 405}
            ):
                bad.append(f"anonymous got {status}, expected a redirect to log in")
            if kind == "api" and status != 401:
                bad.append(f"anonymous got {status}, expected 401")
        if identity in NON_STAFF and policy == "staff" and status not in {403, 404, 405}:
            bad.append(f"non-staff got {status}, expected 403/404")
        if (method, route) in SCOPED_ROUTES and identity not in UNCHECKED:
            allowed = SCOPED_ROUTES[(method, route)].get(identity, (False, False))[scope == "out"]
            if allowed and not (200 <= status < 300 or status == 422):
                bad.append(f"{identity} refused the object it may reach with {status}")
            if not allowed and status not in {403, 404}:
                bad.append(f"{identity} got {status} for an object out of its reach, expected 403/404")
            scoped_checked.add((method, route))
        if unresolved and method == "get" and status not in NAMES_NOTHING and not login_redirect:
            bad.append(f"a value naming nothing answered {status}, expected 404/403/401")
        if changed:
            bad.append(f"refusal {status} changed {changed}")
        if bad:
            if key in KNOWN_FINDINGS:
                findings_seen.add(key)
            else:
                problems.append(f"{method.upper()} {route} [{identity}, {scope}]: {'; '.join(bad)}")

    for route, policy in html:
        for identity in IDENTITIES:
            for scope in ("in", "out"):
                url = fill_html(route, objects, scope)
                for method in ("get", "post"):
                    status, changed, location = call(clients[identity], method, url, api_call=False)
                    check("html", method, route, url, policy, identity, scope, status, changed, location)
    # The Django admin index (its own is_staff check): anonymous is sent to the admin log-in page.
    requests += 1
    assert clients["anonymous"].get("/admin/").status_code == 302

    for method, path, op_id, public in ops:
        policy = "public" if public else "authenticated"
        for identity in IDENTITIES:
            for scope in ("in", "out"):
                url = fill_api(path, objects, scope)
                status, changed, location = call(clients[identity], method, url, api_call=True)
                check("api", method, path, url, policy, identity, scope, status, changed, location)

    routes = len(html) + len(ops)
    combos = (len(html) * 2 + len(ops)) * len(IDENTITIES) * 2
    elapsed = time.monotonic() - started
    summary = (
        f"authorization matrix: {len(html)} HTML routes (GET and POST) + {len(ops)} API operations = "
        f"{routes} routes x {len(IDENTITIES)} identities x 2 objects = {combos} combinations; "
        f"{requests} requests in {elapsed:.1f}s; {len(skipped)} routes under untestable prefixes; "
        f"{len(findings_seen)} known findings"
    )
    with capsys.disabled():
        print("\n" + summary)
        for identity in IDENTITIES:
            print(f"  {identity}: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses[identity].items())))
    assert problems == [], summary + "\n" + "\n".join(problems)
    assert scoped_checked == set(SCOPED_ROUTES)
    assert findings_seen == set(KNOWN_FINDINGS), "a known finding no longer occurs: remove it"


def test_the_matrix_covers_every_api_operation_bound_to_the_api():
    from_schema = sorted(op_id for _m, _p, op_id, _public in api_operations())
    bound = sorted(op_id for op_id, _auth, _module in operations())
    assert from_schema == bound


def test_every_url_is_in_the_matrix_or_under_an_untestable_prefix():
    html, skipped = html_routes()
    everything = [route for route, _view in walk(get_resolver().url_patterns)]
    assert sorted([r for r, _p in html] + skipped) == sorted(everything)
    assert [r for r in skipped if not r.lstrip("^").startswith(tuple(UNTESTABLE_PREFIXES))] == []
    assert len(html) > 100


def test_the_snapshot_sees_a_new_row_and_its_audit_event(world):
    labels_sql = snapshot_sql()
    before = snapshot(labels_sql)
    world.person(world.village, name="王五", seq=31, birth=dt.date(1980, 1, 1))
    after = snapshot(labels_sql)
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed["registry.Person"] == 1
    assert changed["audit.AuditEvent"] >= 1
