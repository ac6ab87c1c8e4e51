"""Sharing API between installations (跨地域), mounted on the sharing router (``sharing.api``).

- ``/peer/...``: what another installation sends us, each a signed envelope (``{"payload",
  "alg", "kid", "signature"}``) checked against its keys in our trust list; no login, the
  signature is the authentication; answered with our own signed envelope.
- ``/peers/{installation}/catalogue``, ``/peers/{installation}/requests``, ``/remote-requests``:
  our staff's side, browsing the other's shared sources, requesting one, following the request.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status
from pydantic import Field

from zhengtong.core.schemas import ERRORS
from zhengtong.sharing import selectors, services
from zhengtong.sharing.models import RemoteRequest

router = Router(tags=["sharing"])

PUBLIC_OPERATIONS: set[str] = {
    "sharing_peer_catalogue_answer",
    "sharing_peer_request_receive",
    "sharing_peer_status",
}


class Envelope(Schema):
    """A message signed by an installation's ``sharing.peer`` key (ES256 over the canonical
    payload, as a receipt). Missing parts are refused by the service (403), not the schema."""

    payload: dict = Field(default_factory=dict)
    alg: str = Field("", max_length=10)
    kid: str = Field("", max_length=100)
    signature: str = Field("", max_length=200)


class RemoteSourceField(Schema):
    name: str | None = None
    title: str = ""
    grade: str = ""


class RemoteSourceOut(Schema):
    id: int
    title: str
    owner: str = ""
    sharing_type: str = ""
    modes: list[str] = []
    fields: list[RemoteSourceField] = []


class RemoteRequestIn(Schema):
    profile: int
    fields: list[str] = Field(..., max_length=200)
    purpose: str = Field(..., max_length=2000)
    legal_basis: str = Field("", max_length=500)
    row_scope: str = Field("", max_length=15)
    mode: str = Field("verification", max_length=16)
    rate_limit_per_minute: int | None = None
    valid_until: dt.date
    hours_from: int = 0
    hours_to: int = 24


class RemoteRequestOut(Schema):
    id: int
    reference: str
    installation: str
    remote_id: int | None
    profile: int = Field(..., alias="profile_ref")
    title: str = Field(..., alias="profile_title")
    consumer: str
    fields: list[str]
    purpose: str
    mode: str
    valid_until: dt.date
    state: str
    decision_note: str
    remote_grant: int | None
    grant_state: str
    has_key: bool
    key_expires_at: dt.datetime | None
    checked_at: dt.datetime | None

    @staticmethod
    def resolve_reference(obj: RemoteRequest) -> str:
        return str(obj.reference)

    @staticmethod
    def resolve_installation(obj: RemoteRequest) -> str:
        return obj.peer_id and obj.peer.installation

    @staticmethod
    def resolve_consumer(obj: RemoteRequest) -> str:
        return obj.consumer_department.name

    @staticmethod
    def resolve_has_key(obj: RemoteRequest) -> bool:
        return bool(obj.key_sealed)


@router.post(
    "/peer/catalogue",
    response={200: Envelope, **ERRORS},
    auth=None,
    operation_id="sharing_peer_catalogue_answer",
)
def peer_catalogue_answer(request, payload: Envelope):
    """Another installation asks for our shared sources (signed); the answer is signed."""
    return services.incoming_catalogue(payload.dict(), client=request.META.get("REMOTE_ADDR", ""))


@router.post(
    "/peer/requests",
    response={201: Envelope, **ERRORS},
    auth=None,
    operation_id="sharing_peer_request_receive",
)
def peer_request_receive(request, payload: Envelope):
    """Another installation's signed request for one of our sources, for one of its departments:
    recorded for our owner's approvers (marked with its origin); the answer is signed."""
    return Status(201, services.incoming_request(payload.dict(), client=request.META.get("REMOTE_ADDR", "")))


@router.post(
    "/peer/requests/status", response={200: Envelope, **ERRORS}, auth=None, operation_id="sharing_peer_status"
)
def peer_status(request, payload: Envelope):
    """The state of another installation's request (signed ask, signed answer); once approved,
    the grant's key when asked for."""
    return services.incoming_status(payload.dict(), client=request.META.get("REMOTE_ADDR", ""))


@router.get(
    "/peers/{installation}/catalogue",
    response={200: list[RemoteSourceOut], **ERRORS},
    operation_id="sharing_peer_catalogue",
)
def peer_catalogue(request, installation: str):
    """The other installation's shared sources, as it lists them to us."""
    return services.peer_catalogue(actor=request.auth, installation=installation[:100])


@router.post(
    "/peers/{installation}/requests",
    response={201: RemoteRequestOut, **ERRORS},
    operation_id="sharing_peer_request_create",
)
def peer_request_create(request, installation: str, payload: RemoteRequestIn):
    """Request a source of the other installation for your department (sent signed; decided there)."""
    row = services.remote_request_create(
        actor=request.auth, installation=installation[:100], **payload.dict()
    )
    return Status(201, row)


@router.get(
    "/remote-requests",
    response={200: list[RemoteRequestOut], **ERRORS},
    operation_id="sharing_remote_requests",
)
def remote_requests(request):
    """Your department's requests to other installations and their state."""
    return list(selectors.remote_requests_of(actor=request.auth)[:200])


@router.post(
    "/remote-requests/{request_id}/check",
    response={200: RemoteRequestOut, **ERRORS},
    operation_id="sharing_remote_request_check",
)
def remote_request_check(request, request_id: int):
    """Ask the other installation now for the request's state (and, once approved, its key)."""
    row = selectors.remote_request_get(actor=request.auth, pk=request_id)
    return services.remote_request_check(actor=request.auth, request=row)
