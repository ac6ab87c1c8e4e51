"""Acting for a legal entity (issue 17 item 2): authorisations granted by the verified legal
representative, enterprise links that need one, and the data migration that suspends unproven
links."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from zhengtong.accounts.models import User, UserKind
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.identifiers import generate_uscc
from zhengtong.registry import selectors, services
from zhengtong.registry.models import EntityAuthorization, LegalEntity

USCC = generate_uscc("91330106MA27XL8T0")
PASSWORD = "Test-pass-2025!"


class Setup:
    def __init__(self, world):
        self.world = world
        self.rep_person = world.person(world.village, name="张三", seq=11, birth=dt.date(1970, 1, 2))
        agent_person = world.person(world.village, name="王五", seq=37, birth=dt.date(1988, 8, 8))
        self.entity = services.legal_entity_create(
            actor=world.xihu_clerk,
            org_unit=world.xihu,
            uscc=USCC,
            name="杭州西湖茶叶有限公司",
            entity_type="有限责任公司",
            legal_representative="张三",
            legal_rep_resident_id=self.rep_person.resident_id,
            registered_address="杭州市西湖区龙井路1号",
        )
        self.rep = world.citizen
        services.citizen_verify_real_name(
            actor=self.rep, resident_id=self.rep_person.resident_id, name="张三"
        )
        self.rep.refresh_from_db()
        self.agent = world.acc.user_create(
            actor=None, username="agent", password=PASSWORD, kind=UserKind.ENTERPRISE
        )
        services.citizen_verify_real_name(actor=self.agent, resident_id=agent_person.resident_id, name="王五")
        self.agent.refresh_from_db()
        self.unverified = world.acc.user_create(
            actor=None, username="agent2", password=PASSWORD, kind=UserKind.ENTERPRISE
        )

    def authorize(self, **kw):
        kw.setdefault("valid_until", timezone.now() + dt.timedelta(days=30))
        return services.entity_authorize(actor=self.rep, entity=self.entity, grantee=self.agent, **kw)


@pytest.fixture
def s(world):
    return Setup(world)


def uscc_of(user) -> str:
    return User.objects.get(pk=user.pk).uscc


def test_unverified_agent_cannot_link_to_any_entity(s):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.enterprise_link(actor=s.unverified, uscc=USCC)
    assert uscc_of(s.unverified) == ""
    assert AuditEvent.objects.count() == events


def test_verified_agent_without_authorisation_cannot_link(s):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.enterprise_link(actor=s.agent, uscc=USCC)
    assert exc.value.message == "you hold no authorisation from this legal entity's legal representative"
    assert uscc_of(s.agent) == ""
    assert AuditEvent.objects.count() == events


def test_authorised_agent_links_and_acts_until_revoked(s):
    auth = s.authorize()
    entity = services.enterprise_link(actor=s.agent, uscc=USCC)
    s.agent.refresh_from_db()
    assert (entity.pk, s.agent.uscc) == (s.entity.pk, USCC)
    assert selectors.entity_acting_for(s.agent) == s.entity
    assert selectors.holdings_for(s.agent).entity == s.entity
    assert list(selectors.authorizations_held_by(s.agent)) == [auth]
    assert list(selectors.authorizations_granted_for(s.rep)) == [auth]
    services.entity_authorization_revoke(actor=s.rep, authorization=auth)
    assert EntityAuthorization.objects.get(pk=auth.pk).revoked_at is not None
    assert selectors.entity_acting_for(s.agent) is None
    assert selectors.holdings_for(s.agent).entity is None
    assert selectors.may_act_for(s.agent, s.entity, "ANY") is False
    with pytest.raises(Conflict):
        services.entity_authorization_revoke(actor=s.rep, authorization=auth)


def test_scope_limits_the_items(s):
    s.authorize(scope=["ZJ-SCJG-005", " ZJ-SCJG-002 ", "ZJ-SCJG-005"])
    assert EntityAuthorization.objects.get().scope == ["ZJ-SCJG-002", "ZJ-SCJG-005"]
    assert selectors.may_act_for(s.agent, s.entity, "ZJ-SCJG-005") is True
    assert selectors.may_act_for(s.agent, s.entity, "ZJ-SCJG-004") is False
    assert selectors.may_act_for(s.agent, s.entity) is True


def test_expired_authorisation_is_not_live(s):
    auth = s.authorize()
    EntityAuthorization.objects.filter(pk=auth.pk).update(
        valid_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert selectors.may_act_for(s.agent, s.entity, "ZJ-SCJG-005") is False


def test_inactive_entity_stops_every_authorisation(s):
    s.authorize()
    LegalEntity.objects.filter(pk=s.entity.pk).update(status=LegalEntity.Status.DEREGISTERED)
    s.entity.refresh_from_db()
    assert selectors.may_act_for(s.agent, s.entity) is False
    assert selectors.may_act_for(s.rep, s.entity) is False


def test_only_the_verified_legal_representative_grants(s, world):
    for actor in (s.agent, world.xihu_clerk, s.unverified):
        with pytest.raises(PermissionDenied):
            services.entity_authorize(
                actor=actor,
                entity=s.entity,
                grantee=s.agent,
                valid_until=timezone.now() + dt.timedelta(days=1),
            )
    assert not EntityAuthorization.objects.exists()


def test_grantee_must_be_real_name_and_expiry_bounded(s):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.entity_authorize(
            actor=s.rep,
            entity=s.entity,
            grantee=s.unverified,
            valid_until=timezone.now() + dt.timedelta(days=1),
        )
    assert exc.value.fields == {"grantee": ["authorise a real-name verified account only"]}
    for when in (timezone.now() - dt.timedelta(days=1), timezone.now() + dt.timedelta(days=4000)):
        with pytest.raises(ValidationError) as exc:
            s.authorize(valid_until=when)
        assert list(exc.value.fields) == ["valid_until"]
    with pytest.raises(ValidationError) as exc:
        s.authorize(scope=["bad code!"])
    assert list(exc.value.fields) == ["scope"]
    assert not EntityAuthorization.objects.exists()
    assert AuditEvent.objects.count() == events


def test_other_people_cannot_revoke(s, world):
    auth = s.authorize()
    with pytest.raises(PermissionDenied):
        services.entity_authorization_revoke(actor=s.unverified, authorization=auth)
    assert EntityAuthorization.objects.get(pk=auth.pk).revoked_at is None
    # the grantee may give it up
    services.entity_authorization_revoke(actor=s.agent, authorization=auth)
    assert EntityAuthorization.objects.get(pk=auth.pk).revoked_at is not None


def test_legal_representative_links_without_authorisation(s, world):
    rep_agent = world.acc.user_create(
        actor=None, username="rep_agent", password=PASSWORD, kind=UserKind.ENTERPRISE
    )
    # one account per person: the representative's citizen account gives way in this test
    User.objects.filter(pk=s.rep.pk).update(resident_id=None, is_real_name=False)
    services.citizen_verify_real_name(actor=rep_agent, resident_id=s.rep_person.resident_id, name="张三")
    rep_agent.refresh_from_db()
    services.enterprise_link(actor=rep_agent, uscc=USCC)
    assert uscc_of(rep_agent) == USCC


def test_migration_suspends_unproven_links(s, world):
    s.authorize()
    services.enterprise_link(actor=s.agent, uscc=USCC)
    # links made before authorisations existed: the unverified one, and the representative's own
    User.objects.filter(pk=s.unverified.pk).update(uscc=USCC)
    User.objects.filter(pk=s.rep.pk).update(uscc=USCC)
    migration = importlib.import_module("zhengtong.registry.migrations.0003_reverify_enterprise_links")
    migration.reverify(apps, None)
    assert uscc_of(s.unverified) == ""
    assert uscc_of(s.agent) == USCC
    assert uscc_of(s.rep) == USCC
