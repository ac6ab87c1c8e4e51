"""Between installations (跨地域): the trust list of other installations (their exchange endpoint
and published receipt keys, imported from configured anchors) and a verification call to one,
logged on both sides, its receipt verified by the caller against the other's keys."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core import keys as core_keys
from zhengtong.core.errors import Conflict, NotFound, ValidationError
from zhengtong.sharing import receipts, selectors
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import DeliveryMode, Exchange, Outcome, Peer, RemoteRequest

log = logging.getLogger(__name__)


class PeerFailed(Conflict):
    """The other installation did not answer, or not with a receipt that verifies (409)."""

    code = SharingError.PEER_FAILED


def fetch(url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, Any]:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValidationError.for_field("base_url", _("an http(s) address"))
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(request, timeout=settings.SHARING_PEER_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, json.loads(response.read(2_000_000) or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read(200_000) or b"{}")
        except ValueError:
            return exc.code, {}
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise PeerFailed(_("the other installation did not answer: %s") % str(exc)[:200]) from None


def anchors() -> dict[str, str]:
    """The configured anchors, SHARING_PEERS ("id=https://base-url"), by installation id."""
    out = {}
    for item in settings.SHARING_PEERS:
        name, sep, url = item.partition("=")
        if sep and name.strip() and url.strip():
            out[name.strip()] = url.strip().rstrip("/")
    return out


@transaction.atomic
def peer_refresh(*, actor: Any, installation: str, base_url: str = "", via: str = "") -> Peer:
    """Import (or refresh) an installation's exchange endpoint and keys from its anchor: its
    ``/api/v1/sharing/installation`` must name the same installation id, and its keys come from
    the ``keys_url`` it publishes. ``actor`` None with ``via`` for the command and the task."""
    if actor is not None:
        ensure_can(actor, "sharing.approve_sensitive")
    base_url = (base_url or anchors().get(installation, "")).rstrip("/")
    if not base_url:
        raise NotFound(_("no anchor configured for %s") % installation)
    _status, described = fetch(f"{base_url}/api/v1/sharing/installation")
    if described.get("installation") != installation:
        raise PeerFailed(
            _("the installation at %(url)s calls itself %(name)s")
            % {"url": base_url, "name": str(described.get("installation"))[:100]}
        )
    _status, jwks = fetch(str(described.get("keys_url") or f"{base_url}/seals/keys.json"))
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise PeerFailed(_("the installation publishes no keys"))
    peer, _created = Peer.objects.update_or_create(
        installation=installation,
        defaults={
            "base_url": base_url,
            "keys": {"keys": jwks["keys"]},
            "refreshed_at": timezone.now(),
            "is_active": True,
        },
    )
    audit.record(
        actor=actor,
        action="sharing.peer.refresh",
        target=peer,
        after={"base_url": base_url, "keys": len(jwks["keys"])},
        via=via,
    )
    return peer


KEY_LABEL = "zhengtong.sharing.remote-key"


def remote_key(*, department: Any, installation: str) -> tuple[RemoteRequest, str] | None:
    """The key another installation issued to ``department`` for a verification grant (our
    latest approved request to it holding one, ``peer_requests``), decrypted; None when none."""
    row = (
        RemoteRequest.objects.filter(
            consumer_department=department,
            peer__installation=installation,
            state=RemoteRequest.State.APPROVED,
            mode=DeliveryMode.VERIFICATION,
        )
        .exclude(key_sealed="")
        .order_by("-created_at", "-id")
        .first()
    )
    secret = core_keys.open_text(row.key_sealed, label=KEY_LABEL) if row is not None else None
    return (row, secret) if secret else None


def remote_verify(
    *,
    actor: Any,
    installation: str,
    subject: dict,
    key: str = "",
    on_behalf_of: str = "",
    end_user: str = "",
) -> dict:
    """Verify ``subject`` against another installation's source under the grant it issued to
    our department: its key as kept from our request to it (``peer_requests``), or ``key`` when
    the caller passes one (a key obtained on the other's own pages). Logged here (direction
    "out", with the other's receipt); the answer is returned only when its receipt verifies
    with the other's published keys, names that installation, and carries the hashes of what
    was sent and received. A refusal of a kept key (grant suspended, revoked, expired) is noted
    on our request."""
    department = getattr(actor, "department", None)
    ensure_can(actor, "sharing.request", getattr(actor, "org_unit", None), department)
    peer = selectors.peer_get(installation)
    if peer is None:
        raise NotFound(_("no trusted installation %s") % installation, code=SharingError.UNKNOWN_PEER)
    kept = None
    if not key:
        kept = remote_key(department=department, installation=installation)
        if kept is None:
            raise NotFound(
                _("your department holds no key of %s for verification; request its data first")
                % installation,
                code=SharingError.NO_GRANT,
            )
        key = kept[1]
    body = {"subject": subject, "on_behalf_of": on_behalf_of[:64], "end_user": end_user[:100]}
    status, answer = fetch(
        f"{peer.base_url}/api/v1/sharing/exchange/verify",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    receipt = (
        answer.get("receipt")
        if status == 200
        else (answer.get("error") or {}).get("details", {}).get("receipt")
    )
    known = {k.get("kid") for k in peer.keys.get("keys", [])}
    if isinstance(receipt, dict) and receipt.get("kid") not in known:
        # A key the other installation created or rotated since we last looked: refresh once
        # from its anchor (the base URL in the trust list), then judge the receipt.
        peer = peer_refresh(actor=None, installation=installation, base_url=peer.base_url, via="sharing")
    problem = ""
    if not isinstance(receipt, dict) or not receipts.verify_with_jwks(
        receipt, peer.keys, purpose=receipts.PURPOSE
    ):
        problem = "receipt_invalid"
    else:
        payload = receipt["payload"]
        response = (
            {k: v for k, v in answer.items() if k != "receipt"}
            if status == 200
            else {"error": payload.get("reason")}
        )
        if payload.get("installation") != installation:
            problem = "receipt_other_installation"
        elif payload.get("request_sha256") != receipts.body_hash(body):
            problem = "receipt_other_request"
        elif status == 200 and payload.get("response_sha256") != receipts.body_hash(response):
            problem = "receipt_other_response"
    outcome = Outcome.OK if status == 200 and not problem else Outcome.REFUSED
    reason = problem or ("" if status == 200 else str((answer.get("error") or {}).get("code", status)))
    Exchange.objects.create(
        direction="out",
        peer=installation,
        consumer_department=department,
        mode="verification",
        on_behalf_of=body["on_behalf_of"],
        end_user=body["end_user"],
        request_sha256=receipts.body_hash(body),
        response_sha256=receipts.body_hash({k: v for k, v in answer.items() if k != "receipt"}),
        outcome=outcome,
        reason=reason[:40],
        at=timezone.now(),
        receipt=(receipt or {}).get("payload", {}) if isinstance(receipt, dict) else {},
        kid=str((receipt or {}).get("kid", ""))[:100] if isinstance(receipt, dict) else "",
        signature=str((receipt or {}).get("signature", ""))[:200] if isinstance(receipt, dict) else "",
    )
    if problem:
        raise PeerFailed(_("the other installation's receipt does not verify (%s)") % problem)
    if status != 200:
        error = answer.get("error") or {}
        if kept is not None:
            RemoteRequest.objects.filter(pk=kept[0].pk).update(
                grant_state=f"refused: {reason}"[:40], checked_at=timezone.now()
            )
            audit.record(
                actor=actor,
                action="sharing.remote_request.refused",
                target=kept[0],
                org_unit=department.org_unit,
                after={"reason": reason, "on_behalf_of": body["on_behalf_of"]},
            )
        raise PeerFailed(
            _("refused by %(peer)s: %(reason)s")
            % {"peer": installation, "reason": str(error.get("message", status))[:200]}
        )
    if kept is not None and kept[0].grant_state != "active":
        # Answered (the grant was resumed there): an earlier refusal or suspension no longer holds.
        RemoteRequest.objects.filter(pk=kept[0].pk).update(grant_state="active", checked_at=timezone.now())
    return answer
