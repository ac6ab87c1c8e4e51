"""The transactional outbox: written in the caller's transaction, delivered after commit, retried
with backoff, idempotent, given up after max attempts, visible to platform administrators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin as django_admin
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from zhengtong.core import outbox, prepared
from zhengtong.core.admin import ReadOnlyAdmin
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.core.models import OutboxMessage
from zhengtong.core.tasks import periodic_tasks

CALLS: list[dict] = []
GIVEN_UP: list[tuple[dict, str]] = []
BEHAVIOUR = {"raise": None}


def _given_up(payload: dict, error: str) -> None:
    GIVEN_UP.append((payload, error))


@outbox.handler("test.outbox", max_attempts=3, retry_base_seconds=10, on_failed=_given_up)
def _handle(payload: dict) -> None:
    CALLS.append(payload)
    if BEHAVIOUR["raise"] is not None:
        raise BEHAVIOUR["raise"]


@outbox.handler("test.defaults")
def _handle_defaults(payload: dict) -> None:
    raise OSError("always down")


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    GIVEN_UP.clear()
    BEHAVIOUR["raise"] = None
    yield
    BEHAVIOUR["raise"] = None


def later(**kwargs) -> dt.datetime:
    return timezone.now() + dt.timedelta(**kwargs)


@pytest.mark.django_db
def test_enqueue_writes_in_the_callers_transaction_and_delivers_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = outbox.enqueue(topic="test.outbox", key="k1", payload={"n": 1})
    assert (message.state, message.attempts, CALLS) == ("pending", 0, [])
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the worker (immediate in tests) tries it at once
    message.refresh_from_db()
    assert (message.state, message.attempts, message.next_attempt_at, message.last_error) == (
        "delivered",
        1,
        None,
        "",
    )
    assert message.delivered_at is not None
    assert CALLS == [{"n": 1}]


@pytest.mark.django_db
def test_rolled_back_enqueue_leaves_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue(topic="test.outbox", key="k1", payload={})
        raise RuntimeError("boom")
    assert callbacks == [] and CALLS == []
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_same_topic_and_key_is_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = outbox.enqueue(topic="test.outbox", key="same", payload={"n": 1})
        second = outbox.enqueue(topic="test.outbox", key="same", payload={"n": 2})
        other_topic = outbox.enqueue(topic="test.defaults", key="same", payload={})
    assert second.pk == first.pk and other_topic.pk != first.pk
    # the messages the transaction wrote are handed to the worker together, after the commit
    assert len(callbacks) == 1
    assert OutboxMessage.objects.filter(topic="test.outbox").count() == 1
    assert CALLS == [{"n": 1}]
    # Delivered messages are not delivered again, by the worker or by hand.
    assert outbox.deliver(first.pk) == "delivered"
    assert outbox.deliver_now(first.pk) == "delivered"
    assert outbox.deliver_due(now=later(days=1), topic="test.outbox") == 0
    assert CALLS == [{"n": 1}]


@pytest.mark.django_db
def test_one_task_per_transaction_and_none_for_a_rolled_back_savepoint(
    django_capture_on_commit_callbacks, monkeypatch
):
    handed: list[list[int]] = []
    monkeypatch.setattr(outbox, "_hand_to_worker", lambda ids: handed.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = outbox.enqueue(topic="test.outbox", key="a", payload={})
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.enqueue(topic="test.outbox", key="gone", payload={})
            raise RuntimeError("boom")
        with transaction.atomic():
            inner = outbox.enqueue(topic="test.defaults", key="kept", payload={})
        many = outbox.enqueue_many(topic="test.outbox", items=[("b", {}), ("c", {})])
    assert not OutboxMessage.objects.filter(key="gone").exists()
    # the outer level's messages in one task; the released savepoint's in its own; none rolled back
    assert sorted(map(sorted, handed)) == sorted([sorted([first.pk, *many]), [inner.pk]])
    assert len(callbacks) == 2
    # a transaction after the first commit gets a task of its own
    with django_capture_on_commit_callbacks(execute=True):
        later_one = outbox.enqueue(topic="test.outbox", key="d", payload={})
    assert handed[-1] == [later_one.pk]


@pytest.mark.django_db
def test_with_the_queue_in_the_database_a_blocks_messages_are_handed_by_its_statement(
    settings, django_capture_on_commit_callbacks
):
    # As deployed (django-tasks' database backend): the task row goes in the together() block's
    # statement, so the worker sees it exactly when the messages commit and nothing waits for
    # the commit; a rolled-back block leaves neither.
    if connection.vendor != "postgresql":
        pytest.skip("together() writes one statement on PostgreSQL only")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sla"]}}
    with pytest.raises(RuntimeError), transaction.atomic(), prepared.together():
        outbox.enqueue(topic="test.outbox", key="gone", payload={})
        raise RuntimeError("boom")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, prepared.together():
        outbox.enqueue(topic="test.outbox", key="a", payload={"n": 1})
        outbox.enqueue(topic="test.outbox", key="b", payload={"n": 2})
    assert callbacks == [] and CALLS == []
    ids = list(OutboxMessage.objects.filter(topic="test.outbox").order_by("id").values_list("id", flat=True))
    row = DBTaskResult.objects.get()  # one task for the block's messages
    assert (row.task_path, row.status, row.queue_name, row.backend_name, row.run_after) == (
        outbox.outbox_deliver_batch_task.module_path,
        "READY",
        "default",
        "default",
        get_date_max(),
    )
    assert len(ids) == 2 and row.args_kwargs == {"args": [ids], "kwargs": {}}
    result = row.task_result  # what the worker reads, then runs
    assert result.task.call(*result.args, **result.kwargs) == ["delivered", "delivered"]
    assert CALLS == [{"n": 1}, {"n": 2}]
    # Written at once (no block), the messages and their task are one statement too.
    sql, params, fresh, _done, then = outbox.enqueue_statement(
        topic="test.outbox", source="(SELECT 'c' AS id) AS src", key_sql="id", payload_sql="'{}'::jsonb"
    )
    prepared.write(connection, sql, params, [fresh], lambda ids: None, then)
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_failures_are_retried_with_exponential_backoff_then_given_up():
    BEHAVIOUR["raise"] = ConnectionError("unreachable")
    message = outbox.enqueue(topic="test.outbox", key="k", payload={"n": 1})
    assert outbox.deliver(message.pk) == "pending"
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (1, "ConnectionError: unreachable")
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 8 < wait <= 10  # retry_base_seconds
    # The first attempt is made once: a second worker running it finds it already attempted.
    assert outbox.deliver(message.pk) == "pending"
    assert len(CALLS) == 1
    assert outbox.deliver_due() == 0  # not due yet
    assert outbox.deliver_due(now=later(seconds=11)) == 1
    message.refresh_from_db()
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert (message.state, message.attempts) == ("pending", 2) and 18 < wait <= 20  # doubled
    assert outbox.deliver_due(now=later(seconds=21)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.next_attempt_at) == ("failed", 3, None)
    assert GIVEN_UP == [({"n": 1}, "ConnectionError: unreachable")]
    assert outbox.deliver_due(now=later(days=10)) == 0
    assert outbox.deliver_now(message.pk) == "failed"
    assert len(CALLS) == 3


@pytest.mark.django_db
def test_settings_are_the_defaults_of_a_handler(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_RETRY_BASE_SECONDS = 100
    message = outbox.enqueue(topic="test.defaults", key="k", payload={})
    assert outbox.deliver(message.pk) == "pending"
    message.refresh_from_db()
    assert 98 < (message.next_attempt_at - timezone.now()).total_seconds() <= 100
    assert outbox.deliver_due(now=later(seconds=101)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 2)


@pytest.mark.django_db
def test_a_first_attempt_that_never_reached_the_worker_is_made_by_the_sweep(settings):
    settings.OUTBOX_SWEEP_DELAY_SECONDS = 120
    message = outbox.enqueue(topic="test.outbox", key="lost", payload={})  # no commit: no worker
    assert outbox.deliver_due(now=later(seconds=60)) == 0
    assert outbox.deliver_due(now=later(seconds=121)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, CALLS) == ("delivered", 1, [{}])


@pytest.mark.django_db
def test_permanent_failure_and_retry_later():
    BEHAVIOUR["raise"] = outbox.PermanentFailure("no such address")
    hopeless = outbox.enqueue(topic="test.outbox", key="hopeless", payload={"n": 1})
    assert outbox.deliver(hopeless.pk) == "failed"
    hopeless.refresh_from_db()
    assert (hopeless.attempts, hopeless.last_error) == (1, "PermanentFailure: no such address")
    assert GIVEN_UP == [({"n": 1}, "PermanentFailure: no such address")]
    BEHAVIOUR["raise"] = outbox.RetryLater("rate limited", delay=dt.timedelta(hours=1))
    limited = outbox.enqueue(topic="test.outbox", key="limited", payload={"n": 2})
    assert outbox.deliver(limited.pk) == "pending"
    limited.refresh_from_db()
    assert limited.next_attempt_at > later(minutes=59)
    assert outbox.deliver_due(now=later(minutes=30)) == 0


@pytest.mark.django_db
def test_deliver_pending_attempts_a_topic_now_whatever_the_schedule():
    BEHAVIOUR["raise"] = OSError("down")
    message = outbox.enqueue(topic="test.outbox", key="k", payload={})
    outbox.deliver(message.pk)
    BEHAVIOUR["raise"] = None
    other = outbox.enqueue(topic="test.defaults", key="k", payload={})
    assert outbox.deliver_pending(topic="test.outbox") == 1
    message.refresh_from_db()
    other.refresh_from_db()
    assert (message.state, message.attempts) == ("delivered", 2)
    assert (other.state, other.attempts) == ("pending", 0)


@pytest.mark.django_db
def test_programming_errors_are_refused():
    with pytest.raises(ValueError):
        outbox.enqueue(topic="test.nobody", key="k", payload={})
    with pytest.raises(ValueError):
        outbox.enqueue(topic="test.outbox", key="k", payload={"when": timezone.now()})
    with pytest.raises(ValueError):
        outbox.enqueue(topic="test.outbox", key="", payload={})
    with pytest.raises(ValueError):
        outbox.handler("test.outbox")(lambda payload: None)
    assert not OutboxMessage.objects.exists()
    assert {"test.outbox", "test.defaults", "notify.delivery", "payments.local_notice"} <= set(
        outbox.topics()
    )


def test_the_sweep_is_a_periodic_task(settings):
    assert "core.outbox" in {p.name for p in periodic_tasks()}


def test_platform_admins_list_the_outbox_others_may_not(world):
    admin = world.staff("root_admin", "platform_admin", world.province)
    xihu_admin = world.staff("xihu_admin", "platform_admin", world.xihu)
    BEHAVIOUR["raise"] = OSError("down")
    failing = outbox.enqueue(topic="test.outbox", key="a", payload={"secret": "x"})
    outbox.deliver(failing.pk)
    waiting = outbox.enqueue(topic="test.defaults", key="b", payload={})
    page = outbox.messages_list(actor=admin)
    assert [m.pk for m in page.items] == [waiting.pk, failing.pk]
    assert [m.pk for m in outbox.messages_list(actor=admin, topic="test.outbox").items] == [failing.pk]
    with pytest.raises(ValidationError):
        outbox.messages_list(actor=admin, state="lost")
    for actor in (xihu_admin, world.auditor, world.citizen):
        with pytest.raises(PermissionDenied):
            outbox.messages_list(actor=actor)

    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/api/v1/outbox", {"state": "pending", "topic": "test.outbox"})
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert (item["id"], item["topic"], item["key"], item["state"], item["attempts"], item["last_error"]) == (
        failing.pk,
        "test.outbox",
        "a",
        "pending",
        1,
        "OSError: down",
    )
    assert "payload" not in item
    denied = Client()
    denied.force_login(xihu_admin, backend="django.contrib.auth.backends.ModelBackend")
    assert denied.get("/api/v1/outbox").status_code == 403
    # The Django admin shows the outbox read-only.
    model_admin = django_admin.site.get_model_admin(OutboxMessage)
    request = RequestFactory().get("/")
    request.user = admin
    assert isinstance(model_admin, ReadOnlyAdmin)
    assert (model_admin.has_add_permission(request), model_admin.has_change_permission(request)) == (
        False,
        False,
    )
