"""Counter intake and 帮办代办: counter staff file a case for an identified walk-in applicant
(identity document checked and recorded, the applicant's confirmation on screen or as a drawn
signature, stored with its hash), family proxies file with the principal's consent (scope and
expiry), and the applicant rates the counter service on site (一次一评, through ``rating_submit``).

The case's applicant is the citizen; ``Case.submitted_by`` names who filed it (the clerk, or the
proxy online) and ``Case.intake_channel`` how ("counter", "proxy").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_authenticated, ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.masking import mask_resident_id
from zhengtong.services.errors import ServicesError
from zhengtong.services.models import Case, ServiceItem
from zhengtong.services.models_onestop import CounterIntake, IdCheckMethod, IdDocument, ProxyConsent, Relation
from zhengtong.services.services.cases import case_submit, prepare_application
from zhengtong.services.services.ratings import rating_submit

audit_actions.register(
    {
        "services.case.counter_intake": gettext_lazy("File an application at the counter (帮办)"),
        "services.proxy.grant": gettext_lazy("Consent to a family proxy (代办授权)"),
        "services.proxy.revoke": gettext_lazy("Revoke a family proxy's consent"),
    }
)

PROXY_MAX_DAYS = 366
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _citizen_by_id(resident_id: str, field: str) -> Any:
    rid = (resident_id or "").strip().upper()
    if len(rid) != 18:
        raise ValidationError.for_field(field, _("must be an 18-character resident ID number"))
    user = account_selectors.user_with_resident_id(rid)
    if user is None:
        raise ValidationError.for_field(
            field, _("no real-name account holds this ID number: the person registers (实名注册) first")
        )
    if user.is_staff_member:
        raise ValidationError.for_field(field, _("staff accounts do not apply for services"))
    return user


def live_consent(*, principal: Any, proxy: Any, item_code: str) -> ProxyConsent | None:
    """The principal's live consent for ``proxy`` covering ``item_code``, or None."""
    for consent in ProxyConsent.objects.filter(principal=principal, proxy=proxy, revoked_at__isnull=True):
        if consent.is_live() and consent.covers(item_code):
            return consent
    return None


def signature_decode(data_url: str) -> bytes:
    """A drawn signature posted as a PNG data URL (or bare base64), checked as a PNG and capped."""
    raw = (data_url or "").strip()
    if raw.startswith("data:"):
        head, _sep, raw = raw.partition(",")
        if head != "data:image/png;base64":
            raise ValidationError.for_field("signature", _("must be a PNG image"))
    try:
        png = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError.for_field("signature", _("is not valid base64")) from None
    if not png.startswith(PNG_MAGIC):
        raise ValidationError.for_field("signature", _("must be a PNG image"))
    if len(png) > settings.SERVICES_SIGNATURE_MAX_BYTES:
        raise ValidationError.for_field(
            "signature", _("the signature is larger than %d bytes") % settings.SERVICES_SIGNATURE_MAX_BYTES
        )
    return png


def confirmation_digest(*, item: ServiceItem, applicant: Any, data: dict, status: dict) -> str:
    """The hash of what the applicant confirms: item and version, who, the form and how each
    material is satisfied (canonical JSON)."""
    doc = {
        "item": item.code,
        "version": item.current_version.number,
        "applicant": applicant.resident_id,
        "data": data,
        "materials": {code: s.get("by", "") for code, s in sorted(status.items())},
    }
    return hashlib.sha256(
        json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _check_identity(id_document: str, id_method: str) -> None:
    errors = {}
    if id_document not in IdDocument.values:
        errors["id_document"] = [_("choose one of the options")]
    if id_method not in IdCheckMethod.values:
        errors["id_method"] = [_("choose one of the options")]
    if errors:
        raise ValidationError(fields=errors)


def intake_file(
    *,
    actor: Any,
    counter_unit: Any,
    item: ServiceItem,
    resident_id: str,
    id_document: str,
    id_method: str,
    raw: dict[str, Any],
    files: dict[str, Any] | None,
    commit: set[str] | frozenset[str],
    confirmation: str,
    signature: str = "",
    proxy_resident_id: str = "",
    strict: bool = False,
) -> Case:
    """The shared core of a counter intake (``counter_file``) and of a 通办 reception
    (``transfers.transfer_receive``): the caller checked the clerk's right at ``counter_unit``.
    In the caller's transaction."""
    _check_identity(id_document, id_method)
    applicant = _citizen_by_id(resident_id, "resident_id")
    proxy = consent = None
    if proxy_resident_id:
        proxy = _citizen_by_id(proxy_resident_id, "proxy_resident_id")
        consent = live_consent(principal=applicant, proxy=proxy, item_code=item.code)
        if consent is None:
            raise ValidationError.for_field(
                "proxy_resident_id",
                _("the applicant has given this person no live consent covering this item"),
            )
    png = b""
    if confirmation == "signature":
        png = signature_decode(signature)
    elif confirmation != "screen":
        raise ValidationError.for_field("confirmation", _("the applicant confirms on screen or signs"))
    if not item.is_published or item.current_version_id is None:
        raise NotFound(_("no published service item %s") % item.code)
    prepared = prepare_application(
        actor=applicant, version=item.current_version, raw=raw, files=files, strict=strict, commit=commit
    )
    digest = confirmation_digest(item=item, applicant=applicant, data=prepared[0], status=prepared[2])
    case = case_submit(
        actor=applicant,
        item=item,
        raw=raw,
        files=files,
        prepared=prepared,
        submitted_by=actor,
        intake_channel="counter",
    )
    now = timezone.now()
    signature_ref = signature_sha = ""
    if png:
        signature_ref = default_storage.save(f"services/{case.number}/signature.png", ContentFile(png))
        signature_sha = hashlib.sha256(png).hexdigest()
    intake = CounterIntake.objects.create(
        case=case,
        counter_unit=counter_unit,
        counter_path=counter_unit.path,
        received_by=actor,
        id_document=id_document,
        id_number_masked=mask_resident_id(applicant.resident_id),
        id_method=id_method,
        id_checked_at=now,
        proxy=proxy,
        proxy_consent=consent,
        confirmation=confirmation,
        confirmed_sha256=digest,
        signature_ref=signature_ref,
        signature_sha256=signature_sha,
        confirmed_at=now,
    )
    audit.record(
        actor=actor,
        action="services.case.counter_intake",
        target=case,
        org_unit=counter_unit,
        after={
            "applicant": applicant.get_username(),
            "id_document": id_document,
            "id_method": id_method,
            "proxy": proxy.get_username() if proxy else "",
            "confirmation": confirmation,
            "confirmed_sha256": digest,
            "signature_sha256": signature_sha,
            "intake": intake.pk,
        },
    )
    return case


@transaction.atomic
def counter_file(*, actor: Any, item: ServiceItem, **kwargs: Any) -> Case:
    """帮办: a counter clerk (services.accept at the item's unit and department) files an
    application for a walk-in applicant identified at the counter. Arguments as ``intake_file``."""
    ensure_can(actor, "services.accept", item.org_unit, item.department)
    return intake_file(actor=actor, counter_unit=item.org_unit, item=item, **kwargs)


def counter_rate(*, actor: Any, case: Case, score: int, comment: str = "", sub_scores: dict | None = None):
    """一次一评 on site: the applicant rates the counter service on the counter's device, within
    SERVICES_COUNTER_RATING_MINUTES of the intake, once per case (the existing Rating: one per
    case). The device is the receiving clerk's session; the rating is the applicant's."""
    intake = CounterIntake.objects.filter(case=case).first()
    if intake is None or intake.received_by_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the counter that received the case takes its on-site rating"))
    if timezone.now() - intake.confirmed_at > dt.timedelta(minutes=settings.SERVICES_COUNTER_RATING_MINUTES):
        raise Conflict(_("the time for the on-site rating has passed"), code=ServicesError.RATING_CLOSED)
    return rating_submit(
        actor=case.applicant,
        case=case,
        score=score,
        comment=comment,
        sub_scores=sub_scores,
        stage="accepted",
        channel="counter",
        via="services.counter",
    )


# --- family proxies (代办) ---------------------------------------------------------------------


@transaction.atomic
def proxy_consent_grant(
    *, actor: Any, proxy_resident_id: str, relation: str, scope: list[str], valid_until: dt.datetime
) -> ProxyConsent:
    """A citizen consents that a family member files for them: the items (codes, or "*"), until
    when (at most PROXY_MAX_DAYS days)."""
    ensure_authenticated(actor)
    if actor.is_staff_member or not actor.resident_id:
        raise PermissionDenied(_("only a real-name citizen gives a proxy consent"))
    errors: dict[str, list[str]] = {}
    if relation not in Relation.values:
        errors["relation"] = [_("choose one of the options")]
    codes = [str(c).strip() for c in (scope or []) if str(c).strip()]
    if not codes:
        errors["scope"] = [_("name the items, or * for all")]
    elif "*" not in codes:
        known = set(
            ServiceItem.objects.filter(code__in=codes, is_published=True).values_list("code", flat=True)
        )
        missing = [c for c in codes if c not in known]
        if missing:
            errors["scope"] = [_("no published service item %s") % ", ".join(missing)]
    now = timezone.now()
    if not isinstance(valid_until, dt.datetime) or valid_until <= now:
        errors["valid_until"] = [_("must be a date after today")]
    elif valid_until > now + dt.timedelta(days=PROXY_MAX_DAYS):
        errors["valid_until"] = [_("at most %d days ahead") % PROXY_MAX_DAYS]
    if errors:
        raise ValidationError(fields=errors)
    proxy = _citizen_by_id(proxy_resident_id, "proxy_resident_id")
    if proxy.pk == actor.pk:
        raise ValidationError.for_field("proxy_resident_id", _("you cannot be your own proxy"))
    consent = ProxyConsent.objects.create(
        principal=actor,
        proxy=proxy,
        relation=relation,
        scope=["*"] if "*" in codes else codes,
        valid_until=valid_until,
    )
    audit.record(
        actor=actor,
        action="services.proxy.grant",
        target=consent,
        after={
            "proxy": proxy.get_username(),
            "relation": relation,
            "scope": consent.scope,
            "until": valid_until.isoformat(),
        },
    )
    return consent


@transaction.atomic
def proxy_consent_revoke(*, actor: Any, consent: ProxyConsent) -> ProxyConsent:
    """The principal withdraws a consent; cases already filed stay theirs."""
    if consent.principal_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the principal revokes their consent"))
    if (
        ProxyConsent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        == 0
    ):
        raise Conflict(_("the consent has been revoked already"), code=ServicesError.INVALID_STATE)
    audit.record(
        actor=actor, action="services.proxy.revoke", target=consent, after={"proxy": consent.proxy_id}
    )
    consent.refresh_from_db()
    return consent


@transaction.atomic
def proxy_file(
    *,
    actor: Any,
    consent: ProxyConsent,
    item: ServiceItem,
    raw: dict[str, Any],
    files: dict[str, Any] | None = None,
    commit: set[str] | frozenset[str] = frozenset(),
    strict: bool = True,
) -> Case:
    """代办 online: the proxy files for the principal under a live consent covering the item; the
    case is the principal's (their registry data, their notices), filed by the proxy."""
    if consent.proxy_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("this consent was not given to you"))
    if not consent.is_live() or not consent.covers(item.code):
        raise PermissionDenied(_("the consent has ended or does not cover this item"))
    return case_submit(
        actor=consent.principal,
        item=item,
        raw=raw,
        files=files,
        strict=strict,
        commit=commit,
        submitted_by=actor,
        intake_channel="proxy",
    )


def may_receive(actor: Any) -> bool:
    return can(actor, "services.accept")
