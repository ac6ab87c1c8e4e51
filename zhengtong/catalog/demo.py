"""Demo open data: deterministic, realistic datasets of demo departments, loaded through the
real load path (services.load_start) and taken through the real lifecycle.

- 杭州市企业登记信息 (2,000 enterprises with legal representatives' names, resident ID numbers and
  phones: the desensitization showcase), published unconditionally after masking;
- 杭州市空气质量小时数据 (hourly readings per monitoring station), published;
- 杭州市公交站点 (bus stops with coordinates), published;
- 西湖区政务服务大厅 (service halls with opening hours), published;
- 西湖区养老服务机构 (care homes with contact phones kept): conditionally open, one application;
- 义乌市市场经营户名录 (stall holders): loaded and waiting for the data security officer.

Idempotent: a second run finds every resource, version and decision in place and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.catalog import selectors, services
from zhengtong.catalog.models import DataApplication, DataResource, UsageDaily
from zhengtong.core.errors import NotFound
from zhengtong.core.identifiers import generate_resident_id, make_uscc
from zhengtong.registry.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from zhengtong.accounts.models import User

SEED = 20251101
DISTRICTS = [
    ("330102", "上城区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁沈姚卢钟姜崔陆范汪金"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞志宏文辉建国新春海燕立晨宇浩然欣怡子涵梓萱一诺雨轩思远嘉怡俊杰晓东"
BRANDS = "恒信鼎盛华瑞嘉禾远航宏达锦程天成博远新锐云帆汇通德润晨光启明浙商钱塘西子之江运河龙井"
INDUSTRIES = [
    ("科技", "软件和信息技术服务业"),
    ("电子商务", "互联网和相关服务"),
    ("餐饮管理", "餐饮业"),
    ("文化传媒", "文化艺术业"),
    ("茶业", "农副食品加工业"),
    ("物流", "道路运输业"),
    ("建筑工程", "建筑装饰业"),
    ("服装", "纺织服装、服饰业"),
    ("生物医药", "医药制造业"),
    ("咨询", "商务服务业"),
]
TYPES = ["有限责任公司", "有限责任公司(自然人独资)", "股份有限公司", "个人独资企业", "合伙企业"]
STATUSES = ["存续"] * 16 + ["在业"] * 2 + ["注销", "吊销"]
STREETS = [
    "文三路",
    "天目山路",
    "古翠路",
    "学院路",
    "教工路",
    "莫干山路",
    "江南大道",
    "滨盛路",
    "市心路",
    "文一西路",
    "延安路",
    "解放路",
]
MOBILE_PREFIXES = ["139", "138", "187", "158", "136", "189", "177", "133", "186", "199", "135", "152"]

# Departments the demo adds next to the registry demo's (data owners of the datasets).
EXTRA_DEPARTMENTS = [
    ("330100", "sthj", "杭州市生态环境局", "Hangzhou Ecology and Environment Bureau", "environment"),
    ("330100", "jtys", "杭州市交通运输局", "Hangzhou Transport Bureau", "transport"),
]

ACCOUNTS = [
    # username, display name, role, scope, department code (None: the whole unit), note
    (
        "hz_data_publisher",
        "杭州市数据发布员",
        "data_publisher",
        "330100",
        None,
        "publishes Hangzhou's open data",
    ),
    (
        "xihu_data_publisher",
        "西湖区数据发布员",
        "data_publisher",
        "330106",
        None,
        "publishes 西湖区 open data",
    ),
    (
        "yiwu_data_publisher",
        "义乌市数据发布员",
        "data_publisher",
        "330782",
        None,
        "publishes 义乌市 open data",
    ),
    (
        "zj_data_officer",
        "省数据安全审核员",
        "data_officer",
        "330000",
        None,
        "reviews data before publication",
    ),
]
DATA_USER = ("data_user", "数据利用者", "researcher with an API key and a data application")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# ----------------------------------------------------------------------------- generators


def enterprises(n: int = 2000) -> bytes:
    rng = random.Random(SEED + 1)
    header = [
        "统一社会信用代码",
        "企业名称",
        "企业类型",
        "行业",
        "行政区划代码",
        "所属区县",
        "注册资本(万元)",
        "成立日期",
        "登记状态",
        "住所",
        "法定代表人",
        "法定代表人身份证号",
        "联系电话",
        "从业人数",
    ]
    rows = []
    for i in range(n):
        code, district = DISTRICTS[i % len(DISTRICTS)]
        suffix, industry = rng.choice(INDUSTRIES)
        brand = rng.choice(BRANDS) + rng.choice(BRANDS)
        kind = rng.choice(TYPES)
        name = f"杭州{brand}{suffix}{kind}"
        uscc = make_uscc("9", "1", code, f"MA{i:06d}{'0123456789ABCDEFGH'[i % 18]}")
        founded = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 30))
        birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
        rid = generate_resident_id(code, birth, (i * 7) % 1000)
        capital = round(rng.choice([10, 30, 50, 100, 200, 500, 1000, 5000]) * rng.uniform(0.5, 2.0), 2)
        rows.append(
            [
                uscc,
                name,
                kind,
                industry,
                code,
                district,
                capital,
                founded.isoformat(),
                rng.choice(STATUSES),
                f"浙江省杭州市{district}{rng.choice(STREETS)}{rng.randrange(1, 999)}号",
                _name(rng),
                rid,
                _phone(rng),
                int(rng.lognormvariate(2.5, 1.0)) + 1,
            ]
        )
    return _csv(header, rows)


STATIONS = [
    ("hz-01", "西溪", 120.063, 30.274),
    ("hz-02", "朝晖五区", 120.157, 30.290),
    ("hz-03", "和睦小学", 120.125, 30.311),
    ("hz-04", "滨江", 120.201, 30.206),
    ("hz-05", "城厢镇", 120.269, 30.181),
    ("hz-06", "临平镇", 120.301, 30.419),
]


def air_quality(days: int = 7) -> bytes:
    rng = random.Random(SEED + 2)
    header = ["站点编号", "站点名称", "监测时间", "AQI", "PM2.5", "PM10", "O3", "NO2", "首要污染物"]
    rows = []
    start = dt.datetime(2025, 10, 1)
    for h in range(days * 24):
        at = start + dt.timedelta(hours=h)
        daily = 0.5 + 0.5 * math.sin((at.hour - 9) / 24 * 2 * math.pi)
        for code, name, _lng, _lat in STATIONS:
            pm25 = max(3, int(rng.gauss(28 + 22 * daily, 8)))
            pm10 = pm25 + max(2, int(rng.gauss(20, 6)))
            o3 = max(5, int(rng.gauss(60 + 50 * daily, 15)))
            no2 = max(3, int(rng.gauss(30 - 10 * daily, 6)))
            aqi = max(int(pm25 * 1.4), int(o3 * 0.6))
            main = "PM2.5" if pm25 * 1.4 >= o3 * 0.6 else "O3"
            rows.append(
                [
                    code,
                    name,
                    at.strftime("%Y-%m-%d %H:%M"),
                    aqi,
                    pm25,
                    pm10,
                    o3,
                    no2,
                    main if aqi > 50 else "",
                ]
            )
    return _csv(header, rows)


def bus_stops(n: int = 400) -> bytes:
    rng = random.Random(SEED + 3)
    header = ["站点编号", "站点名称", "所属区县", "经度", "纬度", "途经线路数", "是否有候车亭"]
    rows = []
    for i in range(n):
        _code, district = DISTRICTS[i % len(DISTRICTS)]
        street = rng.choice(STREETS)
        cross = rng.choice(STREETS)
        lng = round(120.05 + rng.random() * 0.30, 6)
        lat = round(30.15 + rng.random() * 0.25, 6)
        rows.append(
            [
                f"BS{i + 1:05d}",
                f"{street}{cross}口" if street != cross else f"{street}站",
                district,
                lng,
                lat,
                rng.randint(1, 12),
                rng.choice(["是", "是", "否"]),
            ]
        )
    return _csv(header, rows)


def service_halls() -> bytes:
    rng = random.Random(SEED + 4)
    header = [
        "大厅名称",
        "级别",
        "地址",
        "咨询电话",
        "工作日开放时间",
        "周末开放时间",
        "窗口数",
        "可办事项数",
    ]
    rows = []
    townships = [
        "北山街道",
        "西溪街道",
        "翠苑街道",
        "文新街道",
        "古荡街道",
        "西湖街道",
        "留下街道",
        "转塘街道",
        "蒋村街道",
        "灵隐街道",
        "三墩镇",
        "双浦镇",
    ]
    rows.append(
        [
            "西湖区民生综合服务中心",
            "区级",
            "杭州市西湖区文三路 90 号",
            "0571-87654321",
            "08:30-17:00",
            "09:00-12:00",
            86,
            1520,
        ]
    )
    for t in townships:
        rows.append(
            [
                f"{t}便民服务中心",
                "乡镇(街道)级",
                f"杭州市西湖区{t}{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
                f"0571-8{rng.randrange(10**6, 10**7)}",
                "08:30-17:00",
                rng.choice(["09:00-12:00", "不开放"]),
                rng.randint(6, 20),
                rng.randint(120, 380),
            ]
        )
    return _csv(header, rows)


def care_homes() -> bytes:
    rng = random.Random(SEED + 6)
    header = ["机构名称", "机构性质", "地址", "床位数", "入住人数", "负责人", "负责人手机"]
    rows = []
    for i in range(40):
        rows.append(
            [
                f"西湖区{rng.choice(BRANDS)}{rng.choice(BRANDS)}颐养院{i + 1}号",
                rng.choice(["公办", "民办", "公建民营"]),
                f"杭州市西湖区{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
                rng.randint(30, 300),
                rng.randint(10, 280),
                _name(rng),
                _phone(rng),
            ]
        )
    return _csv(header, rows)


def stall_holders() -> bytes:
    rng = random.Random(SEED + 7)
    header = ["摊位号", "经营者姓名", "经营者手机", "主营商品", "所在区块"]
    goods = ["饰品", "玩具", "箱包", "五金", "文具", "袜业", "工艺品", "电子产品"]
    rows = [
        [f"F{d}-{i:04d}", _name(rng), _phone(rng), rng.choice(goods), f"国际商贸城{d}区"]
        for d in range(1, 6)
        for i in range(1, 61)
    ]
    return _csv(header, rows)


# ----------------------------------------------------------------------------- seeding

DATASETS = [
    # name, unit, department, title, title_en, domain, frequency, keywords, generator, final state, openness, overrides
    (
        "hz-enterprise-registry",
        "330100",
        "scjg",
        "杭州市企业登记信息",
        "Hangzhou enterprise registry",
        "economy",
        "monthly",
        ["企业", "市场主体", "法人", "登记"],
        enterprises,
        "published",
        "unconditional",
        {},
    ),
    (
        "hz-air-quality-hourly",
        "330100",
        "sthj",
        "杭州市空气质量小时数据",
        "Hangzhou hourly air quality",
        "environment",
        "hourly",
        ["空气质量", "AQI", "PM2.5", "环境监测"],
        air_quality,
        "published",
        "unconditional",
        {},
    ),
    (
        "hz-bus-stops",
        "330100",
        "jtys",
        "杭州市公交站点",
        "Hangzhou bus stops",
        "transport",
        "quarterly",
        ["公交", "站点", "交通", "坐标"],
        bus_stops,
        "published",
        "unconditional",
        {},
    ),
    (
        "xihu-service-halls",
        "330106",
        "dsj",
        "西湖区政务服务大厅",
        "Xihu service halls",
        "government_services",
        "yearly",
        ["政务服务", "办事大厅", "开放时间"],
        service_halls,
        "published",
        "unconditional",
        {
            "咨询电话": {"grade": "L1", "policy": {"op": "keep"}},
            "级别": {"category": "none", "grade": "L1", "policy": {"op": "keep"}},
        },
    ),
    (
        "xihu-care-homes",
        "330106",
        "mzj",
        "西湖区养老服务机构",
        "Xihu care homes",
        "social",
        "quarterly",
        ["养老", "民政", "床位"],
        care_homes,
        "published",
        "conditional",
        {"负责人手机": {"policy": {"op": "keep"}}, "负责人": {"policy": {"op": "keep"}}},
    ),
    (
        "yiwu-stall-holders",
        "330782",
        "scjg",
        "义乌市市场经营户名录",
        "Yiwu market stall holders",
        "economy",
        "monthly",
        ["义乌", "小商品", "经营户"],
        stall_holders,
        "under_review",
        "unconditional",
        {},
    ),
]


def _unit(code: str):
    try:
        return account_selectors.org_unit_get(code)
    except NotFound:
        return None


def _user(username: str):
    try:
        return account_services.user_by_username(username)
    except NotFound:
        return None


def _ensure_people(say) -> dict[str, User]:
    system = system_actor()
    for unit_code, code, name, name_en, kind in EXTRA_DEPARTMENTS:
        unit = _unit(unit_code)
        if unit is not None and account_selectors.department_by_code(unit_code, code) is None:
            account_services.department_create(
                actor=system, org_unit=unit, code=code, name=name, name_en=name_en, kind=kind
            )
    users: dict[str, User] = {}
    for username, display, role, scope, dept_code, _note in ACCOUNTS:
        unit = account_selectors.org_unit_get(scope)
        dept = account_selectors.department_by_code(scope, dept_code) if dept_code else None
        user = _user(username)
        if user is None:
            user = account_services.user_create(
                actor=system,
                username=username,
                password=DEMO_PASSWORD,
                kind=UserKind.STAFF,
                org_unit=unit,
                department=dept,
                display_name=display,
            )
        if not account_selectors.user_grants(user).filter(role=role, org_unit=unit).exists():
            account_services.role_grant(actor=system, user=user, role=role, org_unit=unit, department=dept)
        users[username] = user
    username, display, _note = DATA_USER
    user = _user(username)
    if user is None:
        user = account_services.user_create(
            actor=None, username=username, password=DEMO_PASSWORD, kind=UserKind.CITIZEN, display_name=display
        )
    users[username] = user
    return users


def _publisher_for(users: dict[str, User], unit_code: str) -> User:
    return {"330100": users["hz_data_publisher"], "330106": users["xihu_data_publisher"]}.get(
        unit_code, users["yiwu_data_publisher"]
    )


def seed(stdout=None) -> dict[str, int]:
    """Create the demo datasets (idempotent); returns counts of what exists afterwards."""
    say = stdout.write if stdout else (lambda *_: None)
    if _unit("330100") is None:
        say("catalog demo: the registry demo's org units are missing; run it first")
        return {"data_resources": 0}
    with transaction.atomic():
        users = _ensure_people(say)
    officer = users["zj_data_officer"]
    loaded = 0
    with tempfile.TemporaryDirectory(prefix="zt-catalog-demo-") as tmp:
        for (
            name,
            unit_code,
            dept_code,
            title,
            title_en,
            domain,
            freq,
            keywords,
            generator,
            final,
            openness,
            overrides,
        ) in DATASETS:
            dept = account_selectors.department_by_code(unit_code, dept_code)
            if dept is None:
                say(f"catalog demo: no department {dept_code} in {unit_code}; skipped {name}")
                continue
            publisher = _publisher_for(users, unit_code)
            resource = DataResource.objects.filter(name=name).first()
            if resource is None:
                resource = services.resource_create(
                    actor=publisher,
                    department=dept,
                    name=name,
                    title=title,
                    title_en=title_en,
                    domain=domain,
                    update_frequency=freq,
                    keywords=keywords,
                    licence="CC-BY-4.0",
                    openness="unconditional",
                    description=_description(title),
                    contact_name=dept.name,
                    contact_email=f"opendata-{dept_code}@example.gov.cn",
                    temporal_start=dt.date(2024, 1, 1),
                    temporal_end=dt.date(2025, 10, 31),
                )
            if resource.current_version_id is None:
                path = Path(tmp) / f"{name}.csv"
                path.write_bytes(generator())
                job = services.load_start(
                    actor=publisher, resource=resource, uploaded_file=str(path), mode="replace", run_now=True
                )
                if job.state != "succeeded":
                    say(f"catalog demo: load of {name} failed: {job.message} {job.errors[:3]}")
                    continue
                loaded += 1
                resource.refresh_from_db()
            if resource.state == "draft":
                if not all(f.get("confirmed") for f in resource.current_version.fields):
                    services.field_grades_set(
                        actor=publisher,
                        resource=resource,
                        changes=overrides,
                        confirm_all=True,
                        note="演示数据：已核对字段分级",
                    )
                    resource.refresh_from_db()
                if openness != resource.openness:
                    services.resource_update(actor=publisher, resource=resource, openness=openness)
                services.resource_submit(actor=publisher, resource=resource)
                resource.refresh_from_db()
            if resource.state == "under_review" and final == "published":
                services.resource_approve(actor=officer, resource=resource)
                resource.refresh_from_db()
            # Usage figures so the portal's sorting and the open-data index have something to show.
            if resource.state == "published" and not UsageDaily.objects.filter(resource=resource).exists():
                rng = random.Random(f"{SEED}-{name}")
                today = dt.date(2025, 10, 31)
                UsageDaily.objects.bulk_create(
                    [
                        UsageDaily(
                            resource=resource,
                            day=today - dt.timedelta(days=d),
                            views=rng.randint(5, 120),
                            downloads=rng.randint(0, 30),
                            api_calls=rng.randint(0, 400),
                        )
                        for d in range(30)
                    ]
                )
    care = DataResource.objects.filter(name="xihu-care-homes", state="published").first()
    user = users["data_user"]
    if care is not None and not DataApplication.objects.filter(resource=care, applicant=user).exists():
        services.application_submit(
            actor=user,
            resource=care,
            purpose="研究西湖区养老服务床位供给与入住率，用于社区养老规划建议。",
            fields=["机构名称", "床位数", "入住人数"],
        )
    if not selectors.keys_of(user=user):
        services.api_key_create(actor=user, name="演示应用")
    counts = {
        "data_resources": DataResource.objects.count(),
        "data_published": DataResource.objects.filter(state="published").count(),
        "data_loads": loaded,
    }
    say(
        f"catalog: {counts['data_resources']} data resources ({counts['data_published']} published, {loaded} loaded now)"
    )
    return counts


def _description(title: str) -> str:
    return (
        f"{title}。演示数据，按确定性规则生成，不对应真实的人和企业；个人信息字段在公开版本中已按字段分级脱敏"
        "（身份证号、手机号遮蔽，姓名保留姓氏，地址概括到区县）。"
    )


def account_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for username, _display, role, scope, _dept, note in ACCOUNTS:
        unit = _unit(scope)
        rows.append((username, role, f"{unit.name} {scope}" if unit else scope, note))
    rows.append((DATA_USER[0], "citizen", "-", DATA_USER[2]))
    return rows
