"""Subjects (the person or enterprise a code is about), their CertLogic context and pseudonym."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.codes.models import (
    Purpose,
    Subject,
    SubjectRecord,
)
from zhengtong.codes.services.risk import risk_levels_on
from zhengtong.core.masking import pseudonymize
from zhengtong.registry import selectors as registry_selectors


def subject_for_person(person) -> Subject:
    subject = Subject.objects.filter(person=person).first()
    if subject is None:
        subject, _created = Subject.objects.get_or_create(
            person=person,
            defaults={
                "kind": Subject.Kind.PERSON,
                "org_unit": person.org_unit,
                "county_code": person.org_unit.code[:6],
            },
        )
    return subject


def subject_for_entity(entity, *, baseline_daily_kwh: float | None = None) -> Subject:
    subject, created = Subject.objects.get_or_create(
        legal_entity=entity,
        defaults={
            "kind": Subject.Kind.ENTERPRISE,
            "org_unit": entity.org_unit,
            "county_code": entity.org_unit.code[:6],
            "baseline_daily_kwh": baseline_daily_kwh,
        },
    )
    if not created and baseline_daily_kwh is not None and subject.baseline_daily_kwh != baseline_daily_kwh:
        subject.baseline_daily_kwh = baseline_daily_kwh
        subject.save(update_fields=["baseline_daily_kwh"])
    return subject


def subject_context(
    subject: Subject, purpose: Purpose, *, now: dt.datetime | None = None, levels=None
) -> dict:
    """The CertLogic data context: {"subject": {...}, "external": {"validationClock": ...}}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    levels = risk_levels_on(today) if levels is None else levels
    records = list(
        SubjectRecord.objects.filter(subject=subject, purpose=purpose).order_by("occurred_on", "id")
    )
    tests, arrivals, trips, quarantines = [], [], [], []
    for r in records:
        day = r.occurred_on.isoformat()
        if r.kind == SubjectRecord.Kind.TEST_RESULT:
            tests.append({"date": day, "result": r.data.get("result")})
        elif r.kind in (SubjectRecord.Kind.ARRIVAL, SubjectRecord.Kind.TRIP):
            region = r.data.get("region")
            item = {"date": day, "region": region, "riskLevel": int(levels.get(region, 0))}
            (arrivals if r.kind == SubjectRecord.Kind.ARRIVAL else trips).append(item)
        elif r.kind == SubjectRecord.Kind.QUARANTINE:
            quarantines.append(
                {
                    "from": day,
                    "until": (r.until or r.occurred_on).isoformat(),
                    "kind": r.data.get("kind", "quarantine"),
                }
            )
    window = (today - dt.timedelta(days=14)).isoformat()
    recent = [a["riskLevel"] for a in arrivals + trips if a["date"] >= window]
    positives = [t["date"] for t in tests if t["result"] == "positive"]
    negatives = [t["date"] for t in tests if t["result"] == "negative"]
    return {
        "subject": {
            "kind": subject.kind,
            "county": subject.county_code,
            "tests": tests,
            "arrivals": arrivals,
            "trips": trips,
            "quarantines": quarantines,
            "lastPositiveTest": positives[-1] if positives else None,
            "lastNegativeTest": negatives[-1] if negatives else None,
            "quarantineUntil": max((q["until"] for q in quarantines), default=None),
            "arrivalRiskLevel": max(recent, default=0),
        },
        "external": {
            "validationClock": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "today": today.isoformat(),
        },
    }


def subject_pseudonym(subject: Subject, purpose: Purpose) -> str:
    """A per-purpose pseudonym: codes of two purposes cannot be linked to each other."""
    if subject.person_id:
        natural = subject.person.resident_id
    elif subject.legal_entity_id:
        natural = subject.legal_entity.uscc
    else:
        natural = f"subject:{subject.pk}"
    return pseudonymize(natural, purpose=f"codes:{purpose.code}")[:16]


def subject_owned_by(subject: Subject, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if subject.person_id and user.resident_id:
        return subject.person.resident_id == user.resident_id
    if subject.legal_entity_id and getattr(user, "uscc", ""):
        # The link alone is not enough: acting for the entity needs a live authorisation (授权).
        return subject.legal_entity.uscc == user.uscc and registry_selectors.may_act_for(
            user, subject.legal_entity
        )
    return False


def subject_of_user(user) -> Subject | None:
    if not getattr(user, "is_authenticated", False) or not user.resident_id:
        return None
    person = registry_selectors.person_with_resident_id(user.resident_id)
    return subject_for_person(person) if person else None
