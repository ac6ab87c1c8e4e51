"""The OpenAPI document describes what each operation answers: schema names are unique (OpenAPI
keeps one component per name, so two classes sharing a name made one operation declare the other's
shape)."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from zhengtong.api import api


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_schema_class_names_are_unique():
    modules = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("zhengtong."):
            modules[cls.__name__].add(cls.__module__)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}


def _response_properties(path: str, method: str, status: str) -> set[str]:
    document = api.get_openapi_schema()
    ref = document["paths"][path][method]["responses"][int(status)]["content"]["application/json"]["schema"][
        "$ref"
    ]
    return set(document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])


def _component_properties(name: str) -> set[str]:
    return set(api.get_openapi_schema()["components"]["schemas"][name]["properties"])


def test_audit_verify_declares_what_it_returns():
    assert _response_properties("/api/v1/audit/verify", "get", "200") == {
        "ok",
        "checked",
        "tree_size",
        "root_hash",
        "signed_heads",
        "unsequenced",
        "first_break",
        "reason",
        "message",
    }


def test_case_timeline_and_registry_import_errors_declare_their_own_rows():
    assert _component_properties("CaseTimelineOut") == {"transition", "from_state", "to_state", "at", "note"}
    assert _component_properties("ImportOut") == {
        "kind",
        "encoding",
        "rows",
        "created",
        "updated",
        "committed",
        "errors",
        "truncated_errors",
        "sha256",
    }
    assert _component_properties("ImportRowErrorOut") == {"row", "field", "message"}


def test_registry_import_422_declares_the_report_and_the_error_body():
    document = api.get_openapi_schema()
    declared = document["paths"]["/api/v1/registry/imports"]["post"]["responses"][422]["content"]
    assert declared["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/ImportOut"},
        {"$ref": "#/components/schemas/Error"},
    ]


def _operations():
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_has_a_description():
    missing = [
        operation["operationId"]
        for _path, _method, operation in _operations()
        if not (operation.get("description") or "").strip()
    ]
    assert missing == []


def test_codes_success_responses_are_typed():
    untyped = []
    for path, _method, operation in _operations():
        if not path.startswith("/api/v1/codes/"):
            continue
        for status, response in operation["responses"].items():
            schema = (response.get("content") or {}).get("application/json", {}).get("schema") or {}
            if (
                str(status).startswith("2")
                and schema.get("type") == "object"
                and not schema.get("properties")
            ):
                untyped.append((operation["operationId"], status))
    assert untyped == []
