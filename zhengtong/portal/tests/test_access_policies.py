"""Every URL declares who may open it: HTML views by decorator, API operations by auth or PUBLIC_OPERATIONS."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from zhengtong.api import PUBLIC_OPERATIONS, api

POLICIES = {"public", "authenticated", "staff"}
# Prefixes with their own access control: Django admin (is_staff) and the ninja API (checked below).
EXEMPT_PREFIXES = ("admin/", "api/v1/", "static/")


def walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def html_views():
    return [
        (route, view)
        for route, view in walk(get_resolver().url_patterns)
        if not route.startswith(EXEMPT_PREFIXES)
    ]


def test_the_walk_finds_the_portal_views():
    routes = {route for route, _view in html_views()}
    assert {"", "login/", "console/", "account/", "console/registry/import/"} <= routes


def test_every_html_view_declares_an_access_policy():
    missing = [
        f"{route} -> {view.__module__}.{getattr(view, '__name__', view)}"
        for route, view in html_views()
        if getattr(view, "access_policy", None) not in POLICIES
    ]
    assert missing == []


def test_console_views_are_staff_only():
    loose = [
        route
        for route, view in html_views()
        if route.startswith("console/") and getattr(view, "access_policy", None) != "staff"
    ]
    assert loose == []


def operations():
    """(operation_id, auth callbacks) of every API operation, as actually bound to the API."""
    routers = (
        api._get_bound_routers() if hasattr(api, "_get_bound_routers") else [r for _p, r in api._routers]
    )
    found = []
    for router in routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                found.append((op.operation_id, list(op.auth_callbacks), op.view_func.__module__))
    return found


def test_the_api_has_operations():
    ids = {op_id for op_id, _auth, _module in operations()}
    assert {"accounts_me", "registry_persons", "registry_import", "core_health"} <= ids


def test_every_operation_has_an_explicit_unique_operation_id():
    ids = [op_id for op_id, _auth, _module in operations()]
    assert [m for op_id, _a, m in operations() if not op_id] == []
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


def test_operations_without_auth_are_exactly_the_public_ones():
    unauthenticated = {op_id for op_id, auth, _module in operations() if not auth}
    assert unauthenticated - PUBLIC_OPERATIONS == set()
    all_ids = {op_id for op_id, _auth, _module in operations()}
    assert PUBLIC_OPERATIONS - all_ids == set()
    # A listed operation that requires auth after all is a stale entry in the list.
    assert PUBLIC_OPERATIONS - unauthenticated == set()


def test_public_operations_answer_anonymous_requests(db, client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/api/v1/me").status_code == 401
