"""Delivery under a grant: verification (核验) and interface (rows), each call logged with the
hashes of both bodies and answered with the platform's signed receipt.

``exchange_call`` serves a call from a consumer's system (the key bound to the grant);
``verify_for_case`` is the trusted internal entry point the services module uses for a case's
materials check. Both go through ``serve``: check the grant (live, mode, rate, fields, row
scope), answer, log, sign. A refusal is logged and receipted too, and returns nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import credentials
from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import in_subtree
from zhengtong.core import cache, ratelimit
from zhengtong.core.errors import (
    AuthenticationRequired,
    Conflict,
    PermissionDenied,
    RateLimited,
    ValidationError,
    ZhengtongError,
)
from zhengtong.datastore import engine
from zhengtong.notify.services import notify
from zhengtong.registry import selectors as registry_selectors
from zhengtong.sharing import receipts
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import Alert, DeliveryMode, Grant, Outcome
from zhengtong.sharing.services import exchange_log
from zhengtong.sharing.services.profiles import REGISTRY_REGION

log = logging.getLogger(__name__)

MAX_ROWS = 100
_GRANT_RELATED = (
    "profile",
    "profile__resource__current_version",
    "department__org_unit",
    "consumer_department__org_unit",
    "credential",
)


GRANTS_CACHE = "sharing.grants"


def _grant_for_key(secret: str) -> Grant | None:
    row = credentials.credential_lookup(secret, kind=CredentialKind.SHARING_KEY) if secret else None
    if row is None:
        return None
    return Grant.objects.select_related(*_GRANT_RELATED).filter(credential=row).first()


def grant_for_key(secret: str) -> Grant | None:
    """The grant whose key is ``secret`` (live or not), or None. Kept per process for a minute
    (the hot path of every call): every change of a grant or its key invalidates the namespace,
    at once in this process and within CACHE_LOCAL_REVALIDATE_SECONDS in the others; expiry is
    checked against the clock on every call."""
    if not secret or len(secret) > 200:
        return None
    return cache.cached(
        GRANTS_CACHE,
        credentials.credential_digest(secret),
        lambda: _grant_for_key(secret),
        60,
        local=True,
        shared=False,
    )


GRANT_SCOPE = "sharing:grant:"


def grant_for_bearer(token: str) -> Grant | None:
    """The grant a bearer token of another kind (the identity centre's access tokens, through
    ``accounts.services.bearer_entitlements``) is bound to: its one ``sharing:grant:<id>`` scope;
    None for an unknown, invalid or revoked token, or one naming no grant or several."""
    if not token or len(token) > 4000:
        return None
    try:
        ids = account_services.bearer_entitlements(token, prefix=GRANT_SCOPE)
    except AuthenticationRequired:
        return None
    if not ids or len(ids) != 1 or not ids[0].isdecimal():
        return None
    pk = int(ids[0])
    return cache.cached(
        GRANTS_CACHE,
        f"id:{pk}",
        lambda: Grant.objects.select_related(*_GRANT_RELATED).filter(pk=pk).first(),
        60,
        local=True,
        shared=False,
    )


def forget_grants() -> None:
    """Invalidate the grants kept for the hot path (after the transaction commits, and now)."""
    cache.invalidate(GRANTS_CACHE)
    transaction.on_commit(lambda: cache.invalidate(GRANTS_CACHE))


def _dept_ref(department) -> str:
    return f"{department.org_unit.code}:{department.code}" if department is not None else ""


def _refuse(exc_type: type[ZhengtongError], message: str, code: SharingError) -> ZhengtongError:
    return exc_type(message, code=code)


def _check_live(grant: Grant, now: dt.datetime, *, keyed: bool) -> None:
    if grant.state != "active" or grant.expires_at <= now:
        raise _refuse(
            PermissionDenied,
            _("the grant is %s")
            % grant.workflow.state_label("expired" if grant.state == "active" else grant.state),
            SharingError.GRANT_INACTIVE,
        )
    if keyed and (grant.credential is None or credentials.credential_refusal(grant.credential, now=now)):
        raise _refuse(
            PermissionDenied, _("the key of this grant is no longer valid"), SharingError.GRANT_INACTIVE
        )


def _check_fields(grant: Grant, names, label: str) -> None:
    outside = [n for n in names if n not in grant.fields]
    if outside:
        raise PermissionDenied(
            _("the grant does not cover: %s") % ", ".join(str(n)[:50] for n in outside[:10]),
            code=SharingError.OUTSIDE_FIELDS,
            details={"field": label},
        )


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> str:
        if isinstance(v, dt.date):
            v = v.isoformat()
        return str(v).strip().upper()

    return norm(a) == norm(b)


# ---------------------------------------------------------------------------- reading a source


def _registry_record(grant: Grant, key: str) -> dict | None:
    """The registry record with key value ``key`` held by the owner (its org unit's subtree)."""
    profile = grant.profile
    names = [f["name"] for f in profile.fields]
    record = registry_selectors.record_values(profile.registry, str(key).strip().upper(), names)
    if record is None or not in_subtree(record["org_unit__path"], profile.org_unit.path):
        return None
    values = {name: record[name] for name in names}
    values[REGISTRY_REGION] = record["org_unit__code"]
    return values


def _version(grant: Grant):
    resource = grant.profile.resource
    version = resource.current_version if resource is not None else None
    if resource is None or version is None or resource.state != "published":
        raise Conflict(_("the resource has no published version"), code=SharingError.NOT_SHARED)
    return version, getattr(version, "store_version", None) or version.number


def _scope_filters(grant: Grant) -> list:
    if grant.row_scope and grant.profile.region_field:
        return [(grant.profile.region_field, "startswith", grant.row_scope)]
    return []


def _catalog_record(grant: Grant, key: str) -> dict | None:
    version, number = _version(grant)
    names = [f["name"] for f in grant.profile.fields]
    result = engine.query(
        version.table_key,
        number,
        "raw",
        filters=[(grant.profile.key_field, "eq", key)],
        fields=names,
        limit=1,
        count="none",
        schema=version.schema,
    )
    return result.rows[0] if result.rows else None


def _in_scope(grant: Grant, record: dict) -> bool:
    if not grant.row_scope:
        return True
    region_field = REGISTRY_REGION if grant.profile.registry else grant.profile.region_field
    return str(record.get(region_field) or "").startswith(grant.row_scope)


def _verify(grant: Grant, body: dict) -> tuple[dict, int]:
    subject = body.get("subject")
    if not isinstance(subject, dict) or not subject:
        raise ValidationError.for_field("subject", _("send the values you hold, by field name"))
    key_field = grant.profile.key_field
    if key_field not in subject:
        raise ValidationError.for_field("subject", _("must include the key field %s") % key_field)
    _check_fields(grant, list(subject), "subject")
    for name, value in subject.items():
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 200:
            raise ValidationError.for_field(f"subject.{name}", _("a text of at most 200 characters"))
    key = str(subject[key_field])
    record = _registry_record(grant, key) if grant.profile.registry else _catalog_record(grant, key)
    if record is None:
        return {"result": "not_found", "fields": dict.fromkeys(subject, "not_found")}, 0
    if not _in_scope(grant, record):
        raise PermissionDenied(
            _("the record lies outside the grant's row scope"), code=SharingError.OUTSIDE_ROW_SCOPE
        )
    fields = {n: ("match" if _same(v, record.get(n)) else "no_match") for n, v in subject.items()}
    result = "match" if all(v == "match" for v in fields.values()) else "no_match"
    return {"result": result, "fields": fields}, 1


def _rows(grant: Grant, body: dict) -> tuple[dict, int]:
    fields = body.get("fields") or list(grant.fields)
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise ValidationError.for_field("fields", _("a list of field names"))
    _check_fields(grant, fields, "fields")
    filters = body.get("filters") or []
    if not isinstance(filters, list) or len(filters) > 20:
        raise ValidationError.for_field("filters", _("a list of at most 20 filters"))
    parsed = []
    for item in filters:
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            raise ValidationError.for_field("filters", _("each filter is {field, op, value}"))
        parsed.append((item["field"], item.get("op", "eq"), item.get("value")))
    _check_fields(grant, [f for f, _o, _v in parsed], "filters")
    limit = body.get("limit", 50)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ValidationError.for_field("limit", _("between 1 and %d") % MAX_ROWS)
    region = grant.profile.region_field
    for name, op, value in parsed:
        outside = isinstance(value, str) and not value.startswith(grant.row_scope)
        if grant.row_scope and name == region and op in ("eq", "startswith") and outside:
            raise PermissionDenied(
                _("the filter asks for rows outside the grant's row scope"),
                code=SharingError.OUTSIDE_ROW_SCOPE,
            )
    if grant.profile.registry:
        key_field = grant.profile.key_field
        if len(parsed) != 1 or parsed[0][0] != key_field or parsed[0][1] != "eq":
            raise ValidationError.for_field(
                "filters", _("a registry is read one record at a time: %s eq …") % key_field
            )
        record = _registry_record(grant, str(parsed[0][2]))
        if record is not None and not _in_scope(grant, record):
            raise PermissionDenied(
                _("the record lies outside the grant's row scope"), code=SharingError.OUTSIDE_ROW_SCOPE
            )
        rows = [] if record is None else [{n: engine.json_value(record.get(n)) for n in fields}]
        return {"rows": rows, "next": None}, len(rows)
    version, number = _version(grant)
    after = body.get("after") or None
    if after is not None and not isinstance(after, str):
        raise ValidationError.for_field("after", _("a cursor a previous page returned"))
    result = engine.query(
        version.table_key,
        number,
        "raw",
        filters=parsed + _scope_filters(grant),
        fields=fields,
        limit=limit,
        after=after,
        count="none",
        schema=version.schema,
    )
    return {"rows": result.rows, "next": result.next_cursor}, len(result.rows)


# ---------------------------------------------------------------------------- the one path


def _log(
    grant: Grant | None,
    *,
    mode: str,
    body: dict,
    response: dict,
    outcome: str,
    reason: str,
    rows: int,
    now,
    peer: str = "",
    file_path: str = "",
) -> dict:
    # The row as plain values (no model instance on the hot path): exchange_log writes them.
    receipt_id = uuid.uuid4()
    on_behalf_of = str(body.get("on_behalf_of") or "")[:64]
    request_sha256, response_sha256 = receipts.body_hash(body), receipts.body_hash(response)
    reason = reason[:40]
    payload = {
        "v": 1,
        "id": str(receipt_id),
        "installation": settings.SHARING_INSTALLATION_ID,
        "at": now.isoformat(),
        "grant": grant.pk if grant else None,
        "provider": _dept_ref(grant.department) if grant else "",
        "consumer": (_dept_ref(grant.consumer_department) or grant.consumer_installation) if grant else "",
        "mode": mode,
        "on_behalf_of": on_behalf_of,
        "request_sha256": request_sha256,
        "response_sha256": response_sha256,
        "outcome": outcome,
        "reason": reason,
    }
    receipt = receipts.sign(payload)
    exchange_log.write(
        {
            "receipt_id": receipt_id,
            "grant_id": grant.pk if grant else None,
            "profile_id": grant.profile_id if grant else None,
            "owner_department_id": grant.department_id if grant else None,
            "consumer_department_id": grant.consumer_department_id if grant else None,
            "mode": mode,
            # The other installation a grant was made to, for calls it makes here ("in").
            "peer": peer or (grant.consumer_installation if grant else ""),
            "on_behalf_of": on_behalf_of,
            "end_user": str(body.get("end_user") or "")[:100],
            "purpose": (grant.purpose if grant else "")[:200],
            "request_sha256": request_sha256,
            "response_sha256": response_sha256,
            "outcome": outcome,
            "reason": reason,
            "rows": rows,
            "at": now,
            "receipt": payload,
            "file_path": file_path,
            "kid": receipt["kid"],
            "signature": receipt["signature"],
        }
    )  # committed before the receipt leaves (group commit on PostgreSQL)
    return receipt


def _watch_hours(grant: Grant, now: dt.datetime) -> None:
    hour = timezone.localtime(now).hour
    if grant.hours_from <= hour < grant.hours_to:
        return
    # One alert per grant and day: the shared counter tells the first call of the day.
    if ratelimit.incr("sharing.off_hours", str(grant.pk), window_seconds=86400) != 1:
        return
    alert, created = Alert.objects.get_or_create(
        grant=grant,
        kind=Alert.Kind.OFF_HOURS,
        day=timezone.localdate(now),
        defaults={"detail": f"{hour:02d}:00 outside {grant.hours_from:02d}–{grant.hours_to:02d}"},
    )
    if created:
        alert_notify(alert)


def alert_notify(alert: Alert) -> None:
    """Tell the owner department's approvers about ``alert``."""
    grant = alert.grant
    for user in account_selectors.holders_of(
        "sharing.approve", grant.org_unit.path, department=grant.department, nearest=True
    ):
        notify(
            recipient=user,
            event="sharing.alert",
            title=_("Sharing alert (%(kind)s): grant %(grant)s")
            % {"kind": alert.get_kind_display(), "grant": grant.pk},
            body=alert.detail,
            link=f"/sharing/grants/{grant.pk}/",
        )


def serve(grant: Grant, *, mode: str, body: dict, keyed: bool, peer: str = "") -> dict:
    """Answer one call under ``grant`` (checks, answer, log, receipt). Raises the refusal with
    ``details["receipt"]`` after logging it; returns the answer with its receipt."""
    now = timezone.now()
    try:
        _check_live(grant, now, keyed=keyed)
        if mode != grant.mode:
            raise _refuse(
                PermissionDenied,
                _("the grant delivers by %s") % grant.get_mode_display(),
                SharingError.WRONG_MODE,
            )
        # Leased: a high limit is counted in blocks, not one cache round trip per call.
        ratelimit.hit("sharing.grant", str(grant.pk), limit=grant.rate_limit_per_minute, lease=True)
        response, rows = _verify(grant, body) if mode == DeliveryMode.VERIFICATION else _rows(grant, body)
    except ZhengtongError as exc:
        # Past the rate limit, one refusal per window is logged: a flood does not grow the log.
        if (
            isinstance(exc, RateLimited)
            and ratelimit.incr("sharing.refused", str(grant.pk), window_seconds=60) != 1
        ):
            raise
        reason = str(exc.code)
        receipt = _log(
            grant,
            mode=mode,
            body=body,
            response={"error": reason},
            outcome=Outcome.REFUSED,
            reason=reason,
            rows=0,
            now=now,
            peer=peer,
        )
        exc.details = {**exc.details, "receipt": receipt}
        raise
    receipt = _log(
        grant,
        mode=mode,
        body=body,
        response=response,
        outcome=Outcome.OK,
        reason="",
        rows=rows,
        now=now,
        peer=peer,
    )
    _watch_hours(grant, now)
    return {**response, "receipt": receipt}


def exchange_call(*, secret: str, mode: str, body: dict, client: str = "", peer: str = "") -> dict:
    """A call from a consumer's system with the key bound to its grant (``zts_…``) or an access
    token of the identity centre carrying the grant as its scope (``sharing:grant:<id>``). An
    unknown key is refused (rate-limited per client address, not logged: nothing anonymous grows
    the log)."""
    grant = grant_for_key(secret) if secret.startswith("zts_") else grant_for_bearer(secret)
    if grant is None:
        ratelimit.hit("sharing.bad_key", client or "-", limit=settings.SHARING_BAD_KEY_PER_MINUTE)
        log.info("sharing call with an unknown key from %s", client or "-")
        raise PermissionDenied(
            _("send the key of a live grant: Authorization: Bearer zts_…"), code=SharingError.NO_GRANT
        )
    return serve(grant, mode=mode, body=body, keyed=True, peer=peer)


def _case_grants(department_id: int, registry: str, item_code: str, now: dt.datetime) -> tuple[Grant, ...]:
    """The consumer department's verification grants of ``registry`` that may serve a case of
    ``item_code`` (the item's own first, then general ones), unexpired at ``now``. Every
    submission with a registry material asks (most for a department that holds none), so the
    answer is kept per process for a minute like ``grant_for_key``'s: every change of a grant
    invalidates the namespace, and the caller checks expiry against the clock on every call."""
    return cache.cached(
        GRANTS_CACHE,
        f"case:{department_id}:{registry}:{item_code}",
        lambda: tuple(
            Grant.objects.select_related(*_GRANT_RELATED)
            .filter(
                consumer_department_id=department_id,
                profile__registry=registry,
                mode=DeliveryMode.VERIFICATION,
                state__in=["active", "suspended"],  # a suspended grant refuses (and logs) the call
                expires_at__gt=now,
                service_item_code__in=["", item_code],
            )
            .order_by("-service_item_code", "-id")
        ),
        60,
        local=True,
        shared=False,
        local_max=4096,
    )


def verify_for_case(
    *,
    consumer_department: Any,
    registry: str,
    subject: dict,
    case_number: str,
    item_code: str,
    end_user: str = "",
) -> dict | None:
    """The trusted internal entry point of the services module's materials check: verify
    ``subject`` against ``registry`` under the consumer department's live verification grant
    (one for ``item_code`` first, else a general one), logged with the case number. None when
    the department holds no such grant; a suspended grant refuses (PermissionDenied)."""
    now = timezone.now()
    grants = _case_grants(consumer_department.pk, registry, item_code, now)
    grant = next((g for g in grants if g.expires_at > now and set(subject) <= set(g.fields)), None)
    if grant is None:
        return None
    body = {"subject": subject, "on_behalf_of": case_number, "end_user": end_user}
    return serve(grant, mode=DeliveryMode.VERIFICATION, body=body, keyed=False)
