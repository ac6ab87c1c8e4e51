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

import contextlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connections, models, transaction
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
# sets the primary keys from what the statement returns (``saved``). The statement's text and the
# model's fields are found once per model and database vendor, and values that Django's
# preparation would give back unchanged (a str for a text column) are taken as they are: on the
# audited write (one event), building the INSERT went from 43 to 13 µs of CPU.


def insert_sql(instance: Any, connection: Any) -> tuple[str, list[Any]]:
    """``INSERT INTO <table> (<columns>) VALUES (%s, ...)`` for an unsaved model instance (its
    automatic primary key left to the database; append ``RETURNING``), and its parameters."""
    return insert_rows_sql([instance], connection)


# Field classes whose save preparation (``pre_save``, then ``get_db_prep_save``) gives a value of
# these exact types back as it is, on every database (their methods touch neither the connection
# nor the instance): such a value is written as it is. Exact classes only, since a subclass may
# prepare differently; any other field or value goes through Django's preparation.
_AS_IS: dict[type, tuple[type, ...]] = {
    models.CharField: (str, type(None)),
    models.TextField: (str, type(None)),
    models.JSONField: (type(None),),  # None is SQL NULL (JSONField.get_db_prep_save)
}


class _Insert:
    """One model's INSERT, found once per database vendor: its fields (each with the value types
    it writes as they are) and the quoted table and column names."""

    __slots__ = ("fields", "table", "columns", "sql")

    def __init__(self, meta: Any, connection: Any) -> None:
        quote = connection.ops.quote_name
        concrete = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
        self.fields = [(f.attname, f, _AS_IS.get(type(f), ())) for f in concrete]
        self.table = quote(meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in concrete)
        # The statement text per (number of rows, expression columns): the same on every call.
        self.sql: dict[tuple, str] = {}


_INSERTS: dict[tuple[str, str], _Insert] = {}


def insert_rows_sql(
    instances: Sequence[Any], connection: Any, expressions: dict[str, str] | None = None
) -> tuple[str, list[Any]]:
    """``insert_sql`` for several unsaved instances of one model in one INSERT. ``expressions``:
    columns (by field attname) whose value is an SQL expression of the caller's statement rather
    than the instance's (a foreign key to a row an earlier CTE writes: ``(SELECT id FROM zt_x)``)."""
    meta = instances[0]._meta
    key = (connection.vendor, meta.label)
    insert = _INSERTS.get(key)
    if insert is None:
        insert = _INSERTS[key] = _Insert(meta, connection)
    shape = (len(instances), tuple(expressions.items()) if expressions else ())
    sql = insert.sql.get(shape)
    if sql is None:
        row = f"({', '.join((expressions or {}).get(name, '%s') for name, _f, _t in insert.fields)})"
        sql = f"INSERT INTO {insert.table} ({insert.columns}) VALUES {', '.join([row] * len(instances))}"  # noqa: S608
        if len(insert.sql) < 64:  # a few shapes per model; an unusual one is built again
            insert.sql[shape] = sql
    fields = [f for f in insert.fields if f[0] not in expressions] if expressions else insert.fields
    values = []
    for instance in instances:
        for name, field, as_is in fields:
            if as_is:
                value = getattr(instance, name)  # Field.pre_save
                if type(value) in as_is:
                    values.append(value)
                    continue
            values.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
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


def insert_columns(model: Any, columns: dict[str, list[Any]], *, using: str = "default") -> None:
    """Insert rows given column by column (``{"seq": [...], "event_id": [...]}``, by field name;
    values as the database takes them: ints, str) in the caller's transaction. On PostgreSQL one
    ``INSERT ... SELECT * FROM unnest(<arrays>)`` of constant text (prepared once by psycopg;
    no model instance, no per-value preparation or placeholder per row), elsewhere
    ``bulk_create``. For a batch job's thousands of plain rows (the audit log's sequencer)."""
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor != "postgresql":
        rows = zip(*columns.values(), strict=True)
        model.objects.using(using).bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=1000
        )
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT * FROM unnest({arrays})",  # noqa: S608
            list(columns.values()),
        )


# --- Writes that wait for the end of a block, then go together in one statement ----------------
#
# A use case that writes many rows nobody reads again before its commit (a decision's timeline
# entries, audit events, outbox messages and inbox message) pays a round trip, a parse and a plan
# per statement. Inside ``together()`` those writes are kept as data-modifying CTEs and written
# in one statement when the block ends, still in the caller's transaction: the same rows, the
# same values, the same order of their ids (the CTEs are read in the order they were added).
# The writers that take part ask ``pending(connection)`` and write at once when it is None (not
# PostgreSQL, no block open, or a savepoint opened inside the block: a savepoint's rollback must
# be able to undo what was written under it). Until the block ends their rows have no ids.

_CTE_NAME = re.compile(r"\bzt_[a-z_]+\b")

# psycopg converts a statement's ``%s`` placeholders to ``$n`` in Python and keeps the result
# only for statements of at most 4,096 characters and 50 parameters (``psycopg._queries``: ORM
# multi-row INSERTs of varying length would crowd its 128-entry cache). A ``together()`` block's
# statement has more (the 秒批 decision's: 4,200 characters, 136 parameters) but is the same
# text on every call of its use case; converting it again was 0.5 ms of the decision's CPU. The
# limits are raised to fit such statements (at most 128 × 16 kB held).
try:  # a private module of psycopg: a release without it keeps its own limits (slower, not wrong)
    from psycopg import _queries as psycopg_queries
except ImportError:  # pragma: no cover - depends on the installed psycopg
    psycopg_queries = None
if getattr(psycopg_queries, "MAX_CACHED_STATEMENT_LENGTH", 1 << 30) < 16_384:
    psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = 16_384
if getattr(psycopg_queries, "MAX_CACHED_STATEMENT_PARAMS", 1 << 30) < 400:
    psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = 400
# Parameters one statement may carry (PostgreSQL's limit is 65,535): a block writing more flushes early.
_MAX_PARAMS = 30_000


# A write that follows others and reads what they wrote (the worker's task for the outbox
# messages they wrote): called with the suffixes of those writes' CTE names in the statement
# ("" when written at once, ``_<n>`` in a block), it gives its own CTEs and their parameters. In
# a block it is added once, after every write that names it. Its own CTE names are made unique
# as any write's; the names it reads, with their suffixes, are left as they are (a name holding
# a digit is never renamed).
Then = Callable[[list[str]], tuple[str, list[Any]]]


def _nothing(*_values: Any) -> None:
    """The ``done`` of a write that returns nothing."""


class Together:
    """The writes kept by one ``together()`` block (see above)."""

    __slots__ = ("connection", "parts", "params", "savepoints")

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.savepoints = _savepoints(connection)
        self.parts: list[tuple[str, list[Any], list[str], Callable[..., Any]]] = []
        self.params = 0

    def add(
        self,
        ctes: str,
        params: list[Any],
        selects: list[str],
        done: Callable[..., Any],
        then: Then | None = None,
    ) -> None:
        """Keep a write: ``ctes`` (``zt_name AS (...), ...``; every CTE name begins with ``zt_``
        and is made unique here by a suffix ``_<n>``), their parameters, the scalar SQL expressions
        the statement returns for it (``(SELECT id FROM zt_name)``) and the function called with
        their values once the statement ran. ``then``: a write that reads what this one wrote,
        added once after all the block's writes that name the same ``then`` (see ``Then``)."""
        self.parts.append((ctes, params, selects, done, then))
        self.params += len(params)
        if self.params > _MAX_PARAMS:
            self.flush()

    def flush(self) -> None:
        parts, self.parts, self.params = self.parts, [], 0
        if not parts:
            return
        tails: dict[Then, list[str]] = {}
        for n, part in enumerate(parts):
            if part[4] is not None:
                tails.setdefault(part[4], []).append(f"_{n}")
        for then, suffixes in tails.items():
            tail, tail_params = then(suffixes)
            parts.append((tail, tail_params, [], _nothing, None))
        ctes: list[str] = []
        params: list[Any] = []
        selects: list[str] = []
        for n, (sql, part_params, part_selects, _done, _then) in enumerate(parts):

            def unique(text: str, n: int = n) -> str:
                return _CTE_NAME.sub(lambda m: f"{m.group(0)}_{n}", text)

            ctes.append(unique(sql))
            params += part_params
            selects += [unique(s) for s in part_selects]
        with self.connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {', '.join(selects) or '1'}", params)
            row = cursor.fetchone()
        at = 0
        for _sql, _params, part_selects, done, _then in parts:
            done(*row[at : at + len(part_selects)])
            at += len(part_selects)


def _savepoints(connection: Any) -> frozenset:
    return frozenset(sid for sid in connection.savepoint_ids if sid is not None)


def pending(connection: Any) -> Together | None:
    """The open ``together()`` block whose writes on ``connection`` may wait, or None: write now."""
    block = connection.__dict__.get("_zt_together")
    if block is None or block.connection is not connection or _savepoints(connection) != block.savepoints:
        return None
    return block


def write(
    connection: Any,
    ctes: str,
    params: list[Any],
    selects: list[str],
    done: Callable[..., Any],
    then: Then | None = None,
) -> None:
    """Write ``ctes`` (data-modifying CTEs named ``zt_...``) now, in one statement returning
    ``selects`` and calling ``done`` with their values; or, inside an open ``together()`` block
    whose writes may wait, with the block's other rows when it ends. The one way a writer takes
    part in a block. ``then``: see ``Then`` (written at once: in the same statement)."""
    block = pending(connection)
    if block is not None:
        block.add(ctes, params, selects, done, then)
        return
    if then is not None:
        tail, tail_params = then([""])
        ctes, params = f"{ctes}, {tail}", [*params, *tail_params]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} SELECT {', '.join(selects)}", params)
        done(*cursor.fetchone())


@contextlib.contextmanager
def together(using: str = "default") -> Iterator[None]:
    """The writes in this block that can wait (see above) go to the database in one statement
    when it ends, in the caller's transaction (one is opened when there is none). An exception
    leaves the block without writing them, and the transaction is rolled back with everything
    else it wrote (``atomic(savepoint=False)``). Nested blocks write with the outermost."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.__dict__.get("_zt_together") is not None:
        yield
        return
    with transaction.atomic(using=using, savepoint=False):
        block = connection.__dict__["_zt_together"] = Together(connection)
        try:
            yield
        finally:
            connection.__dict__.pop("_zt_together", None)
        block.flush()
