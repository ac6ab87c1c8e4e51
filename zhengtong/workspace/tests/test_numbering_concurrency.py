"""发文字号 under concurrency: numbers without gaps or duplicates, and one number per document.

On PostgreSQL the numberings run in real threads, each with its own connection and transaction,
queuing on the counter row's lock (SELECT ... FOR UPDATE). SQLite serializes every write
transaction (BEGIN IMMEDIATE), so threads would prove nothing there: the same checks run one
after another."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from zhengtong.core.errors import Conflict
from zhengtong.workspace import services
from zhengtong.workspace.errors import WorkspaceError
from zhengtong.workspace.models import DocumentCounter, OutgoingDocument

DOCS = 12


def _signed_documents(world, n):
    acc = world.acc
    clerk = world.staff("num_clerk", "office_clerk", world.xihu, world.xihu_scjg)
    leader = world.staff("num_leader", "leader", world.xihu)
    docs = []
    for i in range(n):
        doc = services.document_draft(
            actor=clerk, template="notice", title=f"通知{i}", body="正文", number_prefix="西并发"
        )
        services.document_route(actor=clerk, document=doc, departments=[])
        services.document_sign(actor=leader, document=doc)
        docs.append(doc.pk)
    assert acc is not None
    return clerk, docs


def _run(jobs):
    """Run the jobs in threads on PostgreSQL, one after another elsewhere; returns outcomes."""
    outcomes: list = []
    lock = threading.Lock()

    def work(job):
        try:
            result = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            result = exc
        finally:
            if connection.vendor == "postgresql":
                connections.close_all()
        with lock:
            outcomes.append(result)

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(len(jobs))
        threads = [threading.Thread(target=lambda j=j: (barrier.wait(), work(j))) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    else:
        for job in jobs:
            work(job)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_has_no_gaps_or_duplicates(world):
    clerk, ids = _signed_documents(world, DOCS)

    def number(pk):
        return lambda: services.document_number(actor=clerk, document=OutgoingDocument.objects.get(pk=pk))

    outcomes = _run([number(pk) for pk in ids])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    serials = sorted(OutgoingDocument.objects.filter(pk__in=ids).values_list("serial", flat=True))
    assert serials == list(range(1, DOCS + 1))
    assert DocumentCounter.objects.get(prefix="西并发").last == DOCS


@pytest.mark.django_db(transaction=True)
def test_concurrent_second_number_for_one_document_refused(world):
    clerk, ids = _signed_documents(world, 1)
    jobs = [
        lambda: services.document_number(actor=clerk, document=OutgoingDocument.objects.get(pk=ids[0]))
    ] * 4
    outcomes = _run(jobs)
    ok = [o for o in outcomes if isinstance(o, OutgoingDocument)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(ok) == 1 and len(refused) == 3
    assert all(r.code == WorkspaceError.ALREADY_NUMBERED for r in refused)
    assert OutgoingDocument.objects.get(pk=ids[0]).serial == 1
    assert DocumentCounter.objects.get(prefix="西并发").last == 1
