from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.functional import lazy

from zhengtong.core import outbox, trail
from zhengtong.core.models import OutboxMessage, TimelineEntry
from zhengtong.core.prepared import Prepared, insert_rows_sql, insert_sql, saved, together
from zhengtong.core.workflow import timeline_query

pytestmark = pytest.mark.django_db


def _entry(object_id: str, transition: str, minutes: int, data: dict) -> None:
    TimelineEntry.objects.create(
        object_type="tests.thing",
        object_id=object_id,
        transition=transition,
        from_state="a",
        to_state="b",
        actor_label="x",
        version=1,
        data=data,
        at=timezone.make_aware(dt.datetime(2026, 12, 3, 9, minutes)),
    )


ROWS = Prepared(
    lambda object_id: timeline_query("tests.thing", object_id).values_list("transition", "data", "at"), 1
)


def test_rows_equal_values_list_with_converted_types():
    _entry("7", "submit", 0, {"step": "审核"})
    _entry("7", "accept", 5, {"items": ["a"]})
    _entry("8", "submit", 1, {})
    expected = list(timeline_query("tests.thing", "7").values_list("transition", "data", "at"))
    assert ROWS.rows("7") == expected
    assert ROWS.rows("7")[0] == (
        "submit",
        {"step": "审核"},
        timezone.make_aware(dt.datetime(2026, 12, 3, 9, 0)),
    )
    assert ROWS.rows("8") == [("submit", {}, timezone.make_aware(dt.datetime(2026, 12, 3, 9, 1)))]
    assert ROWS.rows("9") == []


def test_compiled_once_then_one_query_per_call():
    _entry("7", "submit", 0, {})
    ROWS.rows("7")
    with CaptureQueriesContext(connection) as queries:
        assert [r[0] for r in ROWS.rows("7")] == ["submit"]
    assert len(queries.captured_queries) == 1


def test_a_placeholder_inside_a_parameter_is_refused():
    bad = Prepared(lambda v: TimelineEntry.objects.filter(object_id__contains=v).values_list("id"), 1)
    with pytest.raises(ValueError):
        bad.rows("7")


def test_a_placeholder_left_out_is_refused_and_arity_checked():
    unused = Prepared(lambda v: TimelineEntry.objects.values_list("id"), 1)
    with pytest.raises(ValueError):
        unused.rows("7")
    with pytest.raises(TypeError):
        ROWS.rows("7", "8")


def test_insert_sql_writes_a_row_as_save_would_and_saved_marks_it():
    at = timezone.make_aware(dt.datetime(2026, 12, 3, 9, 30))
    entry = TimelineEntry(
        object_type="tests.thing", object_id="7", transition="go", from_state="a", to_state="b",
        actor_label="x", version=1, data={"k": ["v", 1]}, at=at,
    )  # fmt: skip
    sql, params = insert_sql(entry, connection)
    assert sql.startswith('INSERT INTO "core_timelineentry" (') and '"id"' not in sql
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql + " RETURNING id", params)
            pk = cursor.fetchone()[0]
        else:
            cursor.execute(sql, params)
            pk = cursor.lastrowid
    saved(entry, pk, connection)
    assert entry._state.adding is False and entry.pk == pk
    row = TimelineEntry.objects.get(pk=pk)
    assert (row.object_id, row.data, row.at, row.actor_id, row.note) == ("7", {"k": ["v", 1]}, at, None, "")


def _save_params(instance) -> list:
    """The values ``Model.save()`` writes (``pre_save``, then ``get_db_prep_save``)."""
    meta = instance._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def test_insert_rows_sql_prepares_values_as_save_does_and_builds_the_text_once():
    at = timezone.make_aware(dt.datetime(2026, 12, 3, 9, 30))
    # A plain str, a lazy string (a str only once prepared), an int for a text column, None
    # for a text column and a JSON one, a dict for JSON: as-is values and Django's preparation.
    entries = [
        TimelineEntry(
            object_type="tests.thing", object_id=7, transition=lazy(str, str)("Submit"), from_state="a",
            to_state="b", actor_id=3, actor_label=None, version=1, data=None, at=at,
        ),
        TimelineEntry(
            object_type="tests.thing", object_id="8", transition="go", from_state="a", to_state="b",
            actor_label="x", version=2, data={"k": ["v", 1]}, at=at,
        ),
    ]  # fmt: skip
    sql, params = insert_rows_sql(entries, connection)
    expected = [*_save_params(entries[0]), *_save_params(entries[1])]
    assert [type(p) for p in params] == [type(p) for p in expected]
    assert [getattr(p, "obj", p) for p in params] == [getattr(p, "obj", p) for p in expected]  # JSON wrappers
    assert params[1:3] == ["7", "Submit"] and type(params[2]) is str
    assert insert_rows_sql(entries, connection)[0] is sql  # the same text, built once
    linked, linked_params = insert_rows_sql(entries[:1], connection, {"actor_id": "(SELECT 3)"})
    assert (
        linked.count("(SELECT 3)") == 1 and linked.count("%s") == len(linked_params) == len(expected) // 2 - 1
    )
    assert insert_rows_sql(entries[:1], connection)[0].count("%s") == len(expected) // 2


def test_objects_equal_the_querysets_instances_with_their_related_objects(world):
    from zhengtong.accounts.models import Credential, CredentialKind

    Credential.objects.create(
        kind=CredentialKind.API_TOKEN, owner=world.xihu_clerk, org_unit=world.xihu, name="t", prefix="p1",
        digest="d" * 64, scopes=["read"],
    )  # fmt: skip
    lookup = Prepared(
        lambda prefix: (
            Credential.objects.select_related("owner", "org_unit").filter(prefix=prefix).order_by("pk")
        ),
        1,
    )
    expected = list(Credential.objects.select_related("owner", "org_unit").filter(prefix="p1").order_by("pk"))
    found = lookup.objects("p1")
    assert [(c.pk, c.scopes, c.created_at) for c in found] == [
        (c.pk, c.scopes, c.created_at) for c in expected
    ]
    with CaptureQueriesContext(connection) as queries:
        row = lookup.objects("p1")[0]
        # the related objects came with the row: no further query
        assert (row.owner.username, row.org_unit.code) == (world.xihu_clerk.username, world.xihu.code)
    assert len(queries.captured_queries) == 1
    assert lookup.objects("none") == []
    with pytest.raises(ValueError):
        Prepared(lambda v: TimelineEntry.objects.filter(object_id=v).values_list("id"), 1).objects("7")


@outbox.handler("test.together")
def _together(payload: dict) -> None:
    return None


def _keys() -> list[tuple[str, dict]]:
    return list(
        OutboxMessage.objects.filter(topic="test.together").order_by("id").values_list("key", "payload")
    )


def test_together_writes_the_blocks_rows_in_one_statement_when_it_ends(django_capture_on_commit_callbacks):
    postgres = connection.vendor == "postgresql"
    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as queries:
        with together():
            event = trail.record(actor=None, action="audit.chain.verify", target_type="t", target_id="1")
            outbox.enqueue(topic="test.together", key="a", payload={"n": 1})
            outbox.enqueue(topic="test.together", key="a", payload={"n": 2})  # a twin: one message
            outbox.enqueue(topic="test.together", key="b", payload={"n": 3})
            if postgres:  # nothing written yet, no ids yet
                assert (len(queries), event.pk, _keys()) == (0, None, [])
        if postgres:  # the read above, then everything in one statement
            assert len(queries) == 2 and queries[1]["sql"].startswith("WITH zt_audit_event_0 AS")
    assert _keys() == [("a", {"n": 1}), ("b", {"n": 3})]
    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM audit_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("audit.chain.verify",)
        cursor.execute("SELECT count(*) FROM audit_auditqueue WHERE event_id = %s", [event.pk])
        assert cursor.fetchone() == (1,)
    ids = sorted(OutboxMessage.objects.filter(topic="test.together").values_list("pk", flat=True))
    assert [sorted(c.ids) for c in callbacks] == [ids]  # handed to the worker as one task after the commit


def test_an_exception_leaves_the_block_without_writing_and_rolls_back_the_change():
    with pytest.raises(RuntimeError), transaction.atomic(), together():
        _entry("9", "go", 1, {})  # the change
        outbox.enqueue(topic="test.together", key="x", payload={})
        raise RuntimeError
    assert (_keys(), TimelineEntry.objects.filter(object_id="9").exists()) == ([], False)


def test_writes_under_a_savepoint_in_the_block_go_at_once_and_roll_back_with_it():
    with together():
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.enqueue(topic="test.together", key="s", payload={})
            assert [k for k, _p in _keys()] == ["s"]  # written at once
            raise RuntimeError
        outbox.enqueue(topic="test.together", key="t", payload={})
    assert [k for k, _p in _keys()] == ["t"]
