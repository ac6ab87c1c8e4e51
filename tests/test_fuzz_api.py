"""Schemathesis fuzzes every operation of the OpenAPI document (issue 17).

For each operation and each of four identities (anonymous, citizen, counter staff, platform
admin, the last three with an API token), Schemathesis generates ``ZT_FUZZ_EXAMPLES`` requests
(5 by default; ``make fuzz`` asks for many more) and sends them in-process to the Django WSGI
application, on the test database and inside the test's transaction (whatever the fuzzer writes
is rolled back). A request fails the test when the answer is a 5xx, or when it does not conform
to the document: a status code the operation does not declare, a content type it does not
declare, or a body that does not match the declared schema.

The counts (requests, 5xx, schema violations) are printed at the end of the run (and, with
``ZT_FUZZ_COUNTS=<file>``, written to that file after each test).
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from zhengtong.accounts.services import api_token_create
from zhengtong.api import api

EXAMPLES = int(os.environ.get("ZT_FUZZ_EXAMPLES", "5"))
# Deterministic by default (CI must not flake); ``make fuzz`` sets ZT_FUZZ_RANDOM=1.
RANDOM = os.environ.get("ZT_FUZZ_RANDOM") == "1"
# ``make fuzz``: the running counts are also written here after each test (a long run can be watched).
COUNTS_FILE = os.environ.get("ZT_FUZZ_COUNTS", "")
IDENTITIES = ("anonymous", "citizen", "counter_staff", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

COUNTS: Counter[str] = Counter()

# Operations the fuzzer leaves out, each with the reason (never silently): none today.
EXPECTED_FAILURES: dict[str, str] = {}


def _document() -> dict:
    # Through JSON, as a client reads /api/v1/openapi.json (status codes become strings).
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


schema = schemathesis.openapi.from_dict(_document())
schema.app = WSGIHandler()


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    yield
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None or not COUNTS["requests"]:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(
            "fuzz: {requests} requests ({per}), {server_errors} 5xx, {violations} schema violations".format(
                requests=COUNTS["requests"],
                per=", ".join(f"{i} {COUNTS['requests:' + i]}" for i in IDENTITIES),
                server_errors=COUNTS["server_errors"],
                violations=COUNTS["violations"],
            )
        )


@pytest.fixture(autouse=True)
def _write_counts():
    yield
    if COUNTS_FILE:
        with open(COUNTS_FILE, "w") as out:
            json.dump(dict(COUNTS), out, sort_keys=True)


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's WSGI handler closes the connection at the start and end of each request when it is
    inside a transaction (as Django's test client knows): keep the test's connection and transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def headers(world, request):
    identity = request.node.callspec.params["identity"]
    # The in-process WSGI client does not undo gzip (GZipMiddleware in the demo and test settings);
    # real clients do. The answers' content is what the schema checks, so ask for it plain.
    plain = {"Accept-Encoding": "identity"}
    if identity == "anonymous":
        return plain
    if identity == "citizen":
        user = world.citizen
    elif identity == "counter_staff":
        user = world.staff("fuzz_counter", "counter_staff", world.xihu, world.xihu_gaj)
    else:
        user = world.staff("fuzz_admin", "platform_admin", world.province)
    _row, token = api_token_create(actor=user, name="fuzz", scopes=["read", "write"])
    return {**plain, "Authorization": f"Bearer {token}"}


@pytest.mark.one_database(
    "postgresql",
    "make test fuzzes on PostgreSQL, which refuses what SQLite stores (NUL characters, out-of-range"
    " integers, over-long strings); make fuzz fuzzes SQLite, the embedded default, with 150 examples",
)
@pytest.mark.parametrize("identity", IDENTITIES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not RANDOM,
    suppress_health_check=list(HealthCheck),
)
def test_api_operation(case, identity, headers, wsgi_in_test_transaction):
    reason = EXPECTED_FAILURES.get(case.operation.label)
    if reason:
        pytest.xfail(reason)
    response = case.call(headers=headers)
    COUNTS["requests"] += 1
    COUNTS["requests:" + identity] += 1
    if response.status_code >= 500:
        COUNTS["server_errors"] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except Exception:
        if response.status_code < 500:
            COUNTS["violations"] += 1
        raise
