"""Fixtures of the services tests: 西湖区 service items, staff of two departments and two counties,
a verified citizen with an e-licence, and an enterprise agent."""

from __future__ import annotations

import datetime as dt

from conftest import shared_fixture


class Svc:
    def __init__(self, world):
        from zhengtong.core.identifiers import make_org_code, make_uscc
        from zhengtong.registry import services as registry
        from zhengtong.services import demo

        self.world = world
        w = world
        s = w.system
        self.counter = w.staff("s_counter", "counter_staff", w.xihu, w.xihu_scjg)
        self.reviewer = w.staff("s_reviewer", "reviewer", w.xihu, w.xihu_scjg)
        self.reviewer2 = w.staff("s_reviewer2", "reviewer", w.xihu, w.xihu_scjg)
        self.reviewer3 = w.staff("s_reviewer3", "reviewer", w.xihu, w.xihu_scjg)
        self.supervisor = w.staff("s_supervisor", "supervisor", w.xihu)
        self.gaj_counter = w.staff("s_gaj_counter", "counter_staff", w.xihu, w.xihu_gaj)
        self.yiwu_counter = w.staff("s_yiwu_counter", "counter_staff", w.yiwu, w.yiwu_scjg)
        self.yiwu_reviewer = w.staff("s_yiwu_reviewer", "reviewer", w.yiwu, w.yiwu_scjg)
        for code, name, holder in [
            ("id_card", "居民身份证", "person"),
            ("business_licence", "营业执照", "entity"),
            ("food_operation", "食品经营许可证", "entity"),
            ("driving_licence", "机动车驾驶证", "person"),
            ("marriage_certificate", "结婚证", "person"),
        ]:
            registry.licence_type_create(actor=s, code=code, name=name, holder_kind=holder)
        for code, name, en, holder, kind, years in demo.LICENCE_TYPES:
            registry.licence_type_create(
                actor=s, code=code, name=name, holder_kind=holder, validity_years=years
            )
        from zhengtong.registry.models import LicenceType

        self.person = w.person(w.village, name="张三")
        registry.licence_issue(
            actor=s,
            licence_type=LicenceType.objects.get(code="id_card"),
            number=self.person.resident_id,
            issuing_department=w.xihu_gaj,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2040, 1, 1),
            holder_person=self.person,
        )
        self.citizen = w.citizen
        registry.citizen_verify_real_name(
            actor=self.citizen, resident_id=self.person.resident_id, name="张三"
        )
        self.citizen.refresh_from_db()
        other = w.person(w.village, name="李四", seq=23, birth=dt.date(1990, 3, 3))
        self.other_citizen = w.acc.user_create(
            actor=None, username="citizen2", password="Test-pass-2025!", kind="citizen"
        )
        registry.citizen_verify_real_name(
            actor=self.other_citizen, resident_id=other.resident_id, name="李四"
        )
        self.other_citizen.refresh_from_db()
        uscc = make_uscc("9", "1", "330106", make_org_code("12345678"))
        self.entity = registry.legal_entity_create(
            actor=s,
            org_unit=w.xihu,
            uscc=uscc,
            name="西湖味道餐饮有限公司",
            entity_type="有限责任公司",
            legal_representative="张三",
            legal_rep_resident_id=self.person.resident_id,
            registered_address="西湖区文三路1号",
            established_on=dt.date(2020, 1, 1),
        )
        registry.licence_issue(
            actor=s,
            licence_type=LicenceType.objects.get(code="business_licence"),
            number=f"YYZZ{uscc}",
            issuing_department=w.xihu_scjg,
            valid_from=dt.date(2020, 1, 1),
            holder_entity=self.entity,
        )
        self.agent = w.acc.user_create(
            actor=None, username="agent", password="Test-pass-2025!", kind="enterprise"
        )
        # The agent is real-name verified and authorised by the legal representative (张三).
        agent_person = w.person(w.village, name="王五", seq=37, birth=dt.date(1988, 8, 8))
        registry.citizen_verify_real_name(actor=self.agent, resident_id=agent_person.resident_id, name="王五")
        self.agent.refresh_from_db()
        from django.utils import timezone

        self.authorization = registry.entity_authorize(
            actor=self.citizen,
            entity=self.entity,
            grantee=self.agent,
            valid_until=timezone.now() + dt.timedelta(days=365),
        )
        registry.enterprise_link(actor=self.agent, uscc=uscc)
        self.agent.refresh_from_db()
        self.items = demo.publish_items(s, w.xihu)
        # One item in 义乌 too (another county's case must stay invisible to 西湖区 staff).
        from zhengtong.services import services
        from zhengtong.services.models import ServiceItem

        self.yiwu_item = services.item_publish(
            actor=s,
            code="YW-SCJG-004",
            name="个体工商户注册登记(义乌)",
            kind="licensing",
            department=w.yiwu_scjg,
            materials=[],
            form_schema=demo.schema(
                {"shop_name": demo._f("字号名称", "Trade name", maxLength=60)}, ["shop_name"]
            ),
            statutory_days=15,
            promised_days=1,
            review_steps=demo.SINGLE,
        )
        self.ServiceItem = ServiceItem


@shared_fixture
def svc(world):
    return Svc(world)


def pay_bill(bill, user):
    """Pay a bill through the local provider, as the payer would, and deliver its callback."""
    from zhengtong.payments import services as payments
    from zhengtong.payments.providers import LocalProvider, notices_deliver_pending

    payment, _target = payments.payment_start(actor=user, bill=bill, return_url="/")
    LocalProvider().payer_confirm(payment.token)
    notices_deliver_pending()
    bill.refresh_from_db()
    return bill
