"""platform_dataset_publish: the trusted internal entry point grid and codes publish through.

It acts as no superuser: the audit trail and the timeline name the real actor (None, "system",
for scheduled work) and the calling module as ``via``."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.catalog import services
from zhengtong.catalog.models import DataResource, LoadJob
from zhengtong.core.models import TimelineEntry

pytestmark = pytest.mark.django_db

STATS = {
    "fields": ["day", "county_code", "reported"],
    "rows": [("2026-12-01", "330106", 3), ("2026-12-01", "330782", None)],
    "title": "事件统计",
    "title_en": "Incident statistics",
    "description": "每日各县事件数。",
    "domain": "public_safety",
    "keywords": ["事件"],
}


@pytest.fixture
def dsj(world):
    return world.acc.department_create(
        actor=world.system, org_unit=world.province, code="dsj", name="浙江省大数据发展管理局"
    )


def test_scheduled_publication_is_recorded_as_system_via_the_calling_module(world, dsj, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    assert services.platform_dataset_publish(name="grid-test-stats", via="grid", **STATS) == "loaded"

    resource = DataResource.objects.get(name="grid-test-stats")
    assert (resource.department_id, resource.state, resource.created_by_id) == (dsj.pk, "draft", None)
    assert resource.current_version.row_count == 2
    job = LoadJob.objects.get(resource=resource)
    assert (job.state, job.created_by_id) == ("succeeded", None)

    events = {
        e.action: e
        for e in AuditEvent.objects.filter(
            action__in=["catalog.resource.create", "catalog.load.start"], target_id=str(resource.pk)
        )
    }
    assert sorted(events) == ["catalog.load.start", "catalog.resource.create"]
    for event in events.values():
        assert (event.actor_id, event.via) == (None, "grid")
    entry = TimelineEntry.objects.get(object_id=str(resource.pk), transition="create")
    assert (entry.actor_id, entry.actor_label) == (None, "system")
    # No superuser was involved: the system account was never used as the actor.
    assert not AuditEvent.objects.filter(
        actor_id=world.system.pk, target_id=str(resource.pk), action__startswith="catalog."
    ).exists()


def test_a_person_behind_the_publication_is_named_as_the_actor(world, dsj, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    officer = world.staff("zj_dso", "data_officer", world.province)
    result = services.platform_dataset_publish(name="codes-test-indices", actor=officer, via="codes", **STATS)
    assert result == "loaded"

    resource = DataResource.objects.get(name="codes-test-indices")
    assert resource.created_by_id == officer.pk
    event = AuditEvent.objects.get(action="catalog.load.start", target_id=str(resource.pk))
    assert (event.actor_id, event.via) == (officer.pk, "codes")


def test_a_department_resource_of_the_same_name_is_left_alone(world, dsj, settings, tmp_path, cat):
    settings.VAR_DIR = tmp_path
    theirs = cat.resource(name="grid-test-stats")
    result = services.platform_dataset_publish(name="grid-test-stats", via="grid", **STATS)

    assert result == "resource grid-test-stats belongs to another department"
    theirs.refresh_from_db()
    assert (theirs.department_id, theirs.current_version_id) == (world.xihu_scjg.pk, None)
    assert not LoadJob.objects.filter(resource=theirs).exists()


def test_without_a_department_at_the_root_nothing_is_published(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    result = services.platform_dataset_publish(name="grid-test-stats", via="grid", **STATS)
    assert result == "no department at the root unit"
    assert not DataResource.objects.filter(name="grid-test-stats").exists()
