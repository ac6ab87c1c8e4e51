"""Demo of 秒批 and 免申即享 (issue 19, item 4): two items decided by rules at submission, two
benefits found by registry scans, and an elderly citizen the first benefit is proposed to.
Deterministic and idempotent; called from ``services.demo.seed``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.core.identifiers import generate_resident_id
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry import services as registry
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.services import services
from zhengtong.services.models import ServiceItem

ELDER = ("citizen_elder", "王秀英", dt.date(1941, 3, 8))


# "at least N years old today": the Nth birthday is not after today.
def _age_at_least(years: int) -> dict:
    return {
        "not-after": [
            {"plusTime": [{"var": "person.birth_date"}, years, "year"]},
            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
        ]
    }


def _age_below(years: int) -> dict:
    return {
        "after": [
            {"plusTime": [{"var": "person.birth_date"}, years, "year"]},
            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
        ]
    }


def _f(title: str, en: str, source: str) -> dict:
    return {"type": "string", "title": title, "x-title-en": en, "x-source": source, "maxLength": 200}


PERSON = {
    "applicant_name": _f("申请人姓名", "Applicant's name", "person.name"),
    "resident_id": _f("公民身份号码", "Resident ID number", "person.resident_id"),
    "phone": _f("联系电话", "Mobile number", "person.phone"),
}
ENTITY = {
    "entity_name": _f("单位名称", "Name of the entity", "entity.name"),
    "uscc": _f("统一社会信用代码", "Unified social credit code", "entity.uscc"),
}
ID_CARD = {
    "code": "id_card",
    "name": "居民身份证",
    "name_en": "Resident identity card",
    "form": "电子证照",
    "required": True,
    "source": "licence:id_card",
}
HUKOU = {
    "code": "hukou",
    "name": "户籍信息",
    "name_en": "Household registration record",
    "form": "数据共享",
    "required": True,
    "source": "population",
}
ENTITY_REC = {
    "code": "entity",
    "name": "法人登记信息",
    "name_en": "Legal-entity record",
    "form": "数据共享",
    "required": True,
    "source": "legal_entity",
}

# (code, dept, name, en, kind, produces, props, materials, legal basis)
ITEMS = [
    (
        "ZJ-RLSB-005",
        "rlsb",
        "个人社会保险参保证明开具",
        "Certificate of social insurance enrolment",
        "public",
        "insurance_certificate",
        PERSON,
        [ID_CARD],
        "《中华人民共和国社会保险法》第四条、第七十四条。",
    ),
    (
        "ZJ-MZJ-004",
        "mzj",
        "高龄津贴发放（免申即享）",
        "Allowance for the very old (no application)",
        "benefit",
        None,
        PERSON,
        [HUKOU],
        "《中华人民共和国老年人权益保障法》第三十三条；《浙江省老年人权益保障条例》。",
    ),
    (
        "ZJ-SCJG-006",
        "scjg",
        "小微企业开办补贴（免申即享）",
        "Start-up grant for small firms (no application)",
        "benefit",
        None,
        ENTITY,
        [ENTITY_REC],
        "《中华人民共和国中小企业促进法》第十条。",
    ),
]

# 秒批 rules per item (the item's current version).
RULES = {
    "ZJ-RLSB-003": [
        {
            "id": "age_16",
            "logic": _age_at_least(16),
            "explain": "申请人年满16周岁（人口库出生日期）",
            "explain_en": "The applicant is at least 16 (birth date in the population registry)",
        },
        {
            "id": "below_60",
            "logic": _age_below(60),
            "explain": "申请人未满60周岁，未达法定退休年龄（人口库出生日期）",
            "explain_en": "The applicant is under 60, below the statutory retirement age",
        },
        {
            "id": "zhejiang",
            "logic": {"in": [{"var": "person.region"}, ["330102", "330105", "330106", "330108", "330110"]]},
            "explain": "户籍在杭州市区（身份证号码前六位）",
            "explain_en": "Registered in Hangzhou's urban districts (first six digits of the ID number)",
        },
    ],
    "ZJ-RLSB-005": [
        {
            "id": "age_16",
            "logic": _age_at_least(16),
            "explain": "申请人年满16周岁（人口库出生日期）",
            "explain_en": "The applicant is at least 16 (birth date in the population registry)",
        },
        {
            "id": "id_card",
            "logic": {"!!": [{"var": "licences.id_card.number"}]},
            "explain": "持有有效的电子居民身份证",
            "explain_en": "Holds a valid electronic resident identity card",
        },
    ],
}

BENEFITS = [
    (
        "ELDER-80",
        "高龄津贴（80周岁以上）",
        "Allowance for the very old (80 and over)",
        "ZJ-MZJ-004",
        "person",
        {
            "logic": _age_at_least(80),
            "explain": "年满80周岁的本地户籍老年人（人口库出生日期）",
            "explain_en": "Residents aged 80 and over (birth date in the population registry)",
        },
    ),
    (
        "SMALL-FIRM",
        "小微企业开办补贴",
        "Start-up grant for small firms",
        "ZJ-SCJG-006",
        "entity",
        {
            "logic": {
                "and": [
                    {"===": [{"var": "entity.region"}, "330106"]},
                    {"<=": [{"var": "entity.registered_capital"}, 500_000_000]},
                ]
            },
            "explain": "西湖区内存续、注册资本不超过500万元的企业（法人库）",
            "explain_en": "Active firms in 西湖区 with registered capital of at most CNY 5 million (legal-entity registry)",
        },
    ),
]


def _elder(actor: Any, county) -> None:
    username, name, birth = ELDER
    if account_selectors.user_with_username(username) is not None:
        return
    resident_id = generate_resident_id(county.code, birth, 501)
    person = registry_selectors.person_with_resident_id(resident_id)
    if person is None:
        unit = county
        registry.person_create(
            actor=actor,
            org_unit=unit,
            resident_id=resident_id,
            name=name,
            phone="13957100080",
            address="西湖区北山街道宝石山下一弄8号",
        )
    user = account_services.user_create(
        actor=None,
        username=username,
        password=DEMO_PASSWORD,
        kind="citizen",
        display_name=name,
        validate=False,
    )
    registry.citizen_verify_real_name(actor=user, resident_id=resident_id, name=name)


def seed(actor: Any, county) -> dict[str, int]:
    types = registry_selectors.licence_types_by_code()
    if "insurance_certificate" not in types:
        types["insurance_certificate"] = registry.licence_type_create(
            actor=actor,
            code="insurance_certificate",
            name="社会保险参保证明",
            holder_kind="person",
            name_en="Certificate of social insurance enrolment",
            issuing_department_kind="human_resources",
            validity_years=1,
        )
    depts = {d.code: d for d in account_selectors.departments_in(county, subtree=False)}
    items = {}
    for code, dept, name, en, kind, produces, props, materials, basis in ITEMS:
        if dept not in depts:
            continue
        items[code] = services.item_publish(
            actor=actor,
            code=code,
            name=name,
            name_en=en,
            kind=kind,
            department=depts[dept],
            life_events=["retirement"]
            if dept == "mzj"
            else ["employment"]
            if dept == "rlsb"
            else ["business"],
            visits=0,
            legal_basis=basis,
            conditions="由系统依据共享数据自动核验。",
            materials=materials,
            form_schema={"type": "object", "properties": props, "required": sorted(props)},
            statutory_days=5,
            promised_days=1,
            fee_fen=0,
            consultation="12345",
            complaint="12345",
            guide=f"{name}：数据由人口库、法人库和电子证照自动核验，符合条件即时办结，无需人工审核。",
            review_steps=[{"name": "审核", "mode": "single"}],
            produces=types.get(produces) if produces else None,
        )
    rule_sets = 0
    for code, rules in RULES.items():
        item = items.get(code) or ServiceItem.objects.filter(code=code).first()
        if item is not None:
            services.autodecide.decision_rules_publish(actor=actor, item=item, rules=rules)
            rule_sets += 1
    _elder(actor, county)
    benefits = 0
    for code, name, en, item_code, kind, rule in BENEFITS:
        item = items.get(item_code)
        if item is None:
            continue
        benefit = services.eligibility.benefit_publish(
            actor=actor, code=code, name=name, name_en=en, item=item, holder_kind=kind, rule=rule
        )
        services.eligibility.eligibility_scan(benefit=benefit, org_path=county.path)
        benefits += 1
    return {"decision_rule_sets": rule_sets, "benefits": benefits}
