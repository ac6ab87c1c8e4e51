"""Demo of the services module: service items of 西湖区 departments, the two 一件事 bundles, and a
handful of cases in every state. Deterministic and idempotent (run twice: nothing changes)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.services import system_actor
from zhengtong.core import clock
from zhengtong.core.errors import NotFound
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry import services as registry
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.services import demo_autodecide, demo_onestop, evaluation, services
from zhengtong.services.demo_lists import list_fields
from zhengtong.services.models import Bundle, Case, ServiceItem

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit, User

COUNTY = "330106"


def _user(username: str) -> User | None:
    try:
        return account_services.user_by_username(username)
    except NotFound:
        return None


# --- form building blocks -------------------------------------------------------------------


def _f(title: str, en: str, source: str = "", **extra) -> dict:
    prop = {"type": "string", "title": title, "x-title-en": en, **extra}
    if source:
        prop["x-source"] = source
    return prop


PERSON = {
    "applicant_name": _f("申请人姓名", "Applicant's name", "person.name", maxLength=100),
    "resident_id": _f("公民身份号码", "Resident ID number", "person.resident_id", maxLength=18),
    "phone": _f("联系电话", "Mobile number", "person.phone", maxLength=20),
    "address": _f("户籍地址", "Registered address", "person.address", maxLength=200),
}
ENTITY = {
    "entity_name": _f("单位名称", "Name of the entity", "entity.name", maxLength=200),
    "uscc": _f("统一社会信用代码", "Unified social credit code", "entity.uscc", maxLength=18),
    "legal_rep": _f("法定代表人", "Legal representative", "entity.legal_representative", maxLength=100),
    "reg_address": _f("住所", "Registered address", "entity.registered_address", maxLength=200),
}
PREMISES = _f(
    "经营场所",
    "Business premises",
    maxLength=200,
    description="门牌号码完整的经营地址",
    **{"x-description-en": "The full street address of the premises", "x-shared": True},
)
BABY = {
    "baby_name": _f("新生儿姓名", "Baby's name", maxLength=50, **{"x-shared": True}),
    "baby_sex": _f(
        "新生儿性别",
        "Baby's sex",
        enum=["M", "F"],
        **{"x-enum-labels": ["男", "女"], "x-enum-labels-en": ["male", "female"], "x-shared": True},
    ),
    "baby_birth_date": _f("出生日期", "Date of birth", format="date", **{"x-shared": True}),
    "birth_hospital": _f("出生医院", "Hospital of birth", maxLength=100, **{"x-shared": True}),
}


def schema(props: dict, required: list[str] | None = None) -> dict:
    auto = [k for k, p in props.items() if p.get("x-source")]
    return {"type": "object", "properties": props, "required": sorted(set(auto + (required or [])))}


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
BIZ_LICENCE = {
    "code": "business_licence",
    "name": "营业执照",
    "name_en": "Business licence",
    "form": "电子证照",
    "required": True,
    "source": "licence:business_licence",
}


def upload(code: str, name: str, en: str, required: bool = True, tolerable: bool = False) -> dict:
    m = {
        "code": code,
        "name": name,
        "name_en": en,
        "form": "电子或扫描件",
        "required": required,
        "source": "upload",
    }
    if tolerable:  # 容缺受理: may arrive after acceptance
        m["tolerable"] = True
    return m


LICENCE_TYPES = [
    (
        "special_equipment_operator",
        "特种设备安全管理和作业人员证",
        "Special-equipment operator certificate",
        "person",
        "market_regulation",
        4,
    ),
    ("birth_certificate", "出生医学证明", "Birth medical certificate", "person", "health", None),
]

# Form schema extensions per item: 出生户口登记 enters the newborn in the population registry.
SCHEMA_EXTRAS = {
    "ZJ-GAJ-002": {
        "x-registers-person": {"name": "baby_name", "sex": "baby_sex", "birth_date": "baby_birth_date"}
    },
}

SINGLE = [{"name": "审核", "mode": "single"}]
TWO_STEPS = [{"name": "初审", "mode": "single"}, {"name": "复审", "mode": "single"}]
JOINT = [{"name": "审查", "mode": "single"}, {"name": "会签", "mode": "all", "signers": 2}]

# code, dept, name, English, kind, life events, visits, statutory, promised, fee, produces, steps, props, required, materials
ITEMS = [
    (
        "ZJ-SCJG-001",
        "scjg",
        "特种设备作业人员资格认定",
        "Special-equipment operator certification",
        "licensing",
        ["employment"],
        0,
        20,
        5,
        5000,
        "special_equipment_operator",
        SINGLE,
        {
            **PERSON,
            "category": _f(
                "作业项目",
                "Operation category",
                enum=["N1", "T", "G1"],
                **{
                    "x-enum-labels": ["叉车司机（N1）", "电梯修理（T）", "工业锅炉司炉（G1）"],
                    "x-enum-labels-en": ["forklift driver (N1)", "lift repair (T)", "boiler operator (G1)"],
                },
            ),
            "training_org": _f("培训机构", "Training institution", maxLength=100),
            "work_years": {
                "type": "integer",
                "title": "从业年限",
                "x-title-en": "Years of experience",
                "minimum": 0,
                "maximum": 50,
            },
        },
        ["category", "training_org"],
        [ID_CARD, HUKOU, upload("health", "体检报告", "Medical examination report", required=False)],
    ),
    (
        "ZJ-SCJG-002",
        "scjg",
        "食品经营许可",
        "Food operation permit",
        "licensing",
        ["business"],
        0,
        20,
        10,
        0,
        "food_operation",
        JOINT,
        {
            **ENTITY,
            "premises": PREMISES,
            "food_categories": _f(
                "经营项目",
                "Food categories",
                enum=["热食类", "冷食类", "预包装食品"],
                **{"x-enum-labels-en": ["hot food", "cold food", "pre-packaged food"]},
            ),
            "area_sqm": {
                "type": "number",
                "title": "经营面积（平方米）",
                "x-title-en": "Floor area (m²)",
                "minimum": 1,
                "maximum": 100000,
            },
        },
        ["premises", "food_categories", "area_sqm"],
        [
            ENTITY_REC,
            BIZ_LICENCE,
            upload("layout", "经营场所平面图", "Floor plan of the premises", tolerable=True),
        ],
    ),
    (
        "ZJ-SCJG-003",
        "scjg",
        "企业设立登记",
        "Company registration (business licence)",
        "licensing",
        ["business"],
        0,
        15,
        1,
        0,
        "business_licence",
        SINGLE,
        {
            **ENTITY,
            "premises": PREMISES,
            "business_scope": _f("经营范围", "Business scope", maxLength=500, **{"x-widget": "textarea"}),
        },
        ["premises", "business_scope"],
        [ENTITY_REC],
    ),
    (
        "ZJ-SCJG-004",
        "scjg",
        "个体工商户注册登记",
        "Registration of an individual business",
        "licensing",
        ["business", "employment"],
        0,
        15,
        1,
        0,
        None,
        SINGLE,
        {**PERSON, "shop_name": _f("字号名称", "Trade name", maxLength=60), "premises": PREMISES},
        ["shop_name", "premises"],
        [ID_CARD, HUKOU],
    ),
    (
        "ZJ-SCJG-005",
        "scjg",
        "营业执照变更登记",
        "Change of business-licence details",
        "licensing",
        ["business"],
        0,
        15,
        3,
        0,
        None,
        SINGLE,
        {
            **ENTITY,
            "change_item": _f(
                "变更事项",
                "What changes",
                enum=["住所", "经营范围", "法定代表人"],
                **{"x-enum-labels-en": ["address", "business scope", "legal representative"]},
            ),
            "new_value": _f("变更后内容", "New value", maxLength=300),
        },
        ["change_item", "new_value"],
        [ENTITY_REC, BIZ_LICENCE],
    ),
    (
        "ZJ-GAJ-001",
        "gaj",
        "居民身份证换领",
        "Renewal of the resident identity card",
        "public",
        ["transport"],
        1,
        60,
        20,
        2000,
        None,
        SINGLE,
        {
            **PERSON,
            "reason": _f(
                "换领原因",
                "Reason",
                enum=["有效期满", "证件损坏"],
                **{"x-enum-labels-en": ["expired", "damaged"]},
            ),
        },
        ["reason"],
        [ID_CARD, HUKOU],
    ),
    (
        "ZJ-GAJ-002",
        "gaj",
        "出生户口登记",
        "Household registration of a newborn",
        "confirmation",
        ["birth"],
        0,
        20,
        5,
        0,
        None,
        SINGLE,
        {**PERSON, **BABY},
        ["baby_name", "baby_sex", "baby_birth_date"],
        [
            HUKOU,
            {
                "code": "birth_cert",
                "name": "出生医学证明",
                "name_en": "Birth medical certificate",
                "form": "电子证照",
                "required": False,
                "source": "service:ZJ-WJW-001",
            },
        ],
    ),
    (
        "ZJ-GAJ-003",
        "gaj",
        "机动车驾驶证换证",
        "Renewal of a driving licence",
        "public",
        ["transport"],
        0,
        20,
        3,
        1000,
        "driving_licence",
        SINGLE,
        {**PERSON},
        [],
        [
            ID_CARD,
            {
                "code": "driving",
                "name": "机动车驾驶证",
                "name_en": "Driving licence",
                "form": "电子证照",
                "required": True,
                "source": "licence:driving_licence",
            },
        ],
    ),
    (
        "ZJ-GAJ-004",
        "gaj",
        "居住证申领",
        "Residence permit",
        "public",
        ["housing"],
        0,
        15,
        5,
        0,
        None,
        SINGLE,
        {**PERSON, "residence": _f("居住地址", "Address of residence", maxLength=200)},
        ["residence"],
        [ID_CARD],
    ),
    (
        "ZJ-RLSB-001",
        "rlsb",
        "社会保障卡申领",
        "Social security card",
        "public",
        ["birth", "employment"],
        0,
        20,
        5,
        0,
        None,
        SINGLE,
        {**PERSON, **BABY},
        ["baby_name"],
        [HUKOU],
    ),
    (
        "ZJ-RLSB-002",
        "rlsb",
        "失业保险金申领",
        "Unemployment insurance benefit",
        "benefit",
        ["employment"],
        0,
        20,
        5,
        0,
        None,
        TWO_STEPS,
        {
            **PERSON,
            "last_employer": _f("原工作单位", "Last employer", maxLength=200),
            "bank_account": _f(
                "社保卡金融账户", "Bank account of the card", maxLength=30, pattern="^[0-9]{12,30}$"
            ),
        },
        ["last_employer", "bank_account"],
        [ID_CARD],
    ),
    (
        "ZJ-RLSB-003",
        "rlsb",
        "灵活就业人员参保登记",
        "Insurance registration of the self-employed",
        "public",
        ["employment"],
        0,
        10,
        1,
        0,
        None,
        SINGLE,
        {**PERSON},
        [],
        [ID_CARD, HUKOU],
    ),
    (
        "ZJ-WJW-001",
        "wjw",
        "出生医学证明签发",
        "Birth medical certificate",
        "public",
        ["birth"],
        0,
        10,
        3,
        0,
        None,
        SINGLE,
        {**PERSON, **BABY},
        ["baby_name", "baby_sex", "baby_birth_date", "birth_hospital"],
        [ID_CARD],
    ),
    (
        "ZJ-WJW-002",
        "wjw",
        "生育登记",
        "Registration of a birth plan",
        "public",
        ["birth"],
        0,
        5,
        1,
        0,
        None,
        SINGLE,
        {**PERSON, "expected_date": _f("预产期", "Expected date of birth", format="date")},
        ["expected_date"],
        [ID_CARD, HUKOU],
    ),
    (
        "ZJ-MZJ-001",
        "mzj",
        "内地居民结婚登记",
        "Marriage registration",
        "confirmation",
        ["marriage"],
        1,
        1,
        1,
        0,
        "marriage_certificate",
        SINGLE,
        {
            **PERSON,
            "spouse_name": _f("配偶姓名", "Spouse's name", maxLength=100),
            "spouse_id": _f(
                "配偶身份证号", "Spouse's resident ID number", maxLength=18, pattern="^[0-9]{17}[0-9X]$"
            ),
        },
        ["spouse_name", "spouse_id"],
        [ID_CARD, HUKOU],
    ),
    (
        "ZJ-MZJ-002",
        "mzj",
        "高龄津贴申领",
        "Allowance for the very old",
        "benefit",
        ["retirement"],
        0,
        20,
        10,
        0,
        None,
        SINGLE,
        {**PERSON, "bank_account": _f("收款账户", "Bank account", maxLength=30, pattern="^[0-9]{12,30}$")},
        ["bank_account"],
        [ID_CARD, HUKOU],
    ),
    (
        "ZJ-SW-001",
        "sw",
        "新办纳税人涉税事项",
        "Tax registration of a new taxpayer",
        "public",
        ["business"],
        0,
        5,
        1,
        0,
        None,
        SINGLE,
        {
            **ENTITY,
            "premises": PREMISES,
            "taxpayer_kind": _f(
                "纳税人类型",
                "Taxpayer kind",
                enum=["小规模纳税人", "一般纳税人"],
                **{"x-enum-labels-en": ["small-scale", "general"]},
            ),
        },
        ["premises", "taxpayer_kind"],
        [ENTITY_REC, BIZ_LICENCE],
    ),
    (
        "ZJ-SW-002",
        "sw",
        "发票申领",
        "Invoice application",
        "public",
        ["business"],
        0,
        5,
        1,
        0,
        None,
        SINGLE,
        {
            **ENTITY,
            "quantity": {
                "type": "integer",
                "title": "申领数量（份）",
                "x-title-en": "Quantity",
                "minimum": 1,
                "maximum": 1000,
            },
        },
        ["quantity"],
        [ENTITY_REC],
    ),
    (
        "ZJ-YBJ-001",
        "ybj",
        "城乡居民医保参保登记",
        "Basic medical insurance enrolment",
        "public",
        ["birth", "health"],
        0,
        5,
        1,
        0,
        None,
        SINGLE,
        {**PERSON, **BABY},
        ["baby_name"],
        [HUKOU],
    ),
    (
        "ZJ-YBJ-002",
        "ybj",
        "零星医疗费用报销",
        "Reimbursement of medical expenses",
        "benefit",
        ["health"],
        0,
        20,
        10,
        0,
        None,
        TWO_STEPS,
        {
            **PERSON,
            "amount": {
                "type": "number",
                "title": "报销金额（元）",
                "x-title-en": "Amount (yuan)",
                "minimum": 0.01,
                "maximum": 1000000,
            },
        },
        ["amount"],
        [ID_CARD, upload("invoices", "医疗费用票据", "Medical invoices")],
    ),
    (
        "ZJ-XF-001",
        "xfjy",
        "公众聚集场所投入使用、营业前消防安全检查（告知承诺）",
        "Fire-safety notification before opening",
        "licensing",
        ["business"],
        0,
        10,
        1,
        0,
        None,
        SINGLE,
        {
            **ENTITY,
            "premises": PREMISES,
            "seats": {
                "type": "integer",
                "title": "座位数",
                "x-title-en": "Seats",
                "minimum": 1,
                "maximum": 10000,
            },
            "pledge": {
                "type": "boolean",
                "title": "本单位承诺场所符合消防安全要求",
                "x-title-en": "We pledge the premises meet fire-safety requirements",
            },
        },
        ["premises", "seats", "pledge"],
        [ENTITY_REC],
    ),
    (
        "ZJ-ZRZY-001",
        "zrzy",
        "不动产登记资料查询",
        "Land and property register enquiry",
        "public",
        ["housing"],
        0,
        5,
        1,
        0,
        None,
        SINGLE,
        {**PERSON, "property_address": _f("不动产坐落", "Property address", maxLength=200)},
        ["property_address"],
        [ID_CARD],
    ),
]

BUNDLES = [
    (
        "restaurant",
        "开办餐饮店“一件事”",
        "Opening a restaurant",
        "business",
        "营业执照、食品经营许可、消防安全告知承诺、税务登记：一张表单，一次提交，各部门并联办理。",
        ["ZJ-SCJG-003", "ZJ-SCJG-002", "ZJ-XF-001", "ZJ-SW-001"],
    ),
    (
        "newborn",
        "新生儿出生“一件事”",
        "Having a baby",
        "birth",
        "出生医学证明、出生户口登记、医保参保、社会保障卡：新生儿信息只填一次。",
        ["ZJ-WJW-001", "ZJ-GAJ-002", "ZJ-YBJ-001", "ZJ-RLSB-001"],
    ),
]

EXTRA_ACCOUNTS = [
    # username, display name, role, department code, note
    (
        "xihu_reviewer2",
        "西湖区审批人员二",
        "reviewer",
        "scjg",
        "second reviewer for joint sign-off (会签), 西湖区市场监管",
    ),
    ("xihu_gaj_counter", "西湖区公安窗口", "counter_staff", "gaj", "counter staff, 西湖区公安"),
]


def _guide(name: str, promised: int, visits: int) -> str:
    return (
        f"{name}：网上申请，系统自动调取人口库、法人库和电子证照，无需重复提交。"
        f"承诺{promised}个工作日内办结；跑动次数{visits}次。"
    )


def publish_items(actor, county: OrgUnit) -> dict[str, object]:
    types = registry_selectors.licence_types_by_code()
    depts = {d.code: d for d in account_selectors.departments_in(county, subtree=False)}
    out = {}
    for (
        code,
        dept,
        name,
        en,
        kind,
        events,
        visits,
        statutory,
        promised,
        fee,
        produces,
        steps,
        props,
        required,
        materials,
    ) in ITEMS:
        if dept not in depts:
            continue
        listed = {
            "legal_basis": "《中华人民共和国行政许可法》及相关法律法规。",
            "conditions": "申请人身份真实，材料齐全、符合法定形式。",
            "materials": materials,
            **list_fields(code, dept, county.code, materials),
        }
        out[code] = services.item_publish(
            actor=actor,
            code=code,
            name=name,
            name_en=en,
            kind=kind,
            department=depts[dept],
            life_events=events,
            visits=visits,
            form_schema={**schema(props, required), **SCHEMA_EXTRAS.get(code, {})},
            statutory_days=statutory,
            promised_days=promised,
            fee_fen=fee,
            fee_basis="按国家规定的收费标准" if fee else "",
            consultation=f"{depts[dept].name}窗口；0571-12345",
            complaint="12345 政务服务便民热线",
            guide=_guide(name, promised, visits),
            review_steps=steps,
            produces=types.get(produces) if produces else None,
            **listed,
        )
    return out


def publish_bundles(county: OrgUnit) -> None:
    for code, name, en, event, description, items in BUNDLES:
        bundle, _c = Bundle.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": en,
                "life_event": event,
                "description": description,
                "org_unit": county,
            },
        )
        bundle.items.set(ServiceItem.objects.filter(code__in=items))


def _accounts(actor, county: OrgUnit) -> None:
    for username, display, role, dept_code, _note in EXTRA_ACCOUNTS:
        if _user(username) is not None:
            continue
        dept = account_selectors.departments_in(county, subtree=False).get(code=dept_code)
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=DEMO_PASSWORD,
            kind="staff",
            display_name=display,
            org_unit=county,
            department=dept,
            validate=False,
        )
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=county, department=dept)


def _layout():
    return SimpleUploadedFile("floor-plan.pdf", b"%PDF-1.4 demo floor plan", content_type="application/pdf")


def _demo_cases(actor) -> int:
    """Cases in every state, through the real service functions (idempotent: only once)."""

    if Case.objects.exists():
        return 0
    zhang = _user("citizen_zhang")
    agent = _user("enterprise_agent")
    counter = _user("xihu_counter")
    reviewer = _user("xihu_reviewer")
    if not (zhang and agent and counter and reviewer and zhang.is_real_name):
        return 0
    items = {i.code: i for i in ServiceItem.objects.select_related("current_version")}

    def submit(user, code, files=None, **raw):
        return services.case_submit(actor=user, item=items[code], raw=raw, files=files)

    n = 0
    # scjg, processed by the demo counter staff and reviewers
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记小吃", premises="西湖区文三路18号")  # submitted
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记茶铺", premises="西湖区古翠路8号")
    services.case_accept(actor=counter, case=c)  # accepted, under review
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记面馆", premises="西湖区学院路")
    services.case_request_correction(
        actor=counter,
        case=c,
        note="地址不完整",
        items=["经营场所地址缺少门牌号", "字号名称与已登记字号重复，请更换"],
    )  # correction requested
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记水果", premises="西湖区天目山路66号")
    services.case_refuse(actor=counter, case=c, note="经营场所位于禁止经营区域，不属于受理范围。")
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记烘焙", premises="西湖区文三路120号")
    services.case_accept(actor=counter, case=c)
    services.case_reject(actor=reviewer, case=c, note="经营场所与住所性质不符。")
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记文具", premises="西湖区学院路77号")
    services.case_accept(actor=counter, case=c)
    services.case_approve(actor=reviewer, case=c, note="材料齐全，符合条件。")  # completed
    services.rating_submit(
        actor=zhang,
        case=c,
        score=5,
        sub_scores={"efficiency": 5, "convenience": 5, "usability": 4},
        comment="全程网办，很方便",
    )
    c = submit(zhang, "ZJ-SCJG-004", shop_name="张记花店", premises="西湖区古翠路15号")
    services.case_withdraw(actor=zhang, case=c)
    c = submit(
        zhang, "ZJ-SCJG-001", category="N1", training_org="杭州特种设备培训中心", work_years="3"
    )  # unpaid
    # a food permit with joint sign-off (会签), waiting for the second signer
    c = submit(
        agent,
        "ZJ-SCJG-002",
        files={"material_layout": _layout()},
        premises="西湖区文三路200号",
        food_categories="热食类",
        area_sqm="80",
    )
    services.case_accept(actor=counter, case=c)
    services.case_approve(actor=reviewer, case=c, note="审查通过")  # now at 会签
    # an overdue case, filed and accepted long ago at its own time (its expected completion
    # follows its submission); the replayed SLA scan escalates it when it fell due
    filed = timezone.now() - dt.timedelta(days=40)
    with clock.as_of(filed):
        c = submit(agent, "ZJ-SCJG-005", change_item="住所", new_value="西湖区天目山路300号")
    with clock.as_of(filed + dt.timedelta(hours=3)):
        services.case_accept(actor=counter, case=c)
    # a bundle (newborn), fanned out to four departments
    newborn = Bundle.objects.filter(code="newborn").first()
    if newborn:
        services.bundle_submit(
            actor=zhang,
            bundle=newborn,
            raw={
                "baby_name": "张小宝",
                "baby_sex": "M",
                "baby_birth_date": "2025-09-01",
                "birth_hospital": "浙江大学医学院附属妇产科医院",
            },
        )
    # other departments' items, completed and rated (statistics have content)
    for code, score, comment in [
        ("ZJ-RLSB-003", 4, ""),
        ("ZJ-ZRZY-001", 2, "查询结果打印不清晰，窗口未说明原因"),
    ]:
        raw = {"property_address": "西湖区文三路88号"} if code == "ZJ-ZRZY-001" else {}
        c = submit(zhang, code, **raw)
        services.case_accept(actor=actor, case=c)
        services.case_approve(actor=actor, case=c, note="同意")
        services.rating_submit(
            actor=zhang, case=c, score=score, comment=comment, reasons=["guide"] if score <= 2 else []
        )
    clock.replay_sla(filed)
    n = Case.objects.count()
    return n


@transaction.atomic
def seed(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda *_: None)
    actor = system_actor()
    try:
        county = account_selectors.org_unit_get(COUNTY)
    except NotFound:
        say("services: no 西湖区 in the org tree; run the registry demo first")
        return {}
    for code, name, en, holder, kind, years in LICENCE_TYPES:
        registry.licence_type_create(
            actor=actor,
            code=code,
            name=name,
            holder_kind=holder,
            name_en=en,
            issuing_department_kind=kind,
            validity_years=years,
        )
    publish_items(actor, county)
    publish_bundles(county)
    _accounts(actor, county)
    _demo_cases(actor)
    demo_autodecide.seed(actor, county)  # 秒批 and 免申即享
    demo_onestop.seed_onestop(actor, county)
    # The 好差评 and handling indicators replace the catalogue's former random statistics.
    say(f"services: evaluation indicators {evaluation.evaluation_publish()}")
    say(
        f"service items: {ServiceItem.objects.count()}, bundles: {Bundle.objects.count()}, cases: {Case.objects.count()}"
    )
    return {
        "service_items": ServiceItem.objects.count(),
        "bundles": Bundle.objects.count(),
        "cases": Case.objects.count(),
    }


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, role, f"西湖区 {COUNTY}", note) for u, _d, role, _dept, note in EXTRA_ACCOUNTS] + (
        demo_onestop.account_rows()
    )
