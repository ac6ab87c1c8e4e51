"""Demo data of codes: keys of region A (this installation, 330000) and region B (310000),
the health purpose and its rules, subjects with records, 30 days of indicators and power use.

Deterministic (fixed seeds, fixed dates relative to a fixed day) and idempotent.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.selectors import org_unit_by_code, user_with_username
from zhengtong.accounts.services import system_actor
from zhengtong.codes import cose, keys, services, trust
from zhengtong.codes.geo import COUNTIES
from zhengtong.codes.models import (
    PowerUse,
    Purpose,
    RegionRisk,
    RiskIndicator,
    RuleSet,
    Subject,
    SubjectRecord,
    TrustAnchor,
)
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry.demo import DEMO_PASSWORD

SEED = b"zhengtong-demo-region-330000"
REGION_B = ("310000", "上海市（示范B区）")
REGION_B_SEED = b"zhengtong-demo-region-310000"
DAYS = 30

_CLOCK = {"var": "external.validationClock"}


def _day(field: str, days: int = 0) -> dict:
    return {"plusTime": [{"var": field}, days, "day"]}


HEALTH_RULES = [
    {
        "id": "HC-01",
        "colour": "red",
        "description": "过去14天内没有阳性检测结果",
        "description_en": "No positive test in the past 14 days",
        "advice": "最后一次阳性检测14天后，如无其他规则适用，转为绿码。",
        "advice_en": "Turns green 14 days after the last positive test, if no other rule applies.",
        "logic": {
            "if": [
                {"var": "subject.lastPositiveTest"},
                {"before": [_day("subject.lastPositiveTest", 14), {"plusTime": [_CLOCK, 0, "day"]}]},
                True,
            ]
        },
    },
    {
        "id": "HC-02",
        "colour": "red",
        "description": "目前不在隔离或集中观察期内",
        "description_en": "Not in quarantine or isolation",
        "advice": "隔离期结束后自动转码。",
        "advice_en": "Changes automatically when the quarantine or isolation ends.",
        "logic": {
            "if": [
                {"var": "subject.quarantineUntil"},
                {"not-after": [_day("subject.quarantineUntil"), {"plusTime": [_CLOCK, 0, "day"]}]},
                True,
            ]
        },
    },
    {
        "id": "HC-03",
        "colour": "red",
        "description": "过去14天内未从高风险地区（红色）抵达",
        "description_en": "No arrival from a high-risk (red) county in the past 14 days",
        "advice": "抵达14天后转码；如该地区风险等级下调，次日重新评估。",
        "advice_en": "Changes 14 days after arrival, or the day after the county's level is lowered.",
        "logic": {"<": [{"var": "subject.arrivalRiskLevel"}, 5]},
    },
    {
        "id": "HC-04",
        "colour": "yellow",
        "description": "过去14天内未从较高风险地区（橙色）抵达",
        "description_en": "No arrival from a relatively high-risk (orange) county in the past 14 days",
        "advice": "抵达14天后或该地区等级下调后转为绿码。",
        "advice_en": "Turns green 14 days after arrival, or when the county's level is lowered.",
        "logic": {"<": [{"var": "subject.arrivalRiskLevel"}, 4]},
    },
]


def region_b_keys():
    """Region B's deterministic anchor and code-signing keys (demo only)."""
    anchor = keys.generate(REGION_B_SEED + b"/anchor")
    code = keys.generate(REGION_B_SEED + b"/code/1")
    return anchor, code


def region_b_signed_list(*, now: dt.datetime | None = None) -> dict:
    anchor, code = region_b_keys()
    now = now or timezone.now()
    kid = cose.kid_for(code.public_key()).hex()
    document = {
        "format": trust.FORMAT,
        "region": REGION_B[0],
        "region_name": REGION_B[1],
        "sequence": 1,
        "issued_at": now.replace(microsecond=0).isoformat(),
        "next_update": (now + dt.timedelta(days=7)).replace(microsecond=0).isoformat(),
        "keys": [trust.key_entry(kid, REGION_B[0], cose.public_key_der(code.public_key()), "active")],
    }
    return trust.sign_document(document, anchor, cose.kid_for(anchor.public_key()).hex())


def region_b_anchor_pem() -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    anchor, _code = region_b_keys()
    return anchor.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def region_b_code(*, colour: str = "green", purpose: str = "health", hours: int = 24, now=None) -> str:
    """A code as region B would issue it (to try mutual recognition)."""
    _anchor, code = region_b_keys()
    iat = int((now or timezone.now()).timestamp())
    claims = cose.Claims(REGION_B[0], "b" * 16, purpose, colour, iat, iat + hours * 3600)
    return cose.encode_code(claims, code, cose.kid_for(code.public_key()))


def ensure_health_purpose(actor) -> Purpose:
    purpose, _ = Purpose.objects.get_or_create(
        code="health",
        defaults={
            "name": "健康码",
            "name_en": "Health code",
            "description": "疫情防控期间的通行健康状态，仅用于防疫查验。",
            "subject_kind": "person",
        },
    )
    if not RuleSet.objects.filter(purpose=purpose).exists():
        RuleSet.objects.create(
            purpose=purpose,
            version=1,
            valid_from=timezone.now() - dt.timedelta(days=DAYS),
            rules=HEALTH_RULES,
            note="示范规则 v1",
        )
    return purpose


def seed(stdout=None) -> dict[str, int]:
    actor = system_actor()
    rng = random.Random(20251122)
    today = timezone.localdate()
    with transaction.atomic():
        keys.ensure_keys(actor=actor, seed=SEED)
        purpose = ensure_health_purpose(actor)
        if not TrustAnchor.objects.filter(region_code=REGION_B[0]).exists():
            trust.anchor_add(
                actor=actor, region_code=REGION_B[0], name=REGION_B[1], public_key_pem=region_b_anchor_pem()
            )
            trust.import_signed(actor=actor, signed=region_b_signed_list())
        # Indicators: 30 days per county; a few hot spots so that the map shows every colour.
        hot = {"330782": 6, "330106": 2, "331002": 1, "330302": 3}
        if not RiskIndicator.objects.exists():
            rows = []
            for code, _name, _x, _y in COUNTIES:
                intensity = hot.get(code, 0)
                for back in range(DAYS + 14):
                    day = today - dt.timedelta(days=back)
                    new = rng.randint(0, intensity * 3) if intensity and back < 20 else 0
                    local = new if intensity >= 2 else rng.randint(0, new)
                    clusters = 1 if intensity >= 3 and back in (2, 9) else 0
                    rows.append(
                        RiskIndicator(
                            county_code=code, day=day, new_cases=new, local_cases=local, clusters=clusters
                        )
                    )
            RiskIndicator.objects.bulk_create(rows)
        for back in range(DAYS - 1, -1, -1):
            day = today - dt.timedelta(days=back)
            if not RegionRisk.objects.filter(day=day).exists():
                services.risk_compute(day, actor=actor)
        _seed_subjects(actor, purpose, rng, today)
        _seed_enterprises(actor, rng, today)
        _seed_accounts(actor)
    return {
        "subjects": Subject.objects.count(),
        "records": SubjectRecord.objects.count(),
        "risk_days": RegionRisk.objects.values("day").distinct().count(),
        "power_rows": PowerUse.objects.count(),
    }


def _seed_subjects(actor, purpose, rng, today) -> None:
    if SubjectRecord.objects.exists():
        return
    persons = list(registry_selectors.persons_with_resident_id_prefix("330106")[:12])
    for i, person in enumerate(persons):
        subject = services.subject_for_person(person)
        if i == 1:
            SubjectRecord.objects.create(
                subject=subject,
                purpose=purpose,
                kind="test_result",
                occurred_on=today - dt.timedelta(days=3),
                data={"result": "positive"},
                entered_by=actor,
            )
        elif i == 2:
            SubjectRecord.objects.create(
                subject=subject,
                purpose=purpose,
                kind="arrival",
                occurred_on=today - dt.timedelta(days=2),
                data={"region": "330782"},
                entered_by=actor,
            )
        elif i == 3:
            SubjectRecord.objects.create(
                subject=subject,
                purpose=purpose,
                kind="quarantine",
                occurred_on=today - dt.timedelta(days=4),
                until=today + dt.timedelta(days=3),
                data={"kind": "quarantine"},
                entered_by=actor,
            )
        SubjectRecord.objects.create(
            subject=subject,
            purpose=purpose,
            kind="test_result",
            occurred_on=today - dt.timedelta(days=1 + i % 3),
            data={"result": "negative"},
            entered_by=actor,
        )
        services.issue(subject=subject, purpose=purpose)


def _seed_enterprises(actor, rng, today) -> None:
    if PowerUse.objects.exists():
        return
    entities = list(registry_selectors.legal_entities_active()[:60])
    rows = []
    for entity in entities:
        baseline = float(rng.randint(200, 5000))
        subject = services.subject_for_entity(entity, baseline_daily_kwh=baseline)
        start = rng.randint(0, 20)  # the day (back from 30) it resumes
        for back in range(DAYS):
            recovered = (DAYS - back) >= start
            share = rng.uniform(0.5, 1.1) if recovered else rng.uniform(0.05, 0.25)
            rows.append(
                PowerUse(subject=subject, day=today - dt.timedelta(days=back), kwh=round(baseline * share, 1))
            )
    PowerUse.objects.bulk_create(rows)
    for back in range(DAYS):
        services.index_compute(today - dt.timedelta(days=back), actor=actor, publish=False)
    services.index_publish()  # one catalogue load for the whole history


ACCOUNTS = [
    ("codes_admin", "codes_admin", "330000", "publish rules, keys, trust lists, risk map"),
    ("xihu_codes", "codes_officer", "330106", "enter test results, overrides, appeals in 西湖区"),
]


def _seed_accounts(actor) -> None:
    for username, role, scope, _note in ACCOUNTS:
        if user_with_username(username) is not None:
            continue
        unit = org_unit_by_code(scope)
        if unit is None:
            continue
        user = account_services.user_create(
            actor=actor,
            username=username,
            password=DEMO_PASSWORD,
            kind=UserKind.STAFF,
            display_name=username,
            org_unit=unit,
            validate=False,
        )
        account_services.role_grant(actor=actor, user=user, role=role, org_unit=unit)


def account_rows() -> list[tuple[str, str, str, str]]:
    return [(u, r, s, n) for u, r, s, n in ACCOUNTS]
