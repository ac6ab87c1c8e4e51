"""Requests and approvals across the boundary: our staff request a source of another
installation (a live server with its own installation id, as in test_receipts_and_peers), the
other's owner approves it in its normal flow, the key comes back signed and is kept encrypted,
verification then needs no key, and a revocation there refuses the next call here. Unsigned,
forged, altered, replayed and unknown-sender messages are refused and nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.sharing import receipts, selectors, services
from zhengtong.sharing.models import Exchange, Grant, Peer, RemoteRequest, SharingRequest
from zhengtong.sharing.services import peer_requests

ME = "zj-province"


@pytest.fixture
def two(live_server, settings, world):
    from zhengtong.sharing.tests.conftest import Shr

    settings.SHARING_INSTALLATION_ID = ME
    settings.SHARING_PEERS = [f"{ME}={live_server.url}"]
    shr = Shr(world)
    services.peer_refresh(actor=None, installation=ME, via="sharing")
    return shr


def _ask(shr, actor=None, **kw):
    data = {
        "installation": ME,
        "profile": shr.profile.pk,
        "fields": ["resident_id", "name"],
        "purpose": "异地个体工商户登记核验申请人身份",
        "legal_basis": "《促进个体工商户发展条例》",
        "valid_until": timezone.localdate() + dt.timedelta(days=200),
    }
    data.update(kw)
    return services.remote_request_create(actor=actor or shr.yiwu_consumer, **data)


@pytest.mark.django_db(transaction=True)
def test_request_approval_kept_key_verify_and_revocation(two):
    shr, caller = two, two.yiwu_consumer
    sources = services.peer_catalogue(actor=caller, installation=ME)
    listed = next(s for s in sources if s["id"] == shr.profile.pk)
    assert {f["name"] for f in listed["fields"]} >= {"resident_id", "name"}
    row = _ask(shr)
    assert row.state == "pending" and row.remote_id and not row.key_sealed
    incoming = SharingRequest.objects.get(origin=ME, origin_reference=str(row.reference))
    assert incoming.pk == row.remote_id and incoming.consumer_department_id is None
    assert incoming.consumer_label == f"{caller.department.name} @ {ME}"
    assert incoming.sla_deadline is not None  # the owner's clock runs as for our own requests
    assert incoming in selectors.requests_to_decide(actor=shr.owner)
    # not decided yet: no key comes back
    row = services.remote_request_check(actor=caller, request=row)
    assert row.state == "pending" and not row.key_sealed
    with pytest.raises(NotFound):  # no key kept yet: verification without a key is refused
        services.remote_verify(actor=caller, installation=ME, subject={"resident_id": "1"})
    # the owner's approvers decide it in the normal flow (L3: owner, then the officer)
    with pytest.raises(PermissionDenied):
        services.request_approve(actor=caller, request=incoming)
    services.request_approve(actor=shr.owner, request=incoming)
    if incoming.state != "approved":
        services.request_approve(actor=shr.officer, request=incoming)
    grant = Grant.objects.get(request=incoming)
    assert grant.consumer_installation == ME and grant.consumer_department_id is None
    with pytest.raises(PermissionDenied):  # its key goes to the other installation only
        services.grant_key_issue(actor=shr.consumer, grant=grant)
    with pytest.raises(PermissionDenied):  # nor is any department of ours its consumer
        services.objection_raise(actor=shr.consumer, grant=grant, description="数据有误")
    with pytest.raises(NotFound):
        selectors.grant_get(actor=shr.consumer, pk=grant.pk)
    assert selectors.grant_get(actor=shr.owner, pk=grant.pk).consumer_label.endswith(f"@ {ME}")
    row = services.remote_request_check(actor=caller, request=row)
    assert row.state == "approved" and row.remote_grant == grant.pk and row.grant_state == "active"
    assert row.key_sealed and "zts_" not in row.key_sealed  # kept encrypted
    assert Grant.objects.get(pk=grant.pk).credential_id is not None
    answer = services.remote_verify(
        actor=caller,
        installation=ME,
        subject={"resident_id": shr.person.resident_id, "name": "张三"},
        on_behalf_of="YW-2026-21",
    )
    assert answer["result"] == "match"
    served = Exchange.objects.get(direction="in", on_behalf_of="YW-2026-21")
    called = Exchange.objects.get(direction="out", on_behalf_of="YW-2026-21")
    assert served.grant_id == grant.pk and served.receipt["consumer"] == ME and served.peer == ME
    assert called.outcome == "ok" and called.receipt["id"] == str(served.receipt_id)
    # another department of ours holds no key of that installation
    with pytest.raises(NotFound):
        services.remote_verify(actor=shr.consumer, installation=ME, subject={"resident_id": "1"})
    # suspended there: refused (logged on both sides); the check brings the state; resumed: answered
    services.grant_suspend(actor=shr.owner, grant=grant, note="核查使用情况")
    with pytest.raises(Conflict):
        services.remote_verify(
            actor=caller,
            installation=ME,
            subject={"resident_id": shr.person.resident_id},
            on_behalf_of="YW-2026-S",
        )
    assert Exchange.objects.get(direction="in", on_behalf_of="YW-2026-S").reason == "grant_inactive"
    assert Exchange.objects.get(direction="out", on_behalf_of="YW-2026-S").reason == "grant_inactive"
    assert services.remote_request_check(actor=caller, request=row).grant_state == "suspended"
    services.grant_resume(actor=shr.owner, grant=grant)
    services.remote_verify(
        actor=caller,
        installation=ME,
        subject={"resident_id": shr.person.resident_id},
        on_behalf_of="YW-2026-R",
    )
    row.refresh_from_db()
    assert row.grant_state == "active"
    # revoked there: the next call is refused with the reason, logged on both sides
    services.grant_revoke(actor=shr.owner, grant=grant, note="用途已结束")
    with pytest.raises(Conflict):
        services.remote_verify(
            actor=caller,
            installation=ME,
            subject={"resident_id": shr.person.resident_id},
            on_behalf_of="YW-2026-22",
        )
    refused_there = Exchange.objects.get(direction="in", on_behalf_of="YW-2026-22")
    refused_here = Exchange.objects.get(direction="out", on_behalf_of="YW-2026-22")
    assert refused_there.outcome == refused_here.outcome == "refused"
    assert refused_there.reason == refused_here.reason == "grant_inactive"
    row.refresh_from_db()
    assert "grant_inactive" in row.grant_state
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "sharing.remote_request.send",
        "sharing.remote_request.update",
        "sharing.remote_request.refused",
        "sharing.key.issue",
    } <= actions
    # the state as the other installation now tells it; the owner's usage page names the consumer
    assert services.remote_request_check(actor=caller, request=row).grant_state == "revoked"
    usage = _login(shr.owner).get("/sharing/usage/").content.decode()
    assert ME in usage


@pytest.mark.django_db(transaction=True)
def test_bad_requests_come_back_as_field_errors_and_nothing_is_kept(two):
    with pytest.raises(ValidationError) as exc:
        _ask(two, fields=["no_such_field"], purpose=" ")
    assert {"fields", "purpose"} <= set(exc.value.fields)
    with pytest.raises(ValidationError) as exc:
        _ask(two, mode="batch")
    assert "mode" in exc.value.fields
    with pytest.raises(PermissionDenied):  # a citizen, or staff without sharing.request
        _ask(two, actor=two.officer)
    with pytest.raises(NotFound):  # unknown peer
        _ask(two, installation="zj-nowhere")
    assert not RemoteRequest.objects.exists() and not SharingRequest.objects.exclude(origin="").exists()


def _post(path, envelope):
    return Client().post(f"/api/v1/sharing/peer/{path}", envelope, content_type="application/json")


@pytest.mark.django_db(transaction=True)
def test_unsigned_forged_altered_replayed_and_unknown_messages_are_refused(two):
    peer = Peer.objects.get(installation=ME)
    body = {
        "reference": "6f0c1d7e-1111-4222-8333-944455556666",
        "department": "义乌市市场监督管理局",
        "profile": two.profile.pk,
        "fields": ["resident_id"],
        "purpose": "核验",
        "legal_basis": "条例",
        "mode": "verification",
        "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    good = peer_requests._message("sharing.request", peer, body)
    unsigned = {"payload": good["payload"]}
    assert _post("requests", unsigned).status_code == 403
    # signed by a key of ours that is not published for messages (a receipt key)
    receipt_signed = receipts.sign(good["payload"], purpose=receipts.PURPOSE)
    assert _post("requests", receipt_signed).json()["error"]["code"] == "peer_message_refused"
    altered = {**good, "payload": {**good["payload"], "purpose": "另作他用"}}
    assert _post("requests", altered).status_code == 403
    stranger = peer_requests._message("sharing.request", peer, body)
    stranger = receipts.sign({**stranger["payload"], "from": "zj-nowhere"}, purpose=peer_requests.PURPOSE)
    refused = _post("requests", stranger)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "unknown_peer"
    stale = receipts.sign(
        {**good["payload"], "at": (timezone.now() - dt.timedelta(hours=1)).isoformat()},
        purpose=peer_requests.PURPOSE,
    )
    assert _post("requests", stale).status_code == 403
    assert _post("requests", {"payload": "x", "signature": 5}).status_code in (403, 422)
    assert not SharingRequest.objects.exclude(origin="").exists()
    assert _post("requests", good).status_code == 201
    assert _post("requests", good).status_code == 403  # replayed
    assert SharingRequest.objects.exclude(origin="").count() == 1
    # a signed ask for the key of a request that is not the sender's: nothing
    ask = peer_requests._message("sharing.status", peer, {"reference": "nope", "want_key": True})
    assert _post("requests/status", ask).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_refused_messages_spend_the_address_budget_then_429(two, settings):
    settings.SHARING_BAD_KEY_PER_MINUTE = 3
    peer = Peer.objects.get(installation=ME)
    good = peer_requests._message("sharing.catalogue", peer, {})
    unsigned = {"payload": good["payload"]}
    assert [_post("catalogue", unsigned).status_code for _ in range(3)] == [403, 403, 403]
    over = _post("catalogue", unsigned)
    assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited"
    assert not SharingRequest.objects.exclude(origin="").exists()


def _login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_pages_and_api_on_both_sides(two):
    caller = _login(two.yiwu_consumer)
    page = caller.get(f"/sharing/peers/{ME}/")
    assert page.status_code == 200 and two.profile.title in page.content.decode()
    url = f"/sharing/peers/{ME}/?source={two.profile.pk}"
    form = {
        "r-purpose": "异地核验",
        "r-legal_basis": "条例",
        "r-mode": "verification",
        "r-valid_until": "2099-01-01",
    }
    bad = caller.post(url, form)  # no field chosen; and a period too long for the other side
    assert bad.status_code == 200 and not RemoteRequest.objects.exists()
    until = (timezone.localdate() + dt.timedelta(days=100)).isoformat()
    sent = caller.post(url, {**form, "r-valid_until": until, "r-fields_": ["resident_id"]})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    row = RemoteRequest.objects.get()
    listed = caller.get("/sharing/peers/")
    assert listed.status_code == 200 and two.profile.title in listed.content.decode()
    # on the other side, in the owner's normal approval list, marked with its origin
    decide = _login(two.owner).get("/sharing/requests/decide/").content.decode()
    assert two.yiwu_consumer.department.name in decide and ME in decide
    # the API: the other's sources, our requests, a check; field errors as 422, never 5xx
    api = caller.get(f"/api/v1/sharing/peers/{ME}/catalogue")
    assert api.status_code == 200 and any(s["id"] == two.profile.pk for s in api.json())
    mine = caller.get("/api/v1/sharing/remote-requests").json()
    assert [r["reference"] for r in mine] == [str(row.reference)] and mine[0]["has_key"] is False
    assert caller.post(f"/api/v1/sharing/remote-requests/{row.pk}/check").json()["state"] == "pending"
    r = caller.post(
        f"/api/v1/sharing/peers/{ME}/requests",
        {"profile": two.profile.pk, "fields": ["nope"], "purpose": "x", "valid_until": until},
        content_type="application/json",
    )
    assert r.status_code == 422 and "fields" in r.json()["error"]["details"]["fields"]
    r = caller.post(
        "/api/v1/sharing/peers/zj-nowhere/requests",
        {"profile": 1, "fields": ["name"], "purpose": "x", "valid_until": until},
        content_type="application/json",
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_peer"
    r = caller.post(
        f"/api/v1/sharing/peers/{ME}/verify", {"subject": {"name": "x"}}, content_type="application/json"
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_grant"
    assert _login(two.consumer).get("/api/v1/sharing/remote-requests").json() == []
