from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import PermissionDenied, RateLimited, ValidationError
from zhengtong.datause import selectors, services
from zhengtong.datause.errors import DatauseError
from zhengtong.datause.models import Comment, ErrorReport, Rating
from zhengtong.datause.tests.conftest import login


def test_an_error_report_reaches_the_publisher_with_a_time_limit_and_is_answered_publicly(use, settings):
    resource = use.published()
    report = services.error_report_file(
        actor=use.citizen, resource=resource, description="注册资本单位错误", location="注册资本"
    )
    assert report.state == "open"
    assert report.sla_deadline == add_working_days(timezone.localdate(), settings.DATAUSE_ERROR_REPORT_DAYS)
    assert [m.event for m in use.messages(use.publisher)] == ["datause.error_report"]
    services.error_report_resolve(actor=use.publisher, report=report, reply="已更正单位为万元")
    report.refresh_from_db()
    assert (report.state, report.reply, report.sla_state) == ("resolved", "已更正单位为万元", "stopped")
    assert [m.event for m in use.messages(use.citizen)] == ["datause.error_report_answered"]
    assert selectors.error_reports_public(resource=resource)[0].reply == "已更正单位为万元"


def test_only_the_datasets_department_closes_a_report_and_a_rejection_needs_a_reason(use):
    report = services.error_report_file(actor=use.citizen, resource=use.published(), description="有误")
    with pytest.raises(PermissionDenied):
        services.error_report_resolve(actor=use.yiwu_publisher, report=report, reply="好")
    with pytest.raises(PermissionDenied):
        services.error_report_resolve(actor=use.citizen, report=report, reply="好")
    with pytest.raises(ValidationError) as exc:
        services.error_report_reject(actor=use.publisher, report=report, reply=" ")
    assert "reply" in exc.value.fields
    report.refresh_from_db()
    assert (report.state, report.reply) == ("open", "")


def test_feedback_concerns_published_datasets_only(use):
    draft = use.resource(name="draft-data")
    with pytest.raises(ValidationError) as exc:
        services.error_report_file(actor=use.publisher, resource=draft, description="x")
    assert exc.value.code == DatauseError.NOT_PUBLISHED
    assert ErrorReport.objects.count() == 0


def test_moderation_hides_a_message_from_the_public_and_citizens_cannot_moderate(use):
    resource = use.published()
    comment = services.comment_post(actor=use.citizen, resource=resource, body="广告：低价出售发票")
    with pytest.raises(PermissionDenied):
        services.comment_moderate(actor=use.other, comment=comment, hide=True, reason="x")
    assert not Comment.objects.get().hidden
    with pytest.raises(ValidationError) as exc:
        services.comment_moderate(actor=use.publisher, comment=comment, hide=True, reason="")
    assert "reason" in exc.value.fields
    services.comment_moderate(actor=use.publisher, comment=comment, hide=True, reason="广告")
    assert selectors.comments(resource=resource) == []
    assert [c.hidden for c in selectors.comments(resource=resource, user=use.publisher)] == [True]
    services.comment_moderate(actor=use.officer, comment=comment, hide=False)
    assert [c.pk for c in selectors.comments(resource=resource)] == [comment.pk]


def test_a_rating_needs_stars_and_a_reason_and_rating_again_replaces_it(use):
    resource = use.published()
    for stars, reason, field in (
        (0, "好", "stars"),
        (6, "好", "stars"),
        (True, "好", "stars"),
        (3, " ", "reason"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.rating_set(actor=use.citizen, resource=resource, stars=stars, reason=reason)
        assert field in exc.value.fields
    services.rating_set(actor=use.citizen, resource=resource, stars=2, reason="字段缺说明")
    services.rating_set(actor=use.citizen, resource=resource, stars=4, reason="已补充说明")
    services.rating_set(actor=use.other, resource=resource, stars=5, reason="很好")
    assert Rating.objects.count() == 2
    assert selectors.rating_summary(resource=resource)["mean"] == 4.5


def test_writes_are_limited_per_user_and_hour(use, settings):
    settings.DATAUSE_WRITES_PER_HOUR = 2
    cache.clear()
    resource = use.published()
    services.comment_post(actor=use.citizen, resource=resource, body="一")
    services.comment_post(actor=use.citizen, resource=resource, body="二")
    with pytest.raises(RateLimited):
        services.comment_post(actor=use.citizen, resource=resource, body="三")
    assert Comment.objects.count() == 2
    services.comment_post(actor=use.other, resource=resource, body="别人")


def test_anonymous_reads_are_rate_limited_and_write_nothing(use, client, settings):
    settings.DATAUSE_ANON_RATE_PER_MINUTE = 2
    cache.clear()
    assert client.get(reverse("datause:requests")).status_code == 200
    assert client.get(reverse("datause:reuses")).status_code == 200
    assert client.get(reverse("datause:requests")).status_code == 429
    resource = use.published()
    response = client.post(
        reverse("datause:dataset_action", args=[resource.name]), {"action": "comment", "body": "匿名"}
    )
    assert response.status_code == 302 and "login" in response["Location"]
    assert Comment.objects.count() == 0


def test_the_dataset_page_shows_feedback_and_takes_it(use, client):
    resource = use.published()
    login(client, use.citizen)
    url = reverse("datause:dataset_action", args=[resource.name])
    client.post(url, {"action": "report", "description": "电话号码位数不对", "location": "联系电话"})
    client.post(url, {"action": "rate", "stars": "4", "reason": "更新及时"})
    client.post(url, {"action": "comment", "body": "能否提供英文字段名？"})
    client.post(url, {"action": "follow"})
    page = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    for text in ("电话号码位数不对", "更新及时", "能否提供英文字段名？", 'id="feedback"', 'value="unfollow"'):
        assert text in page
    assert client.post(url, {"action": "rate", "stars": "x", "reason": "r"}).status_code == 302
    assert Rating.objects.get().stars == 4


def test_feedback_api(use, client):
    resource = use.published()
    login(client, use.citizen)
    created = client.post(
        f"/api/v1/datause/datasets/{resource.name}/reports",
        {"description": "日期格式不一致"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    bad = client.put(
        f"/api/v1/datause/datasets/{resource.name}/rating",
        {"stars": 9, "reason": "r"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "stars" in bad.json()["error"]["details"]["fields"]
    client.logout()
    public = client.get(f"/api/v1/datause/datasets/{resource.name}").json()
    assert [r["description"] for r in public["error_reports"]] == ["日期格式不一致"]
    assert "reporter" not in public["error_reports"][0]
