"""Demo data of counter intake, 告知承诺制 and 跨省通办 (called from ``demo.seed``): the 承诺书 of
the food workshop registration, that item (a commitment may replace the staff's health
certificates; receivable anywhere in the province), and a counter clerk at 义乌市's service centre
who receives it for 西湖区. Idempotent."""

from __future__ import annotations

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.core.errors import NotFound
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry import services as registry
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.services import services

ITEM = "ZJ-SCJG-101"
YIWU = "330782"
ACCOUNTS = [
    (
        "yiwu_counter",
        "义乌市政务服务中心综合窗口",
        "counter_staff",
        YIWU,
        "comprehensive counter (综合窗口), 义乌市: receives 通办 items",
    )
]


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, role, f"义乌市 {unit}", note) for u, _d, role, unit, note in ACCOUNTS]


def seed_onestop(actor, county) -> None:
    if "food_workshop" not in registry_selectors.licence_types_by_code():
        registry.licence_type_create(
            actor=actor,
            code="food_workshop",
            name="食品小作坊登记证",
            holder_kind="person",
            name_en="Food workshop registration certificate",
            validity_years=3,
        )
    services.commitment_text_publish(
        actor=actor,
        code="food-workshop-health",
        title="食品小作坊从业人员健康承诺书",
        promise=(
            "本人承诺：本作坊从事接触直接入口食品工作的从业人员均已取得有效健康证明，"
            "患有国务院卫生行政部门规定的有碍食品安全疾病的人员不从事接触直接入口食品的工作；"
            "自登记之日起20个工作日内接受核查，并按要求提供健康证明原件。"
        ),
        liability=(
            "承诺不实的，登记机关依法撤销食品小作坊登记证，本人承担相应法律责任；"
            "虚假承诺记入信用记录，修复前不再适用告知承诺制和容缺受理（国办发〔2020〕42号）。"
        ),
    )
    depts = {d.code: d for d in account_selectors.departments_in(county, subtree=False)}
    types = registry_selectors.licence_types_by_code()
    item = services.item_publish(
        actor=actor,
        code=ITEM,
        name="食品小作坊登记",
        name_en="Food workshop registration",
        kind="licensing",
        department=depts["scjg"],
        life_events=["business"],
        legal_basis="《中华人民共和国食品安全法》第三十六条；《浙江省食品小作坊小餐饮店小食杂店和食品摊贩管理规定》第八条",
        conditions="有固定生产加工场所，从业人员持有有效健康证明，生产条件符合食品安全要求。",
        materials=[
            {
                "code": "health",
                "name": "从业人员健康证明",
                "name_en": "Staff health certificates",
                "source": "upload",
                "commitment": "food-workshop-health",
            },
            {
                "code": "plan",
                "name": "生产加工场所平面图",
                "name_en": "Floor plan of the premises",
                "source": "upload",
                "required": False,
            },
        ],
        form_schema={
            "type": "object",
            "properties": {
                "name": {
                    "type": "string",
                    "title": "申请人姓名",
                    "x-title-en": "Applicant",
                    "x-source": "person.name",
                },
                "shop_name": {
                    "type": "string",
                    "title": "作坊名称",
                    "x-title-en": "Workshop name",
                    "maxLength": 60,
                },
                "products": {
                    "type": "string",
                    "title": "生产品种",
                    "x-title-en": "Products",
                    "maxLength": 100,
                },
            },
            "required": ["name", "shop_name", "products"],
        },
        statutory_days=15,
        promised_days=5,
        review_steps=[{"name": "审核", "mode": "single"}],
        produces=types["food_workshop"],
        consultation="0571-87654321",
        complaint="12345",
        guide="食品小作坊登记：可以告知承诺方式代替从业人员健康证明；全省通办，可在任一政务服务中心窗口收件。",
    )
    if item.tongban != "province":
        services.item_set_tongban(actor=actor, item=item, scope="province")
    for username, display, role, unit_code, _note in ACCOUNTS:
        try:
            account_services.user_by_username(username)
            continue
        except NotFound:
            pass
        try:
            unit = account_selectors.org_unit_get(unit_code)
        except NotFound:
            continue
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=DEMO_PASSWORD,
            kind="staff",
            display_name=display,
            org_unit=unit,
            validate=False,
        )
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit)
