"""Demo bills for the demo citizens: some unpaid, some paid through the local provider, one
partly refunded. Idempotent: a bill is made only if its reference has none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.services import system_actor
from zhengtong.core.errors import NotFound
from zhengtong.payments import providers, services
from zhengtong.payments.models import Bill
from zhengtong.registry.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit, User

ACCOUNTS = [
    (
        "xihu_finance",
        "西湖区财务人员",
        "finance_officer",
        "330106",
        None,
        "refunds and the daily reconciliation, 西湖区",
    )
]

BILLS = [
    # reference, payer, items, paid?, refund fen
    ("demo:1", "citizen_zhang", [("营业执照副本工本费", 1000)], False, 0),
    ("demo:2", "citizen_zhang", [("不动产登记费", 8000), ("工本费", 1000)], True, 0),
    ("demo:3", "citizen_zhang", [("机动车驾驶证工本费", 1000), ("体检费", 5500)], True, 5500),
    ("demo:4", "citizen_li", [("居民身份证工本费", 2000)], False, 0),
    ("demo:5", "citizen_li", [("食品经营许可证延续", 3050)], True, 0),
]


def _user(username: str) -> User | None:
    try:
        return account_services.user_by_username(username)
    except NotFound:
        return None


def _unit(code: str) -> OrgUnit | None:
    try:
        return account_selectors.org_unit_get(code)
    except NotFound:
        return None


def _accounts(actor: User) -> None:
    for username, name, role, scope, dept, _note in ACCOUNTS:
        if _user(username) is not None:
            continue
        unit = account_selectors.org_unit_get(scope)
        department = (
            account_selectors.departments_in(unit, subtree=False).filter(code=dept).first() if dept else None
        )
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=DEMO_PASSWORD,
            kind="staff",
            display_name=name,
            org_unit=unit,
            department=department,
            validate=False,
        )
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit, department=department)


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    xihu = _unit("330106")
    if xihu is None:
        return {}
    _accounts(actor)
    scjg = account_selectors.departments_in(xihu, subtree=False).filter(code="scjg").first()
    finance = account_services.user_by_username("xihu_finance")
    for reference, payer_name, items, paid, refund in BILLS:
        payer = _user(payer_name)
        if payer is None or Bill.objects.filter(reference=reference).exists():
            continue
        bill = services.bill_create(
            actor=actor,
            payer=payer,
            reference=reference,
            org_unit=xihu,
            department=scjg,
            items=items,
            description="演示账单",
        )
        if paid:
            payment, _url = services.payment_start(actor=payer, bill=bill, return_url=bill.pay_url)
            providers.LocalProvider().payer_confirm(payment.token)
            providers.notices_deliver_pending()
            if refund:
                services.refund_create(actor=finance, bill=bill, amount_fen=refund, reason="体检费重复收取")
                providers.notices_deliver_pending()
    counts = {"bills": Bill.objects.count(), "bills_paid": Bill.objects.exclude(state="unpaid").count()}
    if stdout:
        stdout.write(f"payments: {counts}")
    return counts


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, role, f"西湖区 {scope}", note) for u, _n, role, scope, _d, note in ACCOUNTS]
