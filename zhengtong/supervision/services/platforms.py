"""Platform data supervision (平台数据监管): platforms register the public part of an ES256 key,
then submit one signed report per type and month (JSON or CSV against the published schema);
reports are validated row by row (nothing is stored when any row fails), accepted once per
period (the same bytes again are answered idempotently), refused after the deadline, and checked
by anomaly rules that raise supervision alerts."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.core import keys
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.supervision.errors import SupervisionError
from zhengtong.supervision.models import Platform, PlatformKind, PlatformReport, SupervisionAlert

# The published schemas: report type → (platform kind, [(field, type, required)]).
REPORT_TYPES: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {
    "ride_orders": (
        PlatformKind.RIDE_HAILING,
        [
            ("order_id", "str", True),
            ("driver_licence_no", "str", False),
            ("driver_licensed", "bool", True),
            ("vehicle_licensed", "bool", True),
            ("amount_fen", "int", True),
            ("complaint", "bool", True),
        ],
    ),
    "delivery_orders": (
        PlatformKind.FOOD_DELIVERY,
        [
            ("order_id", "str", True),
            ("merchant_uscc", "str", True),
            ("merchant_licensed", "bool", True),
            ("amount_fen", "int", True),
            ("complaint", "bool", True),
        ],
    ),
}
# How each report type enters the catalogue (loaded at its grade): the grade of its most
# sensitive field, the openness that grade allows at most, and the resource's metadata.
REPORT_CATALOGUE: dict[str, dict[str, str]] = {
    "ride_orders": {
        "grade": "L3",  # drivers' licence numbers: personal data
        "openness": "closed",
        "title": "网约车平台订单数据报送",
        "title_en": "Ride-hailing platform order reports",
        "domain": "transport",
    },
    "delivery_orders": {
        "grade": "L2",  # merchants' credit codes and amounts: business data, no personal data
        "openness": "conditional",
        "title": "外卖平台订单数据报送",
        "title_en": "Food-delivery platform order reports",
        "domain": "economy",
    },
}
PERIOD = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")
MAX_ERRORS = 100
SPIKE_MIN = 10


def published_schemas() -> dict:
    return {
        code: {
            "platform_kind": kind,
            "grade": REPORT_CATALOGUE[code]["grade"],
            "fields": [{"name": n, "type": t, "required": r} for n, t, r in fields],
        }
        for code, (kind, fields) in REPORT_TYPES.items()
    }


@transaction.atomic
def platform_register(
    *, actor: Any, entity: Any, kind: str, public_key_pem: str, department: Any
) -> Platform:
    """Register a platform enterprise and the public part of its ES256 (P-256) key."""
    ensure_can(actor, "supervision.manage", department.org_unit, department)
    if kind not in PlatformKind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(PlatformKind.values))
    try:
        public = serialization.load_pem_public_key((public_key_pem or "").encode())
    except (ValueError, UnsupportedAlgorithm):
        raise ValidationError.for_field("public_key", _("must be a PEM public key")) from None
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        raise ValidationError.for_field("public_key", _("must be an ECDSA P-256 key (ES256)"))
    if Platform.objects.filter(entity=entity).exists():
        raise Conflict(_("the platform is registered already"))
    platform = Platform.objects.create(
        entity=entity,
        kind=kind,
        public_key_der=keys.public_key_der(public),
        kid=keys.kid_for(public).hex(),
        org_unit=department.org_unit,
        department=department,
    )
    audit.record(
        actor=actor,
        action="supervision.platform.register",
        target=platform,
        after={"entity": entity.uscc, "kind": kind, "kid": platform.kid},
    )
    return platform


def report_due(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:])
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return add_working_days(last, settings.SUPERVISION_PLATFORM_REPORT_DAYS)


def _refuse(message: str) -> PermissionDenied:
    return PermissionDenied(message, code=SupervisionError.BAD_SIGNATURE)


def _parse(body: bytes, content_type: str, report_type: str, period: str) -> tuple[str, str, list[dict]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.for_field("body", _("must be UTF-8")) from None
    if content_type.startswith("text/csv"):
        try:
            rows = list(csv.DictReader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as exc:
            raise ValidationError.for_field("body", _("the CSV is malformed: %s") % exc) from None
        return report_type, period, rows
    try:
        doc = json.loads(text)
    except ValueError:
        raise ValidationError.for_field("body", _("must be JSON or CSV")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise ValidationError.for_field("rows", _("a list of rows is required"))
    return str(doc.get("report_type") or ""), str(doc.get("period") or ""), doc["rows"]


def _value(raw: Any, kind: str) -> Any:
    if kind == "str":
        if not isinstance(raw, str | int) or isinstance(raw, bool) or len(str(raw)) > 100:
            raise ValueError(_("text of at most 100 characters"))
        return str(raw)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "1", "false", "0"):
            return raw in ("true", "1")
        raise ValueError(_("true or false"))
    if isinstance(raw, bool):
        raise ValueError(_("a whole number"))
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise ValueError(_("a whole number")) from None
    if not 0 <= number <= 10**12:
        raise ValueError(_("between 0 and 10^12"))
    return number


def _validate(fields: list[tuple[str, str, bool]], rows: list[Any]) -> tuple[list[dict], list[dict]]:
    clean, errors = [], []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors.append({"row": n, "field": "", "message": _("must be an object")})
            continue
        out = {}
        for name, kind, required in fields:
            raw = row.get(name)
            if raw in (None, ""):
                if required:
                    errors.append({"row": n, "field": name, "message": _("is required")})
                continue
            try:
                out[name] = _value(raw, kind)
            except ValueError as exc:
                errors.append({"row": n, "field": name, "message": str(exc)})
        unknown = set(row) - {f[0] for f in fields}
        if unknown:
            errors.append({"row": n, "field": sorted(unknown)[0], "message": _("is not in the schema")})
        clean.append(out)
        if len(errors) >= MAX_ERRORS:
            break
    return clean, errors


def platform_report_submit(
    *,
    uscc: str,
    body: bytes,
    signature: str,
    content_type: str = "application/json",
    report_type: str = "",
    period: str = "",
) -> tuple[PlatformReport, bool]:
    """Accept one signed report; returns (report, created). Refused with a reason and nothing
    stored: unknown platform or bad signature (403), schema errors by row and field (422), late
    (422), a different report for the same period (409). The same bytes again: (report, False)."""
    platform = Platform.objects.filter(entity__uscc=uscc[:18]).select_related("entity", "org_unit").first()
    if platform is None:
        raise _refuse(_("unknown platform or bad signature"))
    try:
        sig = keys.b64url_decode(signature or "")
    except ValueError:
        sig = b""
    if not keys.verify_es256(keys.load_public(platform.public_key_der), body, sig):
        raise _refuse(_("unknown platform or bad signature"))
    if len(body) > settings.SUPERVISION_PLATFORM_REPORT_MAX_BYTES:
        raise ValidationError.for_field("body", _("the report is too large"))
    report_type, period, rows = _parse(body, content_type, report_type, period)
    if report_type not in REPORT_TYPES or REPORT_TYPES[report_type][0] != platform.kind:
        raise ValidationError.for_field("report_type", _("not a report type of this platform"))
    if not PERIOD.match(period):
        raise ValidationError.for_field("period", _("a month as YYYY-MM"))
    today = timezone.localdate()
    if period >= today.strftime("%Y-%m"):
        raise ValidationError.for_field("period", _("the month is not over yet"))
    sha = hashlib.sha256(body).hexdigest()
    existing = PlatformReport.objects.filter(
        platform=platform, report_type=report_type, period=period
    ).first()
    if existing is not None:
        if existing.sha256 == sha:
            return existing, False
        raise Conflict(
            _("a different report for %s was accepted already") % period,
            code=SupervisionError.REPORT_DUPLICATE,
        )
    if today > report_due(period):
        raise ValidationError(
            _("the report for %(p)s was due by %(d)s") % {"p": period, "d": report_due(period).isoformat()},
            code=SupervisionError.REPORT_LATE,
        )
    if len(rows) > settings.SUPERVISION_PLATFORM_REPORT_MAX_ROWS:
        raise ValidationError.for_field(
            "rows", _("at most %d rows") % settings.SUPERVISION_PLATFORM_REPORT_MAX_ROWS
        )
    clean, errors = _validate(REPORT_TYPES[report_type][1], rows)
    if errors:
        raise ValidationError(
            _("%d rows break the schema; nothing was loaded") % len({e["row"] for e in errors}),
            code=SupervisionError.REPORT_INVALID,
            details={"rows": errors},
        )
    summary = {
        "rows": len(clean),
        "complaints": sum(1 for r in clean if r.get("complaint")),
        "unlicensed": sum(
            1 for r in clean if r.get("driver_licensed") is False or r.get("merchant_licensed") is False
        ),
        "amount_fen": sum(r.get("amount_fen", 0) for r in clean),
    }
    with transaction.atomic():
        report = PlatformReport.objects.create(
            platform=platform,
            report_type=report_type,
            period=period,
            sha256=sha,
            row_count=len(clean),
            summary=summary,
        )
        audit.record(
            actor=None,
            via="supervision",
            action="supervision.platform.report",
            target=report,
            org_unit=platform.org_unit,
            after={"platform": platform.entity.uscc, "type": report_type, "period": period, "sha256": sha},
        )
        _alerts(platform, report)
        _to_catalogue(platform, report, clean)
    return report, True


def catalogue_name(platform: Platform, report_type: str) -> str:
    """The catalogue resource of one platform's reports of one type (one version per month)."""
    return f"platform-{report_type.replace('_', '-')}-{platform.entity.uscc.lower()}"


def _to_catalogue(platform: Platform, report: PlatformReport, clean: list[dict]) -> None:
    """Load the accepted rows into the catalogue through its platform entry point, appended as
    the month's version (a ``period`` column first), closed or conditional at the report type's
    grade; the data officer reviews the resource before anything is shared. The catalogue never
    fails the intake: what it answered is kept on the report."""
    meta = REPORT_CATALOGUE[report.report_type]
    fields = [name for name, _t, _r in REPORT_TYPES[report.report_type][1]]
    name = catalogue_name(platform, report.report_type)
    result = platform_dataset_publish(
        name=name,
        fields=["period", *fields],
        rows=([report.period, *(row.get(f) for f in fields)] for row in clean),
        title=f"{meta['title']}（{platform.entity.name}）",
        title_en=f"{meta['title_en']} ({platform.entity.uscc})",
        description=(
            f"{platform.entity.name}按月报送的数据（平台数据监管），分级 {meta['grade']}，"
            "不向社会开放；每月一个版本。"
        ),
        domain=meta["domain"],
        keywords=["平台数据监管", platform.get_kind_display()[:20]],
        update_frequency="monthly",
        via="supervision",
        openness=meta["openness"],
        mode="append",
    )
    report.catalogue_resource, report.catalogue_result = name, result[:300]
    PlatformReport.objects.filter(pk=report.pk).update(catalogue_resource=name, catalogue_result=result[:300])


def _alerts(platform: Platform, report: PlatformReport) -> None:
    s = report.summary
    found = []
    if s["unlicensed"]:
        found.append(("unlicensed", _("%d orders without a licensed driver or merchant") % s["unlicensed"]))
    previous = (
        PlatformReport.objects.filter(
            platform=platform, report_type=report.report_type, period__lt=report.period
        )
        .order_by("-period")
        .first()
    )
    if (
        previous
        and s["complaints"] >= SPIKE_MIN
        and s["complaints"] > 2 * previous.summary.get("complaints", 0)
    ):
        found.append(
            (
                "complaint_spike",
                _("complaints rose from %(a)d to %(b)d")
                % {"a": previous.summary.get("complaints", 0), "b": s["complaints"]},
            )
        )
    SupervisionAlert.objects.bulk_create(
        [
            SupervisionAlert(
                platform=platform, report=report, rule=rule, message=msg[:300], org_unit=platform.org_unit
            )
            for rule, msg in found
        ]
    )
