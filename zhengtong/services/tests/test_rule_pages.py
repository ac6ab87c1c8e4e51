"""Staff pages of 秒批 rules and 免申即享 benefits (issue 19 item 4's staff side): list, the rule
versions with their CertLogic JSON and audit history, a new version whose errors name the field
(nothing changes on a refusal), benefits with proposals and a scan run from the page."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhengtong.services.models import DecisionRuleSet, Entitlement
from zhengtong.services.services import autodecide
from zhengtong.services.tests.test_autodecide import RULES, _item
from zhengtong.services.tests.test_eligibility import _benefit

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_rule_pages_list_show_versions_and_publish_with_named_errors(svc):
    item = _item(svc)
    autodecide.decision_rules_publish(actor=svc.world.system, item=item, rules=RULES)
    sup = login(svc.supervisor)
    page = sup.get("/services/console/rules/").content.decode()
    assert item.code in page and "v1" in page
    url = f"/services/console/rules/{item.code}/"
    page = sup.get(url).content.decode()
    assert "age_16" in page and "年满16周岁" in page and "&quot;var&quot;" in page
    # Refusals: bad JSON, an invalid rule (the error names rules.0.logic), a counter clerk.
    before = list(DecisionRuleSet.objects.values_list("pk", "number", "is_active"))
    r = sup.post(url, {"rules": "[{"})
    assert r.status_code == 200 and "JSON" in r.content.decode()
    bad = [{"id": "x", "logic": {"nonsense": [1]}, "explain": "坏规则"}]
    r = sup.post(url, {"rules": json.dumps(bad)})
    assert r.status_code == 200 and "rules.0.logic" in r.content.decode()
    assert login(svc.counter).post(url, {"rules": json.dumps(RULES[:1])}).status_code in (403, 404)
    assert list(DecisionRuleSet.objects.values_list("pk", "number", "is_active")) == before
    # A new version.
    r = sup.post(url, {"rules": json.dumps(RULES[:1], ensure_ascii=False)})
    assert r.status_code == 302
    active = DecisionRuleSet.objects.get(version=item.current_version, is_active=True)
    assert active.number == 2 and [x["id"] for x in active.rules] == ["age_16"]
    page = sup.get(url).content.decode()
    assert page.count("services-rule-version") == 0  # no stray markup
    assert "s_supervisor" in page or svc.supervisor.display_name in page  # the audit history


def test_benefit_pages_scan_and_proposals(svc):
    benefit = _benefit(svc)
    sup = login(svc.supervisor)
    assert benefit.code in sup.get("/services/console/benefits/").content.decode()
    url = f"/services/console/benefits/{benefit.code}/"
    assert login(svc.counter).post(url, {"action": "scan"}).status_code in (403, 404)
    assert Entitlement.objects.count() == 0
    r = sup.post(url, {"action": "scan"})
    assert r.status_code == 302
    n = Entitlement.objects.filter(benefit=benefit).count()
    assert n == 3
    page = sup.get(url).content.decode()
    assert "年满30周岁" in page and page.count("<tr>") >= n + 1
    assert "张三" not in page  # holders masked
