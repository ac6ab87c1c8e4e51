"""Demo work orders: routing rules for the demo counties and a few dozen work orders in every
state, submitted by the demo citizens. Idempotent: each demo work order has source_ref
"demo:<n>" and is made once."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.core import clock
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.workorders import actions, selectors, services
from zhengtong.workorders.models import WorkOrder

if TYPE_CHECKING:
    from zhengtong.accounts.models import User

COUNTIES = ["330106", "330782", "331127"]
ROUNDS = 2  # the list twice: 32 work orders
RULES = {
    "0701": "scjg",
    "0901": "gaj",
    "0102": "rlsb",
    "0301": "wjw",
    "1101": "dsj",
    "0502": "zrzy",
}
ACCOUNTS = [
    (
        "hz_hotline",
        "杭州12345话务员",
        "hotline_operator",
        "330100",
        "opens and dispatches work orders, 杭州市",
    )
]

# (kind, category, title, description, target state)
ORDERS = [
    (
        "consultation",
        "0701",
        "个体工商户如何办理营业执照",
        "想开一家奶茶店，需要准备哪些材料？",
        "submitted",
    ),
    ("complaint", "0701", "超市出售过期牛奶", "文三路某超市货架上有过期三天的牛奶。", "assigned"),
    ("complaint", "0701", "餐馆后厨卫生差", "学院路一家餐馆后厨有老鼠出没。", "in_progress"),
    ("help", "0502", "楼道路灯损坏三个月", "小区3幢楼道灯一直不亮，老人夜里上下楼不方便。", "submitted"),
    ("suggestion", "0601", "建议增设公交站台", "天目山路古翠路口人流大，建议增设公交站。", "submitted"),
    ("report", "0901", "噪音扰民", "夜间有人在广场使用大功率音响。", "in_progress"),
    ("consultation", "0102", "灵活就业社保怎么缴", "自由职业者如何参加职工养老保险？", "replied"),
    ("consultation", "0301", "疫苗接种预约", "孩子的疫苗在哪里预约？", "called_back"),
    ("complaint", "1101", "网上办事系统卡顿", "提交材料时多次提示超时。", "closed"),
    ("help", "0102", "被拖欠工资", "装修公司拖欠两个月工资。", "returned"),
    ("complaint", "0701", "超市出售过期牛奶（重复）", "同一家超市，过期牛奶。", "merged"),
    ("consultation", "0701", "食品经营许可证延续", "许可证快到期了，怎么延续？", "closed"),
    ("complaint", "0301", "诊所收费不透明", "某诊所收费未公示。", "replied"),
    ("suggestion", "0401", "河道垃圾清理", "沿河步道有垃圾漂浮。", "assigned"),
    ("consultation", "1101", "电子证照怎么用", "办事时如何出示电子营业执照？", "overdue"),
    ("help", "0901", "身份证丢失补办", "身份证丢了，能不能在网上补办？", "overdue"),
]


def _accounts(actor: User) -> None:
    for username, name, role, scope, _note in ACCOUNTS:
        if account_selectors.users_with_usernames([username]).exists():
            continue
        unit = account_selectors.org_unit_get(scope)
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=DEMO_PASSWORD,
            kind=UserKind.STAFF,
            display_name=name,
            org_unit=unit,
            validate=False,
        )
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit)


def _rules(actor: User) -> None:
    for code in COUNTIES:
        county = account_selectors.org_unit_by_code(code)
        if county is None:
            continue
        for category, dept_code in RULES.items():
            dept = account_selectors.departments_in(county, subtree=False).filter(code=dept_code).first()
            if dept and not selectors.routing_rules().filter(category=category, region=county).exists():
                services.routing_rule_set(actor=actor, category=category, region=county, department=dept)


def _drive(order: WorkOrder, target: str, actor: User, master: WorkOrder | None) -> None:
    act = actions.work_order_action
    if target in ("submitted", "overdue"):
        return
    if target == "merged" and master is not None:
        act(actor=actor, work_order=order, action="merge", master=master, note="同一事项，合并办理")
        return
    if order.state == "submitted":
        xihu = account_selectors.departments_in(account_selectors.org_unit_get("330106"), subtree=False)
        dept = xihu.filter(code="dsj").first() or xihu.order_by("code").first()
        act(actor=actor, work_order=order, action="assign", department=dept)
    if target == "assigned":
        return
    if target == "returned":
        act(actor=actor, work_order=order, action="return", note="不属于本部门职责，请重新派单")
        return
    act(actor=actor, work_order=order, action="take")
    if target == "in_progress":
        return
    act(
        actor=actor,
        work_order=order,
        action="reply",
        reply="您好，您反映的问题已收悉并处理，详情见办理结果。",
    )
    if target == "replied":
        return
    act(actor=actor, work_order=order, action="callback", satisfaction=5, note="电话回访，群众表示满意")
    if target == "called_back":
        return
    act(actor=actor, work_order=order, action="close")


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    village = (
        account_selectors.org_units_at_levels(["village"])
        .filter(code__startswith="330106")
        .order_by("code")
        .first()
    )
    if village is None:
        return {}
    _accounts(actor)
    _rules(actor)
    citizens = list(account_selectors.users_with_usernames(["citizen_zhang", "citizen_li"]))
    if not citizens:
        return {}
    for round_ in range(ROUNDS):
        master = None
        for n, (kind, category, title, description, target) in enumerate(ORDERS, start=1):
            ref = f"demo:{round_}-{n}"
            order = WorkOrder.objects.filter(source_ref=ref).first()
            if order is None:
                requester = citizens[(n + round_) % len(citizens)]
                # the overdue one was opened a month ago, at its own time (its timeline and clock)
                when = timezone.now() - dt.timedelta(days=30) if target == "overdue" else None
                with clock.as_of(when) if when else contextlib.nullcontext():
                    order = _open_and_drive(
                        actor, requester, kind, category, title, description, village, ref, target, master
                    )
            if n == 2:
                master = order
    clock.replay_sla(timezone.now() - dt.timedelta(days=31))
    counts = {"work_orders": WorkOrder.objects.count(), "routing_rules": selectors.routing_rules().count()}
    if stdout:
        stdout.write(f"workorders: {counts}")
    return counts


def _open_and_drive(actor, requester, kind, category, title, description, village, ref, target, master):
    order = services.work_order_open(
        actor=actor,
        requester=requester,
        kind=kind,
        category=category,
        title=title,
        description=description,
        region=village,
        source_ref=ref,
        contact_phone="13900001111",
    )
    _drive(order, target, actor, master)
    return order


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, role, f"杭州市 {scope}", note) for u, _n, role, scope, note in ACCOUNTS]
