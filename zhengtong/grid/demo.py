"""Grid demo: cells over the demo's villages, grid workers, departments that dispose, several
hundred incidents in every state and category, patrols, report templates and their runs.

Deterministic (fixed seed) and idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from zhengtong.accounts import services as account_services
from zhengtong.accounts.credentials import credential_create, credential_lookup
from zhengtong.accounts.kinds import CredentialKind, UserKind
from zhengtong.accounts.permissions import root_unit
from zhengtong.accounts.selectors import (
    department_by_code,
    org_unit_by_code,
    org_units_at_levels,
    org_units_with_codes,
    user_with_username,
)
from zhengtong.accounts.services import system_actor
from zhengtong.core import clock
from zhengtong.grid import actions, geo, reports, services
from zhengtong.grid.categories import categories_ensure
from zhengtong.grid.models import (
    Category,
    GridAssignment,
    GridCell,
    Incident,
    IncidentStat,
    Patrol,
    ReportRun,
    ReportTemplate,
)
from zhengtong.registry.demo import DEMO_PASSWORD, DETAILED_COUNTIES
from zhengtong.workorders import selectors as workorder_selectors
from zhengtong.workorders.services import RoutingDomain

SEED = 20261122
# Plausible WGS-84 centres of the demo counties (西湖区, 义乌市, 景宁畲族自治县).
COUNTY_ORIGINS = {"330106": (120.095, 30.245), "330782": (120.055, 29.290), "331127": (119.615, 27.955)}
CELL_W, CELL_H, GAP = 0.004, 0.003, 0.0006
DEPARTMENTS = [
    ("zhzf", "综合行政执法局", "Comprehensive Administrative Law Enforcement Bureau", "law_enforcement"),
    ("zjj", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau", "housing"),
    ("sfj", "司法局", "Justice Bureau", "justice"),
    ("yjj", "应急管理局", "Emergency Management Bureau", "emergency"),
]
DEMO_OPEN311_KEY = "o311_demo_zhengtong-open311-demo-key"
# username, display name, role, scope (org unit code), department code, note
ACCOUNTS = [
    (
        "grid_worker2",
        "网格员小林",
        "grid_worker",
        "330106002001002",
        None,
        "grid worker, second grid of 栖霞岭社区",
    ),
    ("grid_worker3", "网格员小周", "grid_worker", "330106002002001", None, "grid worker, a grid of 北山街道"),
    (
        "yiwu_grid_worker",
        "网格员小吴",
        "grid_worker",
        "330782002200001",
        None,
        "grid worker, 义乌市江东街道候儿村",
    ),
    (
        "xihu_command",
        "西湖区指挥中心",
        "command_staff",
        "330106",
        None,
        "county command staff, all of 西湖区",
    ),
    ("yiwu_command", "义乌市指挥中心", "command_staff", "330782", None, "county command staff, 义乌市"),
    (
        "xihu_zhzf_handler",
        "西湖区执法队员",
        "grid_handler",
        "330106",
        "zhzf",
        "disposes incidents dispatched to 西湖区综合行政执法局",
    ),
    (
        "xihu_zjj_handler",
        "西湖区住建处置员",
        "grid_handler",
        "330106",
        "zjj",
        "disposes incidents dispatched to 西湖区住建局",
    ),
]
DESCRIPTIONS = {
    "C0101": "上水井盖破损，行人有踩空危险",
    "C0103": "污水井盖缺失，已临时围挡",
    "C0201": "路灯夜间不亮，连续三盏",
    "C0208": "交通护栏被撞变形",
    "C0306": "垃圾箱破损，垃圾外溢",
    "C0401": "行道树倾斜，枝条遮挡信号灯",
    "E0101": "路边暴露垃圾，约两袋",
    "E0102": "施工渣土堆积在人行道",
    "E0302": "屋顶新搭彩钢棚，疑似违法建设",
    "E0401": "路面出现塌陷，直径约半米",
    "E0501": "早市流动摊贩占道经营",
    "E0506": "机动车占用消防通道停放",
    "E0701": "楼上漏水引发邻里纠纷",
    "E0702": "装修工人反映工资被拖欠",
    "E0801": "楼道堆放杂物，堵塞消防通道",
    "E0802": "餐馆液化气瓶存放不规范",
    "E0803": "老旧民房墙体开裂",
}
# Final state → the actions that lead there.
PATHS = {
    "reported": [],
    "registered": ["register"],
    "rejected": ["reject"],
    "dispatched": ["register", "dispatch"],
    "suspended": ["register", "dispatch", "suspend"],
    "disposed": ["register", "dispatch", "dispose"],
    "verified": ["register", "dispatch", "dispose", "verify"],
    "closed": ["register", "dispatch", "dispose", "verify", "close"],
}
STATE_WEIGHTS = [
    ("closed", 45),
    ("verified", 6),
    ("disposed", 8),
    ("dispatched", 14),
    ("suspended", 3),
    ("registered", 8),
    ("reported", 10),
    ("rejected", 6),
]

REPORT_TEMPLATES = [
    {
        "code": "grid-incidents-monthly",
        "name": "网格事件月报",
        "name_en": "Monthly grid incident report",
        "description": "乡镇（街道）网格事件上报、办结与超期情况",
        "fields": [
            {
                "key": "incidents_reported",
                "label": "本月上报事件数",
                "label_en": "Incidents reported",
                "source": "incidents",
                "aggregate": "count",
            },
            {
                "key": "incidents_by_workers",
                "label": "其中网格员上报",
                "label_en": "of which by grid workers",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"source": "grid_worker"},
            },
            {
                "key": "components_reported",
                "label": "部件类事件数",
                "label_en": "Component incidents",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"kind": "component"},
            },
            {
                "key": "events_reported",
                "label": "事件类事件数",
                "label_en": "Event incidents",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"kind": "event"},
            },
            {
                "key": "incidents_closed",
                "label": "本月办结数",
                "label_en": "Closed this month",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"date": "closed", "state_in": ["closed"]},
            },
            {
                "key": "incidents_overdue",
                "label": "当前超期未办结数",
                "label_en": "Overdue and open",
                "source": "incidents",
                "aggregate": "count",
                "filters": {
                    "date": "open_at_end",
                    "sla_state": "overdue",
                    "state_in": ["registered", "dispatched", "suspended", "disposed", "verified"],
                },
            },
            {
                "key": "avg_close_hours",
                "label": "平均办结时长（小时）",
                "label_en": "Average hours to close",
                "source": "incidents",
                "aggregate": "avg_hours",
                "filters": {"date": "closed", "state_in": ["closed"]},
            },
            {
                "key": "cells_reporting",
                "label": "有上报的网格数",
                "label_en": "Cells with reports",
                "source": "incidents",
                "aggregate": "count_distinct",
                "field": "cell",
            },
            {
                "key": "grid_workers",
                "label": "在岗网格员数",
                "label_en": "Grid workers",
                "source": "grid_workers",
                "aggregate": "count",
            },
            {
                "key": "typical_case",
                "label": "典型案例（简述）",
                "label_en": "Typical case (short)",
                "source": "manual",
            },
        ],
    },
    {
        "code": "disputes-monthly",
        "name": "矛盾纠纷排查调处月报",
        "name_en": "Monthly dispute screening and mediation report",
        "description": "矛盾纠纷排查、调处及化解情况",
        "fields": [
            {
                "key": "disputes_found",
                "label": "排查矛盾纠纷数",
                "label_en": "Disputes found",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"group": "矛盾纠纷"},
            },
            {
                "key": "disputes_neighbour",
                "label": "其中邻里纠纷",
                "label_en": "of which neighbour disputes",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"category_prefix": "E0701"},
            },
            {
                "key": "disputes_wage",
                "label": "其中劳资纠纷",
                "label_en": "of which wage disputes",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"category_prefix": "E0702"},
            },
            {
                "key": "disputes_resolved",
                "label": "调处化解数",
                "label_en": "Resolved",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"group": "矛盾纠纷", "date": "closed", "state_in": ["closed"]},
            },
            {
                "key": "disputes_escalated",
                "label": "上报上级数",
                "label_en": "Escalated",
                "source": "incidents",
                "aggregate": "count",
                "filters": {
                    "group": "矛盾纠纷",
                    "state_in": ["registered", "dispatched"],
                    "sla_state": "overdue",
                },
            },
            {
                "key": "population",
                "label": "辖区户籍人口",
                "label_en": "Registered population",
                "source": "persons",
                "aggregate": "count",
            },
            {
                "key": "mediators",
                "label": "人民调解员人数",
                "label_en": "People's mediators",
                "source": "manual",
                "standing": True,
            },
            {
                "key": "typical_case",
                "label": "典型案例（简述）",
                "label_en": "Typical case (short)",
                "source": "manual",
            },
        ],
    },
    {
        "code": "safety-patrol-monthly",
        "name": "安全隐患巡查月报（网格员巡查考核表）",
        "name_en": "Monthly safety patrol report (grid worker patrol assessment)",
        "description": "网格员巡查打卡、隐患发现与整改情况",
        "fields": [
            {
                "key": "patrols",
                "label": "巡查打卡次数",
                "label_en": "Patrol check-ins",
                "source": "patrols",
                "aggregate": "count",
            },
            {
                "key": "patrol_workers",
                "label": "参与巡查网格员数",
                "label_en": "Grid workers on patrol",
                "source": "patrols",
                "aggregate": "count_distinct",
                "field": "worker",
            },
            {
                "key": "hazards_on_patrol",
                "label": "巡查发现隐患数（打卡登记）",
                "label_en": "Hazards noted on patrol",
                "source": "patrols",
                "aggregate": "sum",
                "field": "hazards_found",
            },
            {
                "key": "hazards_reported",
                "label": "安全隐患事件上报数",
                "label_en": "Hazard incidents reported",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"group": "安全隐患"},
            },
            {
                "key": "hazards_fixed",
                "label": "隐患整改完成数",
                "label_en": "Hazards fixed",
                "source": "incidents",
                "aggregate": "count",
                "filters": {"group": "安全隐患", "date": "closed", "state_in": ["closed"]},
            },
            {
                "key": "cells",
                "label": "网格数",
                "label_en": "Grid cells",
                "source": "cells",
                "aggregate": "count",
            },
            {
                "key": "mediators",
                "label": "人民调解员人数",
                "label_en": "People's mediators",
                "source": "manual",
                "standing": True,
            },
        ],
    },
]


def _square(lng: float, lat: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + CELL_W, lat], [lng + CELL_W, lat + CELL_H], [lng, lat + CELL_H], [lng, lat]]
        ],
    }


def demo_cells() -> dict:
    """A regular grid over the demo's grid units: per county, townships side by side, villages
    stacked in each township, grids side by side in each village."""
    features = []
    for county_code, (lng0, lat0) in COUNTY_ORIGINS.items():
        county = org_unit_by_code(county_code)
        townships = list(org_units_at_levels(["township"], within=county.path)) if county else []
        for t, township in enumerate(townships):
            villages = list(org_units_at_levels(["village"], within=township.path))
            for v, village in enumerate(villages):
                grids = list(org_units_at_levels(["grid"], within=village.path))
                for g, grid in enumerate(grids):
                    lng = lng0 + t * (2 * CELL_W + 4 * GAP) + g * CELL_W
                    lat = lat0 + v * (CELL_H + GAP)
                    features.append(
                        {
                            "type": "Feature",
                            "properties": {"code": grid.code, "name": grid.name},
                            "geometry": _square(lng, lat),
                        }
                    )
    return {"type": "FeatureCollection", "features": features}


@transaction.atomic
def seed(stdout=None) -> dict[str, int]:

    say = stdout.write if stdout else (lambda *_: None)
    rng = random.Random(SEED)
    actor = system_actor()
    categories_ensure()
    for county in org_units_with_codes(DETAILED_COUNTIES):
        for code, suffix, english, kind in DEPARTMENTS:
            if department_by_code(county.code, code) is None:
                account_services.department_create(
                    actor=actor,
                    org_unit=county,
                    code=code,
                    name=f"{county.name}{suffix}",
                    name_en=f"{county.name_en} {english}",
                    kind=kind,
                )
    collection = demo_cells()
    if collection["features"] and GridCell.objects.count() < len(collection["features"]):
        services.cells_import(actor=actor, collection=collection, replace_geometry=False)
    geo.invalidate()
    say(f"grid cells: {GridCell.objects.count()}")

    # Grid workers: the registry's demo grid worker and our own; each gets their cell.
    workers = {}
    for username, display, role, scope, dept_code, _note in ACCOUNTS:
        user = user_with_username(username)
        unit = org_unit_by_code(scope)
        if unit is None:
            continue
        dept = department_by_code(unit.code, dept_code) if dept_code else None
        if user is None:
            user = account_services.user_create(
                actor=actor,
                username=username,
                password=DEMO_PASSWORD,
                kind=UserKind.GRID_WORKER if role == "grid_worker" else UserKind.STAFF,
                display_name=display,
                org_unit=unit,
                department=dept,
                validate=False,
            )
            if role != "grid_worker":
                account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit, department=dept)
        workers[username] = user
    for username, scope in [("grid_worker", "330106002001001")] + [
        (a[0], a[3]) for a in ACCOUNTS if a[2] == "grid_worker"
    ]:
        user = user_with_username(username)
        cell = GridCell.objects.filter(code=scope).first()
        if user is not None and cell is not None:
            services.cell_assign(actor=actor, cell=cell, worker=user)

    # A routing rule: disputes in 北山街道 stay with the township's command room (调解 on the spot).

    beishan = org_unit_by_code("330106002")
    if (
        beishan is not None
        and not workorder_selectors.routing_rules(RoutingDomain.GRID).filter(region=beishan).exists()
    ):
        for code in ("E0701",):
            services.routing_rule_create(
                actor=actor, org_unit=beishan, category=Category.objects.get(code=code), target_unit=beishan
            )

    # An Open311 key with a known value, for trying the API (shown in the accounts table).
    root = root_unit()
    if root is not None and credential_lookup(DEMO_OPEN311_KEY, kind=CredentialKind.OPEN311_KEY) is None:
        credential_create(
            actor=actor,
            kind=CredentialKind.OPEN311_KEY,
            name="Demo Open311 client",
            org_unit=root,
            audit_action="grid.open311_key.create",
            known_secret=DEMO_OPEN311_KEY,
        )

    if not Incident.objects.exists():
        _seed_incidents(actor, rng)
    say(f"incidents: {Incident.objects.count()}")
    if not Patrol.objects.exists():
        _seed_patrols(rng)
    say(f"patrols: {Patrol.objects.count()}")

    for spec in REPORT_TEMPLATES:
        if not ReportTemplate.objects.filter(code=spec["code"]).exists():
            reports.template_save(actor=actor, **spec)

    produced = 0 if ReportRun.objects.exists() else reports.produce_due()
    stats = IncidentStat.objects.count() or services.incident_stats_refresh()
    say(
        f"report templates: {ReportTemplate.objects.count()}, runs produced: {produced}, statistics rows: {stats}"
    )
    return {
        "grid_cells": GridCell.objects.count(),
        "incidents": Incident.objects.count(),
        "patrols": Patrol.objects.count(),
        "report_templates": ReportTemplate.objects.count(),
    }


def _seed_incidents(actor, rng: random.Random, count: int = 420) -> None:
    import shapely

    cats = list(Category.objects.order_by("code"))
    cells = list(GridCell.objects.select_related("org_unit").order_by("code"))
    beishan_cells = [c for c in cells if c.code.startswith("330106002")]
    states, weights = zip(*STATE_WEIGHTS, strict=True)
    now = timezone.now()
    for n in range(count):
        cat = cats[n % len(cats)]
        cell = rng.choice(beishan_cells) if n % 3 == 0 else rng.choice(cells)
        geom = shapely.from_geojson(cell.geometry)
        minx, miny, maxx, maxy = geom.bounds
        lng = rng.uniform(minx + 1e-5, maxx - 1e-5)
        lat = rng.uniform(miny + 1e-5, maxy - 1e-5)
        days_ago = rng.randrange(0, 180)
        reported_at = now - dt.timedelta(days=days_ago, hours=rng.randrange(0, 10))
        state = rng.choices(states, weights)[0]
        if days_ago < 3 and state == "closed":
            state = "dispatched"
        source = rng.choice(["grid_worker", "grid_worker", "grid_worker", "citizen", "open311", "import"])
        # The history as it would have happened: each step at its own time (timeline, audit
        # trail, clocks); the SLA scan then replays the months, escalating what was overdue.
        t = reported_at
        with clock.as_of(t):
            incident = services.incident_report(
                actor=actor,
                category=cat,
                lat=lat,
                lng=lng,
                description=DESCRIPTIONS.get(cat.code, cat.name),
                source=source if source != "grid_worker" else "import",
                attributes={
                    a["code"]: (a["values"][0]["key"] if a.get("values") else "2")
                    for a in cat.attributes
                    if a.get("required")
                },
                reported_at=reported_at,
            )
        if source == "grid_worker":
            Incident.objects.filter(pk=incident.pk).update(source="grid_worker")
        for action in PATHS[state]:
            incident.refresh_from_db()
            due = incident.sla_due_at
            if action in ("dispose", "suspend") and due is not None and due > t:
                # handled in time: somewhere before the clock ran out
                t = t + (due - t) * rng.uniform(0.2, 0.85)
            else:
                t = t + dt.timedelta(minutes=rng.randrange(20, 180))
            if t >= now - dt.timedelta(minutes=5) or (due is not None and t >= due):
                break  # not yet done (or past its time limit: the scan below escalates it)
            note = "现场核实" if action in ("reject", "suspend") else ""
            if action == "reject":
                note = "重复上报，不予立案"
            with clock.as_of(t):
                actions.incident_action(actor=actor, incident=incident, action=action, note=note)
    # A few duplicates reported next to open incidents, merged into them (并单).
    for original in Incident.objects.filter(state__in=["registered", "dispatched"]).order_by("id")[:6]:
        at = min(original.reported_at + dt.timedelta(hours=2), now - dt.timedelta(minutes=10))
        with clock.as_of(at):
            duplicate = services.incident_report(
                actor=actor,
                category=original.category,
                lat=original.lat + 0.00005,
                lng=original.lng,
                description=original.description,
                source="citizen",
                attributes=original.attributes,
                reported_at=at,
            )
            services.incident_merge(actor=actor, incident=duplicate, merge_into=original)
    clock.replay_sla(now - dt.timedelta(days=181))


def _seed_patrols(rng: random.Random) -> None:

    now = timezone.now()
    rows = []
    for assignment in GridAssignment.objects.select_related("cell__org_unit", "worker").order_by("id"):
        import shapely

        geom = shapely.from_geojson(assignment.cell.geometry)
        point = geom.representative_point()
        for day in range(0, 120, 2):
            rows.append(
                Patrol(
                    worker=assignment.worker,
                    cell=assignment.cell,
                    org_unit=assignment.cell.org_unit,
                    lat=point.y + rng.uniform(-0.0005, 0.0005),
                    lng=point.x + rng.uniform(-0.0005, 0.0005),
                    hazards_found=rng.choice([0, 0, 0, 1, 2]),
                    note="日常巡查",
                    at=now - dt.timedelta(days=day, hours=rng.randrange(0, 8)),
                )
            )
    Patrol.objects.bulk_create(rows)


def account_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for username, _display, role, scope, _dept, note in ACCOUNTS:
        unit = org_unit_by_code(scope)
        rows.append((username, role, f"{unit.name} {scope}" if unit else scope, note))
    rows.append(
        (
            "(Open311 api_key)",
            "open311",
            "330000",
            f"POST /open311/v2/requests.json with api_key={DEMO_OPEN311_KEY}",
        )
    )
    return rows
