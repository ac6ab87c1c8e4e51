from __future__ import annotations

import pytest

from zhengtong.catalog import services as catalog_services
from zhengtong.catalog.views.charts import _fmt
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datause import services
from zhengtong.datause.models import Follow


def test_followers_of_a_dataset_and_of_its_department_are_told_of_a_new_version(
    use, django_capture_on_commit_callbacks
):
    resource = use.published()
    services.follow_set(actor=use.citizen, target="dataset", target_id=resource.pk)
    services.follow_set(actor=use.other, target="department", target_id=resource.department_id)
    services.follow_set(actor=use.other, target="dataset", target_id=resource.pk)  # told once all the same
    with django_capture_on_commit_callbacks(execute=True):
        job = use.load(resource)
    assert job.state == "succeeded"
    assert [m.event for m in use.messages(use.citizen)] == ["datause.new_version"]
    assert [m.event for m in use.messages(use.other)] == ["datause.new_version"]
    assert use.messages(use.publisher, "datause.new_version") == []  # who loaded it knows


def test_unfollowing_stops_messages_and_following_is_idempotent(use, django_capture_on_commit_callbacks):
    resource = use.published()
    services.follow_set(actor=use.citizen, target="dataset", target_id=resource.pk)
    services.follow_set(actor=use.citizen, target="dataset", target_id=resource.pk)
    assert Follow.objects.count() == 1
    services.follow_set(actor=use.citizen, target="dataset", target_id=resource.pk, on=False)
    with django_capture_on_commit_callbacks(execute=True):
        use.load(resource)
    assert use.messages(use.citizen) == []


def test_following_checks_the_target(use):
    draft = use.resource(name="draft-only")
    with pytest.raises(NotFound):
        services.follow_set(actor=use.citizen, target="dataset", target_id=draft.pk)
    with pytest.raises(NotFound):
        services.follow_set(actor=use.citizen, target="department", target_id=999999)
    with pytest.raises(ValidationError):
        services.follow_set(actor=use.citizen, target="person", target_id=1)
    assert Follow.objects.count() == 0


def test_applicants_are_told_when_their_application_is_decided(use):
    resource = use.published(openness="conditional")
    application = catalog_services.application_submit(
        actor=use.citizen, resource=resource, purpose="研究西湖区企业分布情况", fields=["企业名称"]
    )
    catalog_services.application_reject(actor=use.publisher, application=application, note="用途不明确")
    messages = use.messages(use.citizen, "datause.application_decided")
    assert len(messages) == 1 and messages[0].body == "用途不明确"


def test_histogram_bins_of_longitudes_have_distinct_labels():
    lo, hi, bins = 120.05, 120.35, 8
    width = (hi - lo) / bins
    labels = [f"{_fmt(lo + i * width, width)}–{_fmt(lo + (i + 1) * width, width)}" for i in range(bins)]
    assert len(set(labels)) == bins
    assert labels[0] == "120.050–120.087"  # 120.0875 in binary floating point is just below
    assert all(a != b for a, b in (label.split("–") for label in labels))
    assert _fmt(1500.0) == "1,500"
