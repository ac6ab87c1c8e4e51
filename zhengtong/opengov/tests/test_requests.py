"""Requests for disclosure: real name, the clock (20 working days with 调休, one extension,
stops for correction and third-party consultation), each reply type of §36, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.accounts import services as acc
from zhengtong.core import sla
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.opengov import services
from zhengtong.opengov.models import InfoRequest, ReplyType

pytestmark = pytest.mark.django_db


def _file(og, text="请公开2025年西湖区食品经营许可的办理数量。"):
    return services.request_file(actor=og.citizen, department=og.xihu_scjg, description=text)


def _back_date(req, day):
    """Pretend the request was received on ``day`` (clock restarted from there)."""
    InfoRequest.objects.filter(pk=req.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    )
    req.refresh_from_db()
    sla.sla_start(req, working_days=20, start=day)
    return req


def test_filing_needs_real_name_and_changes_nothing(og):
    other = acc.user_create(actor=None, username="anon_citizen", password="Test-pass-2025!", kind="citizen")
    with pytest.raises(PermissionDenied) as exc:
        services.request_file(actor=other, department=og.xihu_scjg, description="请公开……")
    assert exc.value.code == "real_name_required"
    assert InfoRequest.objects.count() == 0


def test_clock_is_20_working_days_on_the_official_calendar(og):
    req = _file(og)
    today = timezone.localdate()
    assert req.sla_working_days == 20
    assert req.sla_deadline == add_working_days(today, 20)
    assert req.sla_state in ("on_time", "due_soon")


def test_clock_counts_tiaoxiu(og):
    # Received Friday 26 Sep 2025: Sunday 28 Sep and Saturday 11 Oct are working days (调休), the
    # National Day holiday 1–8 Oct is not: 28, 29, 30 Sep; 9, 10, 11, 13–17, 20–24, 27–30 Oct.
    start = dt.date(2025, 9, 26)
    deadline = add_working_days(start, 20)
    days = [start + dt.timedelta(days=i) for i in range(1, (deadline - start).days + 1)]
    from zhengtong.core.calendar import is_workday

    assert is_workday(dt.date(2025, 9, 28)) and is_workday(dt.date(2025, 10, 11))
    assert not is_workday(dt.date(2025, 10, 2))
    assert sum(1 for d in days if is_workday(d)) == 20
    assert deadline == dt.date(2025, 10, 30)
    req = _back_date(_file(og), start)
    assert req.sla_deadline == dt.date(2025, 10, 30)


def test_extension_once_with_notice_and_a_second_is_refused(og):
    req = _file(og)
    before = req.sla_deadline
    services.request_extend(actor=og.head, request=req, reason="需要跨部门检索档案")
    req.refresh_from_db()
    assert req.sla_deadline == add_working_days(before, 20)
    assert req.sla_working_days == 40
    assert req.extended_on == timezone.localdate()
    from zhengtong.notify.models import Message

    assert Message.objects.filter(recipient=og.citizen, event="opengov.extended").count() == 1
    with pytest.raises(Conflict) as exc:
        services.request_extend(actor=og.head, request=req, reason="再延一次")
    assert exc.value.code == "already_extended"
    req.refresh_from_db()
    assert req.sla_deadline == add_working_days(before, 20)
    assert req.extension_reason == "需要跨部门检索档案"


def test_officer_may_not_extend(og):
    req = _file(og)
    with pytest.raises(PermissionDenied):
        services.request_extend(actor=og.officer, request=req, reason="x")
    req.refresh_from_db()
    assert req.extended_on is None


def test_correction_pauses_then_the_period_restarts_from_the_correction(og):
    req = _file(og)
    services.request_ask_correction(actor=og.officer, request=req, note="请说明所需信息的时间范围")
    req.refresh_from_db()
    assert req.state == "correction" and req.sla_state == "paused"
    services.request_correct(actor=og.citizen, request=req, description="请公开2025年1-6月的数量")
    req.refresh_from_db()
    assert req.state == "received"
    assert req.sla_deadline == add_working_days(timezone.localdate(), 20)
    assert req.corrected_on == timezone.localdate()
    # Only once.
    with pytest.raises(ValidationError):
        services.request_ask_correction(actor=og.officer, request=req, note="again")
    req.refresh_from_db()
    assert req.state == "received"


def test_correction_must_be_asked_within_7_working_days(og):
    req = _back_date(_file(og), timezone.localdate() - dt.timedelta(days=20))
    with pytest.raises(ValidationError) as exc:
        services.request_ask_correction(actor=og.officer, request=req, note="太晚")
    assert "7 working days" in exc.value.message and exc.value.code == "correction_too_late"
    req.refresh_from_db()
    assert req.state == "received" and req.correction_asked_on is None


def test_third_party_consultation_stops_the_clock(og):
    req = _file(og)
    day = timezone.localdate()
    remaining = 20
    services.request_consult(actor=og.officer, request=req, third_party="某食品有限公司")
    req.refresh_from_db()
    assert req.state == "consulting" and req.sla_state == "paused"
    assert req.third_party_due_on == add_working_days(day, 15)
    # The paused clock resumes with the working days it had left.
    InfoRequest.objects.filter(pk=req.pk).update(sla_paused_on=day)
    req.refresh_from_db()
    services.request_consulted(actor=og.officer, request=req, opinion="不同意公开其商业秘密部分")
    req.refresh_from_db()
    assert req.state == "received"
    assert req.sla_deadline == add_working_days(day, remaining)


def test_yiwu_officer_cannot_touch_xihu_request(og):
    req = _file(og)
    with pytest.raises(PermissionDenied):
        services.request_reply(actor=og.yiwu_officer, request=req, reply_type="disclosed", reply_text="x")
    req.refresh_from_db()
    assert req.state == "received" and req.reply_type == ""


@pytest.mark.parametrize(
    ("reply_type", "missing_field", "fields"),
    [
        ("disclosed", "reply_text", {"reply_text": "2025年共办理食品经营许可1234件。"}),
        ("already_public", "public_link", {"public_link": "https://www.hangzhou.gov.cn/art/2025/1/1/x.html"}),
        (
            "not_disclosable",
            "legal_ground",
            {"legal_ground": "《条例》第十四条：依法确定为国家秘密的政府信息不予公开。"},
        ),
        ("not_held", "reply_text", {"reply_text": "经检索，本机关未制作或获取该信息。"}),
        (
            "referred",
            "referral_body",
            {"referral_body": "杭州市市场监督管理局", "referral_contact": "0571-12345"},
        ),
        ("not_government_info", "legal_ground", {"legal_ground": "《条例》第三十九条"}),
    ],
)
def test_each_reply_type_needs_its_field(og, reply_type, missing_field, fields):
    req = _file(og)
    with pytest.raises(ValidationError) as exc:
        services.request_reply(actor=og.officer, request=req, reply_type=reply_type)
    assert missing_field in exc.value.details["fields"]
    req.refresh_from_db()
    assert req.state == "received" and req.reply_type == ""
    services.request_reply(actor=og.officer, request=req, reply_type=reply_type, **fields)
    req.refresh_from_db()
    assert req.state == "replied" and req.reply_type == reply_type
    assert req.sla_state == "stopped" and req.replied_late is False
    for key, value in fields.items():
        assert getattr(req, key) == value


def test_repeat_needs_an_earlier_answered_request_of_the_same_requester(og):
    first = _file(og)
    services.request_reply(actor=og.officer, request=first, reply_type="disclosed", reply_text="答复")
    second = _file(og)
    with pytest.raises(ValidationError):
        services.request_reply(
            actor=og.officer, request=second, reply_type="repeat", previous_number="GK0000"
        )
    services.request_reply(
        actor=og.officer, request=second, reply_type="repeat", previous_number=first.number
    )
    second.refresh_from_db()
    assert second.reply_type == ReplyType.REPEAT


def test_already_public_link_must_be_http(og):
    req = _file(og)
    with pytest.raises(ValidationError) as exc:
        services.request_reply(
            actor=og.officer, request=req, reply_type="already_public", public_link="javascript:alert(1)"
        )
    assert "public_link" in exc.value.details["fields"]


def test_reply_after_the_deadline_is_marked_late(og):
    req = _back_date(_file(og), timezone.localdate() - dt.timedelta(days=60))
    services.request_reply(actor=og.officer, request=req, reply_type="disclosed", reply_text="迟到的答复")
    req.refresh_from_db()
    assert req.replied_late is True


def test_review_and_publication(og):
    req = _file(og)
    services.request_reply(
        actor=og.officer, request=req, reply_type="not_disclosable", legal_ground="《条例》第十五条"
    )
    with pytest.raises(PermissionDenied):
        services.request_publication_set(actor=og.officer, request=req, consent=True)
    services.request_publication_set(actor=og.citizen, request=req, consent=True)
    req.refresh_from_db()
    assert req.published_at is not None
    services.request_review_ask(actor=og.citizen, request=req, reason="认为不属于第十五条情形")
    req.refresh_from_db()
    assert req.state == "under_review" and req.review_requested_at is not None
    services.request_review_record(actor=og.officer, request=req, outcome="upheld", note="维持")
    req.refresh_from_db()
    assert req.state == "replied" and req.review_outcome == "upheld"


def test_publication_refused_while_personal_data_remains(og):
    req = _file(og, text="我的手机号13912345678，请公开我的举报件办理结果。")
    services.request_reply(actor=og.officer, request=req, reply_type="disclosed", reply_text="已办结")
    with pytest.raises(ValidationError) as exc:
        services.request_publication_set(actor=og.citizen, request=req, consent=True)
    assert exc.value.code == "personal_data"
    req.refresh_from_db()
    assert req.published_at is None


def test_overdue_requests_are_escalated_to_the_head_of_the_office(og):
    from zhengtong.notify.models import Message

    req = _back_date(_file(og), timezone.localdate() - dt.timedelta(days=60))
    # As it was before the scan that finds it late.
    InfoRequest.objects.filter(pk=req.pk).update(sla_state="on_time")
    report = sla.sla_scan()
    assert report["opengov.inforequest"]["overdue"] == 1
    req.refresh_from_db()
    assert req.sla_state == "overdue"
    messages = Message.objects.filter(event="opengov.overdue")
    assert [m.recipient_id for m in messages] == [og.head.pk]
    assert req.number in messages[0].body
