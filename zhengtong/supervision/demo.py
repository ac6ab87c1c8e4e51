"""Demo supervision in 西湖区: the catalogue of two departments (market regulation and health),
their enforcement officers with accounts, a joint random inspection plan drawn and partly
inspected, and penalty cases at several steps. Idempotent (keyed by item codes, officer numbers
and the plan title). The draw's seed is random, as in production: which targets come out
differs per installation; everything else is the same."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from PIL import Image, ImageDraw

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.core import keys
from zhengtong.core.errors import ValidationError
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.supervision import selectors, services
from zhengtong.supervision.models import InspectionPlan, Officer, PenaltyCase, Platform, SupervisionItem

COUNTY = "330106"
PLAN_TITLE = "2026年度西湖区餐饮服务单位跨部门联合双随机抽查"
# username, name, role, department code, officer number (or "")
ACCOUNTS = [
    ("xihu_sv_manager", "西湖区市场监管科长", "supervision_manager", "scjg", ""),
    ("xihu_officer1", "陈明（执法）", "enforcement_officer", "scjg", "33010600101"),
    ("xihu_officer2", "王芳（执法）", "enforcement_officer", "scjg", "33010600102"),
    ("xihu_officer3", "刘洋（执法）", "enforcement_officer", "scjg", "33010600103"),
    ("xihu_wjw_officer1", "赵敏（卫监）", "enforcement_officer", "wjw", "33010600201"),
    ("xihu_wjw_officer2", "孙磊（卫监）", "enforcement_officer", "wjw", "33010600202"),
    ("xihu_wjw_manager", "西湖区卫健委监督科长", "supervision_manager", "wjw", ""),
]
ITEMS = [
    (
        "scjg",
        "SCJG-SP-001",
        "食品经营者经营条件及食品安全管理检查",
        "《中华人民共和国食品安全法》第一百一十条",
        ["持有有效的食品经营许可证", "从业人员持有健康证明", "食品原料进货查验记录完整", "无超过保质期食品"],
    ),
    (
        "wjw",
        "WJW-GG-001",
        "公共场所卫生监督检查",
        "《公共场所卫生管理条例》第十条",
        ["持有有效卫生许可证", "公共用品用具清洗消毒"],
    ),
]


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, role, f"西湖区 {dept}", "supervision") for u, _n, role, dept, _num in ACCOUNTS]


def _users(actor) -> dict[str, object]:
    unit = account_selectors.org_unit_by_code(COUNTY)
    users = {}
    for username, name, role, dept_code, _number in ACCOUNTS:
        user = account_selectors.users_with_usernames([username]).first()
        if user is None:
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
                department=account_selectors.department_by_code(COUNTY, dept_code),
            )
        users[username] = user
    return users


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    if account_selectors.org_unit_by_code(COUNTY) is None:
        return {}
    users = _users(actor)
    depts = {c: account_selectors.department_by_code(COUNTY, c) for c in ("scjg", "wjw")}
    managers = {"scjg": users["xihu_sv_manager"], "wjw": users["xihu_wjw_manager"]}
    for dept_code, code, name, basis, checks in ITEMS:
        if not SupervisionItem.objects.filter(code=code).exists():
            services.item_create(
                actor=managers[dept_code],
                department=depts[dept_code],
                code=code,
                name=name,
                legal_basis=basis,
                checklist=checks,
            )
    for username, name, _role, dept_code, number in ACCOUNTS:
        if number and not Officer.objects.filter(number=number).exists():
            services.officer_register(
                actor=managers[dept_code],
                department=depts[dept_code],
                number=number,
                name=name.split("（")[0],
                certificate_no=f"浙执{number[-5:]}",
                certificate_valid_to=dt.date(2029, 12, 31),
                user=users[username],
                residence_region="330782" if number.endswith("3") else "",
            )
    plan = InspectionPlan.objects.filter(title=PLAN_TITLE).first()
    if plan is None:
        plan = services.plan_create(
            actor=managers["scjg"],
            department=depts["scjg"],
            joint_departments=[depts["wjw"]],
            title=PLAN_TITLE,
            items=list(SupervisionItem.objects.filter(code__in=[i[1] for i in ITEMS])),
            filters={"region_prefix": COUNTY},
            permille={},
            inspectors_per_department=1,
        )
        services.plan_commit(actor=managers["scjg"], plan=plan)
        services.plan_draw(actor=managers["scjg"], plan=plan)
        _inspect_some(plan)
    if not PenaltyCase.objects.exists():
        _penalties(managers["scjg"], depts["scjg"])
    _platform(managers["scjg"], depts["scjg"])
    counts = {
        "supervision_items": SupervisionItem.objects.count(),
        "officers": Officer.objects.count(),
        "inspections": plan.inspections.count(),
        "penalty_cases": PenaltyCase.objects.count(),
    }
    if stdout:
        stdout.write(f"supervision: {counts}\n")
    return counts


def _demo_signature(n: int) -> bytes:
    """A stroke on a transparent 600×200 pad, as the inspection page's signature pad sends it."""
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).line(
        [(40, 140), (150, 50 + n * 7), (260, 150), (380, 60), (560, 120 - n * 3)], fill="black", width=4
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _inspect_some(plan: InspectionPlan) -> None:
    inspections = list(selectors.plan_inspections(plan))
    checks = sum(len(i.checklist) for i in plan.items.all())
    for n, inspection in enumerate(inspections[:3]):
        officer = inspection.inspectors.first()
        ok = [{"ok": True} for _ in range(checks)]
        result, findings = "pass", ""
        if n == 1:
            ok[1] = {"ok": False, "note": "两名从业人员健康证明过期"}
            result, findings = "rectify", "两名从业人员健康证明过期，责令十五个工作日内整改"
        services.inspection_record(
            actor=officer.user,
            inspection=inspection,
            checklist=ok,
            findings=findings,
            result=result,
            entity_signer="店长",
            entity_signature=_demo_signature(n),
            inspector_signature=_demo_signature(n + 10),
        )
    inspection = selectors.plan_inspections(plan).filter(state="recorded", result="pass").first()
    if inspection is not None:
        services.inspection_publish(actor=plan.created_by, inspection=inspection)


def _penalties(manager, department) -> None:
    entities = list(registry_selectors.legal_entities_filtered(region_prefix=COUNTY)[:3])
    if len(entities) < 3:
        return
    facts = ["未取得食品经营许可从事食品经营活动", "经营超过保质期的食品", "未按规定进行进货查验"]
    cases = [
        services.penalty_file(actor=manager, department=department, entity=e, facts=f)
        for e, f in zip(entities, facts, strict=True)
    ]
    services.penalty_investigate(actor=manager, case=cases[1])
    for case in cases[2:]:
        services.penalty_investigate(actor=manager, case=case)
        services.penalty_notify(actor=manager, case=PenaltyCase.objects.get(pk=case.pk))
        services.penalty_decide(
            actor=manager,
            case=PenaltyCase.objects.get(pk=case.pk),
            decision_no="西市监罚〔2026〕1号",
            penalty_kind="fine",
            legal_basis="《中华人民共和国食品安全法》第一百二十六条",
            fine_fen=500_000,
            waived_hearing=True,
        )


def _platform(manager, department) -> None:
    """A ride-hailing platform with a deterministic demo key, and last month's signed report
    (three orders without a licensed driver: one alert). Skipped when the report would be late."""
    entity = registry_selectors.legal_entities_filtered(region_prefix=COUNTY).order_by("-id").first()
    if entity is None or Platform.objects.filter(entity=entity).exists():
        return
    private = keys.generate(seed=b"zhengtong-demo-platform")
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    platform = services.platform_register(
        actor=manager, entity=entity, kind="ride_hailing", public_key_pem=pem, department=department
    )
    period = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    rows = [
        {
            "order_id": f"DD{n:06d}",
            "driver_licence_no": f"330106{n:06d}",
            "driver_licensed": n % 100 != 7,
            "vehicle_licensed": True,
            "amount_fen": 1800 + n,
            "complaint": n % 40 == 0,
        }
        for n in range(300)
    ]
    body = json.dumps({"report_type": "ride_orders", "period": period, "rows": rows}).encode()
    # Too late this month: the demo then has a registered platform and no report.
    with contextlib.suppress(ValidationError):
        services.platform_report_submit(
            uscc=platform.entity.uscc, body=body, signature=keys.b64url(keys.sign_es256(private, body))
        )
