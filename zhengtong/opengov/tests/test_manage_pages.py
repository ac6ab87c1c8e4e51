"""Staff pages that create and manage consultations and the lists of powers: forms that validate,
permission by department scope, refusals that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.opengov import selectors, services
from zhengtong.opengov.models import Article, Consultation, Power
from zhengtong.opengov.views.manage import parse_articles

pytestmark = pytest.mark.django_db

DRAFT = "第一条 为了规范摊贩经营，制定本办法。\n\n第二条 本办法适用于西湖区。\n\n摊贩应当遵守市容管理规定。"


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _form(og, **kw):
    today = timezone.localdate()
    data = {
        "department": og.xihu_scjg.pk,
        "title": "西湖区摊贩管理办法（征求意见稿）",
        "introduction": "欢迎提出意见。",
        "opens_on": (today + dt.timedelta(days=1)).isoformat(),
        "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        "rules": "不发布含人身攻击、广告或与本稿无关的内容。",
        "articles": DRAFT,
    }
    data.update(kw)
    return data


def test_parse_articles_keeps_headings_and_numbers_the_rest():
    assert parse_articles(DRAFT) == [
        ("第一条", "为了规范摊贩经营，制定本办法。"),
        ("第二条", "本办法适用于西湖区。"),
        ("第3条", "摊贩应当遵守市容管理规定。"),
    ]
    assert parse_articles(" \n\n ") == []


def test_officer_creates_and_edits_a_consultation_through_the_pages(og):
    client = login(og.officer)
    page = client.get("/console/opengov/consultations/new/")
    assert page.status_code == 200 and "西湖区市场监督管理局" in page.content.decode()
    r = client.post("/console/opengov/consultations/new/", _form(og))
    assert r.status_code == 302, r.content.decode()[:2000]
    c = Consultation.objects.get()
    assert c.department_id == og.xihu_scjg.pk
    assert [a.heading for a in c.articles.all()] == ["第一条", "第二条", "第3条"]
    assert r["Location"] == f"/console/opengov/consultations/{c.pk}/"
    assert "西湖区摊贩管理办法" in client.get("/console/opengov/consultations/").content.decode()
    # Not open yet: everything may change.
    r = client.post(f"/console/opengov/consultations/{c.pk}/edit/", _form(og, articles="第一条 只有一条。"))
    assert r.status_code == 302
    assert list(c.articles.values_list("text", flat=True)) == ["只有一条。"]


def test_consultation_form_errors_name_the_field_and_change_nothing(og):
    client = login(og.officer)
    today = timezone.localdate()
    for data, field in (
        (_form(og, articles="  "), "articles"),
        (_form(og, closes_on=(today - dt.timedelta(days=5)).isoformat()), "closes_on"),
        (_form(og, opens_on="2026-02-30"), "opens_on"),
        (_form(og, title=""), "title"),
        (_form(og, department=og.yiwu_scjg.pk), "department"),
    ):
        r = client.post("/console/opengov/consultations/new/", data)
        assert r.status_code == 200
        assert field in r.context["form"].errors, (field, r.context["form"].errors)
    assert Consultation.objects.count() == 0 and Article.objects.count() == 0


def test_an_open_consultation_only_moves_its_closing_date_later(og):
    today = timezone.localdate()
    c = services.consultation_create(
        actor=og.officer,
        department=og.xihu_scjg,
        title="办法",
        rules="规则",
        opens_on=today,
        closes_on=today + dt.timedelta(days=10),
        articles=[("第一条", "原文。")],
    )
    client = login(og.officer)
    same = {
        "department": og.xihu_scjg.pk,
        "title": "办法",
        "introduction": "",
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=20)).isoformat(),
        "rules": "规则",
        "articles": "第一条 原文。",
    }
    r = client.post(
        f"/console/opengov/consultations/{c.pk}/edit/", {**same, "articles": "第一条 改过的文字。"}
    )
    assert r.status_code == 200 and r.context["form"].non_field_errors()
    c.refresh_from_db()
    assert c.closes_on == today + dt.timedelta(days=10)
    assert list(c.articles.values_list("text", flat=True)) == ["原文。"]
    shorter = {**same, "closes_on": (today + dt.timedelta(days=5)).isoformat()}
    assert client.post(f"/console/opengov/consultations/{c.pk}/edit/", shorter).status_code == 200
    c.refresh_from_db()
    assert c.closes_on == today + dt.timedelta(days=10)
    assert client.post(f"/console/opengov/consultations/{c.pk}/edit/", same).status_code == 302
    c.refresh_from_db()
    assert c.closes_on == today + dt.timedelta(days=20)


def test_consultation_pages_refuse_outside_the_scope(og):
    today = timezone.localdate()
    c = services.consultation_create(
        actor=og.officer,
        department=og.xihu_scjg,
        title="办法",
        rules="规则",
        opens_on=today + dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=10),
        articles=[("第一条", "原文。")],
    )
    other = login(og.yiwu_officer)
    assert other.get(f"/console/opengov/consultations/{c.pk}/edit/").status_code == 404
    r = other.post(f"/console/opengov/consultations/{c.pk}/edit/", _form(og, title="改"))
    assert r.status_code == 404
    assert "办法" not in other.get("/console/opengov/consultations/").content.decode()
    # A citizen is not staff.
    citizen = login(og.citizen)
    assert citizen.get("/console/opengov/consultations/new/").status_code in (302, 403)
    assert citizen.post("/console/opengov/consultations/new/", _form(og)).status_code in (302, 403)
    c.refresh_from_db()
    assert c.title == "办法" and Consultation.objects.count() == 1
    # Anonymous: to the login page.
    assert Client().get("/console/opengov/powers/").status_code in (302, 403)


def _power(og, **kw):
    data = {
        "department": og.xihu_scjg.pk,
        "code": "XK-SCJG-001",
        "name": "食品经营许可",
        "power_type": "licensing",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "responsible_unit": "行政审批科",
        "procedure": "申请、受理、审查、决定",
        "accountability": "",
        "life_events": "开办企业、餐饮",
        "service_items": "",
        "documents": "",
    }
    data.update(kw)
    return data


def test_officer_lists_edits_and_removes_a_power_through_the_pages(og):
    client = login(og.officer)
    r = client.post("/console/opengov/powers/new/", _power(og))
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    power = Power.objects.get()
    assert power.life_events == ["开办企业", "餐饮"] and power.department_id == og.xihu_scjg.pk
    assert "食品经营许可" in client.get("/console/opengov/powers/").content.decode()
    # Public navigation by life event finds it.
    assert "食品经营许可" in Client().get("/opengov/powers/?life_event=餐饮").content.decode()
    r = client.post(f"/console/opengov/powers/{power.pk}/", _power(og, name="食品经营许可（含变更）"))
    assert r.status_code == 302
    power.refresh_from_db()
    assert power.name == "食品经营许可（含变更）"
    # The code of a listed power does not change through the edit form.
    r = client.post(f"/console/opengov/powers/{power.pk}/", _power(og, code="XK-OTHER"))
    assert r.status_code == 200 and "code" in r.context["form"].errors
    assert Power.objects.filter(code="XK-OTHER").count() == 0
    r = client.post(f"/console/opengov/powers/{power.pk}/", {"action": "remove"})
    assert r.status_code == 302 and Power.objects.count() == 0
    assert AuditEvent.objects.filter(action="opengov.power.remove").count() == 1


def test_power_form_errors_and_scope(og):
    client = login(og.officer)
    for data, field in (
        (_power(og, code=""), "code"),
        (_power(og, power_type="magic"), "power_type"),
        (_power(og, service_items="NO-SUCH-ITEM"), "service_items"),
        (_power(og, documents="12x"), "documents"),
        (_power(og, documents="999999"), "documents"),
        (_power(og, legal_basis=""), "legal_basis"),
    ):
        r = client.post("/console/opengov/powers/new/", data)
        assert r.status_code == 200 and field in r.context["form"].errors, (field, r.context["form"].errors)
    assert Power.objects.count() == 0
    power = services.power_set(
        actor=og.yiwu_officer,
        department=og.yiwu_scjg,
        code="XK-YW-001",
        name="义乌的许可",
        power_type="licensing",
        legal_basis="某法",
        responsible_unit="审批科",
    )
    # Another department's power: not found on the page, and its code cannot be taken over.
    assert client.get(f"/console/opengov/powers/{power.pk}/").status_code == 404
    assert client.post(f"/console/opengov/powers/{power.pk}/", {"action": "remove"}).status_code == 404
    r = client.post("/console/opengov/powers/new/", _power(og, code="XK-YW-001"))
    assert r.status_code == 200 and "code" in r.context["form"].errors
    power.refresh_from_db()
    assert power.department_id == og.yiwu_scjg.pk and power.name == "义乌的许可"


def test_guide_page_writes_the_departments_guide_and_validates(og):
    client = login(og.officer)
    assert client.get("/console/opengov/guide/").status_code == 200
    r = client.post("/console/opengov/guide/", {"department": og.xihu_scjg.pk, "office": "", "body": "指南"})
    assert r.status_code == 200 and "office" in r.context["form"].errors
    assert selectors.guide_for(og.xihu_scjg.pk) is None
    data = {"department": og.xihu_scjg.pk, "office": "办公室", "phone": "0571-1", "body": "一、主动公开……"}
    assert client.post("/console/opengov/guide/", data).status_code == 302
    assert selectors.guide_for(og.xihu_scjg.pk).office == "办公室"
    # Another department's officer cannot pick this department.
    r = login(og.yiwu_officer).post("/console/opengov/guide/", {**data, "office": "改"})
    assert r.status_code == 200 and "department" in r.context["form"].errors
    assert selectors.guide_for(og.xihu_scjg.pk).office == "办公室"


def test_validity_changed_from_the_document_page_in_scope_only(og):
    doc = services.document_publish(
        actor=og.officer,
        department=og.xihu_scjg,
        category="policy",
        title="西湖区摊贩管理办法",
        body="第一条……",
        issuing_body="西湖区市场监督管理局",
        issued_on=dt.date(2026, 3, 1),
    )
    page = login(og.officer).get(f"/opengov/documents/{doc.pk}/").content.decode()
    assert 'name="validity"' in page
    assert 'name="validity"' not in Client().get(f"/opengov/documents/{doc.pk}/").content.decode()
    r = login(og.yiwu_officer).post(
        f"/console/opengov/documents/{doc.pk}/validity/", {"validity": "repealed"}
    )
    assert r.status_code == 302
    doc.refresh_from_db()
    assert doc.validity == "valid"
    login(og.officer).post(f"/console/opengov/documents/{doc.pk}/validity/", {"validity": "repealed"})
    doc.refresh_from_db()
    assert doc.validity == "repealed"
    assert [d.pk for d in selectors.documents_search("摊贩管理")] == [doc.pk]
