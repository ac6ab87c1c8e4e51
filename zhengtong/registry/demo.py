"""The demo province: deterministic (fixed seed) and idempotent (safe to run again).

Everything is created through the service functions, as the "system" account, so the demo
exercises the real write path and leaves a complete audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.selectors import (
    department_by_code,
    departments_by_unit_and_code,
    org_unit_by_code,
    org_unit_count,
    org_unit_subtree,
    org_units_at_levels,
    org_units_with_codes,
    user_with_username,
)
from zhengtong.accounts.services import system_actor
from zhengtong.core.identifiers import generate_resident_id, make_org_code, make_uscc
from zhengtong.registry import services
from zhengtong.registry.models import CorrectionRequest, LegalEntity, Licence, LicenceType, Person
from zhengtong.registry.selectors import may_act_for

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit, User

REGIONS_FILE = Path(__file__).resolve().parent.parent / "accounts" / "data" / "zhejiang_regions.json"
DEMO_PASSWORD = "Zt-demo-2025"
SEED = 20251001
DETAILED_COUNTIES = ["330106", "330782", "331127"]  # 西湖区, 义乌市, 景宁畲族自治县

DEPARTMENTS = [
    # code, Chinese suffix, English, kind
    ("dsj", "大数据发展管理局", "Big Data Development Bureau", "big_data"),
    ("scjg", "市场监督管理局", "Market Regulation Bureau", "market_regulation"),
    ("rlsb", "人力资源和社会保障局", "Human Resources and Social Security Bureau", "human_resources"),
    ("gaj", "公安局", "Public Security Bureau", "public_security"),
    ("wjw", "卫生健康委员会", "Health Commission", "health"),
    ("mzj", "民政局", "Civil Affairs Bureau", "civil_affairs"),
    ("zrzy", "自然资源和规划局", "Natural Resources and Planning Bureau", "natural_resources"),
    ("sw", "税务局", "Tax Bureau", "tax"),
    ("ybj", "医疗保障局", "Healthcare Security Bureau", "medical_insurance"),
    ("xfjy", "消防救援大队", "Fire and Rescue Brigade", "fire_rescue"),
]
TOWNSHIP_DEPARTMENTS = [("zhs", "综合信息指挥室", "Integrated Information Command Room", "command_room")]

LICENCE_TYPES = [
    ("business_licence", "营业执照", "Business licence", "entity", "market_regulation", None),
    ("food_operation", "食品经营许可证", "Food operation permit", "entity", "market_regulation", 5),
    ("id_card", "居民身份证", "Resident identity card", "person", "public_security", 20),
    ("driving_licence", "机动车驾驶证", "Driving licence", "person", "public_security", 6),
    ("social_security_card", "社会保障卡", "Social security card", "person", "human_resources", 10),
    ("marriage_certificate", "结婚证", "Marriage certificate", "person", "civil_affairs", None),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万钱严赖覃洪武莫孔"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞志宏文辉建国新春海燕立晨宇浩然欣怡子涵梓萱一诺雨轩思远嘉怡俊杰晓东"
ETHNIC = ["汉族"] * 18 + ["畲族", "回族"]
INDUSTRIES = ["餐饮", "科技", "电子商务", "小商品", "物流", "文化传媒", "建筑", "茶业", "食品", "服装"]
ENTITY_TYPES = ["有限责任公司", "有限责任公司(自然人独资)", "个人独资企业", "股份有限公司", "农民专业合作社"]
STREETS = [
    "文三路",
    "天目山路",
    "古翠路",
    "学院路",
    "稠州北路",
    "工人北路",
    "鹤溪路",
    "人民中路",
    "解放路",
    "环城西路",
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    kind: str
    display_name: str
    role: str | None
    scope: str | None
    department: str | None
    note: str


ACCOUNTS = [
    DemoAccount(
        "admin",
        UserKind.ADMIN,
        "平台管理员",
        "platform_admin",
        "330000",
        None,
        "platform administrator, Django admin",
    ),
    DemoAccount(
        "prov_auditor",
        UserKind.STAFF,
        "省审计员",
        "auditor",
        "330000",
        "dsj",
        "audit trail of the whole province",
    ),
    DemoAccount(
        "prov_data_officer",
        UserKind.STAFF,
        "省数据安全官",
        "data_officer",
        "330000",
        "dsj",
        "data security officer",
    ),
    DemoAccount(
        "hz_admin",
        UserKind.STAFF,
        "杭州市管理员",
        "org_admin",
        "330100",
        "dsj",
        "org administrator of Hangzhou",
    ),
    DemoAccount("hz_leader", UserKind.STAFF, "杭州市领导", "leader", "330100", None, "leader (cockpit)"),
    DemoAccount(
        "xihu_clerk",
        UserKind.STAFF,
        "西湖区户籍员",
        "registry_clerk",
        "330106",
        "gaj",
        "registry clerk, 西湖区",
    ),
    DemoAccount(
        "xihu_counter",
        UserKind.STAFF,
        "西湖区窗口人员",
        "counter_staff",
        "330106",
        "scjg",
        "counter staff, 西湖区市场监管",
    ),
    DemoAccount(
        "xihu_reviewer",
        UserKind.STAFF,
        "西湖区审批人员",
        "reviewer",
        "330106",
        "scjg",
        "reviewer, 西湖区市场监管",
    ),
    DemoAccount(
        "xihu_supervisor", UserKind.STAFF, "西湖区督办员", "supervisor", "330106", None, "supervisor, 西湖区"
    ),
    DemoAccount(
        "yiwu_clerk",
        UserKind.STAFF,
        "义乌市户籍员",
        "registry_clerk",
        "330782",
        "gaj",
        "registry clerk, 义乌市",
    ),
    DemoAccount(
        "jingning_clerk",
        UserKind.STAFF,
        "景宁县户籍员",
        "registry_clerk",
        "331127",
        "gaj",
        "registry clerk, 景宁县",
    ),
    DemoAccount(
        "beishan_command",
        UserKind.STAFF,
        "北山街道指挥员",
        "command_staff",
        "330106002",
        "zhs",
        "command room, 北山街道",
    ),
    DemoAccount(
        "grid_worker",
        UserKind.GRID_WORKER,
        "网格员小陈",
        "grid_worker",
        "330106002001001",
        None,
        "grid worker, one grid of 北山街道",
    ),
    DemoAccount(
        "citizen_zhang",
        UserKind.CITIZEN,
        "",
        None,
        None,
        None,
        "citizen, real-name verified, holds e-licences",
    ),
    DemoAccount(
        "citizen_li",
        UserKind.CITIZEN,
        "",
        None,
        None,
        None,
        "citizen, not yet verified (try real-name verification)",
    ),
    DemoAccount(
        "enterprise_agent",
        UserKind.ENTERPRISE,
        "企业经办人",
        None,
        None,
        None,
        "enterprise agent, real-name verified, authorised by the legal representative (citizen_zhang) of a 西湖区 company",
    ),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def _phone(rng: random.Random) -> str:
    return (
        rng.choice(["139", "138", "187", "158", "136", "189", "177", "133", "186", "199"])
        + f"{rng.randrange(10**8):08d}"
    )


def _leaf_units(county: OrgUnit) -> list[OrgUnit]:
    villages = list(org_unit_subtree(county).filter(level="village").order_by("code"))
    return villages or [county]


@transaction.atomic
def seed(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda *_: None)
    rng = random.Random(SEED)
    tree = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    created, _unchanged = account_services.org_units_load_tree(actor=None, tree=tree)
    say(f"org units: {org_unit_count()} ({created} new)")
    actor = system_actor()

    # Departments: province, cities, the detailed counties; command rooms in their townships.
    dept_units = [
        *org_units_at_levels(["province"]),
        *org_units_at_levels(["city"]),
        *org_units_with_codes(DETAILED_COUNTIES),
    ]
    for unit in dept_units:
        for code, suffix, english, kind in DEPARTMENTS:
            if department_by_code(unit.code, code) is None:
                account_services.department_create(
                    actor=actor,
                    org_unit=unit,
                    code=code,
                    name=f"{unit.name}{suffix}",
                    name_en=f"{unit.name_en} {english}",
                    kind=kind,
                )
    for unit in org_units_at_levels(["township"]):
        for code, suffix, english, kind in TOWNSHIP_DEPARTMENTS:
            if department_by_code(unit.code, code) is None:
                account_services.department_create(
                    actor=actor,
                    org_unit=unit,
                    code=code,
                    name=f"{unit.name}{suffix}",
                    name_en=f"{unit.name_en} {english}",
                    kind=kind,
                )
    say(f"departments: {len(departments_by_unit_and_code())}")

    for code, name, name_en, holder, dept_kind, years in LICENCE_TYPES:
        services.licence_type_create(
            actor=actor,
            code=code,
            name=name,
            holder_kind=holder,
            name_en=name_en,
            issuing_department_kind=dept_kind,
            validity_years=years,
        )
    types = {lt.code: lt for lt in LicenceType.objects.all()}

    # Persons: in the villages of the detailed counties, and in each city.
    counties = list(org_units_with_codes(DETAILED_COUNTIES))
    cities = list(org_units_at_levels(["city"]))
    targets = [(c, 120) for c in counties] + [(c, 20) for c in cities]
    seq = 0
    for area, count in targets:
        leaves = _leaf_units(area)
        region = area.code if area.level == "county" else area.code[:4] + "02"
        for i in range(count):
            seq += 1
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
            resident_id = generate_resident_id(region, birth, (seq * 7) % 1000)
            name = _name(rng)
            phone = _phone(rng)
            street = rng.choice(STREETS)
            unit = leaves[i % len(leaves)]
            # Draw every random value before the existence check, so a second run stays in step.
            ethnicity, number = rng.choice(ETHNIC), rng.randrange(1, 300)
            if Person.objects.filter(resident_id=resident_id).exists():
                continue
            services.person_create(
                actor=actor,
                org_unit=unit,
                resident_id=resident_id,
                name=name,
                phone=phone,
                ethnicity=ethnicity,
                address=f"{area.name}{street}{number}号",
            )
    say(f"persons: {Person.objects.count()}")

    # Legal entities, each with a business licence; some restaurants with food permits.
    persons = list(Person.objects.order_by("id"))
    ent_targets = [(c, 40) for c in counties] + [(c, 10) for c in cities]
    n = 0
    for area, count in ent_targets:
        region = area.code if area.level == "county" else area.code[:4] + "02"
        scjg = department_by_code(area.code, "scjg")
        for _i in range(count):
            n += 1
            body = f"{(SEED + n * 7919) % 10**8:08d}"
            uscc = make_uscc("9", "1", region, make_org_code(body))
            industry = INDUSTRIES[n % len(INDUSTRIES)]
            rep = persons[(n * 13) % len(persons)]
            brand = rng.choice("恒瑞鑫华达盛通佳") + rng.choice("源泰隆信和兴")
            name = f"{area.name.rstrip('市区县')}{brand}{industry}有限公司"
            address = f"{area.name}{rng.choice(STREETS)}{rng.randrange(1, 500)}号"
            established = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 25))
            capital = rng.choice([10, 50, 100, 200, 500, 1000, 5000]) * 10_000 * 100
            if LegalEntity.objects.filter(uscc=uscc).exists():
                continue
            if LegalEntity.objects.filter(name=name).exists():
                name = name.replace("有限公司", f"第{n}分公司")
            entity = services.legal_entity_create(
                actor=actor,
                org_unit=area,
                uscc=uscc,
                name=name,
                entity_type=ENTITY_TYPES[n % len(ENTITY_TYPES)],
                legal_representative=rep.name,
                legal_rep_resident_id=rep.resident_id,
                registered_address=address,
                established_on=established,
                registered_capital_fen=capital,
                status="active" if n % 17 else "deregistered",
            )
            services.licence_issue(
                actor=actor,
                licence_type=types["business_licence"],
                number=f"YYZZ{uscc}",
                issuing_department=scjg,
                valid_from=entity.established_on,
                holder_entity=entity,
            )
            if industry in {"餐饮", "食品"}:
                services.licence_issue(
                    actor=actor,
                    licence_type=types["food_operation"],
                    number=f"JY{region}{n:08d}",
                    issuing_department=scjg,
                    valid_from=dt.date(2023, 1, 1),
                    valid_to=dt.date(2028, 1, 1),
                    holder_entity=entity,
                )
    say(f"legal entities: {LegalEntity.objects.count()}")

    # Person e-licences: ID card for everyone; driving licences and social security cards for some.
    existing = set(
        Licence.objects.filter(holder_person__isnull=False).values_list("licence_type__code", "number")
    )
    for i, person in enumerate(persons):
        county = (
            org_unit_by_code(person.resident_id[:6]) if person.resident_id[:6] in DETAILED_COUNTIES else None
        )
        issuer_unit = county or org_unit_by_code(person.resident_id[:4] + "00")
        gaj = department_by_code(issuer_unit.code, "gaj")
        rlsb = department_by_code(issuer_unit.code, "rlsb")
        issued = dt.date(2015, 1, 1) + dt.timedelta(days=(i * 37) % 3000)
        wanted = [("id_card", person.resident_id, gaj, 20)]
        if i % 3 == 0:
            wanted.append(("driving_licence", person.resident_id, gaj, 6))
        if i % 2 == 0:
            wanted.append(("social_security_card", f"S{person.resident_id[:6]}{i:09d}", rlsb, 10))
        for code, number, dept, years in wanted:
            if (code, number) in existing:
                continue
            services.licence_issue(
                actor=actor,
                licence_type=types[code],
                number=number,
                issuing_department=dept,
                valid_from=issued,
                valid_to=issued.replace(year=issued.year + years),
                holder_person=person,
            )
    say(f"e-licences: {Licence.objects.count()}")

    _seed_accounts(actor, rng)
    return {
        "org_units": org_unit_count(),
        "persons": Person.objects.count(),
        "legal_entities": LegalEntity.objects.count(),
        "licences": Licence.objects.count(),
    }


def demo_account(
    actor: User,
    *,
    username: str,
    kind: str,
    display_name: str,
    scope: str | None,
    department: str | None,
    roles: list[str],
) -> User:
    """A demo account with the demo password, created once with its roles at ``scope`` (an org
    unit code) in ``department`` (a department code there); ``admin`` is also Django's
    superuser. Used by every demo that seeds accounts (the second installation's too)."""
    user = user_with_username(username)
    if user is not None:
        return user
    unit = org_unit_by_code(scope) if scope else None
    dept = department_by_code(unit.code, department) if department else None
    user = account_services.user_create(
        actor=actor,
        username=username,
        password=DEMO_PASSWORD,
        kind=kind,
        display_name=display_name,
        org_unit=unit,
        department=dept,
        validate=False,
    )
    if username == "admin":
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    for role in roles:
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit, department=dept)
    return user


def _seed_accounts(actor: User, rng: random.Random) -> None:
    xihu_persons = list(Person.objects.filter(resident_id__startswith="330106").order_by("id")[:3])
    xihu_entity = LegalEntity.objects.filter(region_code="330106", status="active").order_by("id").first()
    for acc in ACCOUNTS:
        user = demo_account(
            actor,
            username=acc.username,
            kind=acc.kind,
            display_name=acc.display_name,
            scope=acc.scope,
            department=acc.department,
            roles=[acc.role] if acc.role else [],
        )
        if acc.username == "citizen_zhang" and not user.is_real_name and xihu_persons:
            services.citizen_verify_real_name(
                actor=user, resident_id=xihu_persons[0].resident_id, name=xihu_persons[0].name
            )
            user.refresh_from_db()
            if not CorrectionRequest.objects.filter(submitted_by=user).exists():
                services.correction_submit(
                    actor=user,
                    field="address",
                    requested_value="西湖区文三路88号",
                    reason="搬家后户籍地址已变更。",
                )
                services.correction_submit(
                    actor=user, field="phone", requested_value="13957112345", reason="手机号已更换。"
                )
        if acc.username == "enterprise_agent" and xihu_entity and len(xihu_persons) > 1:
            _seed_enterprise_agent(actor, user, xihu_entity, xihu_persons[1])
    # Licences whose validity ended are expired (as the worker does every hour).
    services.licences_expire_due()
    # One licence suspended, so the lifecycle shows on the pages.
    lic = Licence.objects.filter(licence_type__code="food_operation", state="valid").order_by("id").first()
    if lic and not Licence.objects.filter(state="suspended").exists():
        services.licence_suspend(actor=actor, licence=lic, note="食品安全抽检不合格,责令整改。")


def _seed_enterprise_agent(actor: User, agent: User, entity: LegalEntity, person: Person) -> None:
    """The enterprise agent acts for the demo company as the law wants it: real-name verified
    (as a 西湖区 resident), authorised (授权, all items, one year) by the company's verified legal
    representative, who in the demo is citizen_zhang; then linked to the company."""
    zhang = user_with_username("citizen_zhang")
    if zhang is None or not zhang.is_real_name:
        return
    if entity.legal_rep_resident_id != zhang.resident_id:
        entity = services.legal_entity_update(
            actor=actor,
            entity=entity,
            legal_representative=zhang.display_name,
            legal_rep_resident_id=zhang.resident_id,
        )
    if not agent.is_real_name:
        services.citizen_verify_real_name(actor=agent, resident_id=person.resident_id, name=person.name)
        agent.refresh_from_db()
    if not may_act_for(agent, entity):
        services.entity_authorize(
            actor=zhang, entity=entity, grantee=agent, valid_until=timezone.now() + dt.timedelta(days=365)
        )
    if agent.uscc != entity.uscc:
        services.enterprise_link(actor=agent, uscc=entity.uscc)


def account_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for acc in ACCOUNTS:
        scope = acc.scope or "-"
        unit = org_unit_by_code(acc.scope) if acc.scope else None
        rows.append((acc.username, acc.role or acc.kind, f"{unit.name} {scope}" if unit else scope, acc.note))
    return rows
