"""Automatic disclosure control (统计披露控制) of sandbox jobs: what a job may ask, and what of its
answer may leave the sandbox.

Before a job runs, ``plan`` reads DuckDB's syntax tree of its SQL (``engine.sql_tree``, after the
datastore sandbox's own checks that refuse files, ATTACH, extensions and settings) and refuses:

- anything but one aggregate query read straight from ``data`` (no CTE, join, set operation,
  window, subquery in the select list, ``*``): a job that would *export rows* (``exports_rows``);
- aggregates other than count / sum / avg (``min``, ``max``, ``list``, ``first``, ``median``,
  ``string_agg``, ``arg_max`` ... return single records' values) (``exports_rows``);
- a comparison (``=``, ``<>``, ``IN``) or a grouping on a direct identifier column (resident ID,
  credit code, mobile ...): a query aimed at one subject, or at all but one (``singles_out``).

It then adds hidden aggregates to the query: the number of distinct subjects of each cell (the
dataset's resident ID or credit code column, else rows) and, for each sum or average, the two
largest contributions and the total. ``control`` applies the rules to the answer:

- cells with fewer subjects than the threshold are dropped (their keys are not shown either);
- count measures below the threshold are suppressed, the others rounded to ``round_to``; so are
  sums and averages over fewer non-zero contributions than the threshold (a count hidden in
  ``sum(CASE WHEN ... THEN 1 ELSE 0 END)``);
- sums and averages failing the dominance rule (largest > top1 %, two largest > top2 %) are
  suppressed;
- a cell whose key (dataset, grouping values and equality filters) the project has seen before
  with a subject count differing by 1 .. threshold - 1 is suppressed (the differencing guard);
- when no cell is left, the job is refused: it singles out subjects.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine

# Column categories (privacy.classify) that identify one person or entity directly.
IDENTIFIER_CATEGORIES = frozenset(
    {
        "resident_id",
        "uscc",
        "org_code",
        "mobile",
        "landline",
        "email",
        "bank_card",
        "passport",
        "hk_macao_permit",
        "plate",
        "ipv4",
        "ipv6",
    }
)
# Columns whose distinct values count the subjects of a cell.
SUBJECT_CATEGORIES = ("resident_id", "uscc", "org_code")
ALLOWED_AGGREGATES = frozenset(
    {"count", "count_star", "sum", "avg", "mean", "fsum", "favg", "sumkahan", "kahan_sum", "sum_no_overflow"}
)
COUNT_AGGREGATES = frozenset({"count", "count_star"})
SUM_AGGREGATES = ALLOWED_AGGREGATES - COUNT_AGGREGATES
_SINGLING_COMPARISONS = frozenset(
    {"COMPARE_EQUAL", "COMPARE_NOTEQUAL", "COMPARE_IN", "COMPARE_NOT_IN", "COMPARE_DISTINCT_FROM",
     "COMPARE_NOT_DISTINCT_FROM"}
)  # fmt: skip
_N = "__sbx_n"


class Refusal(Exception):
    """A job the sandbox will not run or release; ``rule`` is the code, ``message`` for people."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass
class Plan:
    """What ``control`` needs to know of a planned job."""

    sql: str  # the query as run: the user's select list plus the hidden aggregates
    columns: int  # how many columns the user asked for
    keys: list[int]  # positions of grouping columns
    counts: list[int]  # positions of pure count measures (rounded)
    measures: list[int]  # positions of every measure
    dominance: dict[int, list[int]]  # measure position -> indexes of its (top 2, total, contributors)
    key_names: list[str]  # a stable name per grouping column
    fixed: dict[str, str] = field(default_factory=dict)  # equality filters folded into cell keys
    subject: str = ""  # the column counting subjects ("" = rows)


def _walk(node: Any):
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            yield item
            stack.extend(v for v in item.values() if isinstance(v, dict | list))


def _column(node: dict) -> str | None:
    if node.get("class") == "COLUMN_REF" and node.get("column_names"):
        return str(node["column_names"][-1])
    return None


def _signature(node: dict) -> str:
    """A stable name of an expression, independent of its alias and position in the text."""
    name = _column(node)
    if name is not None:
        return f"col:{name}"

    def strip(value):
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if k not in ("alias", "query_location", "query_location_length")
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return "expr:" + hashlib.sha256(json.dumps(strip(node), sort_keys=True).encode()).hexdigest()[:16]


def identifier_columns(fields: list[dict]) -> set[str]:
    """Names of the schema's direct identifier columns (by the privacy module's classification)."""
    return {
        f["name"] for f in fields if (f.get("classification") or {}).get("category") in IDENTIFIER_CATEGORIES
    }


def subject_column(fields: list[dict]) -> str:
    """The column whose distinct values count a cell's subjects: the leftmost resident ID, credit
    code or organization code column (a record's key comes first: in the enterprise registry the
    credit code, not the legal representative's ID); "" when there is none (rows are counted)."""
    for f in fields:
        if (f.get("classification") or {}).get("category") in SUBJECT_CATEGORIES:
            return f["name"]
    return ""


def _refuse_rows(message: str) -> Refusal:
    return Refusal("exports_rows", message)


def _check_singling(root: dict, identifiers: set[str]) -> None:
    for node in _walk(root):
        if node.get("class") in ("COMPARISON", "OPERATOR") and node.get("type") in _SINGLING_COMPARISONS:
            operands = [node.get("left"), node.get("right"), *(node.get("children") or [])]
            for operand in operands:
                if isinstance(operand, dict) and _column(operand) in identifiers:
                    raise Refusal(
                        "singles_out",
                        _("compares the identifier column “%(c)s” with values: a query about one "
                          "subject (or all but one) is not allowed") % {"c": _column(operand)},
                    )  # fmt: skip


def _aggregates(node: dict) -> list[dict]:
    names = engine.aggregate_function_names()
    return [
        n
        for n in _walk(node)
        if n.get("class") == "FUNCTION" and str(n.get("function_name", "")).lower() in names
    ]


@functools.lru_cache(maxsize=64)
def _template_text(sql: str) -> str:
    return json.dumps(engine.sql_tree(sql)["statements"][0]["node"]["select_list"])


def _template(sql: str) -> list[dict]:
    """The select list of a fixed helper query (parsed once per process; a fresh copy each call)."""
    return json.loads(_template_text(sql))


def _replace_column(node: Any, name: str, replacement: dict) -> Any:
    if isinstance(node, dict):
        if _column(node) == name:
            return copy.deepcopy(replacement)
        return {k: _replace_column(v, name, replacement) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_column(v, name, replacement) for v in node]
    return node


def _equalities(where: dict | None) -> dict[str, str]:
    """``column = constant`` conditions ANDed at the top of WHERE, folded into cell keys."""
    if not where:
        return {}
    parts = where.get("children") if where.get("type") == "CONJUNCTION_AND" else [where]
    fixed = {}
    for part in parts or []:
        if part.get("type") != "COMPARE_EQUAL":
            continue
        left, right = part.get("left") or {}, part.get("right") or {}
        if _column(right) and left.get("class") == "CONSTANT":
            left, right = right, left
        if _column(left) and right.get("class") == "CONSTANT":
            fixed[f"col:{_column(left)}"] = str(
                (right.get("value") or right.get("literal") or {}).get("text", right.get("value"))
            )
    return fixed


def plan(sql: str, fields: list[dict]) -> Plan:
    """Check a job's SQL against the sandbox's rules and add the hidden aggregates (see module).

    Raises ``Refusal`` for a query the sandbox will not run, and ``ValidationError`` (naming
    ``sql``) for SQL the datastore sandbox refuses (files, ATTACH, extensions, other tables)."""
    tree = engine.sql_tree(sql)
    statements = tree.get("statements") or []
    root = statements[0]["node"] if statements else {}
    if root.get("type") != "SELECT_NODE":
        raise _refuse_rows(_("a job is one SELECT with GROUP BY; set operations are not allowed"))
    if (root.get("cte_map") or {}).get("map"):
        raise _refuse_rows(_("a job reads the table data directly; WITH is not allowed"))
    source = root.get("from_table") or {}
    if source.get("type") != "BASE_TABLE" or str(source.get("table_name", "")).lower() != "data":
        raise _refuse_rows(_("a job reads the table data directly, without joins or subqueries"))
    identifiers = identifier_columns(fields)
    _check_singling(root, identifiers)
    keys, counts, measures, key_names, dominance = [], [], [], [], {}
    helpers: list[dict] = []
    identifier_keys: list[str] = []
    subject = subject_column(fields)
    for position, item in enumerate(root.get("select_list") or []):
        kinds = {n.get("class") for n in _walk(item)}
        if kinds & {"WINDOW", "SUBQUERY"} or item.get("class") == "STAR" or "STAR" in kinds:
            raise _refuse_rows(
                _("column %(n)s: windows, subqueries and * would return records") % {"n": position + 1}
            )
        aggregates = _aggregates(item)
        if not aggregates:
            if _column(item) in identifiers:
                identifier_keys.append(_column(item))
            keys.append(position)
            key_names.append(_signature(item))
            continue
        bad = sorted({str(a["function_name"]).lower() for a in aggregates} - ALLOWED_AGGREGATES)
        if bad:
            raise _refuse_rows(
                _("%(f)s return values of single records; use count, sum or avg") % {"f": ", ".join(bad)}
            )
        measures.append(position)
        if str(item.get("function_name", "")).lower() in COUNT_AGGREGATES and item.get("class") == "FUNCTION":
            counts.append(position)
        for aggregate in aggregates:
            if str(aggregate["function_name"]).lower() not in SUM_AGGREGATES or not aggregate.get(
                "arguments"
            ):
                continue
            argument = aggregate["arguments"][0]
            argument = argument.get("expression", argument) if isinstance(argument, dict) else argument
            top, total, contributors = _template(
                'SELECT max("__sbx_arg", 2), sum("__sbx_arg"), '
                'sum(CASE WHEN "__sbx_arg" <> 0 THEN 1 ELSE 0 END) FROM data'
            )
            pair = []
            for helper in (top, total, contributors):
                helper = _replace_column(helper, "__sbx_arg", argument)
                helper["filter"] = copy.deepcopy(aggregate.get("filter"))
                helper["alias"] = f"__sbx_h{len(helpers)}"
                pair.append(len(helpers))
                helpers.append(helper)
            dominance.setdefault(position, []).append(pair[0])
    if not measures:
        raise _refuse_rows(_("returns records, not aggregates: use count, sum or avg with GROUP BY"))
    if identifier_keys:
        raise Refusal(
            "singles_out",
            _("groups by the identifier column “%(c)s”: every cell would be one subject")
            % {"c": identifier_keys[0]},
        )
    quoted = subject.replace('"', '""')
    # Names from the dataset's own schema, quoted; the text is parsed, never run as it stands.
    n_sql = "SELECT count(*) AS __sbx_n FROM data"
    if subject:
        n_sql = f'SELECT count(DISTINCT "{quoted}") AS {_N} FROM data'  # noqa: S608
    (n_item,) = _template(n_sql)
    width = len(root["select_list"])
    root["select_list"] = [*root["select_list"], n_item, *helpers]
    return Plan(
        sql=engine.sql_from_tree(tree),
        columns=width,
        keys=keys,
        counts=counts,
        measures=measures,
        dominance={pos: [width + 1 + i for i in idx] for pos, idx in dominance.items()},
        key_names=key_names,
        fixed=_equalities(root.get("where_clause")),
        subject=subject,
    )


@dataclass
class Outcome:
    columns: list[str]
    rows: list[list[Any]]
    flags: list[list[str | None]]
    checks: dict[str, Any]
    ledger: list[tuple[str, int]]  # (cell key, subjects) of the cells shown


def cell_key(dataset_id: int, names: list[str], values: list[Any], fixed: dict[str, str]) -> str:
    parts = {**fixed, **{name: str(value) for name, value in zip(names, values, strict=True)}}
    text = json.dumps([dataset_id, sorted(parts.items())], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _round(value: Any, base: int) -> Any:
    number = _number(value)
    if number is None:
        return value
    return int(base * round(number / base))


def _dominated(top: Any, total: Any, top1: int, top2: int) -> bool:
    amounts = [n for n in (_number(v) for v in (top or [])) if n is not None]
    whole = _number(total)
    if not amounts or whole is None or whole <= 0:
        return False
    first = max(amounts[0], 0.0)
    second = max(amounts[1], 0.0) if len(amounts) > 1 else 0.0
    return first * 100 > top1 * whole or (first + second) * 100 > top2 * whole


def control(
    plan_: Plan,
    columns: list[str],
    rows: list[tuple],
    *,
    dataset_id: int,
    min_cell: int,
    round_to: int,
    top1: int,
    top2: int,
    seen: dict[str, list[int]],
) -> Outcome:
    """Apply the output rules (module docstring) to the rows a planned job returned. ``seen`` maps
    the cell keys the project was shown before to their subject counts. Raises ``Refusal`` when
    nothing may be shown."""
    width = plan_.columns
    n_at = width
    out_rows, flags, ledger = [], [], []
    tally = {"small_cell": 0, "small_count": 0, "dominance": 0, "differencing": 0}
    for row in rows:
        subjects = int(_number(row[n_at]) or 0)
        if subjects < min_cell:
            tally["small_cell"] += 1
            continue
        values = list(row[:width])
        marks: list[str | None] = [None] * width
        key = cell_key(dataset_id, plan_.key_names, [values[i] for i in plan_.keys], plan_.fixed)
        differs = any(0 < abs(subjects - before) < min_cell for before in seen.get(key, []))
        for position in plan_.measures:
            rule = None
            if differs:
                rule = "differencing"
            elif any(
                0 < (_number(row[top + 2]) or 0) < min_cell for top in plan_.dominance.get(position, [])
            ):
                rule = "small_count"  # a sum or average over fewer contributors than the threshold
            elif any(
                _dominated(row[top], row[top + 1], top1, top2) for top in plan_.dominance.get(position, [])
            ):
                rule = "dominance"
            elif position in plan_.counts:
                count = _number(values[position])
                if count is not None and 0 < count < min_cell:
                    rule = "small_count"
                else:
                    values[position] = _round(values[position], round_to)
            if rule:
                values[position] = None
                marks[position] = rule
                tally[rule] += 1
        if not differs:
            ledger.append((key, subjects))
        out_rows.append(values)
        flags.append(marks)
    shown = sum(1 for marks in flags for i in plan_.measures if marks[i] is None)
    if not shown:
        raise Refusal(
            "singles_out",
            _("every cell concerns fewer than %(n)s subjects, is dominated by one or two of them, "
              "or differs from an earlier output by fewer than %(n)s: nothing can be released") % {"n": min_cell},
        )  # fmt: skip
    checks = {
        "cells": len(rows),
        "shown": len(out_rows),
        "threshold": min_cell,
        "rounded_to": round_to,
        "dominance": [top1, top2],
        "subject": plan_.subject or "rows",
        **tally,
    }
    return Outcome(columns=list(columns[:width]), rows=out_rows, flags=flags, checks=checks, ledger=ledger)


def refusal_from(error: ValidationError) -> Refusal:
    """The datastore sandbox's refusal of a statement (files, ATTACH, extensions, other tables)."""
    messages = error.fields.get("sql") or [error.message]
    return Refusal("forbidden_sql", "SQL " + " ".join(messages))
