"""Demo credit: a deterministic history for every active demo entity (inspections passed and
failed, substantiated complaints, arrears, penalties over the last three years), a few red and
black list entries, a credit officer, and scores by the published model. Idempotent: events are
keyed "demo:<credit code>:<n>"."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.core.identifiers import make_org_code, make_uscc
from zhengtong.credit import services
from zhengtong.credit.models import CreditEvent, ListEntry
from zhengtong.registry import importers as registry_importers
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry.demo import DEMO_PASSWORD

SEED = 20261202
ACCOUNTS = [
    ("hz_credit", "杭州市信用办", "credit_officer", "330100", "scjg", "credit lists and repair, 杭州市")
]
# kind, probability per entity and year, severity range
HISTORY = [
    ("inspection_pass", 0.35, (1, 1)),
    ("inspection_fail", 0.10, (1, 2)),
    ("complaint", 0.08, (1, 1)),
    ("arrears", 0.03, (1, 1)),
    ("penalty", 0.04, (1, 3)),
    ("commendation", 0.02, (1, 1)),
]
SUMMARIES = {
    "inspection_pass": "日常检查未发现问题",
    "inspection_fail": "日常检查发现问题，已责令整改",
    "complaint": "投诉举报经查属实",
    "arrears": "欠缴税费（已通知）",
    "penalty": "行政处罚（警告/罚款）",
    "commendation": "获评守合同重信用企业",
}


# Extra market entities so supervision and credit have a few thousand histories to work on,
# imported through the registry's own CSV import (one audited import per county).
EXTRA_ENTITIES = {"330106": 1500, "330782": 1200, "331127": 300}
TRADES = ["餐饮", "食品", "超市", "药店", "美容美发", "住宿", "小商品", "物流", "建材", "网络科技"]
BRANDS = "恒瑞鑫华达盛通佳源泰隆信和兴嘉禾永丰"


def _extra_entities(actor) -> int:
    added = 0
    for county, count in EXTRA_ENTITIES.items():
        if registry_selectors.legal_entity_by_uscc(
            make_uscc("9", "2", county, make_org_code(f"Y{county[-3:]}0001"))
        ):
            continue
        rng = random.Random(f"{SEED}:{county}")
        lines = ["uscc,name,entity_type,legal_representative,registered_address,region_code"]
        for n in range(1, count + 1):
            uscc = make_uscc("9", "2", county, make_org_code(f"Y{county[-3:]}{n:04d}"))
            name = f"{rng.choice(BRANDS)}{rng.choice(BRANDS)}{TRADES[n % len(TRADES)]}经营部{n}号店"
            rep = rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(
                ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"]
            )
            lines.append(f"{uscc},{name},个体工商户,{rep},{county}某街道{n}号,{county}")
        report = registry_importers.registry_import(
            actor=actor,
            kind="legal_entities",
            raw="\n".join(lines).encode("utf-8"),
            filename=f"demo-{county}.csv",
        )
        if report.committed:
            added += count
    return added


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, role, f"杭州市 {scope}", note) for u, _n, role, scope, _d, note in ACCOUNTS]


def _accounts(actor) -> None:
    for username, name, role, scope, dept_code, _note in ACCOUNTS:
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
        account_services.role_grant(
            actor=actor,
            user=user,
            role=role,
            org_unit=unit,
            department=account_selectors.department_by_code(scope, dept_code),
        )


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    _accounts(actor)
    _extra_entities(actor)
    entities = list(registry_selectors.legal_entities_active().select_related("org_unit"))
    if not entities:
        return {}
    today = timezone.localdate()
    done = set(
        CreditEvent.objects.filter(source_ref__startswith="demo:")
        .values_list("entity_id", flat=True)
        .distinct()
    )
    rows: list[CreditEvent] = []
    if entities:
        for entity in (e for e in entities if e.pk not in done):
            rng = random.Random(f"{SEED}:{entity.uscc}")
            n = 0
            for _year in range(3):
                for kind, p, (lo, hi) in HISTORY:
                    if rng.random() < p:
                        n += 1
                        rows.append(
                            CreditEvent(
                                entity=entity,
                                kind=kind,
                                severity=rng.randint(lo, hi),
                                source_ref=f"demo:{entity.uscc}:{n}",
                                summary=SUMMARIES[kind],
                                occurred_on=today - dt.timedelta(days=rng.randint(30, 3 * 365 - 1)),
                                org_unit=entity.org_unit,
                            )
                        )
        CreditEvent.objects.bulk_create(rows, batch_size=2000)
    hz = account_selectors.department_by_code("330100", "scjg")
    officer = account_selectors.users_with_usernames(["hz_credit"]).first()
    if hz and officer and not ListEntry.objects.exists():
        hangzhou = [e for e in entities if e.region_code.startswith("3301")]
        for n, entity in enumerate(hangzhou[-6:]):
            black = n % 2 == 0
            services.list_entry_add(
                actor=officer,
                entity=entity,
                kind="black" if black else "red",
                legal_basis="《浙江省公共信用信息管理条例》第二十条"
                if black
                else "《浙江省公共信用信息管理条例》第十九条",
                reason="拒不履行生效行政处罚决定" if black else "连续三年守合同重信用",
                until=today + dt.timedelta(days=365 * (3 if black else 2)),
                department=hz,
            )
    scored = services.rescore_all()
    if stdout:
        stdout.write(f"credit: {CreditEvent.objects.count()} events, {scored} entities scored\n")
    return {"credit_events": CreditEvent.objects.count(), "credit_scores": scored}
