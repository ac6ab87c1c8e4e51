"""Requests and approvals across the boundary (跨地域): our department asks another installation
(one in the trust list) for a source of its sharing directory; the other decides the request
through its own approval flow; the key it then issues for our department comes back signed and is
kept here encrypted, so ``remote_verify`` needs no key from the caller.

Every message either way is a signed envelope of the shape of a receipt
(``{"payload", "alg", "kid", "signature"}``), signed by the sender's statement key for
``sharing.peer`` (``seals.sign_bytes`` through ``receipts.sign``) and verified by the receiver
against the keys of the sender's entry in its trust list (``Peer``), only keys published for that
purpose. The payload names its type, ``from`` and ``to`` installations, the time (at most
``MAX_AGE`` old) and a nonce used once. Our side (the requester) calls; the other side answers:

- ``sharing.catalogue``: the other's shared sources (titles, fields, grades, modes);
- ``sharing.request``: a new request, recorded there as an incoming ``SharingRequest`` marked
  with its origin (``requests.request_create_remote``: the same checks, clock and approvers);
- ``sharing.status``: the request's state; once approved and its grant live, the answer (signed)
  carries a fresh key for the grant (``grants.grant_key_issue_remote``), which we store sealed
  (``core.keys.seal_text``) on our ``RemoteRequest``, bound to our consumer department.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import services as audit
from zhengtong.core import keys as core_keys
from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError, ZhengtongError
from zhengtong.sharing import receipts, selectors
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import (
    DeliveryMode,
    Grant,
    Peer,
    RemoteRequest,
    SharingProfile,
    SharingRequest,
    SharingType,
)
from zhengtong.sharing.services.grants import grant_key_issue_remote
from zhengtong.sharing.services.peers import KEY_LABEL, PeerFailed, fetch, peer_refresh
from zhengtong.sharing.services.requests import request_create_remote

log = logging.getLogger(__name__)

PURPOSE = "sharing.peer"
MAX_AGE = dt.timedelta(minutes=5)
REFRESHES_PER_MINUTE = 6


class MessageRefused(PermissionDenied):
    """A message that is not signed by a trusted installation, or not for us, or stale (403)."""

    code = SharingError.MESSAGE_REFUSED


# -- the envelope ---------------------------------------------------------------------------


def _message(kind: str, peer: Peer, body: dict) -> dict:
    payload = {
        "type": kind,
        "from": settings.SHARING_INSTALLATION_ID,
        "to": peer.installation,
        "at": timezone.now().isoformat(),
        "nonce": uuid.uuid4().hex,
        **body,
    }
    return receipts.sign(payload, purpose=PURPOSE)


def _signed_by(peer: Peer, envelope: dict) -> bool:
    """Whether ``envelope`` is signed by ``peer``'s key for signed messages; a key id we have not
    seen refreshes the peer's keys once from its anchor (as for receipts)."""
    known = {k.get("kid") for k in peer.keys.get("keys", [])}
    if str(envelope.get("kid")) not in known:
        # Anyone can post a message naming a trusted sender and an unknown key id: at most
        # REFRESHES_PER_MINUTE refreshes per sender, so such posts cannot make us call it in a loop.
        if ratelimit.incr("sharing.peer.refresh", peer.installation) > REFRESHES_PER_MINUTE:
            return False
        try:
            peer = peer_refresh(
                actor=None, installation=peer.installation, base_url=peer.base_url, via="sharing"
            )
        except ZhengtongError:
            return False
    return receipts.verify_with_jwks(envelope, peer.keys, purpose=PURPOSE)


def _refuse(message: str, code: SharingError = SharingError.MESSAGE_REFUSED) -> MessageRefused:
    log.warning("sharing: message from another installation refused: %s", message)
    return MessageRefused(message, code=code)


def open_message(envelope: Any, kind: str, *, client: str = "") -> tuple[Peer, dict]:
    """Check a message received from another installation: well formed, of ``kind``, for us,
    recent, from an installation in our trust list, signed with its key, its nonce not seen
    before. Returns the sender and the payload; refuses (403) otherwise, storing nothing. Refused
    messages count against the sender address's budget of bad exchange keys
    (``SHARING_BAD_KEY_PER_MINUTE``, the shared limiter): past it, 429."""
    try:
        return _open_message(envelope, kind)
    except MessageRefused:
        ratelimit.hit("sharing.bad_key", client or "-", limit=settings.SHARING_BAD_KEY_PER_MINUTE)
        raise


def _open_message(envelope: Any, kind: str) -> tuple[Peer, dict]:
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        raise _refuse(_("not a signed message"))
    payload = envelope["payload"]
    if payload.get("type") != kind or payload.get("to") != settings.SHARING_INSTALLATION_ID:
        raise _refuse(
            _("the message is not a %(kind)s for %(me)s")
            % {"kind": kind, "me": settings.SHARING_INSTALLATION_ID}
        )
    try:
        at = dt.datetime.fromisoformat(str(payload.get("at")))
        stale = at.tzinfo is None or abs(timezone.now() - at) > MAX_AGE
    except ValueError:
        stale = True
    if stale:
        raise _refuse(_("the message is not dated within the last five minutes"))
    peer = selectors.peer_get(str(payload.get("from")))
    if peer is None:
        raise _refuse(
            _("no trusted installation %s") % str(payload.get("from"))[:100], SharingError.UNKNOWN_PEER
        )
    if not _signed_by(peer, envelope):
        raise _refuse(_("the signature does not verify with %s's published keys") % peer.installation)
    nonce = str(payload.get("nonce", ""))[:64]
    if not nonce or not ratelimit.once(
        "sharing.peer.nonce", f"{peer.installation}:{nonce}", seconds=int(2 * MAX_AGE.total_seconds()) + 60
    ):
        raise _refuse(_("the message was received already"))
    return peer, payload


def _call(peer: Peer, path: str, kind: str, body: dict) -> tuple[int, dict]:
    envelope = _message(kind, peer, body)
    return fetch(
        f"{peer.base_url}/api/v1/sharing/peer/{path}",
        data=json.dumps(envelope, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )


def _answer_of(peer: Peer, status: int, answer: Any, kind: str) -> dict:
    """The payload of the other installation's signed answer, or PeerFailed with its refusal."""
    if status >= 400 or not isinstance(answer, dict):
        error = (answer or {}).get("error") if isinstance(answer, dict) else None
        error = error if isinstance(error, dict) else {}
        fields = (
            (error.get("details") or {}).get("fields") if isinstance(error.get("details"), dict) else None
        )
        if status == 422 and isinstance(fields, dict):
            raise ValidationError(
                fields={
                    str(k)[:60]: [str(m)[:300] for m in (v if isinstance(v, list) else [v])]
                    for k, v in fields.items()
                }
            )
        raise PeerFailed(
            _("refused by %(peer)s: %(reason)s")
            % {"peer": peer.installation, "reason": str(error.get("message", status))[:200]}
        )
    if (
        not _signed_by(peer, answer)
        or answer["payload"].get("type") != kind
        or answer["payload"].get("to") != settings.SHARING_INSTALLATION_ID
    ):
        raise PeerFailed(_("the answer of %s is not signed with its published keys") % peer.installation)
    return answer["payload"]


def _peer(installation: str) -> Peer:
    peer = selectors.peer_get(installation)
    if peer is None:
        raise NotFound(
            _("no trusted installation %s") % str(installation)[:100], code=SharingError.UNKNOWN_PEER
        )
    return peer


def _ensure_requester(actor: Any) -> Any:
    ensure_authenticated(actor)
    department = getattr(actor, "department", None)
    if department is None:
        raise PermissionDenied(_("only staff of a department may request shared data"))
    ensure_can(actor, "sharing.request", actor.org_unit, department)
    return department


# -- our side: the requester ---------------------------------------------------------------


def peer_catalogue(*, actor: Any, installation: str) -> list[dict]:
    """The other installation's shared sources, as it lists them to us (a signed ask)."""
    _ensure_requester(actor)
    peer = _peer(installation)
    status, answer = _call(peer, "catalogue", "sharing.catalogue", {})
    payload = _answer_of(peer, status, answer, "sharing.catalogue.answer")
    sources = payload.get("sources")
    return [s for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []


def remote_request_create(
    *,
    actor: Any,
    installation: str,
    profile: Any,
    fields: Any,
    purpose: str,
    legal_basis: str = "",
    row_scope: str = "",
    mode: str = DeliveryMode.VERIFICATION,
    rate_limit_per_minute: int | None = None,
    valid_until: dt.date,
    hours_from: int = 0,
    hours_to: int = 24,
) -> RemoteRequest:
    """Send our department's request for source ``profile`` of the other installation, signed.
    The other installation checks it as it checks its own departments' requests (field errors
    come back as ours, 422) and records it for its owner's approvers; here it is kept with the
    other's request id, audited. Nothing is kept when the other refuses."""
    department = _ensure_requester(actor)
    peer = _peer(installation)
    if isinstance(profile, bool) or not isinstance(profile, int) or profile < 1:
        raise ValidationError.for_field("profile", _("choose a source of the other installation"))
    if not isinstance(valid_until, dt.date):
        raise ValidationError.for_field("valid_until", _("a date after today"))
    body = {
        "reference": str(uuid.uuid4()),
        "department": department.name,
        "department_code": department.code,
        "requester": f"{actor.get_full_name() or actor.get_username()}",
        "profile": profile,
        "fields": fields,
        "purpose": purpose,
        "legal_basis": legal_basis,
        "row_scope": row_scope,
        "mode": mode,
        "rate_limit_per_minute": rate_limit_per_minute,
        "valid_until": valid_until.isoformat(),
        "hours_from": hours_from,
        "hours_to": hours_to,
    }
    status, answer = _call(peer, "requests", "sharing.request", body)
    payload = _answer_of(peer, status, answer, "sharing.request.answer")
    if payload.get("reference") != body["reference"]:
        raise PeerFailed(_("the answer of %s names another request") % peer.installation)
    with transaction.atomic():  # not around the call: the other side writes meanwhile
        return _remote_request_keep(actor, peer, department, body, payload, valid_until)


def _remote_request_keep(actor, peer, department, body, payload, valid_until) -> RemoteRequest:
    profile, fields, mode = body["profile"], body["fields"], body["mode"]
    purpose, legal_basis, row_scope = body["purpose"], body["legal_basis"], body["row_scope"]
    row = RemoteRequest.objects.create(
        reference=body["reference"],
        peer=peer,
        remote_id=payload.get("request") if isinstance(payload.get("request"), int) else None,
        profile_ref=profile,
        profile_title=str(payload.get("title", ""))[:200],
        consumer_department=department,
        consumer_org_unit=department.org_unit,
        requested_by=actor,
        fields=list(fields),
        purpose=str(purpose).strip(),
        legal_basis=str(legal_basis).strip(),
        row_scope=str(row_scope).strip(),
        mode=mode,
        valid_until=valid_until,
        state=RemoteRequest.State.PENDING,
        checked_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="sharing.remote_request.send",
        target=row,
        org_unit=department.org_unit,
        after={"peer": peer.installation, "request": row.remote_id, "fields": row.fields, "mode": mode},
    )
    return row


def remote_request_check(*, actor: Any, request: RemoteRequest, via: str = "") -> RemoteRequest:
    """Ask the other installation for the state of our request (a signed ask, a signed answer).
    Once it is approved and its grant live, the answer carries the grant's key, stored sealed.
    ``actor`` None with ``via`` for the periodic task."""
    if actor is not None:
        ensure_can(actor, "sharing.request", request.consumer_org_unit, request.consumer_department)
    peer = request.peer
    # No key yet, or one that no longer opens (SECRET_KEY changed): ask for a fresh one.
    want_key = not request.key_sealed or core_keys.open_text(request.key_sealed, label=KEY_LABEL) is None
    status, answer = _call(
        peer, "requests/status", "sharing.status", {"reference": str(request.reference), "want_key": want_key}
    )
    payload = _answer_of(peer, status, answer, "sharing.status.answer")
    if payload.get("reference") != str(request.reference):
        raise PeerFailed(_("the answer of %s names another request") % peer.installation)
    before = {"state": request.state, "grant_state": request.grant_state}
    state = str(payload.get("state", ""))
    if state in RemoteRequest.State.values:
        request.state = state
    request.decision_note = str(payload.get("note", ""))[:500]
    request.remote_grant = payload.get("grant") if isinstance(payload.get("grant"), int) else None
    request.grant_state = str(payload.get("grant_state", ""))[:40]
    key = payload.get("key")
    if isinstance(key, str) and key and len(key) <= 200:
        request.key_sealed = core_keys.seal_text(key, label=KEY_LABEL)
        try:
            request.key_expires_at = dt.datetime.fromisoformat(str(payload.get("expires_at")))
        except ValueError:
            request.key_expires_at = None
    request.checked_at = timezone.now()
    with transaction.atomic():
        request.save()
        after = {"state": request.state, "grant_state": request.grant_state, "key": bool(key)}
        if after != {**before, "key": False}:
            audit.record(
                actor=actor,
                action="sharing.remote_request.update",
                target=request,
                org_unit=request.consumer_org_unit,
                before=before,
                after=after,
                via=via,
            )
    return request


def remote_requests_check_open() -> int:
    """The periodic task: check every request still waiting for the other installation's
    decision (or approved but without its key yet)."""
    done = 0
    for row in (
        RemoteRequest.objects.filter(peer__is_active=True)
        .exclude(state__in=[RemoteRequest.State.REJECTED, RemoteRequest.State.WITHDRAWN])
        .filter(key_sealed="")
        .select_related("peer", "consumer_org_unit", "consumer_department")
    ):
        try:
            remote_request_check(actor=None, request=row, via="sharing")
            done += 1
        except ZhengtongError as exc:
            log.warning("sharing: checking remote request %s failed: %s", row.reference, exc.message)
    return done


# -- their side: the owner of the source ---------------------------------------------------


def _source_out(profile: SharingProfile) -> dict:
    return {
        "id": profile.pk,
        "title": profile.title,
        "owner": profile.department.name,
        "sharing_type": profile.sharing_type,
        "modes": [m for m in profile.modes if m != DeliveryMode.BATCH] or ["verification", "interface"],
        "fields": [
            {"name": f.get("name"), "title": f.get("title", ""), "grade": f.get("grade", "")}
            for f in profile.fields
            if f.get("shareable")
        ],
    }


def incoming_catalogue(envelope: Any, *, client: str = "") -> dict:
    """Answer a trusted installation's ask for our shared sources (signed)."""
    peer, _payload = open_message(envelope, "sharing.catalogue", client=client)
    sources = [
        _source_out(p)
        for p in SharingProfile.objects.select_related("department").exclude(
            sharing_type=SharingType.NOT_SHARED
        )
    ]
    return _message("sharing.catalogue.answer", peer, {"sources": sources})


def incoming_request(envelope: Any, *, client: str = "") -> dict:
    """Record a trusted installation's signed request as ours to decide (origin marked), and
    answer signed with our request id. Bad fields come back as 422 field errors."""
    peer, payload = open_message(envelope, "sharing.request", client=client)
    reference = payload.get("reference")
    try:
        reference = str(uuid.UUID(str(reference)))
    except ValueError:
        raise ValidationError.for_field("reference", _("not a request reference")) from None
    profile_id = payload.get("profile")
    profile = (
        SharingProfile.objects.select_related("department", "org_unit").filter(pk=profile_id).first()
        if isinstance(profile_id, int) and not isinstance(profile_id, bool) and 0 < profile_id < 2**62
        else None
    )
    if profile is None:
        raise ValidationError.for_field("profile", _("no such shared source"))
    request = request_create_remote(
        origin=peer.installation,
        reference=reference,
        department=str(payload.get("department", ""))[:200] or peer.installation,
        requester=str(payload.get("requester", ""))[:200],
        profile=profile,
        fields=payload.get("fields"),
        purpose=payload.get("purpose"),
        legal_basis=payload.get("legal_basis", ""),
        row_scope=payload.get("row_scope", ""),
        mode=payload.get("mode", DeliveryMode.VERIFICATION),
        rate_limit_per_minute=payload.get("rate_limit_per_minute"),
        valid_until=payload.get("valid_until"),
        hours_from=payload.get("hours_from", 0),
        hours_to=payload.get("hours_to", 24),
    )
    return _message(
        "sharing.request.answer",
        peer,
        {"reference": reference, "request": request.pk, "title": profile.title, "state": request.state},
    )


def incoming_status(envelope: Any, *, client: str = "") -> dict:
    """Answer a trusted installation's ask for the state of its request (signed). Once approved
    and its grant live, a fresh key for the grant goes with the answer when asked for
    (``want_key``: the requester holds none); the previous key is revoked, audited."""
    peer, payload = open_message(envelope, "sharing.status", client=client)
    request = (
        SharingRequest.objects.filter(
            origin=peer.installation, origin_reference=str(payload.get("reference"))[:64]
        )
        .select_related("profile")
        .first()
    )
    if request is None:
        raise NotFound(_("no such request from %s") % peer.installation)
    grant = Grant.objects.filter(request=request).select_related("credential").first()
    body: dict[str, Any] = {
        "reference": request.origin_reference,
        "request": request.pk,
        "state": request.state,
        "note": request.decision_note,
        "grant": grant.pk if grant else None,
        "grant_state": grant.state if grant else "",
    }
    if (
        grant is not None
        and grant.state == "active"
        and grant.mode != DeliveryMode.BATCH
        and payload.get("want_key") is True
    ):
        _row, secret = grant_key_issue_remote(grant=grant, installation=peer.installation)
        body.update(key=secret, expires_at=grant.expires_at.isoformat())
    return _message("sharing.status.answer", peer, body)
