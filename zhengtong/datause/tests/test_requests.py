from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.datause import selectors, services
from zhengtong.datause.models import DataRequest, Follow, RequestSupport
from zhengtong.datause.tests.conftest import login


def _ask(use, **kw):
    return services.request_submit(
        actor=kw.pop("actor", use.citizen),
        title=kw.pop("title", "西湖区餐饮企业名单"),
        description=kw.pop("description", "包括名称、地址和许可证有效期。"),
        department=kw.pop("department", use.world.xihu_scjg),
        **kw,
    )


def test_a_request_starts_the_departments_clock_and_tells_its_answerers(use, settings):
    request = _ask(use)
    assert request.state == "submitted"
    assert request.sla_deadline == add_working_days(timezone.localdate(), settings.DATAUSE_REQUEST_DAYS)
    assert [m.event for m in use.messages(use.publisher)] == ["datause.request_new"]
    assert use.messages(use.yiwu_publisher) == []
    assert Follow.objects.filter(user=use.citizen, target="request", target_id=request.pk).exists()


def test_a_request_is_validated_field_by_field(use):
    with pytest.raises(ValidationError) as exc:
        _ask(use, title=" ")
    assert "title" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        _ask(use, format="pdf")
    assert "format" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        _ask(use, department=999999)
    assert "department" in exc.value.fields
    assert DataRequest.objects.count() == 0


def test_support_counts_once_and_the_supporter_follows(use):
    request = _ask(use)
    services.request_support(actor=use.other, request=request)
    services.request_support(actor=use.other, request=request)
    request.refresh_from_db()
    assert request.supporters == 1
    assert RequestSupport.objects.filter(request=request).count() == 1
    assert selectors.follows(user=use.other, target="request", target_id=request.pk)
    with pytest.raises(ValidationError):
        services.request_support(actor=use.citizen, request=request)  # one's own


@pytest.mark.parametrize("outcome", ["open", "scheduled", "refused", "existing"])
def test_the_four_outcomes_are_public_and_followers_are_told(use, outcome):
    request = _ask(use)
    services.request_support(actor=use.other, request=request)
    extra = {}
    if outcome == "scheduled":
        extra["planned_on"] = timezone.localdate() + dt.timedelta(days=30)
    if outcome == "existing":
        extra["resource"] = use.published().name
    services.request_answer(actor=use.publisher, request=request, outcome=outcome, answer="答复内容", **extra)
    request.refresh_from_db()
    assert (request.state, request.outcome, request.answered_on_time) == ("answered", outcome, True)
    assert request.sla_state == "stopped"
    assert [m.event for m in use.messages(use.citizen)] == ["datause.request_answered"]
    assert [m.event for m in use.messages(use.other)] == ["datause.request_answered"]
    assert selectors.request_get(user=None, pk=request.pk).answer == "答复内容"


def test_outcome_rules_name_their_field(use):
    request = _ask(use)
    for outcome, field in (("scheduled", "planned_on"), ("existing", "resource"), ("maybe", "outcome")):
        with pytest.raises(ValidationError) as exc:
            services.request_answer(actor=use.publisher, request=request, outcome=outcome, answer="x")
        assert field in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.request_answer(actor=use.publisher, request=request, outcome="refused", answer="")
    assert "answer" in exc.value.fields
    request.refresh_from_db()
    assert request.state == "submitted"


def test_another_departments_publisher_cannot_answer_and_nothing_changes(use):
    request = _ask(use)
    with pytest.raises(PermissionDenied):
        services.request_answer(actor=use.yiwu_publisher, request=request, outcome="open", answer="好")
    with pytest.raises(PermissionDenied):
        services.request_answer(actor=use.other, request=request, outcome="open", answer="好")
    request.refresh_from_db()
    assert (request.state, request.outcome, request.answer) == ("submitted", "", "")


def test_publishing_the_data_tells_the_followers(use):
    request = _ask(use)
    services.request_answer(actor=use.publisher, request=request, outcome="open", answer="将开放")
    resource = use.published()
    services.request_fulfil(actor=use.publisher, request=request, resource=resource.name)
    request.refresh_from_db()
    assert (request.state, request.resource_id) == ("fulfilled", resource.pk)
    assert "datause.request_fulfilled" in [m.event for m in use.messages(use.citizen)]


def test_a_private_request_is_seen_only_by_its_requester_and_department(use):
    request = _ask(use, public=False)
    assert selectors.request_get(user=use.citizen, pk=request.pk) == request
    assert selectors.request_get(user=use.publisher, pk=request.pk) == request
    for user in (None, use.other, use.yiwu_publisher):
        with pytest.raises(NotFound):
            selectors.request_get(user=user, pk=request.pk)
    assert request not in selectors.public_requests()
    with pytest.raises(ValidationError):
        services.request_support(actor=use.other, request=request)


def test_counts_per_department(use):
    answered = _ask(use)
    _ask(use, title="第二个需求")
    _ask(use, title="义乌的需求", department=use.world.yiwu_scjg)
    services.request_answer(actor=use.publisher, request=answered, outcome="refused", answer="涉及商业秘密")
    rows = {r["department_id"]: r for r in selectors.request_counts_by_department()}
    xihu = rows[use.world.xihu_scjg.pk]
    assert (xihu["received"], xihu["answered"], xihu["on_time"], xihu["refused"]) == (2, 1, 1, 1)
    assert rows[use.world.yiwu_scjg.pk]["received"] == 1


def test_request_pages_end_to_end(use, client):
    login(client, use.citizen)
    response = client.post(
        reverse("datause:request_new"),
        {
            "title": "公共充电桩位置",
            "description": "全区充电桩的位置与功率。",
            "department": use.world.xihu_scjg.pk,
            "format": "gis",
            "frequency": "monthly",
            "public": "on",
        },
    )
    request = DataRequest.objects.get()
    assert response.status_code == 302 and request.title == "公共充电桩位置"
    client.logout()
    page = client.get(reverse("datause:requests"))
    assert "公共充电桩位置" in page.content.decode()
    assert "citizen" not in client.get(reverse("datause:request_detail", args=[request.pk])).content.decode()
    login(client, use.publisher)
    response = client.post(
        reverse("datause:request_manage", args=[request.pk]),
        {"action": "answer", "version": request.version, "outcome": "open", "answer": "下月开放"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.outcome == "open"
    assert "下月开放" in client.get(reverse("datause:request_detail", args=[request.pk])).content.decode()
    figures = client.get(reverse("datause:figures")).content.decode()
    assert use.world.xihu_scjg.name in figures


def test_request_api(use, client):
    login(client, use.citizen)
    response = client.post(
        "/api/v1/datause/requests",
        {"title": "API 需求", "description": "说明", "department_id": use.world.xihu_scjg.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    client.logout()
    listed = client.get("/api/v1/datause/requests").json()
    assert [r["id"] for r in listed["items"]] == [pk]
    assert "requester" not in listed["items"][0]
    assert client.post(f"/api/v1/datause/requests/{pk}/support").status_code in (401, 403)
    bad = client.get("/api/v1/datause/requests/abc")
    assert bad.status_code in (404, 422)
