"""一户一档: grid incidents, applications with their ratings and sharing-log access about the
entity, through grid's, services' and sharing's selectors; staff only; constant query count."""

import datetime as dt
import secrets

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhengtong.grid.categories import categories_ensure
from zhengtong.grid.models import Category, Incident
from zhengtong.services.models import Case, Rating, ServiceItem, ServiceItemVersion
from zhengtong.sharing.models import Exchange, SharingProfile

pytestmark = pytest.mark.django_db


class Records:
    """Rows of the other modules about one entity (built directly: the fixtures of this test)."""

    def __init__(self, w):
        categories_ensure()
        self.w = w
        self.category = Category.objects.get(code="E0501")
        self.item = ServiceItem.objects.create(
            code="SV-T-1", name="食品经营许可", kind="licensing", department=w.xihu_scjg, org_unit=w.xihu
        )
        self.version = ServiceItemVersion.objects.create(
            item=self.item, number=1, statutory_days=20, promised_days=5
        )
        self.profile = SharingProfile.objects.create(
            title="法人基本信息", department=w.xihu_gaj, org_unit=w.xihu, fields=[]
        )
        self.n = 0

    def add(self, entity, *, other=None):
        self.n += 1
        w, n = self.w, self.n
        Incident.objects.create(
            category=self.category,
            org_unit=w.grid,
            township=w.beishan,
            county=w.xihu,
            lat=30.25,
            lng=120.15,
            description=f"占道经营{n}",
            attributes={"entity_uscc": (other or entity).uscc},
            source="grid_worker",
            token=secrets.token_hex(8),
            reported_at=timezone.now(),
            state="reported",
        )
        case = Case.objects.create(
            number=f"SVC{n:06d}",
            item=self.item,
            item_version=self.version,
            applicant=w.citizen,
            applicant_entity=other or entity,
            org_unit=w.xihu,
            org_path=w.xihu.path,
            department=w.xihu_scjg,
            state="completed",
        )
        Rating.objects.create(
            case=case,
            applicant=w.citizen,
            item=self.item,
            department=w.xihu_scjg,
            org_unit=w.xihu,
            score=2,
            comment=f"等待太久{n}",
        )
        Exchange.objects.create(
            profile=self.profile,
            owner_department=w.xihu_gaj,
            consumer_department=w.xihu_scjg,
            mode="verify",
            on_behalf_of=case.number,
            request_sha256="0" * 64,
            response_sha256="0" * 64,
            outcome="ok",
            at=timezone.now(),
        )


def _get(user, url):
    c = Client()
    if user is not None:
        c.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(url)
    assert r.status_code == 200, url
    return r, len(ctx)


def test_staff_see_incidents_ratings_and_data_access_the_public_does_not(sv):
    entity, other = sv.entities[0], sv.entities[1]
    rec = Records(sv)
    rec.add(entity)
    rec.add(other)
    staff, _n = _get(sv.manager, f"/api/v1/supervision/entities/{entity.uscc}")
    body = staff.json()
    assert [i["category"] for i in body["incidents"]] == ["E0501"]
    assert [(c["number"], c["rating"]) for c in body["cases"]] == [("SVC000001", 2)]
    assert [(x["case"], x["data"], x["consumer"]) for x in body["exchanges"]] == [
        ("SVC000001", "法人基本信息", "西湖区市场监督管理局")
    ]
    page, _n = _get(sv.manager, f"/console/supervision/entities/{entity.uscc}/")
    html = page.content.decode()
    assert "占道经营1" not in html  # descriptions stay with grid; the category and place show
    assert "等待太久1" in html and "等待太久2" not in html and "SVC000001" in html
    public, _n = _get(None, f"/api/v1/supervision/public/entities/{entity.uscc}")
    assert public.json()["incidents"] == public.json()["cases"] == public.json()["exchanges"] == []
    html = _get(None, f"/supervision/entities/{entity.uscc}/")[0].content.decode()
    for secret in ("等待太久", "SVC000001"):
        assert secret not in html, html[max(0, html.find(secret) - 300) : html.find(secret) + 100]


def test_query_count_stays_the_same_as_records_grow(sv):
    entity = sv.entities[0]
    rec = Records(sv)
    rec.add(entity)
    urls = [f"/api/v1/supervision/entities/{entity.uscc}", f"/console/supervision/entities/{entity.uscc}/"]
    _get(sv.manager, urls[0])  # per-process caches
    before = [_get(sv.manager, u)[1] for u in urls]
    for _ in range(6):
        rec.add(entity)
    after = [_get(sv.manager, u)[1] for u in urls]
    assert after == before
    assert len(_get(sv.manager, urls[0])[0].json()["exchanges"]) == 7


def test_incident_entity_attribute_must_be_a_credit_code(sv, world):
    from zhengtong.core.errors import ValidationError
    from zhengtong.grid.services import clean_attributes

    categories_ensure()
    category = Category.objects.get(code="E0501")
    with pytest.raises(ValidationError) as e:
        clean_attributes(category, {"entity_uscc": "91330106XXXX"})
    assert "attribute[entity_uscc]" in e.value.fields
    assert clean_attributes(category, {"entity_uscc": sv.entities[0].uscc.lower()}) == {
        "entity_uscc": sv.entities[0].uscc
    }


def test_black_listed_entitys_next_application_is_flagged_to_the_accepting_staff(sv, world):
    from zhengtong.credit import services as credit

    entity = sv.entities[6]
    rec = Records(sv)
    rec.add(entity)
    case = Case.objects.get(applicant_entity=entity)
    Case.objects.filter(pk=case.pk).update(state="submitted")
    counter = world.staff("sv_counter", "counter_staff", world.xihu, world.xihu_scjg)
    credit_officer = world.staff("sv_credit", "credit_officer", world.xihu, world.xihu_scjg)
    url = f"/services/console/cases/{case.pk}/"
    c = Client()
    c.force_login(counter)
    before = c.get(url).content.decode()
    assert "从严审查" not in before and "examine strictly" not in before
    credit.list_entry_add(
        actor=credit_officer,
        entity=entity,
        kind="black",
        legal_basis="《失信行为纠正后的信用信息修复管理办法》",
        reason="拒不履行",
        until=timezone.localdate() + dt.timedelta(days=365),
        department=world.xihu_scjg,
    )
    body = c.get(url).content.decode()
    assert "不得参与招投标" in body or "not eligible for bidding" in body


def test_sections_are_paged_with_their_totals_and_constant_queries(sv, settings):
    from zhengtong.supervision import selectors

    entity = sv.entities[0]
    rec = Records(sv)
    for _ in range(selectors.PAGE_SIZE + 3):
        rec.add(entity)
    url = f"/api/v1/supervision/entities/{entity.uscc}"
    first, queries = _get(sv.manager, url)
    body = first.json()
    assert body["counts"]["incidents"] == body["counts"]["cases"] == body["counts"]["exchanges"] == 23
    assert len(body["incidents"]) == len(body["cases"]) == len(body["exchanges"]) == 20
    assert body["cases"][0]["number"] == "SVC000023" and body["page_size"] == 20
    second, queries2 = _get(sv.manager, url + "?section=cases&page=2")
    assert [c["number"] for c in second.json()["cases"]] == ["SVC000003", "SVC000002", "SVC000001"]
    assert len(second.json()["incidents"]) == 20 and second.json()["pages"]["cases"] == 2
    assert queries2 == queries
    page, _n = _get(sv.manager, f"/console/supervision/entities/{entity.uscc}/?section=incidents&page=2")
    html = page.content.decode()
    assert (
        "?section=incidents&amp;page=1#incidents" in html
        and page.context["pagers"]["incidents"]["pages"] == 2
    )
    c = Client()
    c.force_login(sv.manager)
    bad = c.get(url + "?section=nope")
    assert bad.status_code == 422 and bad.json()["error"]["details"]["fields"] == {
        "section": ["must be one of licences, inspections, publicity, events, penalties, work_orders, "
                    "incidents, cases, exchanges"]
    }  # fmt: skip
    assert c.get(url + "?page=0").status_code == 422
    # The public sees only the published sections.
    public = Client().get(f"/api/v1/supervision/public/entities/{entity.uscc}?section=cases")
    assert public.status_code == 422
