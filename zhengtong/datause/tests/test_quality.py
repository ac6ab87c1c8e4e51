"""Each component of the quality score (docs/datause.md) and the timeliness check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.catalog.models import LoadJob
from zhengtong.datause import services
from zhengtong.datause.models import DatasetStatus
from zhengtong.datause.services import quality as q


@pytest.fixture
def dataset(use):
    return use.published()


def test_weights_add_up_to_100():
    assert sum(q.WEIGHTS.values()) == 100 and set(q.WEIGHTS) == set(q.COMPONENTS)


def test_completeness_counts_filled_metadata(dataset):
    dataset.description, dataset.keywords, dataset.domain, dataset.update_frequency = (
        "",
        [],
        "other",
        "irregular",
    )
    dataset.temporal_start = dataset.temporal_end = None
    dataset.spatial = dataset.contact_name = dataset.contact_email = dataset.title_en = ""
    assert q.completeness(dataset) == 0.0
    dataset.description, dataset.keywords, dataset.domain = "企业", ["企业"], "economy"
    assert q.completeness(dataset) == pytest.approx(0.3)
    dataset.update_frequency, dataset.temporal_start, dataset.temporal_end = (
        "monthly",
        dt.date(2024, 1, 1),
        dt.date(2025, 1, 1),
    )
    dataset.spatial, dataset.contact_name, dataset.contact_email, dataset.title_en = (
        "330106",
        "张三",
        "a@b.cn",
        "Firms",
    )
    assert q.completeness(dataset) == 1.0


def test_licence(dataset):
    assert q.licence(dataset) == 1.0
    dataset.licence = "proprietary"
    assert q.licence(dataset) == 0.0


def test_description_length(dataset):
    dataset.description = "字" * 50
    assert q.description(dataset) == pytest.approx(0.5)
    dataset.description = "字" * 300
    assert q.description(dataset) == 1.0


def test_documentation_counts_fields_with_titles(dataset):
    fields = dataset.current_version.fields
    documented = [f for f in fields if (f.get("title") and f["title"] != f["name"]) or f.get("description")]
    assert q.documentation(dataset) == pytest.approx(len(documented) / len(fields))
    dataset.current_version.schema = {"fields": [{"name": "a", "title": "甲"}, {"name": "b"}]}
    assert q.documentation(dataset) == 0.5


def test_format(dataset):
    assert dataset.current_version.source_format == "csv"
    assert q.data_format(dataset) == 1.0
    dataset.current_version.source_format = "xlsx"
    assert q.data_format(dataset) == 0.5
    dataset.current_version = None
    assert q.data_format(dataset) == 0.0


def test_validation_reads_the_last_load(dataset):
    assert q.validation(dataset) == 1.0
    LoadJob.objects.filter(resource=dataset).update(error_count=3)
    assert q.validation(dataset) == 0.5
    LoadJob.objects.filter(resource=dataset).update(state="failed")
    assert q.validation(dataset) == 0.0


def test_ratings_mean_or_neutral(use, dataset):
    assert q.ratings(dataset) == pytest.approx(0.6)
    services.rating_set(actor=use.citizen, resource=dataset, stars=5, reason="好")
    services.rating_set(actor=use.other, resource=dataset, stars=3, reason="一般")
    assert q.ratings(dataset) == pytest.approx(0.8)


def test_unresolved_error_reports_lower_the_score(use, dataset):
    assert q.error_reports(dataset) == 1.0
    first = services.error_report_file(actor=use.citizen, resource=dataset, description="一")
    services.error_report_file(actor=use.other, resource=dataset, description="二")
    assert q.error_reports(dataset) == pytest.approx(0.5)
    type(first).objects.filter(pk=first.pk).update(sla_state="overdue")
    assert q.error_reports(dataset) == pytest.approx(0.25)
    services.error_report_resolve(
        actor=use.publisher, report=type(first).objects.get(pk=first.pk), reply="改了"
    )
    assert q.error_reports(dataset) == pytest.approx(0.75)


def test_the_score_is_the_sum_of_the_components(dataset):
    score, points = q.quality_score(dataset)
    assert set(points) == set(q.WEIGHTS)
    assert score == round(sum(points.values()))
    assert points["licence"] == 10 and points["ratings"] == 9


def test_an_overdue_dataset_is_flagged_once_and_its_publisher_told(use, dataset):
    dataset.update_frequency = "daily"
    type(dataset).objects.filter(pk=dataset.pk).update(update_frequency="daily")
    now = timezone.now()
    assert not q.is_overdue(dataset, now=now)
    status = services.status_refresh(dataset, now=now)
    assert status.overdue_since is None
    later = now + dt.timedelta(days=3)
    assert q.is_overdue(dataset, now=later)
    status = services.status_refresh(dataset, now=later)
    services.status_refresh(dataset, now=later + dt.timedelta(hours=1))
    assert status.overdue_since == later
    assert [m.event for m in use.messages(use.publisher)] == ["datause.dataset_overdue"]
    assert use.messages(use.yiwu_publisher) == []
    dataset.update_frequency = "irregular"
    assert not q.is_overdue(dataset, now=later + dt.timedelta(days=400))


def test_a_new_version_clears_the_flag(use, dataset):
    type(dataset).objects.filter(pk=dataset.pk).update(update_frequency="daily")
    dataset.refresh_from_db()
    services.status_refresh(dataset, now=timezone.now() + dt.timedelta(days=3))
    assert DatasetStatus.objects.get().overdue_since is not None
    job = use.load(dataset)
    assert job.state == "succeeded"
    # The hook fires on commit; under the test transaction call the receiver as the hook would.
    dataset.refresh_from_db()
    services.version_published(resource=dataset, version=dataset.current_version)
    assert DatasetStatus.objects.get().overdue_since is None


def test_the_scan_scores_every_published_dataset(use, dataset):
    result = services.status_scan()
    assert result == {"scanned": 1, "overdue": 0}
    assert DatasetStatus.objects.get().score == q.quality_score(dataset)[0]
