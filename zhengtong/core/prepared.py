"""Read queries compiled once: the one mechanism for hot read paths whose query is always the same
shape and only its parameters change (the public 办件查询: a look-up by case number, then that
case's timeline). And its counterpart for hot writes (``insert_sql``, at the end): rows written
together in one statement (the identity centre's token row with its audit event).

Compiling a queryset (resolving lookups, joins, ordering and the SELECT list into SQL) costs more
CPU than running it when the query is an index look-up: measured on the 办件查询, Django's
compilation was about 45% of a look-up's CPU. ``Prepared(build, n)`` builds the queryset once per
thread's connection with placeholder values, keeps its SQL and compiler, and then only executes the
SQL with the real values and converts the rows with Django's own converters (dates, JSON, time
zones; looked up once with the SQL), so the rows are exactly what ``values_list()`` would give. On PostgreSQL the unchanged SQL
text also lets psycopg prepare it server-side (``DATABASE_PREPARE_THRESHOLD``).

    TRACK = Prepared(lambda number: Case.objects.filter(number=number).values_list(...)[:1], 1)
    rows = TRACK.rows("ZJ2026...")

A model query (``select_related``, ``only``; no annotations) gives its instances with
``objects()``, as iterating the queryset would, each with its related objects (the API token
look-up with its owner and org unit; a citizen's valid e-licences with their types and holder).

``build`` must use each placeholder exactly as a query parameter (an equality or ``__in`` value,
not inside ``__contains`` or a computed expression); anything else is refused when the query is
compiled (ValueError), never silently run with a placeholder. The placeholders are text: a field
that refuses text (an integer foreign key) is filtered through a text column instead (the type's
code rather than its id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

_PLACEHOLDER = "\x00zt-prepared-{}\x00"


class Prepared:
    """A values-only read query compiled once per thread's connection (see the module docstring)."""

    def __init__(self, build: Callable[..., QuerySet], arity: int, *, using: str = "default"):
        self.build = build
        self.placeholders = tuple(_PLACEHOLDER.format(i) for i in range(arity))
        self.using = using
        self._local = threading.local()

    def _compiled(self, connection: Any) -> tuple[Any, str, list[Any], dict | None]:
        cached = getattr(self._local, "compiled", None)
        if cached is not None and cached[0] is connection:
            return cached[1:]
        queryset = self.build(*self.placeholders)
        compiler = queryset.query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        slots: list[Any] = []
        seen: set[int] = set()
        for param in params:
            if isinstance(param, str) and param in self.placeholders:
                index = self.placeholders.index(param)
                seen.add(index)
                slots.append(index)
            elif isinstance(param, str) and "\x00zt-prepared-" in param:
                raise ValueError("a placeholder must be a query parameter as it is, not part of one")
            else:
                slots.append(_Constant(param))
        if len(seen) != len(self.placeholders):
            raise ValueError("every placeholder must be a parameter of the query")
        # Django's converters for the selected columns, found once too (``results_iter`` looks
        # them up on every call); a query with composite columns keeps Django's own path.
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = None if compiler.has_composite_fields(fields) else compiler.get_converters(fields)
        self._local.compiled = (connection, compiler, sql, slots, converters)
        return compiler, sql, slots, converters

    def rows(self, *values: Any) -> list[tuple]:
        """The query's rows for these values, converted as ``values_list()`` converts them."""
        return self._rows(connections[self.using], values)

    def objects(self, *values: Any) -> list[Any]:
        """The model instances of a query that is not values-only (``select_related`` and
        ``only`` allowed), as iterating the queryset gives them: each with its related objects."""
        connection = connections[self.using]
        rows = self._rows(connection, values)
        cached = getattr(self._local, "objects", (None,))
        if cached[0] is not self._local.compiled[1]:  # found once per compiled query
            compiler = self._local.compiled[1]
            klass_info, select = compiler.klass_info, compiler.select
            if klass_info is None or compiler.annotation_col_map:
                raise ValueError("objects() is for a model query without annotations (rows() otherwise)")
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [f[0].target.attname for f in select[start:end]]
            populators = get_related_populators(klass_info, select, connection.alias)
            cached = self._local.objects = (compiler, klass_info["model"], start, end, init_list, populators)
        _compiler, model, start, end, init_list, populators = cached
        found = []
        for row in rows:
            obj = model.from_db(connection.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def _rows(self, connection: Any, values: tuple) -> list[tuple]:
        if len(values) != len(self.placeholders):
            raise TypeError(f"expected {len(self.placeholders)} values, got {len(values)}")
        compiler, sql, slots, converters = self._compiled(connection)
        params = [slot.value if isinstance(slot, _Constant) else values[slot] for slot in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if not fetched:
            return []
        if converters is None:
            return list(compiler.results_iter(results=[fetched], tuple_expected=True))
        if not converters:
            return [tuple(row) for row in fetched]
        return [tuple(row) for row in compiler.apply_converters(fetched, converters)]


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


# --- Rows written together in one statement ----------------------------------------------------
#
# A hot write path that inserts a few rows (a token and its audit event) pays a round trip per
# statement plus BEGIN and COMMIT, and Django's insert compiler for each row. On PostgreSQL the
# rows can go in one statement (data-modifying CTEs, atomic without an explicit transaction):
# ``insert_sql`` gives one row's INSERT with its values prepared exactly as ``Model.save()``
# prepares them (``pre_save``, then ``get_db_prep_save``); the caller names each as a CTE and
# sets the primary keys from what the statement returns (``saved``).


def insert_sql(instance: Any, connection: Any) -> tuple[str, list[Any]]:
    """``INSERT INTO <table> (<columns>) VALUES (%s, ...)`` for an unsaved model instance (its
    automatic primary key left to the database; append ``RETURNING``), and its parameters."""
    meta = instance._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    return sql, values


# Converters of model fields per database vendor: (vendor, model label) -> [(column, converters)].
_FIELD_CONVERTERS: dict[tuple[str, str], list[tuple[Any, list]]] = {}


def instance_from_row(model: Any, row: Sequence[Any], connection: Any) -> Any:
    """An instance of ``model`` from a raw row of its concrete fields in ``_meta.concrete_fields``
    order (a ``RETURNING`` of a hand-written statement), its values converted as the ORM converts
    them (dates, JSON, time zones); the converters are looked up once per database vendor."""
    fields = model._meta.concrete_fields
    key = (connection.vendor, model._meta.label)
    converters = _FIELD_CONVERTERS.get(key)
    if converters is None:
        table = model._meta.db_table
        converters = _FIELD_CONVERTERS[key] = [
            (f.get_col(table), connection.ops.get_db_converters(f.get_col(table)) + f.get_db_converters(connection))
            for f in fields
        ]  # fmt: skip
    values = list(row[: len(fields)])
    for i, (column, convs) in enumerate(converters):
        for convert in convs:
            values[i] = convert(values[i], column, connection)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def saved(instance: Any, pk: Any, connection: Any) -> Any:
    """Mark ``instance`` as written by ``insert_sql``'s statement with primary key ``pk``."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance
