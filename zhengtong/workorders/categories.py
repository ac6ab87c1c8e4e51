"""The 12345 categories shipped with the platform, in two levels after GB/T 39666-2020 (政府热线服务
分类与代码). The standard's own code table was not available to us: the twelve first-level
classes (大类) follow the published summaries of the standard, and their codes follow its
structure (two digits per level). The second level is ours, written from the 中类 commonly used by
provincial 12345 lists; a deployment replaces or extends it (``categories_ensure`` only adds what
is missing, never renames). docs/workorders.md, "Categories", says the same.

``LEGACY`` maps the eleven flat codes used before the two-level list (migration 0005 moved every
work order, routing rule and cockpit feed to the second-level code here)."""

from __future__ import annotations

from django.db import transaction

from zhengtong.core import cache
from zhengtong.workorders.models import Category

# (code, name, English name, second level: [(code, name, English name), ...])
TREE: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "01",
        "社会保障与就业",
        "Social security and employment",
        [
            ("0101", "就业创业", "Employment and entrepreneurship"),
            ("0102", "劳动关系与工资", "Labour relations and wages"),
            ("0103", "社会保险", "Social insurance"),
            ("0104", "社会救助与养老服务", "Social assistance and elderly care"),
        ],
    ),
    (
        "02",
        "教育文化与体育",
        "Education, culture and sport",
        [
            ("0201", "学前与义务教育", "Pre-school and compulsory education"),
            ("0202", "高中、职业与高等教育", "Secondary, vocational and higher education"),
            ("0203", "文化旅游与体育", "Culture, tourism and sport"),
        ],
    ),
    (
        "03",
        "医疗卫生与计划生育",
        "Health care and family planning",
        [
            ("0301", "医疗服务", "Medical services"),
            ("0302", "医疗保障", "Medical insurance"),
            ("0303", "公共卫生与疾病防控", "Public health and disease control"),
        ],
    ),
    (
        "04",
        "环境保护与资源利用",
        "Environmental protection and resources",
        [
            ("0401", "生态环境污染", "Pollution of the environment"),
            ("0402", "自然资源与国土", "Natural resources and land"),
            ("0403", "园林绿化", "Parks and greening"),
        ],
    ),
    (
        "05",
        "城乡建设与管理",
        "Urban and rural construction and management",
        [
            ("0501", "市容环卫与城市管理", "City appearance, sanitation and urban management"),
            ("0502", "住房与物业", "Housing and property management"),
            ("0503", "供水供电供气供热", "Water, power, gas and heating"),
            ("0504", "市政设施", "Municipal facilities"),
        ],
    ),
    (
        "06",
        "交通运输与物流",
        "Transport and logistics",
        [
            ("0601", "道路交通", "Roads and traffic"),
            ("0602", "公共交通与出租车", "Public transport and taxis"),
            ("0603", "物流快递", "Logistics and parcels"),
        ],
    ),
    (
        "07",
        "商贸服务与消费者权益保护",
        "Commerce and consumer rights",
        [
            ("0701", "消费维权", "Consumer rights"),
            ("0702", "食品药品安全", "Food and drug safety"),
            ("0703", "市场秩序与价格", "Market order and prices"),
        ],
    ),
    (
        "08",
        "金融服务与保险",
        "Financial services and insurance",
        [
            ("0801", "银行与支付", "Banking and payments"),
            ("0802", "保险服务", "Insurance services"),
            ("0803", "非法集资与金融诈骗", "Illegal fund-raising and financial fraud"),
        ],
    ),
    (
        "09",
        "公共安全与治安",
        "Public safety and order",
        [
            ("0901", "社会治安", "Public order"),
            ("0902", "消防与安全生产", "Fire and work safety"),
            ("0903", "户籍与出入境", "Household registration and exit-entry"),
        ],
    ),
    (
        "10",
        "司法服务与法律援助",
        "Judicial services and legal aid",
        [
            ("1001", "法律援助与公证", "Legal aid and notarization"),
            ("1002", "矛盾纠纷调解", "Mediation of disputes"),
        ],
    ),
    (
        "11",
        "行政管理与公共服务",
        "Administration and public services",
        [
            ("1101", "政务服务", "Government services"),
            ("1102", "政府信息公开", "Government information disclosure"),
            ("1103", "机关作风与效能", "Conduct and efficiency of public bodies"),
        ],
    ),
    ("12", "其他", "Other", [("1201", "其他诉求", "Other requests")]),
]

# The flat codes before the two-level list → the second-level code that replaced each.
LEGACY: dict[str, str] = {
    "urban": "0501",
    "environment": "0401",
    "transport": "0601",
    "housing": "0502",
    "market": "0701",
    "labour": "0102",
    "health": "0301",
    "education": "0201",
    "public_security": "0901",
    "government_services": "1101",
    "other": "1201",
}

# The cache namespace of the category table (selectors read it; writes here invalidate it).
CACHE_NAMESPACE = "workorders.categories"


@transaction.atomic
def categories_ensure() -> int:
    """Create the shipped categories that are missing (idempotent; existing rows, their names and
    their ``active`` flag are left as the deployment set them); returns how many were new."""
    created = 0
    for order, (code, name, name_en, children) in enumerate(TREE, start=1):
        parent, new = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order * 100}
        )
        created += new
        for sub_order, (sub_code, sub_name, sub_en) in enumerate(children, start=1):
            _obj, new = Category.objects.get_or_create(
                code=sub_code,
                defaults={
                    "name": sub_name,
                    "name_en": sub_en,
                    "parent": parent,
                    "order": order * 100 + sub_order,
                },
            )
            created += new
    if created:
        transaction.on_commit(lambda: cache.invalidate(CACHE_NAMESPACE))
    return created
