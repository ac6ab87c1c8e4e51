"""The incident categories shipped with the platform, in the style of GB/T 30428.2 (数字化城市管理
信息系统 第2部分:管理部件和事件): components (部件, code C + class + subclass) and events
(事件, E + class + subclass), plus the two grassroots-governance classes the 四平台 add (矛盾纠纷
and 安全隐患: E07, E08). The full standard text was not available; codes follow its structure
(major class, subclass), not its exact numbering."""

from __future__ import annotations

from django.db import transaction

from zhengtong.grid.models import Category

SEVERITY = {
    "code": "severity",
    "datatype": "singlevaluelist",
    "required": True,
    "description": "严重程度 severity",
    "values": [{"key": "1", "name": "一般"}, {"key": "2", "name": "较重"}, {"key": "3", "name": "严重"}],
}
PARTIES = {
    "code": "parties",
    "datatype": "number",
    "required": False,
    "description": "当事人数 parties involved",
}
# The legal entity an incident is about (a shop vending on the road, a site building without a
# permit): supervision's master record of the entity (一户一档) lists these incidents.
ENTITY = {
    "code": "entity_uscc",
    "datatype": "string",
    "required": False,
    "description": "涉及单位统一社会信用代码 credit code of the entity concerned",
}

# code, kind, group, name, name_en, working days, hours, department kind, public, attributes
CATEGORIES = [
    ("C0101", "component", "公用设施", "上水井盖", "Water main manhole cover", 3, None, "housing", True, []),
    ("C0103", "component", "公用设施", "污水井盖", "Sewer manhole cover", 3, None, "housing", True, []),
    ("C0201", "component", "道路交通", "路灯", "Street light", 2, None, "housing", True, []),
    ("C0208", "component", "道路交通", "交通护栏", "Traffic railing", 5, None, "public_security", True, []),
    ("C0306", "component", "市容环境", "垃圾箱", "Litter bin", 2, None, "law_enforcement", True, []),
    ("C0401", "component", "园林绿化", "行道树", "Street tree", 5, None, "law_enforcement", True, []),
    ("E0101", "event", "市容环境", "暴露垃圾", "Exposed rubbish", None, 24, "law_enforcement", True, []),
    (
        "E0102",
        "event",
        "市容环境",
        "积存垃圾渣土",
        "Accumulated rubbish and spoil",
        None,
        48,
        "law_enforcement",
        True,
        [],
    ),
    (
        "E0302",
        "event",
        "施工管理",
        "违法建设",
        "Unauthorised construction",
        5,
        None,
        "law_enforcement",
        True,
        [ENTITY],
    ),
    ("E0401", "event", "突发事件", "路面塌陷", "Road collapse", None, 4, "housing", True, [SEVERITY]),
    (
        "E0501",
        "event",
        "街面秩序",
        "占道经营",
        "Street vending on the roadway",
        None,
        24,
        "law_enforcement",
        True,
        [ENTITY],
    ),
    ("E0506", "event", "街面秩序", "机动车乱停放", "Illegal parking", None, 8, "public_security", True, []),
    ("E0701", "event", "矛盾纠纷", "邻里纠纷", "Neighbour dispute", 5, None, "justice", False, [PARTIES]),
    (
        "E0702",
        "event",
        "矛盾纠纷",
        "劳资纠纷",
        "Wage dispute",
        5,
        None,
        "human_resources",
        False,
        [PARTIES, ENTITY],
    ),
    (
        "E0801",
        "event",
        "安全隐患",
        "消防安全隐患",
        "Fire hazard",
        None,
        24,
        "fire_rescue",
        True,
        [SEVERITY, ENTITY],
    ),
    (
        "E0802",
        "event",
        "安全隐患",
        "燃气安全隐患",
        "Gas hazard",
        None,
        4,
        "emergency",
        True,
        [SEVERITY, ENTITY],
    ),
    ("E0803", "event", "安全隐患", "危房隐患", "Dangerous building", 2, None, "housing", True, [SEVERITY]),
]


@transaction.atomic
def categories_ensure() -> int:
    """Create the shipped categories that are missing (idempotent); returns how many were new."""
    created = 0
    for code, kind, group, name, name_en, days, hours, dept, is_public, attributes in CATEGORIES:
        _obj, new = Category.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "group": group,
                "name": name,
                "name_en": name_en,
                "description": f"{group} · {name} ({name_en})",
                "keywords": f"{group},{name}",
                "sla_working_days": days,
                "sla_hours": hours,
                "department_kind": dept,
                "is_public": is_public,
                "attributes": attributes,
            },
        )
        created += new
    return created
