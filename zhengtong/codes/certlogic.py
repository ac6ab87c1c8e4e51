"""CertLogic evaluator (specification 1.3.x of the EU DCC business rules), pure Python.

``evaluate(expr, data)`` follows the specification exactly and raises ``CertLogicError`` on an
invalid expression or a type mismatch; ``evaluate_rule(expr, data)`` is the safe wrapper used for
rules: an error is a failed rule (``False``), never a crash. Date-times are ``DateTime`` values
(UTC milliseconds), built only by ``plusTime`` and ``dccDateOfBirth``; offsets follow the
JavaScript ``Date.setUTC*`` methods as the specification requires (2020-02-29 + 1 year =
2021-03-01, 2021-01-31 + 1 month = 2021-03-03).

Extension beyond the specification (JsonLogic has it, CertLogic does not): ``!!`` (boolsiness:
``true`` for truthy, ``false`` for falsy, an error otherwise).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

TIME_UNITS = ("year", "month", "day", "hour")
INFIX = ("===", "and", "<", ">", "<=", ">=", "in", "+", "after", "before", "not-after", "not-before")
COMPARISONS = ("<", ">", "<=", ">=", "after", "before", "not-after", "not-before")
DATE_COMPARISON = {"after": ">", "before": "<", "not-after": "<=", "not-before": ">="}
OPERATIONS = (*INFIX, "var", "if", "!", "!!", "plusTime", "reduce", "extractFromUVCI", "dccDateOfBirth")
MAX_DEPTH = 200
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DAY_MS = 86_400_000


class CertLogicError(Exception):
    """An invalid expression, or a type mismatch found while evaluating."""


@dataclass(frozen=True, slots=True)
class DateTime:
    """A UTC date-time with millisecond precision (milliseconds since the Unix epoch)."""

    ms: int

    def isoformat(self) -> str:
        return (_EPOCH + dt.timedelta(milliseconds=self.ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def __repr__(self) -> str:
        return f"DateTime({self.isoformat()})"


# ---------------------------------------------------------------- values


def is_int(value: Any) -> bool:
    """An integer as JavaScript's Number.isInteger sees it (booleans are not integers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def is_truthy(value: Any) -> bool:
    if value is True:
        return True
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    if is_int(value):
        return value != 0
    return False


def is_falsy(value: Any) -> bool:
    if value is False or value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, str | list | dict):
        return len(value) == 0
    if is_int(value):
        return value == 0
    return False


def strict_equals(left: Any, right: Any) -> bool:
    """JavaScript ``===``: no coercion; arrays, objects and date-times compare by identity."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is right


# ---------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{1,2}(?::?\d{2})?)?)?)?)?$"
)
_OFFSET_RE = re.compile(r"^([+-])(\d{1,2})(?::?(\d{2}))?$")


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a (possibly overflowing) day in a normalised month (ECMA MakeDay)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    if not 1 <= year <= 9999:
        raise CertLogicError(f"date-time out of range (year {year})")
    return (dt.date(year, month, 1) - dt.date(1970, 1, 1)).days + day - 1


def _civil(ms: int) -> tuple[int, int, int, int]:
    days, time_ms = divmod(ms, _DAY_MS)
    date = dt.date(1970, 1, 1) + dt.timedelta(days=days)
    return date.year, date.month, date.day, time_ms


def parse_date_time(text: str) -> DateTime:
    """Parse a CertLogic date(-time) string, including the partial dates YYYY and YYYY-MM."""
    if not isinstance(text, str):
        raise CertLogicError("a date-time must be given as a string")
    match = _DATE_RE.match(text)
    if not match:
        raise CertLogicError(f"not an allowed date(-time) format: {text!r}")
    year_s, month_s, day_s, hh, mm, ss, frac, offset = match.groups()
    if month_s is None or day_s is None:
        return date_of_birth(text)
    year, month, day = int(year_s), int(month_s), int(day_s)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise CertLogicError(f"not a valid date: {text!r}")
    ms = _days_from_civil(year, month, day) * _DAY_MS
    if hh is not None:
        h, m, s = int(hh), int(mm), int(ss)
        if h > 23 or m > 59 or s > 59:
            raise CertLogicError(f"not a valid time: {text!r}")
        ms += ((h * 60 + m) * 60 + s) * 1000
        if frac:
            ms += int((frac + "00")[:3])
        if offset and offset != "Z":
            sign, oh, om = _OFFSET_RE.match(offset).groups()
            minutes = int(oh) * 60 + int(om or 0)
            ms -= (1 if sign == "+" else -1) * minutes * 60_000
    return DateTime(ms)


def date_of_birth(text: str) -> DateTime:
    """``dccDateOfBirth``: YYYY → YYYY-12-31, YYYY-MM → last day of that month, YYYY-MM-DD as is."""
    if not isinstance(text, str):
        raise CertLogicError('operand of "dccDateOfBirth" must be a string')
    match = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", text)
    if not match:
        raise CertLogicError(f"not a valid date of birth: {text!r}")
    year, month_s, day_s = int(match.group(1)), match.group(2), match.group(3)
    if year < 1:
        raise CertLogicError(f"not a valid date of birth: {text!r}")
    month = int(month_s) if month_s else 12
    if not 1 <= month <= 12:
        raise CertLogicError(f"not a valid date of birth: {text!r}")
    last = calendar.monthrange(year, month)[1]
    day = int(day_s) if day_s else last
    if not 1 <= day <= last:
        raise CertLogicError(f"not a valid date of birth: {text!r}")
    return DateTime(_days_from_civil(year, month, day) * _DAY_MS)


def plus_time(text: str, amount: int, unit: str) -> DateTime:
    """Offset a date(-time) string like ``Date.setUTC<unit>(getUTC<unit>() + amount)``."""
    base = parse_date_time(text)
    amount = int(amount)
    if amount == 0:
        return base
    if unit == "hour":
        return DateTime(base.ms + amount * 3_600_000)
    if unit == "day":
        return DateTime(base.ms + amount * _DAY_MS)
    year, month, day, time_ms = _civil(base.ms)
    if unit == "month":
        month += amount
    elif unit == "year":
        year += amount
    else:
        raise CertLogicError(f"unknown time unit {unit!r}")
    return DateTime(_days_from_civil(year, month, day) * _DAY_MS + time_ms)


def extract_from_uvci(uvci: str | None, index: int) -> str | None:
    if uvci is None or index < 0:
        return None
    text = uvci[len("URN:UVCI:") :] if uvci.startswith("URN:UVCI:") else uvci
    fragments = re.split(r"[/#:]", text)
    return fragments[index] if index < len(fragments) else None


# ---------------------------------------------------------------- evaluation


def _access(data: Any, path: Any) -> Any:
    if is_int(path):
        path = str(int(path))
    if not isinstance(path, str):
        raise CertLogicError('not of the form { "var": "<path>" }')
    if path == "":
        return data
    value = data
    for fragment in path.split("."):
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(fragment)
        elif isinstance(value, list):
            if not re.fullmatch(r"\d+", fragment):
                return None
            index = int(fragment)
            value = value[index] if index < len(value) else None
        else:
            return None
    return value


def _compare(op: str, values: list) -> bool:
    def cmp(a, b):
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        return a >= b

    if len(values) == 2:
        return cmp(values[0], values[1])
    return cmp(values[0], values[1]) and cmp(values[1], values[2])


def _evaluate_infix(op: str, operands: list, data: Any, depth: int) -> Any:
    if op == "and":
        if len(operands) < 2:
            raise CertLogicError('an "and" operation must have at least 2 operands')
    elif op in COMPARISONS:
        if len(operands) not in (2, 3):
            raise CertLogicError(f'an operation with operator "{op}" must have 2 or 3 operands')
    elif len(operands) != 2:
        raise CertLogicError(f'an operation with operator "{op}" must have 2 operands')
    if op == "===":
        return strict_equals(_eval(operands[0], data, depth), _eval(operands[1], data, depth))
    if op == "in":
        needle = _eval(operands[0], data, depth)
        haystack = _eval(operands[1], data, depth)
        if not isinstance(haystack, list):
            raise CertLogicError('right-hand side of an "in" operation must be an array')
        return any(strict_equals(needle, item) for item in haystack)
    if op == "+":
        left, right = _eval(operands[0], data, depth), _eval(operands[1], data, depth)
        if not is_int(left) or not is_int(right):
            raise CertLogicError('operands of "+" must both be integers')
        return int(left) + int(right)
    if op == "and":
        result: Any = True
        for operand in operands:
            if is_falsy(result):
                return result
            if not is_truthy(result):
                raise CertLogicError('all operands of an "and" operation must be either truthy or falsy')
            result = _eval(operand, data, depth)
        return result
    values = [_eval(operand, data, depth) for operand in operands]
    if op in DATE_COMPARISON:
        if not all(isinstance(v, DateTime) for v in values):
            raise CertLogicError(f'all operands of "{op}" must be date-times')
        return _compare(DATE_COMPARISON[op], [v.ms for v in values])
    if not all(is_int(v) for v in values):
        raise CertLogicError(f'all operands of "{op}" must be integers')
    return _compare(op, values)


def _eval(expr: Any, data: Any, depth: int) -> Any:
    depth += 1
    if depth > MAX_DEPTH:
        raise CertLogicError("expression nested too deeply")
    if isinstance(expr, str | bool | int):
        return expr
    if isinstance(expr, float):
        if expr.is_integer():
            return int(expr)
        raise CertLogicError(f"invalid CertLogic expression: {expr!r} (not an integer)")
    if expr is None:
        raise CertLogicError("invalid CertLogic expression: null")
    if isinstance(expr, list):
        return [_eval(item, data, depth) for item in expr]
    if not isinstance(expr, dict):
        raise CertLogicError(f"invalid CertLogic expression: {expr!r}")
    if len(expr) != 1:
        raise CertLogicError("an expression object must have exactly one key")
    ((op, operands),) = expr.items()
    if op == "var":
        return _access(data, operands)
    if not isinstance(operands, list) or not operands:
        raise CertLogicError(f'operation not of the form {{ "{op}": [ <values...> ] }}')
    if op == "if":
        if len(operands) != 3:
            raise CertLogicError('an "if" operation must have exactly 3 operands: guard, then, else')
        guard = _eval(operands[0], data, depth)
        if is_truthy(guard):
            return _eval(operands[1], data, depth)
        if is_falsy(guard):
            return _eval(operands[2], data, depth)
        raise CertLogicError("if-guard evaluates to something neither truthy, nor falsy")
    if op in INFIX:
        return _evaluate_infix(op, operands, data, depth)
    if op in ("!", "!!"):
        if len(operands) != 1:
            raise CertLogicError(f'a "{op}" operation must have exactly 1 operand')
        value = _eval(operands[0], data, depth)
        if is_falsy(value):
            return op == "!"
        if is_truthy(value):
            return op == "!!"
        raise CertLogicError(f'operand of "{op}" is neither truthy, nor falsy')
    if op == "plusTime":
        if len(operands) != 3:
            raise CertLogicError('a "plusTime" operation must have 3 operands')
        amount, unit = operands[1], operands[2]
        if not is_int(amount):
            raise CertLogicError('"amount" argument (#2) of "plusTime" must be an integer')
        if unit not in TIME_UNITS:
            raise CertLogicError(f'"unit" argument (#3) of "plusTime" must be one of {", ".join(TIME_UNITS)}')
        text = _eval(operands[0], data, depth)
        if not isinstance(text, str):
            raise CertLogicError('date argument (#1) of "plusTime" must be a string')
        return plus_time(text, int(amount), unit)
    if op == "reduce":
        if len(operands) != 3:
            raise CertLogicError('a "reduce" operation must have 3 operands')
        array = _eval(operands[0], data, depth)
        accumulator = _eval(operands[2], data, depth)
        if array is None:
            return accumulator
        if not isinstance(array, list):
            raise CertLogicError('operand (#1) of "reduce" must be an array or null')
        for current in array:
            accumulator = _eval(operands[1], {"accumulator": accumulator, "current": current}, depth)
        return accumulator
    if op == "extractFromUVCI":
        if len(operands) != 2:
            raise CertLogicError('an "extractFromUVCI" operation must have 2 operands')
        if not is_int(operands[1]):
            raise CertLogicError('"index" argument (#2) of "extractFromUVCI" must be an integer')
        value = _eval(operands[0], data, depth)
        if value is not None and not isinstance(value, str):
            raise CertLogicError('"UVCI" argument (#1) of "extractFromUVCI" must be a string or null')
        return extract_from_uvci(value, int(operands[1]))
    if op == "dccDateOfBirth":
        if len(operands) != 1:
            raise CertLogicError('a "dccDateOfBirth" operation must have 1 operand')
        return date_of_birth(_eval(operands[0], data, depth))
    raise CertLogicError(f'unrecognised operator: "{op}"')


def evaluate(expr: Any, data: Any) -> Any:
    """Evaluate exactly per the specification; raises CertLogicError on invalid input."""
    try:
        return _eval(expr, data, 0)
    except CertLogicError:
        raise
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        raise CertLogicError(str(exc)) from exc


def evaluate_rule(expr: Any, data: Any) -> tuple[bool, str]:
    """A validation rule's outcome: (passed, error). An error is a failed rule, never a crash."""
    try:
        value = evaluate(expr, data)
    except CertLogicError as exc:
        return False, str(exc)
    if is_truthy(value):
        return True, ""
    if is_falsy(value):
        return False, ""
    return False, "rule evaluated to a value neither truthy nor falsy"


def validate(expr: Any, path: str = "$") -> list[str]:
    """Static checks of an expression's shape (operators, arities, literal operands); [] if valid."""
    problems: list[str] = []
    if isinstance(expr, str | bool) or is_int(expr):
        return problems
    if isinstance(expr, list):
        for i, item in enumerate(expr):
            problems += validate(item, f"{path}[{i}]")
        return problems
    if not isinstance(expr, dict) or len(expr) != 1:
        return [f"{path}: not a CertLogic expression"]
    ((op, operands),) = expr.items()
    if op == "var":
        if not isinstance(operands, str) and not is_int(operands):
            problems.append(f'{path}: "var" needs a path string')
        return problems
    if op not in OPERATIONS:
        return [f'{path}: unrecognised operator "{op}"']
    if not isinstance(operands, list) or not operands:
        return [f'{path}: "{op}" needs a non-empty array of operands']
    arity = {"if": (3,), "===": (2,), "in": (2,), "+": (2,), "!": (1,), "!!": (1,), "plusTime": (3,)}
    arity |= {"reduce": (3,), "extractFromUVCI": (2,), "dccDateOfBirth": (1,)}
    arity |= {c: (2, 3) for c in COMPARISONS}
    if op in arity and len(operands) not in arity[op]:
        problems.append(f'{path}: "{op}" takes {" or ".join(map(str, arity[op]))} operands')
    if op == "and" and len(operands) < 2:
        problems.append(f'{path}: "and" takes at least 2 operands')
    if op == "plusTime" and len(operands) == 3:
        if not is_int(operands[1]):
            problems.append(f'{path}: "plusTime" amount must be an integer literal')
        if operands[2] not in TIME_UNITS:
            problems.append(f'{path}: "plusTime" unit must be one of {", ".join(TIME_UNITS)}')
        return problems + validate(operands[0], f"{path}.plusTime[0]")
    if op == "extractFromUVCI" and len(operands) == 2 and not is_int(operands[1]):
        problems.append(f'{path}: "extractFromUVCI" index must be an integer literal')
        return problems
    for i, item in enumerate(operands):
        if op == "extractFromUVCI" and i == 1:
            continue
        problems += validate(item, f"{path}.{op}[{i}]")
    return problems
