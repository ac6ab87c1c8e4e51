"""Codes: subject data, rule evaluation, issuance, overrides, appeals, verification counts,
privacy controls (sunset, retention), risk levels and indices."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.codes import certlogic, cose, keys
from zhengtong.codes.models import (
    COLOUR_RANK,
    Appeal,
    ColourOverride,
    IndexValue,
    Issuance,
    PowerUse,
    Purpose,
    RegionRisk,
    RiskIndicator,
    RuleSet,
    SigningKey,
    Subject,
    SubjectRecord,
    TrustedKey,
    VerificationCount,
)
from zhengtong.codes.verify import KeyEntry, Result, TrustStore, verify
from zhengtong.core import cache, ratelimit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.masking import pseudonymize

RECORD_KINDS = {k.value for k in SubjectRecord.Kind}


# ---------------------------------------------------------------- purposes and rule sets


def purpose_get(code: str) -> Purpose:
    purpose = Purpose.objects.filter(code=code).first()
    if purpose is None:
        raise NotFound(_("unknown purpose “%s”") % code)
    return purpose


def rule_set_current(purpose: Purpose, *, at: dt.datetime | None = None) -> RuleSet | None:
    at = at or timezone.now()
    return (
        RuleSet.objects.filter(purpose=purpose, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .order_by("-version")
        .first()
    )


def _check_rules(rules) -> list[dict]:
    if not isinstance(rules, list) or not rules:
        raise ValidationError.for_field("rules", _("a non-empty list of rules is required"))
    seen = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise ValidationError.for_field(f"rules[{i}]", _("each rule must be an object"))
        rid = rule.get("id")
        if not isinstance(rid, str) or not rid or rid in seen:
            raise ValidationError.for_field(f"rules[{i}].id", _("each rule needs a unique id"))
        seen.add(rid)
        if rule.get("colour") not in ("yellow", "red"):
            raise ValidationError.for_field(f"rules[{i}].colour", _("colour must be yellow or red"))
        if not str(rule.get("description", "")).strip():
            raise ValidationError.for_field(
                f"rules[{i}].description", _("a readable description is required")
            )
        problems = certlogic.validate(rule.get("logic"))
        if problems:
            raise ValidationError.for_field(f"rules[{i}].logic", "; ".join(problems[:3]))
    return rules


def rule_set_publish(
    *, actor, purpose: Purpose, rules: list, valid_from: dt.datetime | None = None, note: str = ""
) -> RuleSet:
    """Publish a new version of a purpose's rules (the previous version ends when it starts)."""
    ensure_can(actor, "codes.manage_rules")
    rules = _check_rules(rules)
    valid_from = valid_from or timezone.now()
    with transaction.atomic():
        last = RuleSet.objects.select_for_update().filter(purpose=purpose).order_by("-version").first()
        version = (last.version + 1) if last else 1
        RuleSet.objects.filter(purpose=purpose, valid_to__isnull=True).update(valid_to=valid_from)
        rule_set = RuleSet.objects.create(
            purpose=purpose,
            version=version,
            valid_from=valid_from,
            rules=rules,
            note=note[:200],
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="codes.ruleset_publish",
            target=rule_set,
            after={"purpose": purpose.code, "version": version, "rules": [r["id"] for r in rules]},
            note=note,
        )
        transaction.on_commit(lambda: _enqueue_reissue(purpose.code))
    return rule_set


def _enqueue_reissue(purpose_code: str) -> None:
    from zhengtong.codes.tasks import reissue_task

    try:
        reissue_task.enqueue(purpose_code)
    except Exception:  # no worker backend configured: re-issue now
        reissue_purpose(purpose_code)


# ---------------------------------------------------------------- subjects and their data


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


def _validate_record(kind: str, data: dict) -> dict:
    if kind not in RECORD_KINDS:
        raise ValidationError.for_field("kind", _("unknown record kind"))
    data = dict(data or {})
    if kind == SubjectRecord.Kind.TEST_RESULT and data.get("result") not in ("positive", "negative"):
        raise ValidationError.for_field("data.result", _("result must be positive or negative"))
    if kind in (SubjectRecord.Kind.ARRIVAL, SubjectRecord.Kind.TRIP):
        region = str(data.get("region", ""))
        if not (region.isdigit() and len(region) == 6):
            raise ValidationError.for_field("data.region", _("a 6-digit county code is required"))
        data["region"] = region
    if kind == SubjectRecord.Kind.QUARANTINE and data.get("kind", "quarantine") not in (
        "quarantine",
        "isolation",
    ):
        raise ValidationError.for_field("data.kind", _("kind must be quarantine or isolation"))
    return data


def record_add(
    *, actor, subject: Subject, purpose: Purpose, kind: str, occurred_on: dt.date, data: dict, until=None
) -> SubjectRecord:
    """Staff enter a purpose-specific record; the subject's code is re-issued after commit."""
    ensure_can(actor, "codes.enter_data", subject.org_unit)
    if not purpose.is_active:
        raise Conflict(_("this purpose has been sunset"), code="purpose_sunset")
    data = _validate_record(kind, data)
    if until is not None and until < occurred_on:
        raise ValidationError.for_field("until", _("must not be before the date"))
    with transaction.atomic():
        record = SubjectRecord.objects.create(
            subject=subject,
            purpose=purpose,
            kind=kind,
            occurred_on=occurred_on,
            until=until,
            data=data,
            entered_by=actor,
        )
        Subject.objects.filter(pk=subject.pk).update(data_changed_at=timezone.now())
        audit.record(
            actor=actor,
            action="codes.record_add",
            target=record,
            org_unit=subject.org_unit,
            target_label=f"subject #{subject.pk}",
            after={"kind": kind, "date": occurred_on.isoformat(), "purpose": purpose.code},
        )
        transaction.on_commit(lambda: issue(subject=subject, purpose=purpose))
    return record


def risk_levels_on(day: dt.date) -> dict[str, int]:
    """County → level, on ``day`` or the latest computed day before it."""
    latest = RegionRisk.objects.filter(day__lte=day).aggregate(d=Max("day"))["d"]
    if latest is None:
        return {}
    return dict(RegionRisk.objects.filter(day=latest).values_list("county_code", "level"))


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


def evaluate_rules(rule_set: RuleSet | None, context: dict) -> tuple[str, list[dict]]:
    """(colour, failed rules) — a rule that errors fails (fail safe)."""
    if rule_set is None:
        return "green", []
    colour, failed = "green", []
    for rule in rule_set.rules:
        passed, error = certlogic.evaluate_rule(rule.get("logic"), context)
        if not passed:
            failed.append(
                {
                    "id": rule["id"],
                    "colour": rule["colour"],
                    "description": rule.get("description", ""),
                    "description_en": rule.get("description_en", ""),
                    "advice": rule.get("advice", ""),
                    "advice_en": rule.get("advice_en", ""),
                    "error": bool(error),
                }
            )
            if COLOUR_RANK[rule["colour"]] > COLOUR_RANK[colour]:
                colour = rule["colour"]
    return colour, failed


# ---------------------------------------------------------------- issuance


def subject_pseudonym(subject: Subject, purpose: Purpose) -> str:
    """A per-purpose pseudonym: codes of two purposes cannot be linked to each other."""
    if subject.person_id:
        natural = subject.person.resident_id
    elif subject.legal_entity_id:
        natural = subject.legal_entity.uscc
    else:
        natural = f"subject:{subject.pk}"
    return pseudonymize(natural, purpose=f"codes:{purpose.code}")[:16]


def active_override(subject: Subject, purpose: Purpose, *, now=None) -> ColourOverride | None:
    now = now or timezone.now()
    return (
        ColourOverride.objects.filter(
            subject=subject, purpose=purpose, lifted_at__isnull=True, valid_until__gt=now
        )
        .order_by("-created_at")
        .first()
    )


@lru_cache(maxsize=4)
def _signer(kid: str):
    key = SigningKey.objects.get(kid=kid)
    return keys.private_key(key), bytes.fromhex(kid)


def issue(*, subject: Subject, purpose: Purpose, now: dt.datetime | None = None, levels=None) -> Issuance:
    """Evaluate the purpose's rules (or an active override) and sign a fresh code."""
    if not purpose.is_active:
        raise Conflict(_("this purpose has been sunset: no codes are issued"), code="purpose_sunset")
    now = now or timezone.now()
    override = active_override(subject, purpose, now=now)
    rule_set = rule_set_current(purpose, at=now)
    if override is not None:
        colour = override.colour
        reasons = [
            {
                "id": "override",
                "colour": colour,
                "description": _("Set by a decision of the authority: %s") % override.reason,
                "description_en": "",
                "advice": _("You can appeal this decision below."),
                "advice_en": "",
                "error": False,
            }
        ]
    else:
        colour, reasons = evaluate_rules(rule_set, subject_context(subject, purpose, now=now, levels=levels))
    key = keys.active_key()
    if key is None:
        raise Conflict(_("no active signing key"), code="no_signing_key")
    private, kid = _signer(key.kid)
    iat = int(now.timestamp())
    exp = iat + settings.CODES_EXPIRY_HOURS * 3600
    if override is not None:
        exp = min(exp, int(override.valid_until.timestamp()))
    pseudonym = subject_pseudonym(subject, purpose)
    claims = cose.Claims(settings.CODES_REGION_CODE, pseudonym, purpose.code, colour, iat, exp)
    text = cose.encode_code(claims, private, kid, prefix=settings.CODES_PREFIX)
    with transaction.atomic():
        Issuance.objects.filter(subject=subject, purpose=purpose, is_current=True).update(is_current=False)
        issuance = Issuance.objects.create(
            subject=subject,
            purpose=purpose,
            pseudonym=pseudonym,
            colour=colour,
            reasons=reasons,
            rule_set=rule_set,
            override=override,
            kid=key.kid,
            code=text,
            issued_at=dt.datetime.fromtimestamp(iat, dt.UTC),
            expires_at=dt.datetime.fromtimestamp(exp, dt.UTC),
            is_current=True,
        )
    return issuance


def current_issuance(subject: Subject, purpose: Purpose, *, now=None) -> Issuance:
    """The subject's valid code, issued afresh when missing, expiring within the hour, or stale."""
    now = now or timezone.now()
    current = Issuance.objects.filter(subject=subject, purpose=purpose, is_current=True).first()
    stale = current is None or current.expires_at <= now + dt.timedelta(hours=1)
    if not stale and subject.data_changed_at and subject.data_changed_at > current.issued_at:
        stale = True
    if not stale and current.rule_set_id != getattr(rule_set_current(purpose, at=now), "pk", None):
        stale = True
    return issue(subject=subject, purpose=purpose, now=now) if stale else current


def reissue_purpose(purpose_code: str) -> int:
    """Re-issue every subject's code of a purpose (rules or risk levels changed)."""
    purpose = Purpose.objects.filter(code=purpose_code, is_active=True).first()
    if purpose is None:
        return 0
    now = timezone.now()
    levels = risk_levels_on(timezone.localdate(now))
    count = 0
    subject_ids = (
        Issuance.objects.filter(purpose=purpose, is_current=True)
        .values_list("subject_id", flat=True)
        .distinct()
    )
    # A subquery, not a list of ids: a province has more subjects than a statement has parameters.
    subjects = Subject.objects.filter(pk__in=subject_ids).select_related("person", "legal_entity")
    for subject in subjects.order_by("pk").iterator(chunk_size=2000):
        issue(subject=subject, purpose=purpose, now=now, levels=levels)
        count += 1
    return count


# ---------------------------------------------------------------- overrides and appeals


def _override_payload(o: ColourOverride) -> bytes:
    from zhengtong.codes.trust import canonical

    return canonical(
        {
            "subject": o.subject_id,
            "purpose": o.purpose.code,
            "colour": o.colour,
            "reason": o.reason,
            "valid_until": o.valid_until.isoformat(),
            "by": o.created_by.get_username(),
        }
    )


def override_set(*, actor, subject: Subject, purpose: Purpose, colour: str, reason: str, hours: int = 72):
    """A manual colour by authorised staff: reason required, signed with our key, audited."""
    ensure_can(actor, "codes.override", subject.org_unit)
    if colour not in COLOUR_RANK:
        raise ValidationError.for_field("colour", _("colour must be green, yellow or red"))
    if len(reason.strip()) < 5:
        raise ValidationError.for_field("reason", _("a reason of at least 5 characters is required"))
    if not 1 <= hours <= 24 * 14:
        raise ValidationError.for_field("hours", _("between 1 hour and 14 days"))
    key = keys.active_key()
    if key is None:
        raise Conflict(_("no active signing key"), code="no_signing_key")
    with transaction.atomic():
        override = ColourOverride(
            subject=subject,
            purpose=purpose,
            colour=colour,
            reason=reason.strip(),
            valid_until=timezone.now() + dt.timedelta(hours=hours),
            created_by=actor,
            kid=key.kid,
        )
        override.signature = cose.sign_es256(keys.private_key(key), _override_payload(override)).hex()
        override.save()
        audit.record(
            actor=actor,
            action="codes.override_set",
            target=override,
            org_unit=subject.org_unit,
            after={"colour": colour, "purpose": purpose.code, "hours": hours},
            note=reason,
        )
        transaction.on_commit(lambda: issue(subject=subject, purpose=purpose))
    return override


def override_signature_valid(override: ColourOverride) -> bool:
    key = SigningKey.objects.filter(kid=override.kid).first()
    if key is None:
        return False
    return cose.verify_es256(
        keys.public_key(key), _override_payload(override), bytes.fromhex(override.signature)
    )


def override_lift(*, actor, override: ColourOverride, reason: str) -> ColourOverride:
    ensure_can(actor, "codes.override", override.subject.org_unit)
    if override.lifted_at is not None:
        raise Conflict(_("already lifted"), code="already_lifted")
    if not reason.strip():
        raise ValidationError.for_field("reason", _("a reason is required"))
    with transaction.atomic():
        override.lifted_at = timezone.now()
        override.lifted_reason = reason.strip()[:200]
        override.save(update_fields=["lifted_at", "lifted_reason"])
        audit.record(
            actor=actor,
            action="codes.override_lift",
            target=override,
            org_unit=override.subject.org_unit,
            note=reason,
        )
        transaction.on_commit(lambda: issue(subject=override.subject, purpose=override.purpose))
    return override


def appeal_submit(*, actor, subject: Subject, purpose: Purpose, kind: str, text: str) -> Appeal:
    """The subject (or their representative) appeals a colour or asks for a correction (纠错)."""
    from zhengtong.codes.workflows import APPEAL_FLOW

    if not subject_owned_by(subject, actor):
        raise PermissionDenied(_("you may only appeal your own code"))
    if kind not in Appeal.Kind.values:
        raise ValidationError.for_field("kind", _("kind must be appeal or correction"))
    if len(text.strip()) < 5:
        raise ValidationError.for_field("text", _("please describe what is wrong (at least 5 characters)"))
    with transaction.atomic():
        appeal = Appeal.objects.create(
            subject=subject,
            purpose=purpose,
            issuance=Issuance.objects.filter(subject=subject, purpose=purpose, is_current=True).first(),
            kind=kind,
            text=text.strip()[:2000],
            org_unit=subject.org_unit,
            submitted_by=actor,
            state=APPEAL_FLOW.initial,
        )
        APPEAL_FLOW.start(appeal, actor=actor, after={"kind": kind, "purpose": purpose.code})
    return appeal


def subject_owned_by(subject: Subject, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if subject.person_id and user.resident_id:
        return subject.person.resident_id == user.resident_id
    if subject.legal_entity_id and getattr(user, "uscc", ""):
        return subject.legal_entity.uscc == user.uscc
    return False


def subject_of_user(user) -> Subject | None:
    from zhengtong.registry.models import Person

    if not getattr(user, "is_authenticated", False) or not user.resident_id:
        return None
    person = Person.objects.filter(resident_id=user.resident_id).select_related("org_unit").first()
    return subject_for_person(person) if person else None


# ---------------------------------------------------------------- verification


STORE_TTL_SECONDS = 30.0
STORE_CACHE = "codes.trust_store"


def trust_store(*, refresh: bool = False) -> TrustStore:
    """Our own code keys plus every imported region's keys, kept in each process for up to
    STORE_TTL_SECONDS (parsed keys cannot be pickled into the shared cache); ``refresh`` or
    ``forget_trust_store`` rebuilds it in every process."""
    if refresh:
        forget_trust_store()
    return cache.cached(STORE_CACHE, "store", _trust_store_build, STORE_TTL_SECONDS, local=True, shared=False)


def _trust_store_build() -> TrustStore:
    store = TrustStore()
    for k in SigningKey.objects.filter(role=SigningKey.Role.CODE):
        store.add(KeyEntry(bytes.fromhex(k.kid), k.region_code, keys.public_key(k), k.status))
    for k in TrustedKey.objects.select_related("trust_list__anchor"):
        store.add(
            KeyEntry(
                bytes.fromhex(k.kid),
                k.region_code,
                keys.public_key(k),
                k.status,
                k.trust_list.anchor.is_active,
            )
        )
    return store


def forget_trust_store() -> None:
    """Drop the trust store in every process (after keys or trust lists change)."""
    cache.invalidate(STORE_CACHE)


_counts: Counter = Counter()
_counts_lock = threading.Lock()
_counts_flushed = [time.monotonic()]
FLUSH_EVERY = 500
FLUSH_SECONDS = 10.0


def count_verification(result: Result, *, force_flush: bool = False) -> None:
    """Keep only aggregates: (day, purpose, issuing region, result) → count, flushed in batches."""
    key = (timezone.localdate().isoformat(), result.purpose or "", result.region or "", result.reason)
    with _counts_lock:
        _counts[key] += 1
        due = force_flush or sum(_counts.values()) >= FLUSH_EVERY
        due = due or time.monotonic() - _counts_flushed[0] > FLUSH_SECONDS
        if not due:
            return
        pending = dict(_counts)
        _counts.clear()
        _counts_flushed[0] = time.monotonic()
    flush_counts(pending)


def flush_counts(pending: dict | None = None) -> None:
    if pending is None:
        with _counts_lock:
            pending = dict(_counts)
            _counts.clear()
    for (day, purpose, region, reason), n in pending.items():
        with transaction.atomic():
            row, created = VerificationCount.objects.get_or_create(
                day=day, purpose=purpose[:40], region_code=region[:12], result=reason, defaults={"count": n}
            )
            if not created:
                VerificationCount.objects.filter(pk=row.pk).update(count=F("count") + n)


def verify_code(text: str, *, purpose: str | None = None) -> Result:
    result = verify(
        text,
        store=trust_store(),
        purpose=purpose or None,
        max_bytes=settings.CODES_MAX_DECOMPRESSED_BYTES,
        prefix=settings.CODES_PREFIX,
    )
    count_verification(result)
    return result


def rate_limit(key: str, *, per_minute: int) -> None:
    """Count one verification from ``key`` (a client address); RateLimited past ``per_minute``."""
    ratelimit.hit(
        "codes.verify",
        key,
        limit=per_minute,
        message=_("too many verification requests; try again in a minute"),
    )


# ---------------------------------------------------------------- privacy controls


def purpose_sunset(*, actor, purpose: Purpose, delete_after_days: int = 30, reason: str = "") -> Purpose:
    """Stop issuance for a purpose now, and schedule deletion of its data."""
    ensure_can(actor, "codes.manage_rules")
    if not purpose.is_active:
        raise Conflict(_("this purpose has already been sunset"), code="purpose_sunset")
    if not 0 <= delete_after_days <= 365:
        raise ValidationError.for_field("delete_after_days", _("between 0 and 365 days"))
    now = timezone.now()
    with transaction.atomic():
        purpose.is_active = False
        purpose.sunset_at = now
        purpose.delete_data_after = now + dt.timedelta(days=delete_after_days)
        purpose.save(update_fields=["is_active", "sunset_at", "delete_data_after"])
        Issuance.objects.filter(purpose=purpose, is_current=True).update(is_current=False)
        audit.record(
            actor=actor,
            action="codes.purpose_sunset",
            target=purpose,
            after={"purpose": purpose.code, "delete_after": purpose.delete_data_after.isoformat()},
            note=reason,
        )
    return purpose


def retention_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete expired issuance records past retention, and all data of sunset purposes past their date."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.CODES_RETENTION_DAYS)
    result = {"issuances": Issuance.objects.filter(expires_at__lt=cutoff).delete()[0]}
    purged = 0
    for purpose in Purpose.objects.filter(
        is_active=False, delete_data_after__lte=now, data_deleted_at__isnull=True
    ):
        with transaction.atomic():
            Appeal.objects.filter(purpose=purpose).delete()
            Issuance.objects.filter(purpose=purpose).delete()
            ColourOverride.objects.filter(purpose=purpose).delete()
            n = SubjectRecord.objects.filter(purpose=purpose).delete()[0]
            purpose.data_deleted_at = now
            purpose.save(update_fields=["data_deleted_at"])
            audit.record(
                actor=None, action="codes.purpose_data_deleted", target=purpose, after={"records": n}
            )
        purged += 1
    result["purposes_deleted"] = purged
    if result["issuances"]:
        audit.record(
            actor=None,
            action="codes.retention_purge",
            target_type="codes.issuance",
            target_id="",
            target_label="",
            after=result,
        )
    return result


# ---------------------------------------------------------------- risk levels (五色图)


def risk_thresholds() -> dict[str, int]:
    t = [int(x) for x in settings.CODES_RISK_THRESHOLDS]
    return {
        "high_new14": t[0],
        "relatively_high_new14": t[1],
        "medium_local7": t[2],
        "relatively_low_new14": t[3],
    }


def classify_risk(ind: dict, thresholds: dict[str, int]) -> int:
    if ind["new14"] >= thresholds["high_new14"] or ind["clusters14"] >= 2:
        return 5
    if ind["new14"] >= thresholds["relatively_high_new14"] or ind["clusters14"] >= 1:
        return 4
    if ind["local7"] >= thresholds["medium_local7"]:
        return 3
    if ind["new14"] >= thresholds["relatively_low_new14"]:
        return 2
    return 1


def risk_compute(day: dt.date, *, actor=None) -> int:
    """Compute every county's level for ``day`` from the indicators of the 14 days before it."""
    from zhengtong.codes.geo import COUNTIES

    start = day - dt.timedelta(days=13)
    rows = RiskIndicator.objects.filter(day__gte=start, day__lte=day).values_list(
        "county_code", "day", "new_cases", "local_cases", "clusters"
    )
    per: dict[str, list] = {}
    for code, d, new, local, clusters in rows:
        per.setdefault(code, []).append((d, new, local, clusters))
    last_case = dict(
        RiskIndicator.objects.filter(day__lte=day, new_cases__gt=0)
        .values("county_code")
        .annotate(d=Max("day"))
        .values_list("county_code", "d")
    )
    thresholds = risk_thresholds()
    week = day - dt.timedelta(days=6)
    written = 0
    with transaction.atomic():
        for code in sorted({c for c, *_ in COUNTIES} | set(per)):
            items = per.get(code, [])
            new14 = sum(i[1] for i in items)
            local14 = sum(i[2] for i in items)
            ind = {
                "new7": sum(i[1] for i in items if i[0] >= week),
                "new14": new14,
                "local7": sum(i[2] for i in items if i[0] >= week),
                "local_share14": round(local14 / new14, 3) if new14 else 0.0,
                "clusters14": sum(i[3] for i in items),
                "days_without_case": (day - last_case[code]).days if code in last_case else None,
            }
            RegionRisk.objects.update_or_create(
                county_code=code,
                day=day,
                defaults={"level": classify_risk(ind, thresholds), "indicators": ind},
            )
            written += 1
        audit.record(
            actor=actor,
            action="codes.risk_compute",
            target_type="codes.regionrisk",
            target_id=day.isoformat(),
            target_label=day.isoformat(),
            after={"counties": written},
        )
    return written


# ---------------------------------------------------------------- indices (一指数)


def index_compute(day: dt.date, *, actor=None, publish: bool = True) -> int:
    """Per county: resumption rate (% of enterprises whose use > N% of baseline) and power index;
    ``publish``: then refresh the catalogue dataset (after commit)."""
    share = settings.CODES_RESUMPTION_PERCENT / 100.0
    rows = PowerUse.objects.filter(day=day, subject__baseline_daily_kwh__gt=0).values_list(
        "subject__county_code", "kwh", "subject__baseline_daily_kwh"
    )
    agg: dict[str, list[float]] = {}
    for county, kwh, baseline in rows:
        a = agg.setdefault(county, [0, 0, 0.0, 0.0])
        a[0] += 1
        a[1] += 1 if kwh > share * baseline else 0
        a[2] += kwh
        a[3] += baseline
    with transaction.atomic():
        for county, (n, resumed, use, base) in agg.items():
            IndexValue.objects.update_or_create(
                county_code=county,
                day=day,
                kind=IndexValue.Kind.RESUMPTION_RATE,
                defaults={"value": round(100.0 * resumed / n, 2), "numerator": resumed, "denominator": n},
            )
            IndexValue.objects.update_or_create(
                county_code=county,
                day=day,
                kind=IndexValue.Kind.POWER_INDEX,
                defaults={"value": round(100.0 * use / base, 2), "numerator": use, "denominator": base},
            )
        audit.record(
            actor=actor,
            action="codes.index_compute",
            target_type="codes.indexvalue",
            target_id=day.isoformat(),
            target_label=day.isoformat(),
            after={"counties": len(agg)},
        )
    if agg and publish:
        transaction.on_commit(index_publish)
    return len(agg)


INDEX_RESOURCE = "county-daily-indices"
INDEX_FIELDS = ["day", "county_code", "kind", "value", "numerator", "denominator"]


def index_publish() -> str:
    """Publish the indices as the catalogue dataset ``county-daily-indices`` (一指数 as open data),
    refreshed with each computation. Returns what happened; never raises."""
    try:
        from zhengtong.catalog.services import platform_dataset_publish
    except ImportError:  # pragma: no cover - the catalogue is optional
        return "no catalogue"
    if not IndexValue.objects.exists():
        return "nothing to publish"
    return platform_dataset_publish(
        name=INDEX_RESOURCE,
        fields=INDEX_FIELDS,
        rows=IndexValue.objects.order_by("day", "county_code", "kind").values_list(*INDEX_FIELDS).iterator(),
        title="区县每日复工复产指数(复工率、电力指数)",
        title_en="Daily county indices: enterprise resumption rate and power-use index",
        description="各区县每日企业复工率(当日用电量超过基线日均用电量一定比例的企业占比)和电力指数(当日用电量占基线的百分比),含分子与分母。每日更新。仅含汇总数,不含企业或个人信息。",
        domain="economy",
        keywords=["复工率", "电力指数", "一指数", "resumption", "power index"],
    )


def appeal_decide(*, actor, appeal: Appeal, action: str, note: str) -> Appeal:
    """Uphold (lifts active overrides, re-issues) or reject an appeal, with a response."""
    from zhengtong.codes.workflows import APPEAL_FLOW

    if action not in ("uphold", "reject"):
        raise ValidationError.for_field("action", _("action must be uphold or reject"))
    with transaction.atomic():
        APPEAL_FLOW.apply(appeal, action, actor=actor, note=note, changes={"response": note.strip()[:2000]})
        if action == "uphold":
            for o in ColourOverride.objects.filter(
                subject=appeal.subject, purpose=appeal.purpose, lifted_at__isnull=True
            ):
                o.lifted_at = timezone.now()
                o.lifted_reason = _("appeal upheld")
                o.save(update_fields=["lifted_at", "lifted_reason"])
            subject, purpose = appeal.subject, appeal.purpose
            transaction.on_commit(lambda: purpose.is_active and issue(subject=subject, purpose=purpose))
        _notify_decision(appeal, action)
    return appeal


def _notify_decision(appeal: Appeal, action: str) -> None:
    """Tell the person the outcome (inbox), through the notify module when it is installed."""
    try:
        from zhengtong.notify.services import notify
    except ImportError:  # notify is optional for codes
        return
    title = _("Your appeal was upheld") if action == "uphold" else _("Your appeal was rejected")
    notify(
        recipient=appeal.submitted_by,
        event="codes.appeal_decided",
        title=title,
        body=appeal.response,
        link=f"/codes/?purpose={appeal.purpose.code}",
    )
