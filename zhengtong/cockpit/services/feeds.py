"""Live feeds (城市大脑): operational data pushed as it happens, over HTTP or MQTT, one JSON
Schema per feed, each batch signed by the sender; aggregated in fixed windows per station; a
window whose mean crosses the feed's threshold opens one rectification work order for the
responsible department.

Signing: the sender holds the feed's key (an accounts credential of kind ``feed_key``, shown
once). The signature is ``hex(HMAC-SHA256(key=sha256(secret).hexdigest(), msg=body))`` over the
exact body bytes: the platform stores only the key's digest, so the digest is the shared HMAC
key (docs/cockpit.md has a sender's snippet).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import jsonschema
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import credentials
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.cockpit.errors import CockpitError
from zhengtong.cockpit.models import Feed, FeedEvent, FeedWindow
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.workorders import selectors as workorder_selectors
from zhengtong.workorders import services as workorders


def sign(secret: str, body: bytes) -> str:
    """The sender's signature of ``body`` with the feed key ``secret``."""
    return hmac.new(credentials.credential_digest(secret).encode(), body, hashlib.sha256).hexdigest()


def _valid_signature(feed: Feed, body: bytes, signature: str) -> bool:
    cred = feed.credential
    if cred is None or credentials.credential_refusal(cred) is not None:
        return False
    expected = hmac.new(cred.digest.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, (signature or "").removeprefix("sha256=").strip().lower())


@transaction.atomic
def feed_create(
    *,
    actor: Any,
    code: str,
    name: str,
    org_unit: Any,
    key_field: str,
    metric: str,
    schema: dict,
    unit: str = "",
    window_seconds: int = 3600,
    threshold: float | None = None,
    category: str = "environment",
    department: Any = None,
) -> tuple[Feed, str]:
    """A new feed and its sender's key (the secret is returned once). The actor holds
    ``cockpit.manage`` at the feed's unit and owns the key: threshold work orders name them."""
    ensure_can(actor, "cockpit.manage", org_unit)
    if not code or len(code) > 40 or not all(c.isalnum() or c == "-" for c in code) or code != code.lower():
        raise ValidationError.for_field("code", _("lower-case letters, digits and hyphens, at most 40"))
    if Feed.objects.filter(code=code).exists():
        raise ValidationError.for_field("code", _("a feed with this code exists"))
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValidationError.for_field(
            "schema", _("not a valid JSON Schema: %s") % exc.message[:200]
        ) from None
    if not isinstance(window_seconds, int) or not 60 <= window_seconds <= 86400:
        raise ValidationError.for_field("window_seconds", _("must be between 60 and 86400"))
    if category not in workorder_selectors.category_codes():
        raise ValidationError.for_field("category", _("unknown category “%s”") % category)
    feed = Feed.objects.create(
        code=code,
        name=name[:100],
        org_unit=org_unit,
        department=department,
        schema=schema,
        key_field=key_field[:40],
        metric=metric[:40],
        unit=unit[:20],
        window_seconds=window_seconds,
        threshold=threshold,
        category=category,
    )
    cred, secret = credentials.credential_create(
        actor=actor,
        kind=CredentialKind.FEED_KEY,
        name=f"feed {code}",
        owner=actor,
        org_unit=org_unit,
        audit_action="cockpit.feed.key",
        audit_target=feed,
    )
    feed.credential = cred
    feed.save(update_fields=["credential"])
    audit.record(
        actor=actor, action="cockpit.feed.create", target=feed, org_unit=org_unit, after={"code": code}
    )
    return feed, secret


def feed_get(code: str) -> Feed:
    feed = (
        Feed.objects.select_related("credential", "credential__owner", "org_unit")
        .filter(code=str(code)[:40])
        .first()
    )
    if feed is None or not feed.is_active:
        raise NotFound(_("no active feed %s") % str(code)[:40])
    return feed


def _messages(feed: Feed, body: bytes) -> list[tuple[str, float, dt.datetime]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError.for_field("body", _("must be JSON")) from None
    items = data.get("messages") if isinstance(data, dict) and "messages" in data else [data]
    if not isinstance(items, list) or not items:
        raise ValidationError.for_field("messages", _("must be a non-empty list"))
    if len(items) > settings.COCKPIT_FEED_MAX_BATCH:
        raise ValidationError.for_field(
            "messages", _("at most %d messages per push") % settings.COCKPIT_FEED_MAX_BATCH
        )
    validator = jsonschema.Draft202012Validator(feed.schema)
    now = timezone.now()
    skew = dt.timedelta(seconds=settings.COCKPIT_FEED_MAX_SKEW_SECONDS)
    out = []
    for i, m in enumerate(items):
        error = next(iter(validator.iter_errors(m)), None)
        if error is not None:
            raise ValidationError(
                _("message %(i)d does not match the feed's schema: %(e)s")
                % {"i": i, "e": error.message[:200]},
                code=CockpitError.FEED_SCHEMA,
                fields={f"messages.{i}": [error.message[:200]]},
            )
        key, value = m.get(feed.key_field), m.get(feed.metric)
        if not isinstance(key, str) or not key or len(key) > 60:
            raise ValidationError.for_field(
                f"messages.{i}.{feed.key_field}", _("must be a text of 1 to 60 characters")
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError.for_field(f"messages.{i}.{feed.metric}", _("must be a number"))
        at = now
        if m.get("at") is not None:
            try:
                at = dt.datetime.fromisoformat(str(m["at"]))
            except ValueError:
                raise ValidationError.for_field(f"messages.{i}.at", _("must be an ISO 8601 time")) from None
            if at.tzinfo is None:
                raise ValidationError.for_field(f"messages.{i}.at", _("must carry a time zone"))
            if abs(at - now) > skew:
                raise ValidationError.for_field(f"messages.{i}.at", _("is too far from the present"))
        out.append((key, float(value), at))
    return out


def _window_start(feed: Feed, at: dt.datetime) -> dt.datetime:
    epoch = int(at.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % feed.window_seconds, tz=dt.UTC)


@transaction.atomic
def feed_ingest(*, feed: Feed, body: bytes, signature: str) -> dict:
    """Verify the sender's signature over ``body``, validate each message against the feed's
    schema, add them to their windows and raise the threshold events. All or nothing."""
    if not _valid_signature(feed, body, signature):
        raise PermissionDenied(
            _("the feed message's signature does not verify"), code=CockpitError.BAD_SIGNATURE
        )
    messages = _messages(feed, body)
    groups: dict[tuple[str, dt.datetime], list[float]] = {}
    last: dict[tuple[str, dt.datetime], dt.datetime] = {}
    for key, value, at in messages:
        k = (key, _window_start(feed, at))
        groups.setdefault(k, []).append(value)
        last[k] = max(last.get(k, at), at)
    rows = [
        (k[0], k[1], len(values), sum(values), min(values), max(values), last[k])
        for k, values in groups.items()
    ]
    changed = _windows_add(feed, rows)
    events = [e for w in changed if (e := _threshold_event(feed, w))]
    return {
        "accepted": len(messages),
        "windows": len(rows),
        "events": [e.work_order_number for e in events],
    }


def _windows_add(feed: Feed, rows: list[tuple]) -> list[FeedWindow]:
    """Add (key, start, count, total, minimum, maximum, last_at) to their windows in one statement
    whatever the number of stations (an upsert: concurrent pushes to the same window add up under
    the row lock the database takes); returns the windows above the feed's threshold after it."""
    q = connection.ops.quote_name
    table = q(FeedWindow._meta.db_table)
    cols = ["feed_id", "key", "start", "count", "total", "minimum", "maximum", "last_at"]
    smaller, larger = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    params: list = []
    for key, start, count, total, minimum, maximum, last_at in rows:
        params += [
            feed.pk,
            key,
            connection.ops.adapt_datetimefield_value(start),
            count,
            total,
            minimum,
            maximum,
            connection.ops.adapt_datetimefield_value(last_at),
        ]
    values = ", ".join(["(" + ", ".join(["%s"] * len(cols)) + ")"] * len(rows))
    t = table
    updates = ", ".join(
        [
            f"{q('count')} = {t}.{q('count')} + excluded.{q('count')}",
            f"{q('total')} = {t}.{q('total')} + excluded.{q('total')}",
            *(
                f"{q(c)} = {fn}(COALESCE({t}.{q(c)}, excluded.{q(c)}), excluded.{q(c)})"
                for c, fn in (("minimum", smaller), ("maximum", larger))
            ),
            f"{q('last_at')} = {larger}({t}.{q('last_at')}, excluded.{q('last_at')})",
        ]
    )
    conflict = ", ".join(map(q, ("feed_id", "key", "start")))
    returning = ", ".join(map(q, ("id", "count", "total")))
    # Only the model's own quoted table and column names are formatted in; every value is bound.
    sql = f"INSERT INTO {table} ({', '.join(map(q, cols))}) VALUES {values} ON CONFLICT ({conflict}) DO UPDATE SET {updates} RETURNING {returning}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    if feed.threshold is None:
        return []
    over = [pk for pk, count, total in returned if count and total / count > feed.threshold]
    return list(FeedWindow.objects.filter(pk__in=over)) if over else []


def _threshold_event(feed: Feed, window: FeedWindow) -> FeedEvent | None:
    if feed.threshold is None or window.mean is None or window.mean <= feed.threshold:
        return None
    if FeedEvent.objects.filter(feed=feed, key=window.key, window_start=window.start).exists():
        return None
    owner = feed.credential.owner if feed.credential else None
    number = ""
    if owner is not None:
        order = workorders.work_order_open_on_behalf(
            requester=owner,
            via="cockpit",
            kind="rectification",
            category=feed.category,
            title=_("%(feed)s: %(key)s above %(threshold)s %(unit)s")
            % {"feed": feed.name, "key": window.key, "threshold": feed.threshold, "unit": feed.unit},
            description=_(
                "The mean of %(metric)s at %(key)s was %(mean)s %(unit)s in the window starting %(start)s "
                "(threshold %(threshold)s, %(count)d messages, highest %(max)s)."
            )
            % {
                "metric": feed.metric,
                "key": window.key,
                "mean": window.mean,
                "unit": feed.unit,
                "start": timezone.localtime(window.start).strftime("%Y-%m-%d %H:%M"),
                "threshold": feed.threshold,
                "count": window.count,
                "max": window.maximum,
            },
            region=feed.org_unit,
            department=feed.department,
            source_ref=f"cockpit:feed:{feed.code}",
        )
        number = order.number
    return FeedEvent.objects.create(
        feed=feed, key=window.key, window_start=window.start, value=window.mean, work_order_number=number
    )


@transaction.atomic
def feed_key_rotate(*, actor: Any, feed: Feed) -> str:
    """A new sender's key for ``feed`` (the old one stops verifying at once); returns the secret,
    shown once. The actor holds ``cockpit.manage`` at the feed's unit and owns the new key."""
    ensure_can(actor, "cockpit.manage", feed.org_unit)
    if feed.credential is not None:
        credentials.credential_revoke(
            actor=actor, credential=feed.credential, audit_action="cockpit.feed.key_revoke", audit_target=feed
        )
    cred, secret = credentials.credential_create(
        actor=actor,
        kind=CredentialKind.FEED_KEY,
        name=f"feed {feed.code}",
        owner=actor,
        org_unit=feed.org_unit,
        audit_action="cockpit.feed.key",
        audit_target=feed,
    )
    feed.credential = cred
    feed.save(update_fields=["credential"])
    return secret
