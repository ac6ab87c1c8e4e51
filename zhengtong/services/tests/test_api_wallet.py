"""API of 秒批 rules, 免申即享 and the wallet: permissions, refusals that change nothing, the flows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.registry.models import Licence
from zhengtong.services import demo_autodecide
from zhengtong.services.models import Case, DecisionRuleSet, Entitlement, LicenceConsent, LicenceUse
from zhengtong.services.tests.test_autodecide import RULES, _item
from zhengtong.services.tests.test_eligibility import _benefit

pytestmark = pytest.mark.django_db


def test_rules_over_the_api_then_a_case_decided_at_once(svc, client):
    item = _item(svc)
    url = f"/api/v1/services/{item.pk}/decision-rules"
    client.force_login(svc.counter)
    assert client.put(url, {"rules": RULES}, content_type="application/json").status_code == 403
    assert DecisionRuleSet.objects.count() == 0
    client.force_login(svc.supervisor)
    bad = client.put(
        url, {"rules": [{"id": "x", "logic": {"bogus": 1}, "explain": "x"}]}, content_type="application/json"
    )
    assert bad.status_code == 422 and list(bad.json()["error"]["details"]["fields"]) == ["rules.0.logic"]
    ok = client.put(url, {"rules": RULES}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["number"] == 1
    client.force_login(svc.citizen)
    r = client.post(f"/api/v1/services/{item.pk}/applications", {"data": {}}, content_type="application/json")
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == {"code": "APPROVED", "ended": True, "state": "completed", "label": "completed"}
    assert body["licence"] == Case.objects.get(pk=body["id"]).number


def test_benefit_scan_and_confirmation_over_the_api(svc, client):
    benefit = _benefit(svc, rule={"logic": demo_autodecide._age_at_least(30), "explain": "年满30周岁"})
    client.force_login(svc.counter)
    assert client.post(f"/api/v1/services/benefits/{benefit.code}/scan").status_code == 403
    assert Entitlement.objects.count() == 0
    client.force_login(svc.supervisor)
    scan = client.post(f"/api/v1/services/benefits/{benefit.code}/scan").json()
    assert (scan["scanned"], scan["proposed"]) == (3, 3)
    client.force_login(svc.other_citizen)
    mine = client.get("/api/v1/services/benefits/entitlements").json()
    assert [e["benefit"] for e in mine] == ["B-30"]
    client.force_login(svc.citizen)
    assert client.post(f"/api/v1/services/benefits/entitlements/{mine[0]['id']}/confirm").status_code == 404
    assert Entitlement.objects.get(pk=mine[0]["id"]).state == "proposed"
    own = client.get("/api/v1/services/benefits/entitlements").json()[0]
    done = client.post(f"/api/v1/services/benefits/entitlements/{own['id']}/confirm")
    assert done.status_code == 200 and done.json()["state"] == "granted" and done.json()["case"]
    assert client.post(f"/api/v1/services/benefits/entitlements/{own['id']}/decline").status_code == 409


def test_wallet_present_verify_consent_over_the_api(svc, client):
    licence = Licence.objects.get(holder_person=svc.person, licence_type__code="id_card")
    assert client.get("/api/v1/services/wallet").status_code == 401
    client.force_login(svc.other_citizen)
    assert client.post(f"/api/v1/services/wallet/{licence.pk}/presentation").status_code == 404
    client.force_login(svc.citizen)
    wallet = client.get("/api/v1/services/wallet").json()
    assert [w["number"] for w in wallet] == [licence.number]
    code = client.post(f"/api/v1/services/wallet/{licence.pk}/presentation").json()["code"]
    client.logout()
    ok = client.post(
        "/api/v1/services/licences/verify", {"code": code, "party": "某银行"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["valid"] is True and ok.json()["holder"] == "张*"
    client.force_login(svc.citizen)
    until = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    bad = client.post(
        f"/api/v1/services/wallet/{licence.pk}/consents",
        {"party_name": "", "purpose": "租房", "expires_on": until},
        content_type="application/json",
    )
    assert bad.status_code == 422 and list(bad.json()["error"]["details"]["fields"]) == ["party_name"]
    assert LicenceConsent.objects.count() == 0
    made = client.post(
        f"/api/v1/services/wallet/{licence.pk}/consents",
        {"party_name": "某租房平台", "purpose": "租房实名", "expires_on": until},
        content_type="application/json",
    )
    assert made.status_code == 201
    key = made.json()["key"]
    client.logout()
    used = client.get("/api/v1/services/licences/use", {"key": key})
    assert used.status_code == 200 and used.json()["number"] == licence.number
    client.force_login(svc.citizen)
    log = client.get("/api/v1/services/wallet").json()[0]["uses"]
    assert [u["kind"] for u in log] == ["used", "verified"]
    consent_id = made.json()["consent"]["id"]
    assert client.post(f"/api/v1/services/wallet/consents/{consent_id}/revoke").status_code == 200
    client.logout()
    assert client.get("/api/v1/services/licences/use", {"key": key}).status_code == 403
    assert LicenceUse.objects.count() == 2
