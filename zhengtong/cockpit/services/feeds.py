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
import time
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
    category: str = "0401",
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


# The JSON Schema keywords the fast check below decides exactly; a schema using any other keyword is
# checked by jsonschema for every message.
_FAST_TOP = {
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "required",
    "properties",
    "additionalProperties",
}
_FAST_PROPERTY = {"title", "description", "type", "minimum", "maximum", "enum", "minLength", "maxLength"}
_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
}
_VALIDATORS: dict[str, tuple] = {}


def _type_check(spec):
    names = [spec] if isinstance(spec, str) else spec
    if not isinstance(names, list) or not names or any(n not in _JSON_TYPES for n in names):
        return None
    checks = [_JSON_TYPES[n] for n in names]
    return lambda v: any(c(v) for c in checks)


def _property_check(spec):
    """A function deciding ``spec`` (one property's schema) exactly, or None when it uses more than
    the keywords the fast check knows."""
    if not isinstance(spec, dict) or set(spec) - _FAST_PROPERTY:
        return None
    checks = []
    if "type" in spec:
        if (typed := _type_check(spec["type"])) is None:
            return None
        checks.append(typed)
    number = _JSON_TYPES["number"]
    for key, test in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b)):
        if key in spec:
            if not number(spec[key]):
                return None
            checks.append(lambda v, b=spec[key], t=test: not number(v) or t(v, b))
    for key, test in (("minLength", lambda n, b: n >= b), ("maxLength", lambda n, b: n <= b)):
        if key in spec:
            if not isinstance(spec[key], int) or isinstance(spec[key], bool):
                return None
            # JSON Schema counts code points, as len() does.
            checks.append(lambda v, b=spec[key], t=test: not isinstance(v, str) or t(len(v), b))
    if "enum" in spec:
        enum = spec["enum"]
        if not isinstance(enum, list) or not all(isinstance(e, str) for e in enum):
            return None
        allowed = frozenset(enum)
        checks.append(lambda v: isinstance(v, str) and v in allowed)
    return lambda v: all(c(v) for c in checks)


def _fast_check(schema):
    """An exact check of the usual feed schema (an object with required keys and typed properties)
    about a hundred times cheaper than the general validator, or None for any other schema."""
    if not isinstance(schema, dict) or set(schema) - _FAST_TOP or schema.get("type", "object") != "object":
        return None
    required = schema.get("required", [])
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        return None
    if not isinstance(properties, dict) or not isinstance(extra, bool):
        return None
    checks = {}
    for name, spec in properties.items():
        if (check := _property_check(spec)) is None:
            return None
        checks[name] = check
    known = frozenset(properties)

    def check(m) -> bool:
        if not isinstance(m, dict):
            return False
        for r in required:
            if r not in m:
                return False
        for name, value in m.items():
            c = checks.get(name)
            if c is not None:
                if not c(value):
                    return False
            elif not extra and name not in known:
                return False
        return True

    return check


def _validator(schema: dict) -> tuple:
    """(is_valid, jsonschema validator) for a feed's schema, built once per schema: ``is_valid`` is
    the fast check when the schema allows it; the validator words the error of an invalid message."""
    key = json.dumps(schema, sort_keys=True)
    found = _VALIDATORS.get(key)
    if found is None:
        validator = jsonschema.Draft202012Validator(schema)
        found = (_fast_check(schema) or validator.is_valid, validator)
        if len(_VALIDATORS) > 256:
            _VALIDATORS.clear()
        _VALIDATORS[key] = found
    return found


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
    valid, validator = _validator(feed.schema)
    now = timezone.now()
    skew = dt.timedelta(seconds=settings.COCKPIT_FEED_MAX_SKEW_SECONDS)
    out = []
    for i, m in enumerate(items):
        error = None if valid(m) else next(iter(validator.iter_errors(m)), None)
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


def feed_ingest(*, feed: Feed, body: bytes, signature: str) -> dict:
    """Verify the sender's signature over ``body``, validate each message against the feed's
    schema, add them to their windows and raise the threshold events. All or nothing."""
    return _store(feed, _verified(feed, body, signature))


def feed_ingest_many(*, feed: Feed, pushes: list[tuple[bytes, str]]) -> dict:
    """Several signed pushes to one feed at once (the MQTT subscriber's buffer of one tick): each
    push is verified and validated on its own (a refused one is left out, with its error in
    ``refused``), the accepted ones are added to their windows together in one transaction."""
    accepted: list[tuple[str, float, dt.datetime]] = []
    refused: list[str] = []
    for body, signature in pushes:
        try:
            accepted += _verified(feed, body, signature)
        except (PermissionDenied, ValidationError) as exc:
            refused.append(str(exc.message)[:200])
    out = _store(feed, accepted) if accepted else {"accepted": 0, "windows": 0, "events": []}
    return {**out, "refused": refused}


def _verified(feed: Feed, body: bytes, signature: str) -> list[tuple[str, float, dt.datetime]]:
    if not _valid_signature(feed, body, signature):
        raise PermissionDenied(
            _("the feed message's signature does not verify"), code=CockpitError.BAD_SIGNATURE
        )
    return _messages(feed, body)


@transaction.atomic
def _store(feed: Feed, messages: list[tuple[str, float, dt.datetime]]) -> dict:
    """Add validated (key, value, time) messages to their windows in one statement and raise the
    threshold events. On PostgreSQL the window upsert alone commits without waiting for the disk
    flush (``synchronous_commit = off``: a crash may lose the last fraction of a second of window
    sums, never make them inconsistent); a push that opens a work order commits durably."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
    groups: dict[tuple[str, int], list[float]] = {}
    last: dict[tuple[str, int], dt.datetime] = {}
    window = feed.window_seconds
    for key, value, at in messages:
        epoch = int(at.timestamp())
        k = (key, epoch - epoch % window)
        values = groups.get(k)
        if values is None:
            groups[k] = [value]
            last[k] = at
        else:
            values.append(value)
            if at > last[k]:
                last[k] = at
    rows = [
        (
            k[0],
            dt.datetime.fromtimestamp(k[1], tz=dt.UTC),
            len(values),
            sum(values),
            min(values),
            max(values),
            last[k],
        )
        for k, values in groups.items()
    ]
    changed = _windows_add(feed, rows)
    events = [e for w in changed if (e := _threshold_event(feed, w))]
    if events and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = on")
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


class FeedBuffer:
    """Pushes received one by one (MQTT messages) held for one tick and ingested together: per feed,
    one transaction and one window upsert for everything that arrived in the tick
    (``feed_ingest_many``). ``add`` returns True when the buffer is due (its oldest push waited
    ``seconds``, or it holds ``max_pushes``); the caller then calls ``flush``."""

    def __init__(self, *, seconds: float = 0.2, max_pushes: int = 2000) -> None:
        self.seconds, self.max_pushes = seconds, max_pushes
        self.pushes: dict[str, list[tuple[bytes, str]]] = {}
        self.count, self.since = 0, 0.0

    def add(self, code: str, body: bytes, signature: str) -> bool:
        if not self.count:
            self.since = time.monotonic()
        self.pushes.setdefault(code, []).append((body, signature))
        self.count += 1
        return self.due()

    def due(self) -> bool:
        return bool(self.count) and (
            self.count >= self.max_pushes or time.monotonic() - self.since >= self.seconds
        )

    def flush(self) -> dict[str, dict]:
        """Ingest what is held; returns per feed code what ``feed_ingest_many`` returned (an unknown
        or inactive feed: ``{"error": ...}``). A failing feed does not stop the others."""
        pushes, self.pushes, self.count = self.pushes, {}, 0
        out: dict[str, dict] = {}
        for code, items in pushes.items():
            try:
                out[code] = feed_ingest_many(feed=feed_get(code), pushes=items)
            except NotFound as exc:
                out[code] = {"error": str(exc.message)[:200], "refused": len(items)}
        return out


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
