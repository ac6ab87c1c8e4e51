"""The two-level 12345 categories (GB/T 39666): the table, its seed, and every work order,
work-order routing rule and cockpit feed moved from the eleven flat codes to the second-level
code that replaced each (``LEGACY``). The seed and the mapping are frozen here (a migration must
not change with the code); ``workorders.categories`` holds the same lists for
``categories_ensure``, and a test checks they agree. Reversible: the reverse maps each code back."""

import django.db.models.deletion
from django.db import migrations, models

# (code, name, English name, [(code, name, English name), ...]) as shipped in 0005.
TREE = [
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

LEGACY = {
    "education": "0201",
    "environment": "0401",
    "government_services": "1101",
    "health": "0301",
    "housing": "0502",
    "labour": "0102",
    "market": "0701",
    "other": "1201",
    "public_security": "0901",
    "transport": "0601",
    "urban": "0501",
}


def seed(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    for order, (code, name, name_en, children) in enumerate(TREE, start=1):
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order * 100}
        )
        for sub_order, (sub_code, sub_name, sub_en) in enumerate(children, start=1):
            Category.objects.get_or_create(
                code=sub_code,
                defaults={
                    "name": sub_name,
                    "name_en": sub_en,
                    "parent": parent,
                    "order": order * 100 + sub_order,
                },
            )


def _move(apps, mapping):
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    RoutingRule = apps.get_model("workorders", "RoutingRule")
    for old, new in mapping.items():
        WorkOrder.objects.filter(category=old).update(category=new)
        RoutingRule.objects.filter(domain="workorders", category=old).update(category=new)


def forward(apps, schema_editor):
    seed(apps, schema_editor)
    _move(apps, LEGACY)


def backward(apps, schema_editor):
    _move(apps, {new: old for old, new in LEGACY.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0004_hotline_callers_knowledge"),
    ]

    operations = [
        migrations.CreateModel(
            name="Category",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=8, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=40, verbose_name="name")),
                ("name_en", models.CharField(max_length=80, verbose_name="English name")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="workorders.category",
                        verbose_name="first level",
                    ),
                ),
            ],
            options={
                "verbose_name": "work-order category",
                "verbose_name_plural": "work-order categories",
                "ordering": ["order", "code"],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
