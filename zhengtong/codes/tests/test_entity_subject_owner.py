"""An enterprise account owns its entity's subject (appeals) only while it may act for the
entity (issue 17 item 2): a USCC typed into the account is not enough."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.accounts.models import User, UserKind
from zhengtong.codes.services import subject_for_entity, subject_owned_by
from zhengtong.core.identifiers import generate_uscc
from zhengtong.registry import services as registry

USCC = generate_uscc("91330106MA27XL8T0")


def test_entity_subject_needs_a_live_authorisation(world):
    rep_person = world.person(world.village, name="张三", seq=11, birth=dt.date(1970, 1, 2))
    agent_person = world.person(world.village, name="王五", seq=37, birth=dt.date(1988, 8, 8))
    entity = registry.legal_entity_create(
        actor=world.xihu_clerk,
        org_unit=world.xihu,
        uscc=USCC,
        name="杭州西湖茶叶有限公司",
        entity_type="有限责任公司",
        legal_representative="张三",
        legal_rep_resident_id=rep_person.resident_id,
        registered_address="杭州市西湖区龙井路1号",
    )
    registry.citizen_verify_real_name(actor=world.citizen, resident_id=rep_person.resident_id, name="张三")
    world.citizen.refresh_from_db()
    agent = world.acc.user_create(
        actor=None, username="agent", password="Test-pass-2025!", kind=UserKind.ENTERPRISE
    )
    registry.citizen_verify_real_name(actor=agent, resident_id=agent_person.resident_id, name="王五")
    User.objects.filter(pk=agent.pk).update(uscc=USCC)  # a link from before authorisations
    agent.refresh_from_db()
    subject = subject_for_entity(entity)
    assert subject_owned_by(subject, agent) is False
    auth = registry.entity_authorize(
        actor=world.citizen, entity=entity, grantee=agent, valid_until=timezone.now() + dt.timedelta(days=1)
    )
    assert subject_owned_by(subject, agent) is True
    registry.entity_authorization_revoke(actor=world.citizen, authorization=auth)
    assert subject_owned_by(subject, agent) is False
