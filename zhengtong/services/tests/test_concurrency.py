"""Two approvers acting on the same step at the same moment: one wins, the other gets Conflict,
and nothing is applied twice (threads, real transactions; SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from zhengtong.core.errors import Conflict
from zhengtong.services import services
from zhengtong.services.models import Case, Opinion


def _race(fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait()
            fn()
            results[i] = "ok"
        except Conflict:
            results[i] = "conflict"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            results[i] = repr(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_approvers_same_step(svc):
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    services.case_accept(actor=svc.counter, case=case)
    version = Case.objects.get(pk=case.pk).version

    def approve(user):
        def fn():
            c = Case.objects.select_related("item_version", "item", "department").get(pk=case.pk)
            services.case_approve(actor=user, case=c, note=user.username, expected_version=version)

        return fn

    results = _race([approve(svc.reviewer), approve(svc.reviewer2)])
    assert sorted(results) == ["conflict", "ok"], results
    row = Case.objects.get(pk=case.pk)
    assert row.state == "completed"
    assert Opinion.objects.filter(case=case).count() == 1
    from zhengtong.core.models import TimelineEntry

    transitions = list(
        TimelineEntry.objects.filter(object_type="services.case", object_id=str(case.pk)).values_list(
            "transition", flat=True
        )
    )
    assert transitions.count("approve") == 1 and transitions.count("complete") == 1


@pytest.mark.django_db(transaction=True)
def test_two_counter_staff_accept_at_once(svc):
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    other = svc.world.staff("s_counter2", "counter_staff", svc.world.xihu, svc.world.xihu_scjg)
    version = case.version

    def accept(user):
        def fn():
            c = Case.objects.get(pk=case.pk)
            services.case_accept(actor=user, case=c, expected_version=version)

        return fn

    results = _race([accept(svc.counter), accept(other)])
    assert sorted(results) == ["conflict", "ok"], results
    assert Case.objects.get(pk=case.pk).version == version + 1
