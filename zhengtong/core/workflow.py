"""One declarative workflow mechanism for every stateful object.

A model inherits ``WorkflowModel`` (a ``state`` and a ``version``) and declares a ``Workflow``:
states, and transitions with the permission that allows them (checked by role at the object's
org unit), an optional rule for who else may act (e.g. the applicant), guards, and what the
transition does to the SLA clock. ``Workflow.apply()`` is the only way to change state:

- the change is a conditional UPDATE on (pk, version, state), so of two people acting at once
  exactly one wins and the other gets ``Conflict``;
- it writes a ``TimelineEntry`` and an audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router, transaction
from django.db.models import F
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.core import authz, prepared, trail
from zhengtong.core import sla as sla_clock
from zhengtong.core.errors import Conflict, CoreError, PermissionDenied, ValidationError
from zhengtong.core.models import TimelineEntry


@dataclass(frozen=True)
class Transition:
    name: str
    source: tuple[str, ...]
    target: str
    label: str | Promise
    # Role permission checked at the object's org unit (and department, when it has one).
    permission: str | None = None
    # Who else may act, whatever their roles (e.g. the applicant on their own case).
    allow: Callable[[Any, Any], bool] | None = None
    # Returns an error message when the transition must not happen now.
    guard: Callable[[Any, Any, dict], str | None] | None = None
    sla: str | None = None  # "start" | "pause" | "resume" | "stop"
    note_required: bool = False


@dataclass
class Workflow:
    name: str  # audit namespace, e.g. "registry.correction"
    states: dict[str, str | Promise]
    initial: str
    transitions: list[Transition]
    # For sla="start" and new objects: how long the clock runs (per object). ``sla_hours``
    # (models with ``core.sla.HourSlaMixin``) wins when it returns a number; else working days.
    sla_days: Callable[[Any], int] | None = None
    sla_hours: Callable[[Any], int | None] | None = None
    _by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {t.name: t for t in self.transitions}
        if self.initial not in self.states:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not a state")
        for t in self.transitions:
            unknown = [s for s in (*t.source, t.target) if s not in self.states]
            if unknown:
                raise ValueError(f"{self.name}.{t.name}: unknown states {unknown}")
        trail.register({f"{self.name}.{t.name}": t.label for t in self.transitions})
        trail.register({f"{self.name}.create": _("Create")})

    def start(
        self,
        obj: WorkflowModel,
        *,
        actor: Any,
        note: str = "",
        after: dict | None = None,
        action: str = "create",
        via: str = "",
    ) -> TimelineEntry:
        """Record the creation of a saved object in its initial state (timeline and audit trail,
        under ``<workflow>.<action>``) and start its SLA clock when the workflow has one and
        ``start_clock(obj)`` did not already start it before the object's INSERT."""
        if obj.state != self.initial:
            raise ValueError(f"{self.name}: a new object starts in {self.initial!r}")
        # No savepoint: if the timeline or audit write fails, the creation must fail with it.
        with transaction.atomic(savepoint=False):
            if isinstance(obj, sla_clock.SlaMixin) and obj.sla_state == sla_clock.SlaState.NONE:
                self._start_clock(obj, save=True)
            entry = TimelineEntry(
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                transition=action,
                from_state="",
                to_state=obj.state,
                actor_id=getattr(actor, "pk", None),
                actor_label=actor.get_username() if actor is not None else "system",
                note=note,
                data={},
                version=obj.version,
                at=timezone.now(),
            )
            _write(
                entry,
                actor=actor,
                action=f"{self.name}.{action}",
                target=obj,
                after=after or {"state": obj.state},
                note=note,
                via=via,
            )
        return entry

    def start_clock(self, obj: WorkflowModel, *, at: dt.datetime | None = None) -> None:
        """Start the SLA clock of a new, not yet saved object in memory, so the clock goes into
        its INSERT instead of a second UPDATE (``start`` then leaves it running). ``at``: when an
        hour clock starts (default now; e.g. the time an incident was reported)."""
        self._start_clock(obj, at=at, save=False)

    def _start_clock(self, obj: WorkflowModel, *, at: dt.datetime | None = None, save: bool) -> None:
        """The one place a clock starts: in hours when ``sla_hours`` gives some for this object,
        else in working days when ``sla_days`` is declared; nothing when neither applies."""
        if not isinstance(obj, sla_clock.SlaMixin):
            return
        hours = self.sla_hours(obj) if self.sla_hours is not None else None
        if hours:
            sla_clock.sla_start(obj, hours=hours, at=at, save=save)
        elif self.sla_days is not None:
            sla_clock.sla_start(obj, working_days=self.sla_days(obj), save=save)

    def state_label(self, state: str) -> str:
        return str(self.states.get(state, state))

    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationError.for_field("transition", _gettext("unknown action “%s”") % name) from None

    def may(self, obj: Any, actor: Any, t: Transition) -> bool:
        if t.allow is not None and t.allow(obj, actor):
            return True
        if t.permission is None:
            return False
        return authz.can_on(actor, t.permission, obj)

    def available(self, obj: Any, actor: Any) -> list[Transition]:
        """Transitions this actor may take on this object now (for buttons and API hints)."""
        return [t for t in self.transitions if obj.state in t.source and self.may(obj, actor, t)]

    def apply(
        self,
        obj: WorkflowModel,
        name: str,
        *,
        actor: Any,
        note: str = "",
        data: dict[str, Any] | None = None,
        changes: dict[str, Any] | None = None,
        expected_version: int | None = None,
        via: str = "",
    ) -> TimelineEntry:
        """Take transition ``name``; ``changes`` are further fields written in the same UPDATE.

        ``via`` marks a trusted internal call: another module's entry point (e.g. payments
        confirming the bill of a case) takes the transition as an effect of ``actor``'s own action.
        That entry point has checked what it must, so the role check is skipped; the timeline and
        the audit event name the actor and the module it went through, never a superuser."""
        t = self.transition(name)
        data = data or {}
        changes = changes or {}
        if not via and not self.may(obj, actor, t):
            raise PermissionDenied(_gettext("you may not “%s” this item") % t.label)
        if obj.state not in t.source:
            raise Conflict(
                _gettext("cannot “%(action)s” in state “%(state)s”")
                % {"action": t.label, "state": self.state_label(obj.state)},
                code=CoreError.INVALID_TRANSITION,
                details={"state": obj.state, "allowed_from": list(t.source)},
            )
        if t.note_required and not note.strip():
            raise ValidationError.for_field("note", _gettext("a reason is required for this action"))
        if t.guard is not None:
            problem = t.guard(obj, actor, data)
            if problem:
                raise ValidationError(problem, code=CoreError.GUARD_FAILED)
        version = obj.version if expected_version is None else expected_version
        from_state = obj.state
        # The clock moves in memory first, so its fields go into the transition's own UPDATE
        # (one statement, not two); put back as they were if the UPDATE loses the race.
        # The changes are set first: the clock may read them (as it did after the UPDATE).
        clock = t.sla if isinstance(obj, sla_clock.SlaMixin) else None
        clock_fields = type(obj).SLA_FIELDS if clock else []
        before = (obj.__dict__.copy(), dict(obj._state.fields_cache))  # no related object is read
        for key, value in changes.items():
            setattr(obj, key, value)
        if clock == "start":
            self._start_clock(obj, save=False)
        elif clock:
            sla_clock.sla_apply(obj, clock, save=False)
        written = {f: getattr(obj, f) for f in clock_fields} | changes
        # No savepoint: a conditional UPDATE that matches nothing wrote nothing (Conflict is raised
        # after the block, so a caller's transaction may go on); if the timeline or audit write
        # fails, the change must fail with it (the caller's transaction is the unit of rollback).
        with transaction.atomic(savepoint=False):
            updated = _transition_update(type(obj), obj.pk, version, from_state, t.target, written)
            if updated == 1:
                obj.state = t.target
                obj.version = version + 1
                entry = TimelineEntry(
                    object_type=obj._meta.label_lower,
                    object_id=str(obj.pk),
                    transition=t.name,
                    from_state=from_state,
                    to_state=t.target,
                    actor_id=getattr(actor, "pk", None),
                    actor_label=actor.get_username() if actor is not None else "system",
                    note=note,
                    data={**data, "via": via} if via else data,
                    version=obj.version,
                    at=timezone.now(),
                )
                _write(
                    entry,
                    via=via,
                    actor=actor,
                    action=f"{self.name}.{t.name}",
                    target=obj,
                    before={"state": from_state},
                    after={"state": t.target, **{k: v for k, v in changes.items() if not k.startswith("_")}},
                    note=note,
                )
        if updated != 1:
            obj.__dict__.clear()
            obj.__dict__.update(before[0])
            obj._state.fields_cache = before[1]
            raise Conflict(
                _gettext("this item was changed by someone else; reload it and try again"),
                code=CoreError.STALE_VERSION,
                details={"expected_version": version},
            )
        return entry


def _transition_update(model: Any, pk: Any, version: int, from_state: str, target: str, fields: dict) -> int:
    """The transition's conditional UPDATE (state, version + 1 and ``fields``, where the row is
    still at ``version`` in ``from_state``); how many rows it changed. Written by hand (the values
    prepared as ``QuerySet.update`` prepares them): compiling the update was most of its CPU on
    every transition. A value that is an expression, or a name that is not a concrete field,
    goes through ``QuerySet.update``."""
    connection = connections[router.db_for_write(model)]
    meta, quote = model._meta, connection.ops.quote_name

    def orm() -> int:
        return model.objects.filter(pk=pk, version=version, state=from_state).update(
            state=target, version=F("version") + 1, **fields
        )

    own = meta.concrete_model
    sets, params = [], []
    for name, value in (("state", target), ("version", None), *fields.items()):
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            return orm()
        if (
            not field.concrete
            or field.many_to_many
            or field.model._meta.concrete_model is not own  # a parent's table (multi-table inheritance)
            or hasattr(value, "resolve_expression")
            or (hasattr(value, "prepare_database_save") and not field.remote_field)
        ):
            return orm()
        if name == "version":
            continue
        if hasattr(value, "prepare_database_save"):
            value = value.prepare_database_save(field)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    state, ver = quote(meta.get_field("state").column), quote(meta.get_field("version").column)
    # Column names from the model (no input): the values are parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join([f'{ver} = {ver} + 1', *sets])}"  # noqa: S608
        f" WHERE {quote(meta.pk.column)} = %s AND {ver} = %s AND {state} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, meta.pk.get_db_prep_value(pk, connection), version, from_state])
        return cursor.rowcount


def _write(entry: TimelineEntry, **event: Any) -> TimelineEntry:
    """Write a transition's timeline entry and its audit event (``trail.record(**event)``) in the
    caller's transaction: on PostgreSQL in one statement (one round trip, no ORM insert compiler),
    or with the other rows of an open ``prepared.together()`` block when it ends (the entry has
    its id then); elsewhere one after the other."""
    connection = connections[router.db_for_write(TimelineEntry)]
    statement = trail.record_statement(connection, **event)
    if statement is None:
        entry.save(force_insert=True, using=connection.alias)
        trail.record(**event)
        return entry
    event_sql, event_params, event_inserted = statement
    entry_sql, entry_params = prepared.insert_sql(entry, connection)
    # SQL text from the models (no input): the values are parameters.
    ctes = f"zt_timeline AS ({entry_sql} RETURNING id), {event_sql}"
    selects = ["(SELECT id FROM zt_timeline)", f"(SELECT id FROM {trail.EVENT_CTE})"]  # noqa: S608

    def written(entry_id: int, event_id: int) -> None:
        event_inserted(event_id)
        prepared.saved(entry, entry_id, connection)

    prepared.write(connection, ctes, [*entry_params, *event_params], selects, written)
    return entry


class WorkflowModel(models.Model):
    state = models.CharField(_("state"), max_length=32, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    workflow: Workflow  # set on the concrete model

    class Meta:
        abstract = True

    @property
    def state_label(self) -> str:
        return self.workflow.state_label(self.state)


def timeline(obj: models.Model) -> list[TimelineEntry]:
    return list(timeline_query(obj._meta.label_lower, str(obj.pk)))


def timeline_query(object_type: str, object_id: str) -> models.QuerySet[TimelineEntry]:
    """The timeline entries of one object (``app_label.model``, its id as text), oldest first: a
    lazy query, e.g. for a values-only read on a hot path."""
    return TimelineEntry.objects.filter(object_type=object_type, object_id=object_id)


def ids_with_transitions(model: type[models.Model], names: tuple[str, ...]):
    """A lazy query of the ids (as integers) of ``model``'s objects that went through any of the
    transitions ``names``: for a subquery (``pk__in``), e.g. the cases ever sent back."""
    return (
        TimelineEntry.objects.filter(object_type=model._meta.label_lower, transition__in=names)
        .annotate(_oid=Cast("object_id", models.BigIntegerField()))
        .values("_oid")
    )
