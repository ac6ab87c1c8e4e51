"""The e-licence wallet (issue 19 item 5): sealed e-licence files, 亮证 codes verified by a third
party, consented use with its log, consent expiry; refusals change nothing."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from zhengtong.core import outbox
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.registry import services as registry
from zhengtong.registry.models import Licence
from zhengtong.seals import services as seals
from zhengtong.services.models import LicenceConsent, LicenceUse
from zhengtong.services.services import wallet

pytestmark = pytest.mark.django_db


def _id_card(svc):
    return Licence.objects.get(holder_person=svc.person, licence_type__code="id_card")


def test_the_licence_file_is_sealed_once_and_verifies(svc):
    licence = _id_card(svc)
    assert wallet.licence_file_request(actor=svc.citizen, licence_id=licence.pk) is True
    outbox.deliver_pending(topic=wallet.FILE_TOPIC)
    document = wallet.licence_file(licence)
    assert (document.kind, document.reference, document.department_id) == (
        "services.elicence",
        f"licence:{licence.pk}",
        svc.world.xihu_gaj.pk,
    )
    assert seals.verify_document(document).status == "valid"
    assert wallet.licence_file_request(actor=svc.citizen, licence_id=licence.pk) is False
    wallet.licence_file_issue({"licence": licence.pk})  # a re-delivery issues nothing twice
    from zhengtong.seals.models import SealedDocument

    assert SealedDocument.objects.filter(kind="services.elicence").count() == 1
    with pytest.raises(NotFound):
        wallet.licence_file_request(actor=svc.other_citizen, licence_id=licence.pk)


def test_a_shown_code_verifies_for_a_third_party_and_is_logged(svc):
    licence = _id_card(svc)
    text, expires = wallet.presentation_code(actor=svc.citizen, licence_id=licence.pk)
    assert text.startswith("ZTL1:")
    result = wallet.presentation_verify(text=text, party="某银行网点")
    assert result["valid"] is True
    # the identity card's number is the resident ID number: shown masked
    assert result["number"][:6] == licence.number[:6] and "*" in result["number"]
    assert (result["holder"], result["licence_type"]) == ("张*", "居民身份证")
    use = LicenceUse.objects.get()
    assert (use.licence_id, use.kind, use.party) == (licence.pk, "verified", "某银行网点")


def test_an_expired_or_altered_code_fails_and_logs_nothing(svc):
    licence = _id_card(svc)
    text, _expires = wallet.presentation_code(actor=svc.citizen, licence_id=licence.pk)
    later = int(time.time()) + 10_000
    assert wallet.presentation_verify(text=text, now=later) == {"valid": False, "reason": "expired"}
    altered = text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]
    assert wallet.presentation_verify(text=altered)["valid"] is False
    assert wallet.presentation_verify(text="ZT1:garbage")["reason"] == "bad_prefix"
    assert LicenceUse.objects.count() == 0


def test_a_revoked_licence_stops_verifying(svc):
    licence = _id_card(svc)
    text, _expires = wallet.presentation_code(actor=svc.citizen, licence_id=licence.pk)
    registry.licence_revoke(actor=svc.world.system, licence=licence, note="注销")
    assert wallet.presentation_verify(text=text) == {"valid": False, "reason": "licence_revoked"}
    with pytest.raises(ValidationError):
        wallet.presentation_code(actor=svc.citizen, licence_id=licence.pk)


def test_only_the_holder_shows_a_licence(svc):
    licence = _id_card(svc)
    for intruder in (svc.other_citizen, svc.counter):
        with pytest.raises(NotFound):
            wallet.presentation_code(actor=intruder, licence_id=licence.pk)


def _grant(svc, **kw):
    args = {
        "actor": svc.citizen,
        "licence_id": _id_card(svc).pk,
        "party_name": "杭州银行西湖支行",
        "purpose": "开立账户核验身份",
        "expires_on": timezone.localdate() + dt.timedelta(days=7),
    }
    return wallet.consent_grant(**{**args, **kw})


def test_consent_validation_names_each_field_and_writes_nothing(svc):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        _grant(svc, party_name="", purpose="", expires_on=today - dt.timedelta(days=1), party_code="123")
    assert set(exc.value.fields) == {"party_name", "purpose", "expires_on", "party_code"}
    with pytest.raises(ValidationError) as exc:
        _grant(svc, expires_on=today + dt.timedelta(days=400))
    assert list(exc.value.fields) == ["expires_on"]
    with pytest.raises(NotFound):
        _grant(svc, actor=svc.other_citizen)
    assert LicenceConsent.objects.count() == 0


def test_consented_use_is_logged_and_ends_with_expiry_or_revocation(svc):
    consent, key = _grant(svc)
    assert consent.token != key and len(key) >= 30
    used = wallet.consent_use(key=key, detail="page")
    assert (used["licence"].pk, used["holder"]) == (_id_card(svc).pk, "张三")
    use = LicenceUse.objects.get()
    assert (use.kind, use.party, use.consent_id) == ("used", "杭州银行西湖支行", consent.pk)
    # expiry: the consent ends at the end of its last day
    LicenceConsent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(PermissionDenied):
        wallet.consent_use(key=key)
    assert LicenceUse.objects.count() == 1
    with pytest.raises(Conflict):
        wallet.consent_revoke(actor=svc.citizen, consent_id=consent.pk)
    # revocation
    second, key2 = _grant(svc, party_name="某租房平台", purpose="租房实名")
    with pytest.raises(NotFound):
        wallet.consent_revoke(actor=svc.other_citizen, consent_id=second.pk)
    second.refresh_from_db()
    assert second.revoked_at is None
    wallet.consent_revoke(actor=svc.citizen, consent_id=second.pk)
    with pytest.raises(PermissionDenied):
        wallet.consent_use(key=key2)
    with pytest.raises(NotFound):
        wallet.consent_use(key="x" * 32)
    assert LicenceUse.objects.count() == 1


def test_consent_expiry_boundary(svc):
    consent, key = _grant(svc, expires_on=timezone.localdate())
    end = timezone.localtime(consent.expires_at)
    assert (end.date(), end.time()) == (timezone.localdate() + dt.timedelta(days=1), dt.time.min)
    assert wallet.consent_use(key=key)["consent"].pk == consent.pk


def test_pages(svc, client):
    licence = _id_card(svc)
    assert client.get("/services/wallet/").status_code == 302
    client.force_login(svc.citizen)
    page = client.get("/services/wallet/")
    assert page.status_code == 200 and licence.number in page.content.decode()
    show = client.get(f"/services/wallet/{licence.pk}/show/")
    assert show.status_code == 200 and "<svg" in show.content.decode()
    assert client.get(f"/services/wallet/{licence.pk + 999}/show/").status_code == 404
    text, _e = wallet.presentation_code(actor=svc.citizen, licence_id=licence.pk)
    client.logout()
    ok = client.get("/services/licences/verify/", {"c": text})
    assert (
        ok.status_code == 200 and "张*" in ok.content.decode() and licence.number not in ok.content.decode()
    )
    assert client.get("/services/licences/verify/", {"c": "ZTL1:AAAA"}).status_code == 422
    assert client.get("/services/licences/use/nokeynokeynokey/").status_code == 404
