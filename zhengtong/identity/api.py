"""API of the identity centre (the protocol endpoints themselves are at /oidc/ and the site root):
the person's consents, and the client registry for administrators."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from zhengtong.core.schemas import ERRORS
from zhengtong.identity import selectors, services

router = Router(tags=["identity"])


class ConsentOut(Schema):
    id: int
    client_id: str
    client_name: str
    department: str | None
    purpose: str
    scopes: list[str]
    granted_at: datetime
    revoked_at: datetime | None


class ClientOut(Schema):
    client_id: str
    name: str
    client_type: str
    org_unit: str
    department: str | None
    sector: str
    subject_type: str
    scopes: list[str]
    grant_types: list[str]
    redirect_uris: list[str]
    enabled: bool


def _consent(c) -> dict:
    return {
        "id": c.pk,
        "client_id": c.client.client_id,
        "client_name": c.client.name,
        "department": c.client.department.name if c.client.department_id else None,
        "purpose": c.client.purpose,
        "scopes": c.scopes,
        "granted_at": c.granted_at,
        "revoked_at": c.revoked_at,
    }


@router.get("/consents", response={200: list[ConsentOut], **ERRORS}, operation_id="identity_consents")
def consents(request):
    """My authorizations (我的授权): the applications I allowed and what they may know."""
    return [_consent(c) for c in selectors.consents_of(request.user)]


@router.post(
    "/consents/{consent_id}/revoke",
    response={200: ConsentOut, **ERRORS},
    operation_id="identity_consent_revoke",
)
def consent_revoke(request, consent_id: int):
    """Revoke one of my authorizations; the application's tokens for me are revoked too."""
    return _consent(services.consent_revoke(actor=request.user, consent_id=consent_id))


@router.get("/clients", response={200: list[ClientOut], **ERRORS}, operation_id="identity_clients")
def clients(request):
    """The registered clients in the org units where I manage clients."""
    return [
        {
            "client_id": c.client_id,
            "name": c.name,
            "client_type": c.client_type,
            "org_unit": c.org_unit.code,
            "department": c.department.code if c.department_id else None,
            "sector": c.sector,
            "subject_type": c.subject_type,
            "scopes": c.scopes,
            "grant_types": c.grant_types,
            "redirect_uris": c.redirect_uris,
            "enabled": c.enabled,
        }
        for c in selectors.clients_for(request.user)
    ]
