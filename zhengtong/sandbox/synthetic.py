"""Schema-true synthetic data (合成数据) for the sandbox workspace: the same columns and types as
the raw dataset, values generated from the schema alone, so an applicant can write and test SQL
without seeing a single real record (OpenSAFELY's dummy data).

- Identifiers are valid (resident IDs with GB 11643 check characters, credit codes with GB 32100
  check characters, from ``core.identifiers``), but random: none is a real subject's.
- Names, phones, addresses and e-mails are made up from fixed lists.
- Numbers and dates are uniform in the field's declared bounds (``constraints``), else in fixed
  ranges: no statistic of the raw data leaks through the synthetic data.
- Text columns the privacy module classed as not personal and graded L1 take their values from
  the dataset's *public* (desensitized, published) variant's most frequent values, so that
  grouping columns (district, industry) look real; their frequencies are not reproduced.

The table is typed with the datastore's own validation (``engine.validate``) and stored in the
datastore's version store under the workspace's table key.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pyarrow as pa

from zhengtong.core.errors import ValidationError
from zhengtong.core.identifiers import generate_resident_id, make_org_code, make_uscc
from zhengtong.datastore import engine

_REGIONS = ("330102", "330105", "330106", "330108", "330109", "330110", "330782")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞志宏文辉建国新春海燕"
_MOBILE_PREFIXES = ("139", "138", "137", "158", "186", "189", "133", "177")
_FACET_BATCH = 10


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _value(field: dict, i: int, rng: random.Random, domain: list[str]) -> str | None:  # noqa: PLR0911
    kind = field.get("type", "string")
    category = (field.get("classification") or {}).get("category", "none")
    bounds = field.get("constraints") or {}
    region = _REGIONS[i % len(_REGIONS)]
    if category == "resident_id":
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
        return generate_resident_id(region, birth, rng.randrange(0, 1000))
    if category == "uscc":
        return make_uscc("9", "1", region, make_org_code(f"HC{i:06d}"))
    if category == "org_code":
        return make_org_code(f"HC{i:06d}")
    if category == "mobile":
        return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"
    if category == "person_name":
        return _person_name(rng)
    if category == "address":
        return f"示例省示例市合成路{rng.randrange(1, 999)}号"
    if category == "email":
        return f"user{i}@example.org"
    if kind == "integer":
        low, high = int(bounds.get("minimum", 0)), int(bounds.get("maximum", 1000))
        return str(rng.randint(low, max(low, high)))
    if kind == "number":
        low, high = float(bounds.get("minimum", 0)), float(bounds.get("maximum", 1000))
        return f"{rng.uniform(low, max(low, high)):.2f}"
    if kind in ("date", "datetime"):
        day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 26))
        return day.isoformat() if kind == "date" else f"{day.isoformat()}T{rng.randrange(0, 24):02d}:00:00"
    if kind == "year":
        return str(rng.randint(2000, 2025))
    if kind == "boolean":
        return rng.choice(("true", "false"))
    if kind == "time":
        return f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}:00"
    if kind == "geopoint":
        return f"{rng.uniform(119.9, 120.4):.5f},{rng.uniform(30.1, 30.4):.5f}"
    if domain:
        return rng.choice(domain)
    return f"{field['name']}-{i:04d}"


def public_domains(table_key: str, version: int, fields: list[dict]) -> dict[str, list[str]]:
    """The most frequent values of the not-personal L1 text columns in the public variant."""
    names = [
        f["name"]
        for f in fields
        if f.get("type", "string") == "string"
        and (f.get("classification") or {}).get("category", "none") == "none"
        and f.get("grade", "L1") == "L1"
        and not (f.get("constraints") or {}).get("unique")
    ]
    schema = {"fields": fields}
    domains: dict[str, list[str]] = {}
    for start in range(0, len(names), _FACET_BATCH):
        batch = names[start : start + _FACET_BATCH]
        try:
            result = engine.query(
                table_key,
                version,
                "public",
                facets=batch,
                facet_size=30,
                limit=0,
                count="none",
                schema=schema,
            )
        except ValidationError:  # a column the public variant drops: no domain, generated text
            continue
        for name, values in result.facets.items():
            domains[name] = [str(v) for v, _n in values if v not in (None, "")]
    return domains


def generate(fields: list[dict], rows: int, *, seed: int, domains: dict[str, list[str]]) -> pa.Table:
    """``rows`` synthetic records typed by ``fields`` (a Table Schema's fields)."""
    rng = random.Random(seed)
    columns: dict[str, list[Any]] = {f["name"]: [] for f in fields}
    for i in range(rows):
        for f in fields:
            columns[f["name"]].append(_value(f, i, rng, domains.get(f["name"], [])))
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    typed, _errors = engine.validate(table, {"fields": fields})
    return typed
