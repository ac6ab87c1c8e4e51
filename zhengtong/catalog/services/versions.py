"""Versions and their publication: make a version current, activate it in the datastore, read
a stored variant back, and desensitize a table into the public variant."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from zhengtong.catalog.models import DataResource, ResourceVersion
from zhengtong.catalog.services.resources import search_text
from zhengtong.datastore import engine
from zhengtong.privacy.desensitize import desensitize_table

logger = logging.getLogger(__name__)


def _make_current(resource: DataResource, version: ResourceVersion, grade: str) -> None:
    resource.current_version = version
    resource.grade = grade
    resource.search_text = search_text(resource, version.schema)
    resource.modified_at = timezone.now()
    DataResource.objects.filter(pk=resource.pk).update(
        current_version=version,
        grade=grade,
        search_text=resource.search_text,
        modified_at=resource.modified_at,
    )


def _activate(version: ResourceVersion) -> None:
    try:
        engine.activate(version.table_key, version.store_version)
    except Exception:  # the catalog's row stays the source of truth for what is served
        logger.exception("datastore activate failed for %s v%s", version.table_key, version.store_version)


def _read_variant(table_key: str, store_version: int, variant: str):
    out = engine.export(table_key, store_version, variant, "parquet")
    if isinstance(out, str | Path):
        return pq.read_table(str(out))
    return pq.read_table(pa.BufferReader(b"".join(out)))


def _policies(schema: dict) -> dict[str, dict]:
    return {f["name"]: f.get("policy") or {"op": "keep"} for f in schema.get("fields", [])}


def _desensitize(table, schema: dict):
    policies = {k: v for k, v in _policies(schema).items() if v.get("op") != "keep"}
    if not policies:
        return table
    return desensitize_table(table, policies)
