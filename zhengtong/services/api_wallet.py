"""API of 秒批 rules, 免申即享 benefits and the e-licence wallet (卡包, 亮证, consented use); mounted
on the services router (``/api/v1/services/...``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from ninja import Query, Router, Schema, Status

from zhengtong.core.errors import NotFound
from zhengtong.core.schemas import ERRORS
from zhengtong.services import selectors
from zhengtong.services.models import Benefit
from zhengtong.services.services import autodecide, eligibility, wallet

router = Router(tags=["services"])

PUBLIC_OPERATIONS = {"services_licence_verify", "services_licence_use"}


class DecisionRuleIn(Schema):
    id: str
    logic: Any
    explain: str
    explain_en: str = ""


class DecisionRulesIn(Schema):
    rules: list[DecisionRuleIn]


class DecisionRuleSetOut(Schema):
    item: str
    item_version: int
    number: int
    rules: list[dict]


@router.put(
    "/{int:service_id}/decision-rules",
    response={200: DecisionRuleSetOut, **ERRORS},
    operation_id="services_decision_rules_publish",
)
def decision_rules_publish(request, service_id: int, payload: DecisionRulesIn):
    """Publish the 秒批 rules of the item's current version (supervisor of its department). The
    same rules again change nothing; other rules make the next rule version."""
    item = selectors.item_get(service_id)
    rule_set = autodecide.decision_rules_publish(
        actor=request.auth, item=item, rules=[r.dict() for r in payload.rules]
    )
    return {
        "item": item.code,
        "item_version": rule_set.version.number,
        "number": rule_set.number,
        "rules": rule_set.rules,
    }


class BenefitScanOut(Schema):
    scanned: int
    eligible: int
    proposed: int
    told: int


@router.post(
    "/benefits/{code}/scan", response={200: BenefitScanOut, **ERRORS}, operation_id="services_benefit_scan"
)
def benefit_scan(request, code: str):
    """Scan the registries for everyone the benefit entitles and propose it to the new ones
    (supervisor of the benefit item's department)."""
    benefit = (
        Benefit.objects.select_related("item__org_unit", "item__department").filter(code=code[:40]).first()
    )
    if benefit is None:
        raise NotFound(f"no benefit {code[:40]}")
    return eligibility.eligibility_scan(benefit=benefit, actor=request.auth)


class EntitlementOut(Schema):
    id: int
    benefit: str
    name: str
    explain: str
    state: str
    rule_number: int
    proposed_at: dt.datetime
    decided_at: dt.datetime | None
    case: str | None

    @staticmethod
    def resolve_benefit(obj) -> str:
        return obj.benefit.code

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.benefit.name

    @staticmethod
    def resolve_explain(obj) -> str:
        return obj.benefit.rule.get("explain", "")

    @staticmethod
    def resolve_case(obj) -> str | None:
        return obj.case.number if obj.case_id else None


@router.get(
    "/benefits/entitlements",
    response={200: list[EntitlementOut], **ERRORS},
    operation_id="services_entitlements",
)
def entitlements(request):
    """The benefits the registries found you (or your entity) entitled to (免申即享)."""
    return list(eligibility.entitlements_of(request.auth).order_by("-id")[:100])


@router.post(
    "/benefits/entitlements/{int:entitlement_id}/confirm",
    response={200: EntitlementOut, **ERRORS},
    operation_id="services_entitlement_confirm",
)
def entitlement_confirm(request, entitlement_id: int):
    """Confirm a proposal: granted at once by a case decided without a person."""
    return eligibility.entitlement_confirm(actor=request.auth, entitlement_id=entitlement_id)


@router.post(
    "/benefits/entitlements/{int:entitlement_id}/decline",
    response={200: EntitlementOut, **ERRORS},
    operation_id="services_entitlement_decline",
)
def entitlement_decline(request, entitlement_id: int):
    """Decline a proposal; it is not proposed again."""
    return eligibility.entitlement_decline(actor=request.auth, entitlement_id=entitlement_id)


class LicenceConsentOut(Schema):
    id: int
    party_name: str
    party_code: str
    purpose: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class WalletUseOut(Schema):
    at: dt.datetime
    kind: str
    party: str


class WalletLicenceOut(Schema):
    id: int
    licence_type: str
    number: str
    state: str
    valid_from: dt.date
    valid_to: dt.date | None
    issuer: str
    file_code: str | None
    consents: list[LicenceConsentOut]
    uses: list[WalletUseOut]


@router.get("/wallet", response={200: list[WalletLicenceOut], **ERRORS}, operation_id="services_wallet")
def wallet_list(request):
    """Your e-licences (卡包) with their sealed file's verification code, consents and use log."""
    out = []
    for row in selectors.wallet_of(request.auth):
        lic = row["licence"]
        out.append(
            {
                "id": lic.pk,
                "licence_type": lic.licence_type.code,
                "number": lic.number,
                "state": lic.state,
                "valid_from": lic.valid_from,
                "valid_to": lic.valid_to,
                "issuer": lic.issuing_department.name,
                "file_code": row["file"].code if row["file"] else None,
                "consents": [c["c"] for c in row["consents"]],
                "uses": row["uses"],
            }
        )
    return out


class PresentationOut(Schema):
    code: str
    expires_at: dt.datetime
    verify_url: str


@router.post(
    "/wallet/{int:licence_id}/presentation",
    response={200: PresentationOut, **ERRORS},
    operation_id="services_licence_present",
)
def licence_present(request, licence_id: int):
    """亮证: a short-lived signed code of one of your valid e-licences (the QR's text)."""
    code, expires = wallet.presentation_code(actor=request.auth, licence_id=licence_id)
    url = request.build_absolute_uri(reverse("services:licence_verify")) + "?c=" + quote(code, safe="")
    return {"code": code, "expires_at": expires, "verify_url": url}


class LicenceVerifyIn(Schema):
    code: str
    party: str = ""


class LicenceVerifyOut(Schema):
    valid: bool
    reason: str
    licence_type: str | None = None
    number: str | None = None
    holder: str | None = None
    issuer: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    code_expires_at: str | None = None


@router.post(
    "/licences/verify",
    response={200: LicenceVerifyOut, **ERRORS},
    auth=None,
    operation_id="services_licence_verify",
)
def licence_verify(request, payload: LicenceVerifyIn):
    """Verify a shown e-licence code (anyone): signature, expiry and the licence's state now.
    ``valid`` false names the ``reason`` (expired, bad_signature, licence_revoked, ...)."""
    return wallet.presentation_verify(text=payload.code[:2000], party=payload.party[:200])


class LicenceConsentIn(Schema):
    party_name: str
    party_code: str = ""
    purpose: str
    expires_on: dt.date | None = None


class LicenceConsentGrantOut(Schema):
    consent: LicenceConsentOut
    key: str
    use_url: str


@router.post(
    "/wallet/{int:licence_id}/consents",
    response={201: LicenceConsentGrantOut, **ERRORS},
    operation_id="services_consent_grant",
)
def consent_grant(request, licence_id: int, payload: LicenceConsentIn):
    """Consent that a third party uses this e-licence for a purpose until a date; the access key
    is returned once."""
    consent, key = wallet.consent_grant(actor=request.auth, licence_id=licence_id, **payload.dict())
    url = request.build_absolute_uri(reverse("services:licence_use", args=[key]))
    return Status(201, {"consent": consent, "key": key, "use_url": url})


@router.post(
    "/wallet/consents/{int:consent_id}/revoke",
    response={200: LicenceConsentOut, **ERRORS},
    operation_id="services_consent_revoke",
)
def consent_revoke(request, consent_id: int):
    """End one of your live consents at once."""
    return wallet.consent_revoke(actor=request.auth, consent_id=consent_id)


class UseQuery(Schema):
    key: str


class UseOut(Schema):
    licence_type: str
    number: str
    holder: str
    issuer: str
    valid_from: dt.date
    valid_to: dt.date | None
    purpose: str
    consent_expires_at: dt.datetime
    file_code: str


@router.get("/licences/use", response={200: UseOut, **ERRORS}, auth=None, operation_id="services_licence_use")
def licence_use(request, q: Query[UseQuery]):
    """A third party reads an e-licence under the holder's live consent (logged for the holder);
    403 once it expired or was revoked, 404 for an unknown key."""
    r = wallet.consent_use(key=q.key, detail="api")
    lic = r["licence"]
    return {
        "licence_type": lic.licence_type.code,
        "number": lic.number,
        "holder": r["holder"],
        "issuer": lic.issuing_department.name,
        "valid_from": lic.valid_from,
        "valid_to": lic.valid_to,
        "purpose": r["consent"].purpose,
        "consent_expires_at": r["consent"].expires_at,
        "file_code": r["file_code"],
    }
