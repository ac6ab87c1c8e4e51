"""An enterprise registry with real resident IDs and phones, stored as a raw and a desensitized
variant through the datastore, catalogued and published (directly through the models: the
compatibility layer only reads)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from django.utils import timezone

ROWS = 1205
DISTRICTS = ["西湖区", "滨江区", "余杭区", "萧山区", "上城区"]
STATUSES = ["存续", "在业", "注销"]
SURNAMES = "王李张刘陈杨黄赵吴周"


def _mask(value: str, first: int, last: int) -> str:
    return value[:first] + "*" * (len(value) - first - last) + value[len(value) - last :]


def make_rows(n: int = ROWS) -> list[dict]:
    from zhengtong.core.identifiers import generate_resident_id, make_org_code, make_uscc

    rows = []
    for i in range(n):
        rows.append(
            {
                "credit_code": make_uscc("9", "1", "330106", make_org_code(f"{10000000 + i:08d}")),
                "name": f"杭州示例企业{i:05d}有限公司",
                "district": DISTRICTS[i % len(DISTRICTS)],
                "status": STATUSES[i % len(STATUSES)],
                "capital": float((i * 37) % 1000) + 0.5,
                "founded": dt.date(2000, 1, 1) + dt.timedelta(days=i * 7),
                "employees": (i * 13) % 500,
                "legal_representative": SURNAMES[i % 10] + "小明",
                "representative_id": generate_resident_id(
                    "330106", dt.date(1970, 1, 1) + dt.timedelta(days=i * 11), i % 999
                ),
                "phone": f"139{(i * 7919) % 100000000:08d}",
            }
        )
    return rows


SCHEMA = {
    "fields": [
        {
            "name": "credit_code",
            "title": "统一社会信用代码",
            "type": "string",
            "grade": "L1",
            "policy": {"op": "keep"},
        },
        {"name": "name", "title": "企业名称", "type": "string", "grade": "L1", "policy": {"op": "keep"}},
        {"name": "district", "title": "区县", "type": "string", "grade": "L1", "policy": {"op": "keep"}},
        {"name": "status", "title": "状态", "type": "string", "grade": "L1", "policy": {"op": "keep"}},
        {
            "name": "capital",
            "title": "注册资本",
            "type": "number",
            "unit": "万元",
            "grade": "L1",
            "policy": {"op": "keep"},
        },
        {"name": "founded", "title": "成立日期", "type": "date", "grade": "L1", "policy": {"op": "keep"}},
        {
            "name": "employees",
            "title": "从业人数",
            "type": "integer",
            "grade": "L1",
            "policy": {"op": "keep"},
        },
        {
            "name": "legal_representative",
            "title": "法定代表人",
            "type": "string",
            "classification": "person_name",
            "grade": "L3",
            "policy": {"op": "mask", "keep_first": 1, "keep_last": 0},
        },
        {
            "name": "representative_id",
            "title": "法定代表人身份证号",
            "type": "string",
            "classification": "resident_id",
            "grade": "L4",
            "policy": {"op": "mask", "keep_first": 6, "keep_last": 4},
        },
        {
            "name": "phone",
            "title": "联系电话",
            "type": "string",
            "classification": "mobile",
            "grade": "L3",
            "policy": {"op": "mask", "keep_first": 3, "keep_last": 4},
        },
    ]
}


def _arrow(rows: list[dict]) -> pa.Table:
    return pa.table(
        {
            "credit_code": pa.array([r["credit_code"] for r in rows], pa.string()),
            "name": pa.array([r["name"] for r in rows], pa.string()),
            "district": pa.array([r["district"] for r in rows], pa.string()),
            "status": pa.array([r["status"] for r in rows], pa.string()),
            "capital": pa.array([r["capital"] for r in rows], pa.float64()),
            "founded": pa.array([r["founded"] for r in rows], pa.date32()),
            "employees": pa.array([r["employees"] for r in rows], pa.int64()),
            "legal_representative": pa.array([r["legal_representative"] for r in rows], pa.string()),
            "representative_id": pa.array([r["representative_id"] for r in rows], pa.string()),
            "phone": pa.array([r["phone"] for r in rows], pa.string()),
        }
    )


def public_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            **r,
            "legal_representative": _mask(r["legal_representative"], 1, 0),
            "representative_id": _mask(r["representative_id"], 6, 4),
            "phone": _mask(r["phone"], 3, 4),
        }
        for r in rows
    ]


class OpenData:
    def __init__(self, world):
        self.world = world
        self.rows = make_rows()
        self.resource = self.publish(
            "enterprise-registry",
            "企业登记信息",
            "Enterprise registry",
            self.rows,
            keywords=["企业", "市场主体", "登记 信息"],
        )

    def publish(
        self,
        name,
        title,
        title_en,
        rows,
        *,
        state="published",
        openness="unconditional",
        schema=SCHEMA,
        public=public_rows,
        arrow=None,
        **extra,
    ):
        from zhengtong.catalog.models import DataResource, ResourceVersion
        from zhengtong.datastore import engine

        world = self.world
        defaults = {
            "title": title,
            "title_en": title_en,
            "description": f"{title}：示例数据，含法定代表人信息（已脱敏）。",
            "department": world.xihu_scjg,
            "org_unit": world.xihu,
            "domain": "economy",
            "keywords": ["企业"],
            "update_frequency": "monthly",
            "temporal_start": dt.date(2000, 1, 1),
            "temporal_end": dt.date(2025, 12, 31),
            "spatial": "330106",
            "licence": "CC-BY-4.0",
            "openness": openness,
            "grade": "L3",
            "contact_name": "数据管理科",
            "contact_email": "data@scjg.example.gov.cn",
            "state": state,
            "published_at": timezone.now() if state == "published" else None,
        }
        defaults.update(extra)
        resource = DataResource.objects.create(name=name, **defaults)
        table_key = f"res-{resource.pk}"
        store_version = engine.write_version(
            table_key,
            {"raw": (arrow or _arrow)(rows), "public": (arrow or _arrow)(public(rows))},
            mode="replace",
            base_version=None,
        )
        if hasattr(engine, "activate"):
            engine.activate(table_key, store_version)
        version = ResourceVersion.objects.create(
            resource=resource,
            number=1,
            schema=schema,
            row_count=len(rows),
            table_key=table_key,
            store_version=store_version,
            source_format="csv",
        )
        from zhengtong.catalog.services import search_text

        resource.current_version = version
        resource.search_text = search_text(resource, schema)
        resource.save(update_fields=["current_version", "search_text"])
        return resource


@pytest.fixture
def opendata(world, settings, tmp_path):
    if hasattr(settings, "DATASTORE_DIR"):
        settings.DATASTORE_DIR = str(tmp_path / "datastore")
    return OpenData(world)


@pytest.fixture(autouse=True)
def _fresh_compat_state(settings, monkeypatch):
    """A generous rate limit, no cross-test caches, usage written at once."""
    from django.core.cache import cache

    from zhengtong.catalog.compat import common

    settings.CATALOG_ANON_RATE_LIMIT = 100_000
    cache.clear()
    monkeypatch.setattr(common, "ANON_RESOURCE_TTL", 0.0)
    monkeypatch.setattr(common, "USAGE_FLUSH_SECONDS", 0.0)
    yield
