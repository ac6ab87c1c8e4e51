"""Compile CertLogic rules to vectorised numpy evaluation over columnar subject data.

For mass re-evaluation (millions of subjects) the interpreter is too slow; this compiler turns a
rule's expression into numpy operations over columns with the *same* outcome as
``certlogic.evaluate_rule`` for every row (a test checks them against each other on random data).

Columns: ``{path: Column}`` where a column is one of
  - ``"int"``: int64 values;
  - ``"datestr"``: a date(-time) string column, stored parsed as int64 UTC milliseconds (it is
    only usable as the operand of ``plusTime`` and for truthiness, as in the interpreter);
  - ``"str"``: categorical strings (int32 codes + list of categories);
  - ``"bool"``;
each with an optional null mask. ``constants`` holds values that are the same for every row
(e.g. ``external.validationClock``).

Supported: var, literals, if, and, !, !!, ===, in (literal array), +, < > <= >= (2 and 3
operands), before/after/not-before/not-after, plusTime. ``reduce``, ``extractFromUVCI`` and
``dccDateOfBirth`` raise ``CompileError``: callers fall back to the interpreter for such rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhengtong.codes import certlogic

logger = logging.getLogger(__name__)
DAY_MS = 86_400_000
_F, _T = np.False_, np.True_


class CompileError(Exception):
    """The expression uses something the vectorised evaluator does not support."""


@dataclass
class Column:
    kind: str  # int | datestr | str | bool
    values: np.ndarray
    null: np.ndarray | None = None
    categories: list[str] | None = None


@dataclass
class V:
    """A vectorised value: kind, values (array or scalar), null mask, error mask."""

    kind: str  # int | bool | str | date | datestr | null
    val: Any
    null: Any
    err: Any
    categories: list[str] | None = None


class Evaluator:
    def __init__(self, columns: dict[str, Column], constants: dict[str, Any], n: int):
        self.columns, self.constants, self.n = columns, constants, n
        self.zeros = np.zeros(n, dtype=bool)

    # ---------------------------------------------------------------- helpers

    def full(self, value: bool) -> np.ndarray:
        return np.ones(self.n, dtype=bool) if value else np.zeros(self.n, dtype=bool)

    def truthiness(self, v: V) -> tuple[Any, Any]:
        """(truthy mask, falsy mask); rows that are neither are errors where they matter."""
        null = v.null
        if v.kind == "null":
            return self.full(False), self.full(True)
        if v.kind == "int":
            nz = v.val != 0
            return (~null & nz), (null | ~nz)
        if v.kind == "bool":
            return (~null & v.val), (null | ~v.val)
        if v.kind == "str":
            if v.categories is None:
                return (~null & (len(v.val) > 0)), (null | (len(v.val) == 0))
            nonempty = np.array([len(c) > 0 for c in v.categories], dtype=bool)[v.val]
            return (~null & nonempty), (null | ~nonempty)
        if v.kind == "datestr":
            return ~null, null
        if v.kind == "date":
            return self.full(False), null | self.full(False)
        raise CompileError(f"truthiness of {v.kind}")

    # ---------------------------------------------------------------- evaluation

    def ev(self, expr: Any) -> V:
        if isinstance(expr, bool):
            return V("bool", np.bool_(expr), _F, _F)
        if isinstance(expr, int) or (isinstance(expr, float) and expr.is_integer()):
            return V("int", int(expr), _F, _F)
        if isinstance(expr, str):
            return V("str", expr, _F, _F)
        if isinstance(expr, list):
            raise CompileError("array value outside of 'in'")
        if not isinstance(expr, dict) or len(expr) != 1:
            raise CompileError("invalid expression")
        ((op, args),) = expr.items()
        if op == "var":
            return self.var(args)
        if not isinstance(args, list) or not args:
            raise CompileError(f"malformed {op}")
        method = {
            "if": self.op_if,
            "and": self.op_and,
            "!": self.op_not,
            "!!": self.op_not,
            "===": self.op_eq,
            "in": self.op_in,
            "+": self.op_plus,
            "plusTime": self.op_plus_time,
        }.get(op)
        if method is not None:
            return method(op, args)
        if op in certlogic.COMPARISONS:
            return self.op_compare(op, args)
        raise CompileError(f"operation {op!r} is not vectorised")

    def var(self, path: Any) -> V:
        if isinstance(path, int):
            path = str(path)
        if path in self.constants:
            value = self.constants[path]
            if value is None:
                return V("null", None, _T, _F)
            if isinstance(value, bool):
                return V("bool", np.bool_(value), _F, _F)
            if isinstance(value, int):
                return V("int", value, _F, _F)
            if isinstance(value, str):
                return V("str", value, _F, _F)
            raise CompileError(f"constant {path} of type {type(value).__name__}")
        column = self.columns.get(path)
        if column is None:
            # a missing path is null everywhere, unless a prefix names a column (drilling into a scalar)
            return V("null", None, _T, _F)
        null = column.null if column.null is not None else self.zeros
        return V(column.kind, column.values, null, _F, column.categories)

    def op_if(self, _op, args) -> V:
        if len(args) != 3:
            raise CompileError("if needs 3 operands")
        guard = self.ev(args[0])
        t, f = self.truthiness(guard)
        neither = ~(t | f)
        then, other = self.ev(args[1]), self.ev(args[2])
        kinds = {then.kind, other.kind} - {"null"}
        if len(kinds) > 1:
            raise CompileError(f"if branches of kinds {kinds}")
        kind = kinds.pop() if kinds else "null"
        if then.categories is not None or other.categories is not None:
            raise CompileError("categorical if result")
        t_arr = t & ~neither
        val = np.where(
            t_arr, then.val if then.val is not None else 0, other.val if other.val is not None else 0
        )
        null = np.where(t_arr, then.null, other.null)
        err = guard.err | neither | (t_arr & then.err) | (~t_arr & ~neither & other.err)
        return V(kind, val, null, err)

    def op_and(self, _op, args) -> V:
        if len(args) < 2:
            raise CompileError("and needs at least 2 operands")
        active = self.full(True)
        truthy = self.full(False)
        err = self.full(False)
        for i, arg in enumerate(args):
            v = self.ev(arg)
            t, f = self.truthiness(v)
            if i == len(args) - 1:
                truthy = truthy | (active & t)
                err = err | (active & (v.err | ~(t | f)))  # neither: the rule fails
            else:
                err = err | (active & (v.err | ~(t | f)))
                active = active & t & ~err
        return V("bool", truthy, self.zeros, err)

    def op_not(self, op, args) -> V:
        if len(args) != 1:
            raise CompileError(f"{op} needs 1 operand")
        v = self.ev(args[0])
        t, f = self.truthiness(v)
        return V("bool", (f if op == "!" else t) & self.full(True), self.zeros, v.err | ~(t | f))

    def _cmp_values(self, v: V, w: V):
        if v.kind == "str" and w.kind == "str":
            if v.categories is not None and w.categories is None:
                code = v.categories.index(w.val) if w.val in v.categories else -1
                return v.val == code
            if w.categories is not None and v.categories is None:
                code = w.categories.index(v.val) if v.val in w.categories else -1
                return w.val == code
            if v.categories is None and w.categories is None:
                return v.val == w.val
            raise CompileError("comparing two categorical columns")
        if v.kind in ("int", "bool") and v.kind == w.kind:
            return v.val == w.val
        return False

    def op_eq(self, _op, args) -> V:
        if len(args) != 2:
            raise CompileError("=== needs 2 operands")
        v, w = self.ev(args[0]), self.ev(args[1])
        if "date" in (v.kind, w.kind) or "datestr" in (v.kind, w.kind):
            if "datestr" in (v.kind, w.kind):
                raise CompileError("=== on a date string column")
            both_null = v.null & w.null
            return V("bool", both_null | self.full(False), self.zeros, v.err | w.err)
        same = self._cmp_values(v, w) if v.kind != "null" and w.kind != "null" else False
        value = (v.null & w.null) | (~v.null & ~w.null & same)
        return V("bool", value | self.full(False), self.zeros, v.err | w.err)

    def op_in(self, _op, args) -> V:
        if len(args) != 2 or not isinstance(args[1], list):
            raise CompileError("'in' needs a literal array")
        items = args[1]
        if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in items):
            raise CompileError("'in' over non-literal items")
        v = self.ev(args[0])
        if v.kind == "str":
            wanted = [i for i in items if isinstance(i, str)]
            if v.categories is not None:
                codes = [v.categories.index(w) for w in wanted if w in v.categories]
                hit = np.isin(v.val, codes)
            else:
                hit = v.val in wanted
        elif v.kind == "int":
            hit = np.isin(v.val, [i for i in items if isinstance(i, int)])
        elif v.kind in ("bool", "null", "date"):
            hit = False
        else:
            raise CompileError(f"'in' on {v.kind}")
        return V("bool", (~v.null & hit) | self.full(False), self.zeros, v.err)

    def op_plus(self, _op, args) -> V:
        if len(args) != 2:
            raise CompileError("+ needs 2 operands")
        v, w = self.ev(args[0]), self.ev(args[1])
        if v.kind != "int" or w.kind != "int":
            return V("int", 0, self.full(True), self.full(True))
        return V("int", v.val + w.val, self.zeros, v.err | w.err | v.null | w.null)

    def op_compare(self, op, args) -> V:
        if len(args) not in (2, 3):
            raise CompileError(f"{op} needs 2 or 3 operands")
        values = [self.ev(a) for a in args]
        want = "date" if op in certlogic.DATE_COMPARISON else "int"
        err = self.full(False)
        for v in values:
            err = err | v.err
            if v.kind != want:
                return V("bool", self.full(False), self.zeros, self.full(True))
            err = err | v.null
        base = certlogic.DATE_COMPARISON.get(op, op)
        fn = {"<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal}[base]
        result = fn(values[0].val, values[1].val)
        if len(values) == 3:
            result = result & fn(values[1].val, values[2].val)
        return V("bool", result | self.full(False), self.zeros, err)

    def op_plus_time(self, _op, args) -> V:
        if len(args) != 3 or not certlogic.is_int(args[1]) or args[2] not in certlogic.TIME_UNITS:
            raise CompileError("plusTime needs an integer literal amount and a time unit")
        amount, unit = int(args[1]), args[2]
        v = self.ev(args[0])
        if v.kind == "str" and v.categories is None:
            try:
                return V("date", certlogic.plus_time(v.val, amount, unit).ms, _F, _F)
            except certlogic.CertLogicError:
                return V("date", 0, _T, self.full(True))
        if v.kind != "datestr":
            return V("date", 0, _T, self.full(True))  # null or not a string: an error, as interpreted
        return V("date", offset_ms(v.val, amount, unit), v.null, v.err | v.null)


def offset_ms(ms: np.ndarray, amount: int, unit: str) -> np.ndarray:
    """Vectorised plusTime with JavaScript Date.setUTC* overflow semantics."""
    if amount == 0:
        return ms
    if unit == "hour":
        return ms + amount * 3_600_000
    if unit == "day":
        return ms + amount * DAY_MS
    days, tod = np.divmod(ms, DAY_MS)
    d = days.astype("datetime64[D]")
    month_start = d.astype("datetime64[M]")
    day_of_month = (d - month_start.astype("datetime64[D]")).astype(np.int64)
    shift = amount if unit == "month" else 12 * amount
    new_start = (month_start + np.timedelta64(shift, "M")).astype("datetime64[D]").astype(np.int64)
    return (new_start + day_of_month) * DAY_MS + tod


@dataclass
class CompiledRule:
    rule_id: str
    colour: str
    expr: Any

    def failed(self, columns: dict[str, Column], constants: dict[str, Any], n: int) -> np.ndarray:
        ev = Evaluator(columns, constants, n)
        v = ev.ev(self.expr)
        t, f = ev.truthiness(v)
        passed = t & ~np.asarray(v.err)
        return ~(passed | ev.full(False))


def compile_rules(rules: list[dict]) -> list[CompiledRule]:
    """Compile a rule set; raises CompileError (with the rule id) when a rule cannot be vectorised."""
    compiled = []
    for rule in rules:
        probe = Evaluator({}, {}, 1)
        try:
            probe.ev(rule["logic"])  # shape check on an empty context
        except CompileError as exc:
            raise CompileError(f"rule {rule.get('id')}: {exc}") from None
        except (TypeError, ValueError, IndexError) as exc:  # data-dependent: shows per row later
            logger.debug("probing rule %s: %s", rule.get("id"), exc)
        compiled.append(CompiledRule(rule["id"], rule["colour"], rule["logic"]))
    return compiled


COLOUR_INDEX = {"green": 0, "yellow": 1, "red": 2}


def evaluate_columns(
    compiled: list[CompiledRule], columns: dict[str, Column], constants: dict[str, Any], n: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Colour index per row (0 green, 1 yellow, 2 red) and each rule's failure mask."""
    colour = np.zeros(n, dtype=np.int8)
    failures = {}
    for rule in compiled:
        failed = rule.failed(columns, constants, n)
        failures[rule.rule_id] = failed
        colour = np.maximum(colour, np.where(failed, COLOUR_INDEX[rule.colour], 0).astype(np.int8))
    return colour, failures
