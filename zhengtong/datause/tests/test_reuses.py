from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.datause import selectors, services
from zhengtong.datause.errors import DatauseError
from zhengtong.datause.models import Reuse
from zhengtong.datause.tests.conftest import login


def _two(use):
    return use.published(), use.published(name="enterprises-2", text=ENTERPRISE_CSV)


def test_a_reuse_of_two_datasets_appears_on_both_once_published(use, client):
    first, second = _two(use)
    reuse = services.reuse_submit(
        actor=use.citizen,
        title="企业地图",
        kind="visualisation",
        url="https://example.org/map",
        description="企业分布可视化",
        datasets=[first.name, second],
    )
    assert reuse.state == "submitted"
    assert selectors.reuses_of_dataset(resource=first) == []
    assert "企业地图" not in client.get(reverse("catalog:dataset", args=[first.name])).content.decode()
    with pytest.raises(PermissionDenied):
        services.reuse_publish(actor=use.publisher, reuse=reuse)
    services.reuse_publish(actor=use.officer, reuse=reuse)
    assert [m.event for m in use.messages(use.citizen)] == ["datause.reuse_published"]
    for dataset in (first, second):
        assert "企业地图" in client.get(reverse("catalog:dataset", args=[dataset.name])).content.decode()
    assert selectors.reuse_counts([first.pk, second.pk]) == {first.pk: 1, second.pk: 1}
    assert selectors.reuse_counts_by_department() == {first.department_id: 1}
    assert "企业地图" in client.get(reverse("datause:reuses")).content.decode()


def test_a_reuse_is_validated(use):
    first = use.published()
    cases = [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"kind": "game"}, "kind"),
        ({"datasets": []}, "datasets"),
        ({"datasets": ["no-such-dataset"]}, "resource"),
    ]
    for change, field in cases:
        data = {
            "title": "t",
            "kind": "app",
            "url": "https://e.org",
            "description": "d",
            "datasets": [first.name],
        }
        data.update(change)
        with pytest.raises(ValidationError) as exc:
            services.reuse_submit(actor=use.citizen, **data)
        assert field in exc.value.fields
    assert Reuse.objects.count() == 0


def test_a_campaign_takes_entries_on_its_themes_until_its_deadline_then_publishes_results(use):
    first = use.published()
    campaign = services.campaign_create(
        actor=use.officer,
        org_unit=use.world.xihu,
        title="开放数据创新应用大赛",
        deadline=timezone.localdate() + dt.timedelta(days=10),
        themes=["营商环境"],
    )
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            actor=use.citizen, org_unit=use.world.xihu, title="x", deadline=timezone.localdate()
        )
    data = {
        "title": "企业查询",
        "kind": "app",
        "url": "https://e.org",
        "description": "d",
        "datasets": [first],
    }
    with pytest.raises(ValidationError) as exc:
        services.reuse_submit(actor=use.citizen, campaign=campaign, theme="交通", **data)
    assert "theme" in exc.value.fields
    entry = services.reuse_submit(actor=use.citizen, campaign=campaign, theme="营商环境", **data)
    services.reuse_publish(actor=use.officer, reuse=entry)
    with pytest.raises(ValidationError):
        services.campaign_results(
            actor=use.officer, campaign=campaign, results="一等奖", awards={entry.pk: "一等奖"}
        )
    campaign.deadline = timezone.localdate() - dt.timedelta(days=1)
    campaign.save()
    with pytest.raises(Conflict) as late:
        services.reuse_submit(actor=use.other, campaign=campaign, theme="营商环境", **data)
    assert late.value.code == DatauseError.CAMPAIGN_CLOSED
    services.campaign_results(
        actor=use.officer, campaign=campaign, results="评审结果", awards={entry.pk: "一等奖"}
    )
    entry.refresh_from_db()
    assert entry.award == "一等奖"


def test_reuse_pages(use, client):
    first = use.published()
    login(client, use.citizen)
    response = client.post(
        reverse("datause:reuse_new"),
        {
            "title": "企业名录分析",
            "kind": "analysis",
            "url": "https://example.org/a",
            "description": "分析",
            "datasets": first.name,
        },
    )
    reuse = Reuse.objects.get()
    assert response.status_code == 302 and [d.pk for d in reuse.datasets.all()] == [first.pk]
    login(client, use.officer)
    assert "企业名录分析" in client.get(reverse("datause:reuses_review")).content.decode()
    client.post(
        reverse("datause:reuses_review"), {"reuse": reuse.pk, "version": reuse.version, "action": "publish"}
    )
    reuse.refresh_from_db()
    assert reuse.state == "published"
    client.logout()
    assert client.get(reverse("datause:reuse_detail", args=[reuse.pk])).status_code == 200
    assert client.get("/api/v1/datause/reuses").json()["items"][0]["datasets"] == [first.name]
