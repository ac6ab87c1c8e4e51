"""Web Push (RFC 8030 / 8291 message encryption / 8292 VAPID) through pywebpush, as a channel
of notify (``push``): ``notify(..., channels=("inbox", "push"))`` sends to every device the
recipient subscribed. No external service is needed on the platform's side: the browser vendor's
push service receives the encrypted message. ``WORKSPACE_PUSH_BACKEND = "local"`` makes the same
signed, encrypted request and records it (``LocalPush``) instead of posting it."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.notify.adapters import Adapter, NoAddress, register_adapter
from zhengtong.workspace.models import LocalPush, PushSubscription


def vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private key, base64url raw 32 bytes; public key, base64url
    uncompressed point as browsers take it for ``applicationServerKey``)."""
    vapid = Vapid()
    vapid.generate_keys()
    private_raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    public_raw = vapid.public_key.public_bytes(encoding=Encoding.X962, format=PublicFormat.UncompressedPoint)
    return _b64(private_raw), _b64(public_raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_len(value: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return -1


class _Response:
    status_code = 201
    text = ""
    headers: dict = {}


class LocalPushSession:
    """Stands in for the push service: records the request pywebpush would post."""

    def post(self, endpoint: str, *, data: bytes = b"", headers: dict | None = None, timeout: Any = None):
        LocalPush.objects.create(
            endpoint=endpoint,
            headers={k.lower(): str(v) for k, v in (headers or {}).items()},
            body_size=len(data or b""),
            body=bytes(data or b""),
        )
        return _Response()


def push_configured() -> bool:
    return bool(settings.WORKSPACE_VAPID_PRIVATE_KEY and settings.WORKSPACE_VAPID_PUBLIC_KEY)


def push_send(subscription: PushSubscription, payload: dict[str, Any]) -> None:
    """Encrypt ``payload`` for one subscription and sign the request with the VAPID key."""
    if not push_configured():
        raise NoAddress("no VAPID keys configured")
    session = LocalPushSession() if settings.WORKSPACE_PUSH_BACKEND == "local" else None
    url = urlparse(subscription.endpoint)
    webpush(
        subscription_info={
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        },
        data=json.dumps(payload, ensure_ascii=False),
        vapid_private_key=Vapid.from_string(settings.WORKSPACE_VAPID_PRIVATE_KEY),
        vapid_claims={"sub": settings.WORKSPACE_VAPID_SUBJECT, "aud": f"{url.scheme}://{url.netloc}"},
        ttl=24 * 3600,
        timeout=10,
        requests_session=session,
    )


class PushAdapter(Adapter):
    """notify's ``push`` channel: every device the recipient subscribed gets the message."""

    channel = "push"

    def address(self, recipient) -> str:
        n = PushSubscription.objects.filter(user_id=recipient.pk).count()
        return f"{n} device(s)" if n else ""

    def masked(self, address: str) -> str:
        return address

    def send(self, recipient, message) -> str:
        subs = list(PushSubscription.objects.filter(user_id=recipient.pk))
        if not subs:
            raise NoAddress("no push subscription")
        payload = {"title": message.title, "body": message.body[:300], "url": message.link}
        for sub in subs:
            try:
                push_send(sub, payload)
            except WebPushException as exc:
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if status in (404, 410):  # the browser dropped the subscription
                    sub.delete()
                    continue
                raise
        return f"push-{message.pk}"


def install() -> None:
    register_adapter(PushAdapter())


@transaction.atomic
def push_subscribe(*, actor: Any, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Record a browser's push subscription (PushSubscription.toJSON()) for the actor."""
    ensure_authenticated(actor)
    endpoint = (endpoint or "").strip()
    parsed = urlparse(endpoint)
    if parsed.scheme != "https" or not parsed.netloc or len(endpoint) > 500:
        raise ValidationError.for_field("endpoint", _("an https URL of at most 500 characters"))
    if _b64_len(p256dh or "") != 65:
        raise ValidationError.for_field("p256dh", _("a base64url P-256 public key (65 bytes)"))
    if _b64_len(auth or "") != 16:
        raise ValidationError.for_field("auth", _("a base64url 16-byte secret"))
    sub, created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": actor, "p256dh": p256dh, "auth": auth}
    )
    if created:
        audit.record(
            actor=actor,
            action="workspace.push.subscribe",
            target_type="workspace.pushsubscription",
            target_id=str(sub.pk),
            target_label=parsed.netloc,
        )
    return sub


@transaction.atomic
def push_unsubscribe(*, actor: Any, endpoint: str) -> int:
    """Forget the actor's subscription at ``endpoint``."""
    ensure_authenticated(actor)
    deleted, _rows = PushSubscription.objects.filter(user=actor, endpoint=(endpoint or "").strip()).delete()
    return deleted
