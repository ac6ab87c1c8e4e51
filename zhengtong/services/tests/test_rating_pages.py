"""Pages of 好差评 and the implementation list: the rating link page, the staff ratings page
(contest refused outside scope, nothing changed), the public indicators, the item guide."""

from __future__ import annotations

import pytest

from zhengtong.services import services
from zhengtong.services.models import Rating
from zhengtong.services.services.common import rating_link_token

pytestmark = pytest.mark.django_db


def _done(svc):
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    case.refresh_from_db()
    return case


def test_link_page_rates_once_without_login(svc, client):
    case = _done(svc)
    url = f"/services/rate/{rating_link_token(case, 'ended')}/"
    r = client.get(url)
    assert r.status_code == 200 and case.number in r.content.decode()
    r = client.post(url, {"score": "1", "comment": "慢"})
    assert r.status_code == 200 and Rating.objects.count() == 0  # no reason: refused
    assert "reasons" in r.context["errors"]
    r = client.post(url, {"score": "2", "comment": "慢", "reasons": ["slow"]})
    assert r.status_code == 302
    rating = Rating.objects.get()
    assert (rating.channel, rating.stage, rating.reasons) == ("sms", "ended", ["slow"])
    r = client.post(url, {"score": "5"})
    assert Rating.objects.count() == 1 and Rating.objects.get().score == 2
    assert client.get("/services/rate/not-a-token/").status_code == 404


def test_staff_page_contest_scope(svc, client):
    case = _done(svc)
    rating = services.rating_submit(actor=svc.citizen, case=case, score=1, comment="差", reasons=["attitude"])
    client.force_login(svc.yiwu_counter)
    r = client.post(
        "/services/console/ratings/", {"rating": rating.pk, "action": "contest", "reason": "恶意"}
    )
    assert r.status_code == 302
    rating.refresh_from_db()
    assert (rating.dispute, rating.excluded) == ("", False)
    client.force_login(svc.counter)
    page = client.get("/services/console/ratings/").content.decode()
    assert f'id="id_reason_{rating.pk}"' in page and "contest_uphold" not in page
    client.post("/services/console/ratings/", {"rating": rating.pk, "action": "contest", "reason": "恶意"})
    client.post("/services/console/ratings/", {"rating": rating.pk, "action": "contest_uphold", "note": "x"})
    rating.refresh_from_db()
    assert (rating.dispute, rating.excluded) == ("pending", False)  # the counter cannot decide
    client.force_login(svc.supervisor)
    page = client.get("/services/console/ratings/").content.decode()
    assert "contest_uphold" in page
    client.post(
        "/services/console/ratings/", {"rating": rating.pk, "action": "contest_uphold", "note": "恶意"}
    )
    rating.refresh_from_db()
    assert (rating.dispute, rating.excluded) == ("upheld", True)


def test_public_indicators_and_month_validation(svc, client):
    _done(svc)
    r = client.get("/services/ratings/?month=2026-13")
    assert r.status_code == 400 and 'id="id_month_error"' in r.content.decode()
    r = client.get("/services/ratings/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    assert r.context["period"]["total"]["done"] == 1


def test_item_guide_shows_the_list_and_flow(svc, client):
    r = client.get("/services/items/ZJ-SCJG-002/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "《中华人民共和国食品安全法》第三十五条" in body
    assert (
        svc.items["ZJ-SCJG-002"].standard_code in body and len(svc.items["ZJ-SCJG-002"].standard_code) == 30
    )
    assert body.count('<ol class="flow">') == 1 and "会签" in body
    assert "0571-12345" in body and "经营场所平面图" in body


def test_standard_code_is_checked(svc, world):
    from zhengtong.core.errors import ValidationError
    from zhengtong.services.models import ServiceItem

    item = svc.items["ZJ-SCJG-004"]
    code = item.standard_code
    before = list(ServiceItem.objects.values_list("pk", "standard_code", "current_version_id"))
    for bad, rule in [
        (code[:-1], "30"),
        ("X" + code[1:], "18"),
        (code[:18] + "20" + code[20:], "20"),
        (code[:18] + "99" + code[20:], "99"),
    ]:
        with pytest.raises(ValidationError) as err:
            services.item_publish(
                actor=world.system,
                code=item.code,
                name=item.name,
                kind="licensing",
                department=item.department,
                standard_code=bad,
                statutory_days=15,
                promised_days=1,
            )
        assert rule in str(err.value.fields["standard_code"]), (bad, err.value.fields)
    assert list(ServiceItem.objects.values_list("pk", "standard_code", "current_version_id")) == before
