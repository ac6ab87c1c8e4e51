"""Performance evaluation (weights, components, rank changes, rectification work orders), the
open-data index, and live feeds (signature, schema, windows, threshold work orders, MQTT path)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from zhengtong.cockpit.models import Evaluation, FeedEvent, FeedWindow, OpenDataIndex, Rectification
from zhengtong.cockpit.selectors import Period
from zhengtong.cockpit.services import evaluation, feeds, materialize, opendata_index
from zhengtong.core.errors import PermissionDenied, ValidationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(cp):
    cp.generate(seed=11)
    materialize.materialize()
    return cp


def test_component_scores_are_min_max_and_direction_aware():
    assert evaluation.component_scores({1: 10.0, 2: 20.0, 3: None}, "up") == {1: 0.0, 2: 100.0, 3: None}
    assert evaluation.component_scores({1: 10.0, 2: 20.0, 3: 15.0}, "down") == {1: 100.0, 2: 0.0, 3: 50.0}
    assert evaluation.component_scores({1: 5.0, 2: 5.0}, "up") == {1: 100.0, 2: 100.0}


def test_evaluation_scores_ranks_and_rectifications(data):
    from zhengtong.workorders.models import WorkOrder

    w = data.world
    period = Period(data.days[0], data.today)
    weights = {"services.on_time_rate": 0.5, "services.satisfaction": 0.5}
    ev = evaluation.evaluation_run(
        actor=data.province_leader, unit=w.province, period=period, weights=weights
    )
    scores = {s.org_unit.code: s for s in ev.scores.select_related("org_unit")}
    assert set(scores) == {"330100", "330700"}
    # Recompute the totals from the components with the published weights.
    for s in scores.values():
        comps = [c for c in s.components.values() if c["score"] is not None]
        expected = sum(c["score"] * c["weight"] for c in comps) / sum(c["weight"] for c in comps)
        assert s.score == round(expected, 2)
        assert s.previous_rank is None
    assert sorted(s.rank for s in scores.values()) == [1, 2]
    assert ev.weights == weights
    again = evaluation.evaluation_run(
        actor=data.province_leader, unit=w.province, period=period, weights=weights
    )
    assert all(
        s.previous_rank == scores[s.org_unit.code].rank for s in again.scores.select_related("org_unit")
    )
    created = evaluation.rectifications_open(actor=data.province_leader, evaluation=again)
    # The last-ranked city scores 0 on at least one component: it gets a rectification order.
    assert created
    order = WorkOrder.objects.get(number=created[0].work_order_number)
    assert order.kind == "rectification" and order.region == created[0].org_unit
    states = evaluation.rectification_states(created)
    assert states[order.number]["state"] == order.state
    assert evaluation.rectifications_open(actor=data.province_leader, evaluation=again) == []


def test_another_countys_leader_cannot_evaluate_or_see_it(client, data):
    w = data.world
    period = Period(data.days[0], data.today)
    with pytest.raises(PermissionDenied):
        evaluation.evaluation_run(actor=data.yiwu_leader, unit=w.province, period=period)
    assert Evaluation.objects.count() == 0
    ev = evaluation.evaluation_run(actor=data.xihu_leader, unit=w.xihu, period=period)
    client.force_login(data.yiwu_leader)
    assert client.get(f"/cockpit/evaluations/{ev.pk}/").status_code == 403
    assert client.get(f"/api/v1/cockpit/evaluations/{ev.pk}").status_code == 403
    assert client.post(f"/cockpit/evaluations/{ev.pk}/").status_code == 403
    assert Rectification.objects.count() == 0
    client.force_login(data.xihu_leader)
    assert client.get(f"/cockpit/evaluations/{ev.pk}/").status_code == 200


def test_bad_weights_are_field_errors(data):
    w = data.world
    period = Period(data.days[0], data.today)
    for weights, field in (
        ({"nope": 1}, "weights.nope"),
        ({"services.satisfaction": 2}, "weights.services.satisfaction"),
        ({"services.satisfaction": 0}, "weights"),
    ):
        with pytest.raises(ValidationError) as exc:
            evaluation.evaluation_run(
                actor=data.province_leader, unit=w.province, period=period, weights=weights
            )
        assert field in exc.value.fields
    assert Evaluation.objects.count() == 0


def test_open_data_index_covers_cities_and_counties(data):
    rows = opendata_index.open_data_index_compute()
    codes = {r.org_unit.code for r in rows}
    assert {"330100", "330700", "330106", "330782"} <= codes
    for r in rows:
        assert set(r.layers) == {"readiness", "platform", "data", "use"}
        assert r.total == round(sum(v["weight"] * v["score"] for v in r.layers.values()), 2)
    assert OpenDataIndex.objects.count() == len(rows)


def test_indicator_values_published_are_the_stored_figures(data):
    from zhengtong.cockpit.selectors import headline
    from zhengtong.cockpit.services import publish

    rows = publish.indicator_rows()
    mine = {(r[0], r[2]): r[5] for r in rows if r[1] == "330106"}
    months = sorted({m for m, c in mine if c == "services.applications"})
    assert months
    for month in months:
        first = dt.date.fromisoformat(month + "-01")
        last = min((first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), data.today)
        figures = {f["code"]: f["value"] for f in headline(data.world.xihu.path, Period(first, last))}
        assert mine[(month, "services.applications")] == figures["services.applications"] > 0
        assert mine[(month, "services.on_time_rate")] == figures["services.on_time_rate"]
    assert all(r[1] in {"330100", "330700", "330106", "330782"} for r in rows)


AIR_SCHEMA = {
    "type": "object",
    "required": ["station", "aqi"],
    "properties": {
        "station": {"type": "string"},
        "aqi": {"type": "number", "minimum": 0},
        "at": {"type": "string"},
    },
}


@pytest.fixture
def feed(cp):
    w = cp.world
    admin = w.staff("x_admin", "org_admin", w.xihu)
    f, secret = feeds.feed_create(
        actor=admin,
        code="air",
        name="空气质量",
        org_unit=w.xihu,
        key_field="station",
        metric="aqi",
        unit="AQI",
        schema=AIR_SCHEMA,
        threshold=150,
        department=w.xihu_scjg,
    )
    return f, secret


def _push(client, code, secret, payload, *, signature=None):
    body = json.dumps(payload).encode()
    return client.post(
        f"/api/v1/cockpit/feeds/{code}/messages",
        data=body,
        content_type="application/json",
        headers={"X-Zhengtong-Signature": signature or "sha256=" + feeds.sign(secret, body)},
    )


def test_signed_push_aggregates_in_windows_and_opens_a_work_order_over_threshold(client, feed):
    from zhengtong.workorders.models import WorkOrder

    f, secret = feed
    r = _push(
        client, "air", secret, {"messages": [{"station": "s1", "aqi": 80}, {"station": "s1", "aqi": 100}]}
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"accepted": 2, "windows": 1, "events": []}
    window = FeedWindow.objects.get(feed=f, key="s1")
    assert (window.count, window.mean, window.maximum) == (2, 90.0, 100.0)
    r = _push(
        client, "air", secret, {"messages": [{"station": "s2", "aqi": 300}, {"station": "s2", "aqi": 200}]}
    )
    events = r.json()["events"]
    assert len(events) == 1
    order = WorkOrder.objects.get(number=events[0])
    assert order.kind == "rectification" and order.department_id == f.department_id
    # The same window above the threshold again: no second event.
    assert _push(client, "air", secret, {"station": "s2", "aqi": 400}).json()["events"] == []
    assert FeedEvent.objects.count() == 1


def test_bad_signature_or_schema_stores_nothing(client, feed):
    f, secret = feed
    assert (
        _push(client, "air", secret, {"station": "s1", "aqi": 80}, signature="sha256=00").status_code == 403
    )
    assert _push(client, "air", "ztf_wrong_key", {"station": "s1", "aqi": 80}).status_code == 403
    r = _push(
        client, "air", secret, {"messages": [{"station": "s1", "aqi": 80}, {"station": "s1", "aqi": -3}]}
    )
    assert r.status_code == 422 and "messages.1" in r.json()["error"]["details"]["fields"]
    r = _push(client, "air", secret, {"station": "s1", "aqi": 80, "at": "2001-01-01T00:00:00+08:00"})
    assert r.status_code == 422
    assert _push(client, "nofeed", secret, {"station": "s1", "aqi": 80}).status_code == 404
    assert FeedWindow.objects.count() == 0


def test_mqtt_message_takes_the_same_path(feed):
    from zhengtong.cockpit.management.commands.cockpit_mqtt import handle_message

    f, secret = feed
    body = json.dumps({"station": "m1", "aqi": 42})
    ok = handle_message(
        "zhengtong/feeds/air",
        json.dumps({"signature": feeds.sign(secret, body.encode()), "body": body}).encode(),
    )
    assert ok == {"accepted": 1, "windows": 1, "events": []}
    assert (
        handle_message("zhengtong/feeds/air", json.dumps({"signature": "00", "body": body}).encode()) is None
    )
    assert handle_message("zhengtong/feeds/air", b"not json") is None
    assert FeedWindow.objects.get(feed=f, key="m1").count == 1


def test_feed_creation_needs_manage_permission(cp):
    w = cp.world
    from zhengtong.cockpit.models import Feed

    with pytest.raises(PermissionDenied):
        feeds.feed_create(
            actor=cp.xihu_leader, code="x", name="x", org_unit=w.xihu, key_field="k", metric="m", schema={}
        )
    assert Feed.objects.count() == 0


def test_rotating_the_feed_key_stops_the_old_one(client, feed, cp):
    f, old = feed
    with pytest.raises(PermissionDenied):
        feeds.feed_key_rotate(actor=cp.xihu_leader, feed=f)
    assert _push(client, "air", old, {"station": "s1", "aqi": 80}).status_code == 200
    admin = f.credential.owner
    new = feeds.feed_key_rotate(actor=admin, feed=f)
    assert _push(client, "air", old, {"station": "s1", "aqi": 80}).status_code == 403
    assert _push(client, "air", new, {"station": "s1", "aqi": 80}).status_code == 200
    assert FeedWindow.objects.get(feed=f, key="s1").count == 2


def test_feed_pages_create_and_rotate_within_scope_only(client, cp):
    from zhengtong.cockpit.models import Feed

    w = cp.world
    admin = w.staff("x_admin2", "org_admin", w.xihu)
    other = w.staff("y_admin2", "org_admin", w.yiwu)
    form = {
        "code": "noise",
        "name": "噪声",
        "org_unit": "330106",
        "key_field": "station",
        "metric": "db",
        "unit": "dB",
        "window_seconds": 600,
        "threshold": 70,
        "category": "0401",
        "schema": json.dumps({"type": "object", "required": ["station", "db"]}),
    }
    client.force_login(cp.xihu_leader)
    assert client.get("/cockpit/feeds/").status_code == 403
    client.force_login(other)
    assert client.post("/cockpit/feeds/", form).status_code == 403
    assert not Feed.objects.exists()
    client.force_login(admin)
    page = client.post("/cockpit/feeds/", {**form, "schema": "{not json"})
    assert page.status_code == 200 and not Feed.objects.exists()
    page = client.post("/cockpit/feeds/", form)
    assert page.status_code == 200
    feed = Feed.objects.get(code="noise")
    secret = page.context["secret"]
    assert secret.startswith("ztf_") and secret in page.content.decode()
    key = feed.credential_id
    client.force_login(other)
    assert client.post("/cockpit/feeds/noise/").status_code == 403
    feed.refresh_from_db()
    assert feed.credential_id == key
    client.force_login(admin)
    assert client.post("/cockpit/feeds/noise/").status_code == 200
    feed.refresh_from_db()
    assert feed.credential_id != key


def test_evaluation_api_runs_with_weights_and_refuses_other_scopes(client, data):
    client.force_login(data.yiwu_leader)
    r = client.post("/api/v1/cockpit/units/330000/evaluations", {"days": 30}, content_type="application/json")
    assert r.status_code == 403 and Evaluation.objects.count() == 0
    client.force_login(data.province_leader)
    r = client.post(
        "/api/v1/cockpit/units/330000/evaluations",
        {"days": 30, "weights": {"services.satisfaction": 1}},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["weights"] == {"services.satisfaction": 1.0}
    assert [s["rank"] for s in body["scores"]] == [1, 2]
    r = client.post(
        "/api/v1/cockpit/units/330000/evaluations", {"weights": {"nope": 1}}, content_type="application/json"
    )
    assert r.status_code == 422 and "weights.nope" in r.json()["error"]["details"]["fields"]
    r = client.post(f"/api/v1/cockpit/evaluations/{body['id']}/rectifications")
    assert r.status_code == 200
    assert all(x["work_order"] for x in r.json())


def test_fast_schema_check_decides_as_jsonschema_does():
    import jsonschema

    schemas = [
        AIR_SCHEMA,
        {"type": "object", "required": ["k"], "properties": {"k": {"type": "string", "maxLength": 3}}},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"n": {"type": ["integer", "null"], "maximum": 10}, "e": {"enum": ["a", "b"]}},
        },
    ]
    instances = [
        {},
        [],
        "x",
        {"station": "s", "aqi": 1},
        {"station": "s", "aqi": -1},
        {"station": "s", "aqi": True},
        {"station": 1, "aqi": 1},
        {"station": "s", "aqi": 1.5, "at": 3},
        {"k": "abc"},
        {"k": "abcd"},
        {"k": "政通政"},
        {"n": 3},
        {"n": 3.0},
        {"n": 3.5},
        {"n": None},
        {"n": 11},
        {"n": False},
        {"e": "a"},
        {"e": "c"},
        {"e": 1},
        {"other": 1},
    ]
    for schema in schemas:
        fast = feeds._fast_check(schema)
        assert fast is not None
        reference = jsonschema.Draft202012Validator(schema)
        for m in instances:
            assert fast(m) == reference.is_valid(m), (schema, m)
    # Anything beyond the known keywords goes to jsonschema.
    assert feeds._fast_check({"type": "object", "properties": {"a": {"pattern": "^x"}}}) is None
    assert feeds._fast_check({"oneOf": [{"type": "object"}]}) is None


def test_mqtt_tick_ingests_a_feeds_messages_together_and_leaves_out_refused_ones(feed):
    f, secret = feed
    buffer = feeds.FeedBuffer(seconds=60, max_pushes=3)
    good = [json.dumps({"station": "t1", "aqi": v}).encode() for v in (100, 300)]
    assert not buffer.add("air", good[0], feeds.sign(secret, good[0]))
    assert not buffer.add("air", good[1], feeds.sign(secret, good[1]))
    assert buffer.add("air", good[0], "00")  # third push: due (max_pushes)
    buffer.add("nofeed", good[0], "00")
    out = buffer.flush()
    assert out["air"]["accepted"] == 2 and len(out["air"]["refused"]) == 1
    assert out["nofeed"]["error"]
    window = FeedWindow.objects.get(feed=f, key="t1")
    assert (window.count, window.total, window.maximum) == (2, 400.0, 300.0)
    assert FeedEvent.objects.filter(feed=f, key="t1").count() == 1  # mean 200 > 150
    assert buffer.count == 0 and not buffer.due()
