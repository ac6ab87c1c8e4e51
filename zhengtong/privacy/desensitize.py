"""Desensitization operators, default policies and whole-table desensitization.

A policy is a JSON-able dict per field (stored in the catalogue's schema):

- ``{"op": "keep"}``
- ``{"op": "mask", "keep_first": 3, "keep_last": 4}`` (characters replaced by ``*``)
- ``{"op": "generalize", "to": "year" | "month" | "county" | "age_band" | "grid"}``
  (``"width": 10`` for age bands, ``"cell": 0.01`` degrees for grid cells)
- ``{"op": "pseudonymize"}`` (keyed HMAC-SHA256, stable so joins work; ``"purpose"`` optional)
- ``{"op": "suppress"}``
- ``{"op": "round", "digits": -2}``
- ``{"op": "scan"}`` (free text: identifiers inside are masked)

``desensitize_table`` works column by column with pyarrow.compute kernels where one exists
(mask, round, grid, dates, county prefix) and otherwise maps each distinct value once.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from zhengtong.core.errors import ValidationError
from zhengtong.core.masking import mask
from zhengtong.privacy.classify import ColumnClass
from zhengtong.privacy.detectors import scan_text

__all__ = [
    "OPERATORS",
    "apply_value",
    "default_policy",
    "desensitize_table",
    "generalize_county",
    "pseudonym",
    "validate_policy",
]

OPERATORS = ("keep", "mask", "generalize", "pseudonymize", "suppress", "round", "scan")
GENERALIZATIONS = ("year", "month", "county", "age_band", "grid")

# --------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------

_DEFAULTS: dict[str, dict] = {
    "resident_id": {"op": "mask", "keep_first": 6, "keep_last": 4},
    "passport": {"op": "mask", "keep_first": 2, "keep_last": 2},
    "hk_macao_permit": {"op": "mask", "keep_first": 2, "keep_last": 2},
    "bank_card": {"op": "mask", "keep_first": 4, "keep_last": 4},
    "mobile": {"op": "mask", "keep_first": 3, "keep_last": 4},
    "landline": {"op": "mask", "keep_first": 4, "keep_last": 2},
    "email": {"op": "scan"},
    "ipv4": {"op": "scan"},
    "ipv6": {"op": "scan"},
    "plate": {"op": "mask", "keep_first": 2, "keep_last": 1},
    "person_name": {"op": "mask", "keep_first": 1, "keep_last": 0},
    "address": {"op": "generalize", "to": "county"},
    "birth_date": {"op": "generalize", "to": "year"},
    "free_text": {"op": "scan"},
    "uscc": {"op": "keep"},
    "org_code": {"op": "keep"},
    "none": {"op": "keep"},
}


def default_policy(column_class: ColumnClass) -> dict:
    """The policy a field of this class gets in the public variant unless the publisher changes it.

    L1 fields are kept; identifiers are masked, names keep the surname, addresses are cut to the
    county, birth dates to the year, free text is scanned. An L4 field of a category without a
    specific rule is suppressed.
    """
    policy = _DEFAULTS.get(column_class.category)
    if policy is None:
        policy = {"op": "suppress"} if column_class.grade == "L4" else {"op": "keep"}
    if column_class.grade == "L1" and column_class.category == "none":
        return {"op": "keep"}
    return dict(policy)


def validate_policy(field: str, policy: Any) -> dict:
    """Check a policy dict; raise ValidationError naming the field and the rule."""
    if not isinstance(policy, dict) or policy.get("op") not in OPERATORS:
        raise ValidationError.for_field(field, f"policy op must be one of {', '.join(OPERATORS)}")
    op = policy["op"]
    if op == "mask":
        for key in ("keep_first", "keep_last"):
            value = policy.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 64:
                raise ValidationError.for_field(field, f"mask {key} must be an integer from 0 to 64")
    elif op == "generalize":
        if policy.get("to") not in GENERALIZATIONS:
            raise ValidationError.for_field(
                field, f"generalize to must be one of {', '.join(GENERALIZATIONS)}"
            )
        width = policy.get("width", 10)
        if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 100:
            raise ValidationError.for_field(field, "generalize width must be an integer from 1 to 100")
        cell = policy.get("cell", 0.01)
        if not isinstance(cell, (int, float)) or isinstance(cell, bool) or not 0 < cell <= 10:
            raise ValidationError.for_field(field, "generalize cell must be a number of degrees in (0, 10]")
    elif op == "round":
        digits = policy.get("digits", 0)
        if not isinstance(digits, int) or isinstance(digits, bool) or not -12 <= digits <= 12:
            raise ValidationError.for_field(field, "round digits must be an integer from -12 to 12")
    return policy


# --------------------------------------------------------------------------
# Single-value operators
# --------------------------------------------------------------------------


def _key() -> bytes:
    return (settings.PRIVACY_PSEUDONYM_KEY or settings.PSEUDONYM_KEY).encode()


def pseudonym(value: str, *, purpose: str = "default", key: bytes | None = None) -> str:
    """Keyed, stable pseudonym: HMAC-SHA256 over purpose + value, 32 hex characters.

    Same construction as zhengtong.core.masking.pseudonymize, so with the same key the pseudonyms
    agree with the rest of the platform.
    """
    digest = hmac.digest(key or _key(), f"{purpose}\x1f{value}".encode(), "sha256")
    return digest.hex()[:32]


_YEAR_MONTH = re.compile(r"\s*(1[89][0-9]{2}|2[0-9]{3})(?:[-/.年]?(0?[1-9]|1[0-2])(?![0-9]))?")

# Province, prefecture and county parts of a Chinese address. The county part refuses names ending
# in 小/社/园/景/校 so "阳光小区" is not taken for a district. No part may contain a character of
# _STOP (digits, spaces, 路街号...), and a match is at most 29 characters long, so the match on the
# longest stop-free head of an address (at most 30 characters) equals the match on the whole
# address: desensitize_table extracts heads with pyarrow, then matches each distinct head once.
_STOP = r"\s0-9路街号弄巷村组"
_COUNTY_PATTERN = (
    rf"^(?:北京市|天津市|上海市|重庆市|[^{_STOP}省市区县]{{2,7}}?(?:省|自治区|特别行政区))?"
    rf"(?:[^{_STOP}省市区县]{{1,8}}?(?:自治州|地区|盟|市))?"
    rf"(?:[^{_STOP}市区县旗]{{0,6}}[^{_STOP}市区县旗小社园景校](?:区|县|旗|市))?"
)
_COUNTY_RE = re.compile(_COUNTY_PATTERN)


def generalize_county(address: str) -> str | None:
    """Cut an address after its county part (浙江省杭州市西湖区文三路90号 -> 浙江省杭州市西湖区).

    None when no administrative division is recognised (the address is suppressed, not leaked).
    """
    match = _COUNTY_RE.match(address.lstrip())
    return (match.group() or None) if match else None


def _year_month(value: Any, to: str) -> str | None:
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}" if to == "year" else f"{value.year:04d}-{value.month:02d}"
    match = _YEAR_MONTH.match(str(value))
    if not match:
        return None
    if to == "year":
        return match.group(1)
    if not match.group(2):
        return None
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def _age_band(value: Any, width: int) -> str | None:
    try:
        age = int(float(value))
    except (TypeError, ValueError):
        return None
    if age < 0:
        return None
    low = age // width * width
    return f"{low}-{low + width - 1}"


def _grid(value: Any, cell: float) -> Any:
    def snap(x: float) -> float:
        return round(math.floor(x / cell) * cell, 6)

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return snap(float(value))
    parts = re.split(r"[,\s，]+", str(value).strip())
    try:
        numbers = [snap(float(p)) for p in parts if p]
    except ValueError:
        return None
    return ",".join(f"{n:g}" for n in numbers) if numbers else None


def _half_up(number: Any, digits: int) -> Decimal:
    """Round half away from zero (四舍五入), as pyarrow's "half_towards_infinity"."""
    return Decimal(str(number)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _round(value: Any, digits: int) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(_half_up(value, digits))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    rounded = _half_up(number, digits)
    return int(rounded) if digits <= 0 and isinstance(value, str) else float(rounded)


def apply_value(value: Any, policy: dict) -> Any:
    """Apply one policy to one value (None stays None)."""
    if value is None:
        return None
    op = policy.get("op", "keep")
    if op == "keep":
        return value
    if op == "suppress":
        return None
    if op == "mask":
        return mask(
            str(value), keep_first=int(policy.get("keep_first", 0)), keep_last=int(policy.get("keep_last", 0))
        )
    if op == "pseudonymize":
        return pseudonym(str(value), purpose=policy.get("purpose", "default"))
    if op == "scan":
        return scan_text(str(value))
    if op == "round":
        return _round(value, int(policy.get("digits", 0)))
    if op == "generalize":
        to = policy.get("to")
        if to in ("year", "month"):
            return _year_month(value, to)
        if to == "county":
            return generalize_county(str(value))
        if to == "age_band":
            return _age_band(value, int(policy.get("width", 10)))
        if to == "grid":
            return _grid(value, float(policy.get("cell", 0.01)))
    raise ValueError(f"unknown policy {policy!r}")


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _map_distinct(column: pa.ChunkedArray | pa.Array, fn: Callable[[Any], Any], out_type=None) -> pa.Array:
    """Apply ``fn`` once per distinct value and expand back (nulls stay null)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    encoded = pc.dictionary_encode(array)
    mapped = [None if v is None else fn(v) for v in encoded.dictionary.to_pylist()]
    dictionary = pa.array(mapped, type=out_type) if out_type is not None else pa.array(mapped)
    return dictionary.take(encoded.indices)


def _as_string(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
        if pa.types.is_string(column.type):
            return column
    return pc.cast(column, pa.string())


def _mask_column(column: pa.ChunkedArray, first: int, last: int) -> pa.ChunkedArray:
    text = _as_string(column)
    length = pc.utf8_length(text)
    star = pa.scalar("*")
    parts = []
    if first:
        parts.append(pc.utf8_slice_codeunits(text, 0, first))
    parts.append(pc.binary_repeat(star, pc.max_element_wise(pc.subtract(length, first + last), 0)))
    if last:
        parts.append(pc.utf8_slice_codeunits(text, -last))
    masked = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "")
    shortest = pc.min(length).as_py()
    if shortest is None or shortest > first + last:
        return masked
    # too short to keep anything: every character becomes "*"
    return pc.if_else(pc.less_equal(length, first + last), pc.binary_repeat(star, length), masked)


def _date_column(column: pa.ChunkedArray, to: str) -> pa.ChunkedArray:
    if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
        year = pc.cast(pc.year(column), pa.string())
        if to == "year":
            return year
        month = pc.utf8_lpad(pc.cast(pc.month(column), pa.string()), 2, "0")
        return pc.binary_join_element_wise(year, month, "-")
    return _map_distinct(column, lambda v: _year_month(v, to), pa.string())


def _county_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    text = pc.utf8_ltrim_whitespace(_as_string(column))
    # the stop-free head, at most 30 characters (an anchored match reads no further than that)
    heads = pc.struct_field(pc.extract_regex(text, rf"^(?P<head>[^{_STOP}]{{0,30}})"), [0])
    return _map_distinct(heads, generalize_county, pa.string())


def _numeric(column: pa.ChunkedArray) -> bool:
    return (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_decimal(column.type)
    )


_HALF = "half_towards_infinity"


def _round_column(column: pa.ChunkedArray, digits: int) -> pa.ChunkedArray:
    if pa.types.is_integer(column.type):
        if digits >= 0:
            return column
        return pc.cast(
            pc.round(pc.cast(column, pa.float64()), ndigits=digits, round_mode=_HALF), column.type, safe=False
        )
    if _numeric(column):
        return pc.round(column, ndigits=digits, round_mode=_HALF)
    return _map_distinct(column, lambda v: _round(v, digits))


def _grid_column(column: pa.ChunkedArray, cell: float) -> pa.ChunkedArray:
    if _numeric(column):
        snapped = pc.multiply(pc.floor(pc.divide(pc.cast(column, pa.float64()), cell)), cell)
        return pc.round(snapped, ndigits=6)
    return _map_distinct(column, lambda v: _grid(v, cell), pa.string())


def _age_column(column: pa.ChunkedArray, width: int) -> pa.ChunkedArray:
    return _map_distinct(column, lambda v: _age_band(v, width), pa.string())


def _pseudonymize_column(column: pa.ChunkedArray, purpose: str) -> pa.ChunkedArray:
    key = _key()
    prefix = f"{purpose}\x1f"
    digest = hmac.digest
    sha = hashlib.sha256

    def one(value: Any) -> str:
        return digest(key, (prefix + str(value)).encode(), sha).hex()[:32]

    return _map_distinct(column, one, pa.string())


def desensitize_column(column: pa.ChunkedArray | pa.Array, policy: dict) -> pa.ChunkedArray | pa.Array:
    """Apply one policy to a whole column."""
    if isinstance(column, pa.Array):
        column = pa.chunked_array([column])
    op = policy.get("op", "keep")
    if op == "keep":
        return column
    if op == "suppress":
        return pa.nulls(len(column), type=column.type)
    if op == "mask":
        return _mask_column(column, int(policy.get("keep_first", 0)), int(policy.get("keep_last", 0)))
    if op == "pseudonymize":
        return _pseudonymize_column(column, policy.get("purpose", "default"))
    if op == "scan":
        return _map_distinct(_as_string(column), scan_text, pa.string())
    if op == "round":
        return _round_column(column, int(policy.get("digits", 0)))
    if op == "generalize":
        to = policy.get("to")
        if to in ("year", "month"):
            return _date_column(column, to)
        if to == "county":
            return _county_column(column)
        if to == "age_band":
            return _age_column(column, int(policy.get("width", 10)))
        if to == "grid":
            return _grid_column(column, float(policy.get("cell", 0.01)))
    raise ValueError(f"unknown policy {policy!r}")


def desensitize_table(table: pa.Table, policies: dict[str, dict]) -> pa.Table:
    """Apply ``policies`` (field -> policy) to ``table``; fields without a policy are kept.

    The schema's field names and order are kept; a column's type may change (a masked number
    becomes text, a generalized date becomes "YYYY"). Unknown fields in ``policies`` and invalid
    policies raise ValidationError naming the field.
    """
    names = table.column_names
    for field, policy in policies.items():
        if field not in names:
            raise ValidationError.for_field(field, "policy names a field that is not in the table")
        validate_policy(field, policy)
    columns = []
    fields = []
    for index, name in enumerate(names):
        column = table.column(index)
        policy = policies.get(name)
        if policy is None or policy.get("op") == "keep":
            columns.append(column)
            fields.append(table.schema.field(index))
            continue
        result = desensitize_column(column, policy)
        columns.append(result)
        fields.append(pa.field(name, result.type, nullable=True, metadata=table.schema.field(index).metadata))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=table.schema.metadata))
