"""Demo data of the cockpit (runs after every module whose data the indicators read): leaders of
the province, 西湖区 and 北山街道; the air-quality live feed of 西湖区 with this hour's readings
(one station over the threshold, so a work order and the live tile show it); the indicator store
materialized from the demo's records; today's alerts; the open-data index; an evaluation."""

from __future__ import annotations

import json

from django.utils import timezone

from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.selectors import org_unit_by_code, user_with_username
from zhengtong.accounts.services import system_actor
from zhengtong.cockpit.models import Evaluation, Feed
from zhengtong.cockpit.selectors import Period
from zhengtong.cockpit.services import alerts, evaluation, feeds, materialize, opendata_index, probes, publish
from zhengtong.registry.demo import DEMO_PASSWORD

ACCOUNTS = [
    ("zj_leader", "省领导", "leader", "330000", "leader (cockpit), 浙江省"),
    ("xihu_leader", "西湖区领导", "leader", "330106", "leader (cockpit), 西湖区"),
    ("beishan_leader", "北山街道领导", "leader", "330106002", "leader (cockpit), 北山街道"),
    ("xihu_data_admin", "西湖区数据管理员", "org_admin", "330106", "live feeds of 西湖区 (cockpit.manage)"),
]

AIR_SCHEMA = {
    "type": "object",
    "required": ["station", "aqi"],
    "properties": {
        "station": {"type": "string", "maxLength": 60},
        "aqi": {"type": "number", "minimum": 0, "maximum": 1000},
        "pm25": {"type": "number", "minimum": 0},
        "at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}
STATIONS = {
    "西溪湿地站": [58, 62, 61],
    "北山街站": [72, 80, 77],
    "转塘站": [95, 101, 99],
    "文新站": [160, 171, 166],
}


def _accounts() -> dict[str, object]:
    actor = system_actor()
    users = {}
    for username, display, role, scope, _note in ACCOUNTS:
        unit = org_unit_by_code(scope)
        if unit is None:
            continue
        user = user_with_username(username)
        if user is None:
            user = account_services.user_create(
                actor=actor,
                username=username,
                password=DEMO_PASSWORD,
                kind=UserKind.STAFF,
                display_name=display,
                org_unit=unit,
                validate=False,
            )
            account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit)
        users[username] = user
    return users


def _air_feed(admin) -> int:
    """The feed and this hour's readings (pushed signed, as a station would)."""
    if Feed.objects.filter(code="xihu-air").exists() or admin is None:
        return 0
    xihu = org_unit_by_code("330106")
    feed, secret = feeds.feed_create(
        actor=admin,
        code="xihu-air",
        name="西湖区空气质量监测",
        org_unit=xihu,
        key_field="station",
        metric="aqi",
        unit="AQI",
        schema=AIR_SCHEMA,
        window_seconds=3600,
        threshold=150,
        category="0401",
    )
    now = timezone.now()
    messages = [
        {"station": station, "aqi": v, "at": now.isoformat()}
        for station, values in STATIONS.items()
        for v in values
    ]
    body = json.dumps({"messages": messages}).encode()
    feeds.feed_ingest(feed=feed, body=body, signature=feeds.sign(secret, body))
    return len(messages)


def seed(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda *_: None)
    users = _accounts()
    pushed = _air_feed(users.get("xihu_data_admin"))
    probes.probes_run()  # as the worker does before each materialization: today's availability
    done = materialize.materialize()
    rows = sum(d.get("rows", 0) for d in done.values())
    created = alerts.alerts_scan()
    index = opendata_index.open_data_index_compute()
    opendata_index.open_data_index_publish(index)
    publish.indicators_publish()
    province = org_unit_by_code("330000")
    leader = users.get("zj_leader")
    if (
        province is not None
        and leader is not None
        and not Evaluation.objects.filter(org_unit=province).exists()
    ):
        period = Period.ending(timezone.localdate(), 30)
        evaluation.evaluation_run(actor=leader, unit=province, period=period)
    say(f"cockpit: {len(done)} indicators, {rows} stored values, {created} alerts, {pushed} feed messages")
    return {"indicator values": rows, "alerts": created, "feed messages": pushed, "index rows": len(index)}


def account_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for username, _display, role, scope, note in ACCOUNTS:
        unit = org_unit_by_code(scope)
        rows.append((username, role, f"{unit.name} {scope}" if unit else scope, note))
    return rows
