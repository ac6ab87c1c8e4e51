"""Demo workspace for 西湖区: the county leader, township heads, an office clerk and department
heads; the directory; a township heads' group with an urgent notice one head has read; a task
for two departments (one of them overdue); a leave request; an outgoing notice routed, signed
off, numbered, sealed and distributed; knowledge entries. Idempotent: made once, found by title."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.core import sla
from zhengtong.core.calendar import add_working_days
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.workspace import services
from zhengtong.workspace.models import Conversation, DirectoryEntry, KnowledgeEntry, OutgoingDocument, Task

if TYPE_CHECKING:
    from zhengtong.accounts.models import User

COUNTY = "330106"
OFFICE = ("zfb", "西湖区人民政府办公室")
# username, name, role, unit code ("" = the county), department code, mobile, note
ACCOUNTS = [
    (
        "xihu_leader",
        "王建国",
        "leader",
        "",
        None,
        "13957100001",
        "county leader (区长): notices, tasks, 签发, 督办",
    ),
    (
        "xihu_office",
        "周文书",
        "office_clerk",
        "",
        "zfb",
        "13957100002",
        "county office clerk: drafts and numbers documents",
    ),
    (
        "xihu_scjg_head",
        "吴刚",
        "department_head",
        "",
        "scjg",
        "13957100003",
        "market regulation bureau head: 会签",
    ),
    ("xihu_gaj_head", "郑强", "department_head", "", "gaj", "13957100004", "public security bureau head"),
]
HEADS = ["李小明", "张伟", "刘洋", "陈静"]
GROUP = "西湖区街道主任工作群"
TASK = "开展岁末年初安全生产大检查"
LATE_TASK = "报送第四季度信访工作情况"
DOC = "关于做好岁末年初安全生产工作的通知"


def _user(actor: User, username: str, name: str, role: str, unit, dept, phone: str) -> User:
    existing = account_selectors.user_with_username(username)
    if existing is not None:
        return existing
    user = account_services.user_create(
        actor=actor,
        username=username,
        password=DEMO_PASSWORD,
        kind=UserKind.STAFF,
        display_name=name,
        org_unit=unit,
        department=dept,
        phone=phone,
        validate=False,
    )
    account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit, department=dept)
    return user


def _townships(county):
    return list(account_selectors.org_units_at_levels(["township"], within=county.path)[: len(HEADS)])


def _people(actor: User, county) -> dict[str, User]:
    if account_selectors.department_by_code(COUNTY, OFFICE[0]) is None:
        account_services.department_create(actor=actor, org_unit=county, code=OFFICE[0], name=OFFICE[1])
    people = {}
    for username, name, role, unit_code, dept_code, phone, _note in ACCOUNTS:
        unit = account_selectors.org_unit_get(unit_code or COUNTY)
        dept = account_selectors.department_by_code(COUNTY, dept_code) if dept_code else None
        people[username] = _user(actor, username, name, role, unit, dept, phone)
    for i, town in enumerate(_townships(county)):
        people[f"head_{i}"] = _user(
            actor, f"head_{town.code}", HEADS[i], "leader", town, None, f"1395710010{i}"
        )
    return people


def _notice(people: dict[str, User]) -> None:
    if Conversation.objects.filter(title=GROUP).exists():
        return
    leader = people["xihu_leader"]
    heads = [u for k, u in people.items() if k.startswith("head_")]
    group = services.conversation_group_create(actor=leader, title=GROUP, member_ids=[u.pk for u in heads])
    services.message_send(
        actor=leader,
        conversation=group,
        body="各街道：本周五下午三点在区政府三楼会议室召开安全生产工作会议。",
    )
    services.message_send(
        actor=leader,
        conversation=group,
        body="【紧急】今晚起寒潮来袭，请各街道主任立即部署防寒防冻工作，落实值班值守，收到请回复。",
        urgent=True,
    )
    services.messages_deliver()  # what the worker's delivery loop does after the commit
    if heads:
        services.conversation_read(actor=heads[0], conversation=group)
        services.message_send(actor=heads[0], conversation=group, body="北山街道收到，立即部署。")


def _tasks(people: dict[str, User]) -> None:
    leader = people["xihu_leader"]
    if Task.objects.filter(title=TASK).exists():
        return
    scjg = account_selectors.department_by_code(COUNTY, "scjg")
    gaj = account_selectors.department_by_code(COUNTY, "gaj")
    services.task_assign(
        actor=leader,
        title=TASK,
        description="区市场监管局、公安分局联合开展，重点检查人员密集场所。",
        due_working_days=10,
        departments=[d for d in (scjg, gaj) if d],
    )
    late = services.task_assign(
        actor=leader, title=LATE_TASK, due_working_days=3, departments=[d for d in (scjg, gaj) if d]
    )
    # One sub-task was given a month ago and is overdue (as if): backdate its clock.
    sub = late.subtasks.order_by("id").first()
    for task in (late, sub):
        start = dt.date.today() - dt.timedelta(days=30)
        deadline = add_working_days(start, task.due_working_days)
        Task.objects.filter(pk=task.pk).update(
            sla_started_on=start,
            sla_deadline=deadline,
            sla_due_soon_on=add_working_days(deadline, -settings.SLA_DUE_SOON_DAYS),
        )
    other = late.subtasks.order_by("id").last()
    if other is not None and other.pk != sub.pk:
        services.task_report_progress(
            actor=people["xihu_gaj_head"], task=other, text_="已汇总各派出所数据", percent=60
        )
    services.approval_submit(
        actor=people["xihu_scjg_head"],
        kind="leave",
        title="年休假三天",
        start_date=dt.date.today() + dt.timedelta(days=7),
        end_date=dt.date.today() + dt.timedelta(days=9),
    )


def _document(people: dict[str, User], county) -> None:
    if OutgoingDocument.objects.filter(title=DOC).exists():
        return
    office, leader = people["xihu_office"], people["xihu_leader"]
    doc = services.document_draft(
        actor=office,
        template="notice",
        title=DOC,
        number_prefix="西政办发",
        recipients="各街道办事处，区政府各部门：",
        body=(
            "为切实做好岁末年初安全生产工作，有效防范和遏制各类事故发生，现就有关事项通知如下。\n"
            "一、各街道、各部门要充分认识做好岁末年初安全生产工作的重要性，压实属地管理责任和部门监管责任。\n"
            "二、聚焦人员密集场所、危险化学品、道路交通等重点领域，全面排查整治安全隐患。\n"
            "三、严格落实领导带班和值班值守制度，遇有重大情况及时报告。"
        ),
        attachments="岁末年初安全生产检查表",
        copy_to="区委办公室，区人大常委会办公室，区政协办公室",
        copy_number="000001",
    )
    scjg = account_selectors.department_by_code(COUNTY, "scjg")
    services.document_route(actor=office, document=doc, departments=[scjg] if scjg else [])
    if scjg:
        services.document_countersign(actor=people["xihu_scjg_head"], document=doc, opinion="同意")
    doc.refresh_from_db()
    services.document_sign(actor=leader, document=doc)
    services.document_number(actor=office, document=doc)
    doc.refresh_from_db()
    towns = _townships(county)
    services.document_issue(actor=office, document=doc, recipients=[(t, None) for t in towns[:3]])


def _knowledge(people: dict[str, User]) -> None:
    if KnowledgeEntry.objects.exists():
        return
    office = people["xihu_office"]
    services.knowledge_entry_create(
        actor=office,
        kind="answer",
        visibility="public",
        title="个体工商户营业执照如何办理",
        body="可通过浙里办“开办企业”在线申请，或携带身份证到区政务服务中心市场监管窗口办理，一般当场办结。",
        tags="营业执照 个体户 开办",
    )
    services.knowledge_entry_create(
        actor=office,
        kind="procedure",
        visibility="internal",
        title="公文处理流程（拟稿、会签、签发、编号、用印、分发）",
        body="按《党政机关公文处理工作条例》办理：拟稿人起草，涉及其他部门职责的须会签，由机关负责人签发后编号、用印、分发。",
        tags="公文 签发 会签",
    )


def seed(stdout=None) -> dict[str, int]:
    county = account_selectors.org_unit_by_code(COUNTY)
    if county is None:
        return {}
    actor = system_actor()
    people = _people(actor, county)
    services.directory_refresh(via="workspace")
    _notice(people)
    _tasks(people)
    _document(people, county)
    _knowledge(people)
    sla.sla_scan()
    counts = {
        "directory": DirectoryEntry.objects.count(),
        "tasks": Task.objects.count(),
        "documents": OutgoingDocument.objects.count(),
        "knowledge": KnowledgeEntry.objects.count(),
    }
    if stdout:
        stdout.write(f"workspace: {counts}")
    return counts


def account_rows() -> list[tuple[str, str, str, str]]:
    rows = [(u, role, f"西湖区 {unit or COUNTY}", note) for u, _n, role, unit, _d, _p, note in ACCOUNTS]
    rows.append(("head_<township code>", "leader", "西湖区各街道", "township heads (街道主任)"))
    return rows
