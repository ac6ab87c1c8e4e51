"""Issuance: evaluate the rules (or an active override) and sign a fresh code; re-issue a purpose."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.codes import cose, keys
from zhengtong.codes.errors import CodesError
from zhengtong.codes.models import (
    ColourOverride,
    Issuance,
    Purpose,
    SigningKey,
    Subject,
)
from zhengtong.codes.services.risk import risk_levels_on
from zhengtong.codes.services.rules import evaluate_rules, rule_set_current
from zhengtong.codes.services.subjects import subject_context, subject_pseudonym
from zhengtong.core.errors import Conflict


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


def forget_signers() -> None:
    """Drop this process's parsed private keys (after a key rotation)."""
    _signer.cache_clear()


def issue(*, subject: Subject, purpose: Purpose, now: dt.datetime | None = None, levels=None) -> Issuance:
    """Evaluate the purpose's rules (or an active override) and sign a fresh code."""
    if not purpose.is_active:
        raise Conflict(_("this purpose has been sunset: no codes are issued"), code=CodesError.PURPOSE_SUNSET)
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
        raise Conflict(_("no active signing key"), code=CodesError.NO_SIGNING_KEY)
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


def enqueue_reissue(purpose_code: str) -> None:
    """Re-issue a purpose's codes in the background (now, when no worker backend is configured)."""
    # Lazy: the tasks module imports these services (a real cycle).
    from zhengtong.codes.tasks import reissue_task

    try:
        reissue_task.enqueue(purpose_code)
    except Exception:  # no worker backend configured: re-issue now
        reissue_purpose(purpose_code)
