"""双公示 (desensitized individuals, 7 working days, withdrawal), annual reports counted from the
records, consultations with per-article comments and a public summary, the leaders' mailbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.opengov import selectors, services
from zhengtong.opengov.models import AnnualReport, Comment, Publicity
from zhengtong.opengov.services import publicity as publicity_module

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


def _row(og, pk, **kw):
    return {
        "id": pk,
        "number": f"SB2026{pk:06d}",
        "item_code": "food",
        "item_name": "食品经营许可",
        "department": og.xihu_scjg,
        "org_unit": og.xihu,
        "decided_at": timezone.now(),
        "party_kind": "individual",
        "party_name": "王小明",
        "party_code": ID,
        "licence_number": "JY1330106000001",
        "valid_from": dt.date(2026, 1, 1),
        "valid_to": None,
        **kw,
    }


def test_licensing_pull_publishes_desensitized_within_7_working_days(og, monkeypatch):
    rows = [
        _row(og, 5),
        _row(
            og,
            9,
            party_kind="legal_person",
            party_name="西湖味道餐饮有限公司",
            party_code="91330106MA2XXXXX0X",
        ),
    ]
    monkeypatch.setattr(
        publicity_module.service_selectors,
        "licensing_decisions_after",
        lambda after, limit=1000: [r for r in rows if r["id"] > after],
    )
    assert services.licensing_pull() == 2
    assert services.licensing_pull() == 0  # the cursor moved on; nothing twice
    person = Publicity.objects.get(source_ref="services.case:5")
    assert person.party_name == "王**" and person.party_code == "110105********002X"
    assert ID not in person.party_code and "小明" not in person.party_name
    assert person.publish_by == add_working_days(timezone.localdate(), 7)
    assert person.published_on <= person.publish_by
    company = Publicity.objects.get(source_ref="services.case:9")
    assert company.party_name == "西湖味道餐饮有限公司" and company.party_code == "91330106MA2XXXXX0X"
    assert {p.source_ref for p in selectors.publicity_current()} == {"services.case:5", "services.case:9"}


def test_withdrawn_at_the_end_of_the_period(og):
    entry = services.publicity_publish(
        kind="licensing",
        source_ref="services.case:77",
        department=og.xihu_scjg,
        decision_number="X1",
        decision_name="食品经营许可决定书",
        party_category="individual",
        party_name="赵六",
        party_code=ID,
        content="准予许可，联系电话13912345678",
        decided_on=dt.date(2020, 1, 1),
        publicity_days=30,
        via="test",
    )
    assert "13912345678" not in entry.content
    assert services.publicity_withdraw_expired() == 1
    assert selectors.publicity_current().count() == 0


def test_annual_report_counts_the_records(og):
    year = timezone.localdate().year
    a = services.request_file(actor=og.citizen, department=og.xihu_scjg, description="请公开甲")
    b = services.request_file(actor=og.citizen, department=og.xihu_scjg, description="请公开乙")
    services.request_file(actor=og.citizen, department=og.xihu_scjg, description="请公开丙")
    services.request_reply(actor=og.officer, request=a, reply_type="disclosed", reply_text="已公开")
    services.request_reply(actor=og.officer, request=b, reply_type="not_disclosable", legal_ground="第十四条")
    services.request_review_ask(actor=og.citizen, request=b, reason="不服")
    report = services.report_generate(actor=og.officer, department=og.xihu_scjg, year=year)
    t = report.tables
    assert t["received"]["new"] == {"natural_person": 3, "legal_person": 0, "total": 3}
    rows = {r["key"]: r["total"] for r in t["results"]}
    assert rows["disclosed"] == 1 and rows["not_disclosable"] == 1 and rows["total"] == 2
    assert t["carried_forward"]["total"] == 1
    assert t["reviews"]["total"] == 1 and t["reviews"]["pending"] == 1
    with pytest.raises(ValidationError):
        services.report_publish(actor=og.officer, report=report)
    services.report_edit(
        actor=og.officer, report=report, overview="本年度依申请公开工作总体平稳。", problems=""
    )
    services.report_publish(actor=og.officer, report=report)
    with pytest.raises(Conflict):
        services.report_edit(actor=og.officer, report=report, overview="改", problems="")
    report.refresh_from_db()
    assert report.overview == "本年度依申请公开工作总体平稳。"
    assert list(selectors.reports_published()) == [report]


def test_report_refused_for_another_department(og):
    with pytest.raises(PermissionDenied):
        services.report_generate(actor=og.yiwu_officer, department=og.xihu_scjg, year=2025)
    assert AnnualReport.objects.count() == 0


def _consultation(og, opens, closes):
    return services.consultation_create(
        actor=og.officer,
        department=og.xihu_scjg,
        title="西湖区夜间经济管理办法（征求意见稿）",
        rules="不发布含人身攻击、广告或与草案无关的内容。",
        opens_on=opens,
        closes_on=closes,
        articles=[("第一条", "为规范夜间经营……"), ("第二条", "营业时间至凌晨二时。")],
    )


def test_consultation_comments_moderation_and_summary(og):
    today = timezone.localdate()
    c = _consultation(og, today, today + dt.timedelta(days=10))
    art = c.articles.get(position=2)
    good = services.comment_post(
        actor=og.citizen, consultation=c, article=art, body="建议营业时间延长至凌晨三时，我的电话13912345678"
    )
    assert "13912345678" not in good.body
    spam = services.comment_post(actor=og.citizen, consultation=c, body="广告：低价代办")
    assert selectors.comments_public(c).count() == 0
    with pytest.raises(ValidationError):
        services.comment_moderate(actor=og.officer, comment=spam, publish=False)
    services.comment_moderate(actor=og.officer, comment=spam, publish=False, reason="规则：不发布广告")
    services.comment_moderate(actor=og.officer, comment=good, publish=True)
    assert [x.pk for x in selectors.comments_public(c)] == [good.pk]
    with pytest.raises(Conflict):
        services.consultation_summarize(actor=og.officer, consultation=c, summary="总结")
    # After the period: comments are refused, the summary needs every outcome.
    type(c).objects.filter(pk=c.pk).update(closes_on=today - dt.timedelta(days=1))
    c.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        services.comment_post(actor=og.citizen, consultation=c, body="迟到的意见")
    assert exc.value.code == "consultation_closed"
    assert Comment.objects.filter(consultation=c).count() == 2
    with pytest.raises(ValidationError):
        services.consultation_summarize(actor=og.officer, consultation=c, summary="总结")
    services.comment_decide(actor=og.officer, comment=good, outcome="partly", reason="延长至凌晨二时三十分")
    services.consultation_summarize(actor=og.officer, consultation=c, summary="共收到意见2条，采纳1条。")
    c.refresh_from_db()
    assert c.state == "summarized"


def test_comment_before_opening_is_refused(og):
    today = timezone.localdate()
    c = _consultation(og, today + dt.timedelta(days=3), today + dt.timedelta(days=10))
    with pytest.raises(Conflict):
        services.comment_post(actor=og.citizen, consultation=c, body="提前")
    assert Comment.objects.count() == 0


def test_mailbox_letter_is_a_work_order_and_its_reply_is_public_when_agreed(og):
    from zhengtong.workorders import services as workorders

    letter = services.letter_send(
        actor=og.citizen,
        department=og.xihu_scjg,
        title="关于菜市场卫生",
        body="建议加强管理。",
        publish_consent=True,
    )
    order = workorders.work_order_get_by_number(letter.work_order_number)
    assert order.source_ref == f"mailbox:{letter.pk}" and order.department_id == og.xihu_scjg.pk
    assert order.due_working_days == 15 and order.state == "assigned"
    handler = og.staff("og_handler", "counter_staff", og.xihu, og.xihu_scjg)
    workorders.work_order_reply(actor=handler, work_order=order, reply="已安排每周检查。")
    dispatcher = og.staff("og_dispatcher", "supervisor", og.xihu)
    order.refresh_from_db()
    workorders.work_order_callback(actor=dispatcher, work_order=order, satisfaction=5)  # 回访 first
    workorders.work_order_close(actor=dispatcher, work_order=order)
    assert [x.reply for x in selectors.letters_public()] == ["已安排每周检查。"]


def test_a_completed_licensing_case_is_published_desensitized(world):
    """End to end with the services module: its selector feeds the pull."""
    from zhengtong.services import services as svc_services
    from zhengtong.services.tests.conftest import Svc

    svc = Svc(world)
    case = svc_services.case_submit(actor=svc.citizen, item=svc.yiwu_item, raw={"shop_name": "义乌小商品店"})
    svc_services.case_accept(actor=svc.yiwu_counter, case=case)
    svc_services.case_approve(actor=svc.yiwu_reviewer, case=case, note="同意")
    case.refresh_from_db()
    assert case.state == "completed"
    assert services.licensing_pull() == 1
    entry = Publicity.objects.get(source_ref=f"services.case:{case.pk}")
    assert entry.kind == "licensing" and entry.department_id == world.yiwu_scjg.pk
    assert entry.party_category == "individual"
    assert entry.party_name == "张*" and svc.person.resident_id not in entry.party_code
    assert entry.party_code == svc.person.resident_id[:6] + "*" * 8 + svc.person.resident_id[-4:]
    assert entry.decision_number == case.number
    assert services.licensing_pull() == 0
