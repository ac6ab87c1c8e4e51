"""What the three compatibility layers (CKAN, Datasette, DCAT) share.

They are thin translations onto the catalog's selectors and the datastore engine: every
visibility rule (published only, desensitized "public" variant unless the caller may see raw)
comes from ``zhengtong.catalog.selectors``; every query goes through
``zhengtong.datastore.engine.query`` (identifiers checked against the schema, values bound as
parameters).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from zhengtong.accounts.services import api_token_authenticate
from zhengtong.catalog import selectors, services
from zhengtong.catalog.errors import CatalogError
from zhengtong.core import cache
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.datastore import engine

log = logging.getLogger(__name__)

# Page-size ceilings. CKAN: rows_max 1000 (but `start` works at any depth here), DataStore
# limit max 32000; Datasette: max_returned_rows 1000.
PACKAGE_ROWS_MAX = 1000
DATASTORE_LIMIT_MAX = 32000
DATASETTE_SIZE_MAX = 1000


def datastore_limit_max() -> int:
    """CKAN allows 32000 rows per datastore_search page; the engine's own page cap wins."""
    return min(DATASTORE_LIMIT_MAX, getattr(settings, "DATASTORE_MAX_PAGE_SIZE", DATASTORE_LIMIT_MAX))


_TRUE = {"1", "true", "t", "yes", "on", "y"}
_FALSE = {"0", "false", "f", "no", "off", "n", ""}


DATA_KEY_PREFIX = services.KEY_PREFIX


def _raw_credential(request) -> str:
    raw = (request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key") or "").strip()
    for scheme in ("bearer ", "key "):
        if raw.lower().startswith(scheme):
            raw = raw[len(scheme) :].strip()
    return raw


def request_user(request):
    """The caller: a data API key (``ztd_…``: its owner), an account API token
    (``Authorization: <token>``, ``Bearer <token>`` or CKAN's ``X-CKAN-API-Key``) or the session
    user; anonymous otherwise."""
    raw = _raw_credential(request)
    if raw.startswith(DATA_KEY_PREFIX):
        key = services.api_key_authenticate(raw)
        if key is None:
            raise PermissionDenied("unknown or revoked API key", code=CatalogError.INVALID_API_KEY)
        # The catalog's rate limiter reads the key from X-API-Key.
        request.META["HTTP_X_API_KEY"] = raw
        return key.owner
    if raw:
        # Unsafe methods are only used here to carry a JSON body: everything is read-only.
        return api_token_authenticate(raw, method="GET")
    return request.user


def as_bool(name: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError.for_field(name, "must be true or false")


# The largest number any count, offset or page takes: beyond it a database integer (or the offset
# computed from a page number) overflows, and no catalogue holds that many rows anyway.
INT_MAX = 2**31 - 1


def as_int(name: str, value: Any, default: int, *, minimum: int = 0, maximum: int = INT_MAX) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError.for_field(name, "must be an integer") from None
    if number < minimum:
        raise ValidationError.for_field(name, f"must be at least {minimum}")
    if number > maximum:
        raise ValidationError.for_field(name, f"must be at most {maximum}")
    return number


# Anonymous look-ups of a resource (metadata row + visibility) are cached (core.cache, kept
# in-process too) for a few seconds: the hot path of the data APIs then costs no catalogue query.
# Publication changes show within ANON_RESOURCE_TTL seconds; signed-in callers always read the
# database.
ANON_RESOURCE_TTL = 3.0
ANON_RESOURCES_CACHE = "catalog.compat.anon_resources"


def resource_get(user, name_or_id: str):
    if not name_or_id or not isinstance(name_or_id, str | int):
        raise ValidationError.for_field("id", "is required")
    key = str(name_or_id)
    anonymous = not getattr(user, "is_authenticated", False)
    if not anonymous:
        return selectors.resource_get(user=user, name_or_id=key)
    return cache.cached(
        ANON_RESOURCES_CACHE,
        key,
        lambda: selectors.resource_get(user=user, name_or_id=key),
        ANON_RESOURCE_TTL,
        local=True,
    )


@dataclass
class Table:
    resource: Any
    version: Any  # ResourceVersion
    table_key: str
    number: int
    variant: str
    schema: dict
    fields: list[dict]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict | None:
        for f in self.fields:
            if f["name"] == name:
                return f
        return None


def table_for(user, resource, *, version_number: int | None = None) -> Table:
    """The served table of a resource: its current version (or a given one), in the variant the
    user may see, restricted to the fields the user may read (conditional resources: the fields
    of an approved application). No access -> PermissionDenied; no data -> NotFound."""
    allowed, only_fields = selectors.rows_access(user=user, resource=resource)
    if not allowed:
        raise PermissionDenied(
            f"the rows of {resource.name} are not open to you (openness: {resource.openness}); "
            "apply for access on the dataset's page"
        )
    if version_number is None:
        version = resource.current_version
    else:
        version = selectors.version_get(resource=resource, number=version_number)
    if version is None:
        raise NotFound(
            f"dataset {resource.name} has no data" if version_number is None else "no such version"
        )
    variant = selectors.served_variant(user=user, resource=resource)
    schema = version.schema or {}
    fields = [f for f in schema.get("fields", []) if isinstance(f, dict) and f.get("name")]
    if variant != "raw":
        # Suppressed fields do not exist in the public variant.
        fields = [f for f in fields if (f.get("policy") or {}).get("op") != "suppress"]
    if only_fields:
        fields = [f for f in fields if f["name"] in only_fields]
    number = getattr(version, "store_version", None) or version.number
    return Table(resource, version, version.table_key, number, variant, schema, fields)


def query(table: Table, *, cursor_param: str = "cursor", **kwargs):
    """engine.query on the served table (its counts and facets come from the datastore's one
    result cache); a rejected cursor is reported under ``cursor_param``."""
    try:
        result = engine.query(
            table.table_key, table.number, table.variant, schema=public_schema(table), **kwargs
        )
    except ValidationError as exc:
        names = set(exc.fields)
        if names & {"after", "cursor", "next"}:
            raise ValidationError.for_field(cursor_param, "is not a token a previous page returned") from None
        raise
    return result


# In the public variant these columns hold masked or keyed values: a q= substring search over
# them finds only look-alike fragments, and skipping them makes q= about twice as fast.
UNSEARCHED_POLICIES = ("mask", "pseudonymize", "suppress")


def public_schema(table: Table) -> dict:
    fields = table.fields
    if table.variant != "raw":
        fields = [
            {**f, "searchable": False} if (f.get("policy") or {}).get("op") in UNSEARCHED_POLICIES else f
            for f in fields
        ]
    return {**table.schema, "fields": fields}


# Usage counts are added up in memory and written at most once per USAGE_FLUSH_SECONDS per
# process (one UPDATE instead of one per request: SQLite serialises writers).
USAGE_FLUSH_SECONDS = 2.0
_pending: dict[tuple[int, str], int] = {}
_pending_lock = threading.Lock()
_last_flush = [0.0]


def count_call(resource, kind: str = "api_calls") -> None:
    with _pending_lock:
        _pending[(resource.pk, kind)] = _pending.get((resource.pk, kind), 0) + 1
        due = time.monotonic() - _last_flush[0] >= USAGE_FLUSH_SECONDS
    if due:
        flush_usage()


def flush_usage() -> None:
    """Write the pending usage counts (through the catalog's usage_record)."""
    with _pending_lock:
        pending = dict(_pending)
        _pending.clear()
        _last_flush[0] = time.monotonic()
    if not pending:
        return
    try:
        services.usage_record_many(pending)
    except Exception:  # usage counting must never break a read
        log.exception("usage counting failed")


def rate_limit(request, user) -> None:
    """Apply the catalog's per-key/per-client rate limit (core.ratelimit underneath)."""
    services.rate_limit_check(request)


_TYPES_NUMERIC = {"integer": int, "number": float, "year": int}


def cast_value(field: dict, value: Any, *, param: str | None = None) -> Any:
    """A filter value converted to the field's declared type (errors name the field)."""
    if value is None:
        return None
    kind = field.get("type", "string")
    name = param or field["name"]
    try:
        if kind in _TYPES_NUMERIC:
            if isinstance(value, bool):
                raise ValueError
            if kind == "number":
                return float(value)
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return int(str(value).strip())
        if kind == "boolean":
            return as_bool(name, value, False)
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
        if kind == "datetime":
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError.for_field(name, f"“{value}” is not a valid {kind}") from None
    return str(value)


def jsonable(value: Any) -> Any:
    """A cell as JSON (the datastore's own conversion: dates as ISO text, decimals as numbers)."""
    return engine.json_value(value)


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    return value.isoformat()


def choice_label(model, field_name: str, value: str) -> str:
    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return value
    for key, label in field.flatchoices or ():
        if key == value:
            return str(label)
    return value


def choices(model, field_name: str) -> list[tuple[str, str]]:
    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return []
    return [(k, str(v)) for k, v in (field.flatchoices or ())]


def dataset_page(resource) -> str:
    """The path of a dataset's page on the open-data portal."""
    return reverse("catalog:dataset", args=[resource.name])
