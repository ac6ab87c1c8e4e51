"""Keyset pagination with an opaque, signed cursor (DESIGN.md: lists never use OFFSET).

``keyset_page(qs, order=["-occurred_at", "-id"], cursor=..., limit=...)`` returns the page and
the cursor of the next one. The last ordering field must be unique (usually the primary key).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError

_SALT = "zhengtong.pagination"


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        raise ValueError("bad cursor value")
    return value


def clamp_limit(limit: int | None, *, default: int = 50) -> int:
    if limit is None:
        return default
    maximum = settings.API_MAX_PAGE_SIZE
    if limit < 1 or limit > maximum:
        raise ValidationError.for_field("limit", _("must be between 1 and %d") % maximum)
    return limit


def _after_q(order: list[str], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``order``: (a > x) OR (a = x AND b > y) ..."""
    condition = Q(pk__in=[])
    for i, spec in enumerate(order):
        name = spec.lstrip("-")
        op = "lt" if spec.startswith("-") else "gt"
        clause = Q(**{f"{name}__{op}": values[i]})
        for j in range(i):
            clause &= Q(**{order[j].lstrip("-"): values[j]})
        condition |= clause
    return condition


def keyset_page(qs: QuerySet, *, order: list[str], cursor: str | None, limit: int) -> Page:
    qs = qs.order_by(*order)
    if cursor:
        try:
            payload = signing.loads(cursor, salt=_SALT)
            values = [_decode_value(v) for v in payload["v"]]
            if payload.get("o") != order or len(values) != len(order):
                raise ValueError("cursor belongs to another ordering")
        except (signing.BadSignature, ValueError, KeyError, TypeError):
            raise ValidationError.for_field("cursor", _("is not a cursor this list issued")) from None
        qs = qs.filter(_after_q(order, values))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = []
        for spec in order:
            value: Any = last
            for part in spec.lstrip("-").split("__"):
                value = getattr(value, part)
            values.append(_encode_value(getattr(value, "pk", value)))
        next_cursor = signing.dumps({"o": order, "v": values}, salt=_SALT, compress=True)
    return Page(rows, next_cursor)
