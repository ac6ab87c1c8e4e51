"""Walk-through of 好差评 in headless Chromium (screenshots in var/screenshots/services-rating-*.png):
a citizen gives a 差评 with its reasons, the department replies and may not close the
rectification before its call-back, the citizen judges the rectification, the department
contests the rating as malicious, a supervisor upholds the contest, and the public indicators
leave the rating out."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zhengtong.portal.tests.cdp import find_chromium
from zhengtong.services import services
from zhengtong.services.tests.test_browser import Walk, page  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]


def test_bad_rating_callback_verdict_and_department_contest(page, live_server, svc):  # noqa: F811
    from zhengtong.core.errors import ValidationError
    from zhengtong.services.models import Rating
    from zhengtong.workorders import services as wo
    from zhengtong.workorders.models import WorkOrder

    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    w = Walk(page, live_server)

    # The citizen rates the result 1 with two reasons.
    w.login(svc.citizen)
    w.go(f"/services/my/{case.pk}/")
    w.js("document.querySelector('#id_stage').value = 'ended'")
    w.js("document.querySelector('input[name=score][value=\"1\"]').checked = true")
    w.js("document.querySelector('input[name=reasons][value=attitude]').checked = true")
    w.js("document.querySelector('input[name=reasons][value=slow]').checked = true")
    w.fill("#id_comment", "窗口人员态度生硬，等候一个多小时。")
    w.shot("rating-bad")
    w.click("button[value=rate]")
    rating = Rating.objects.get(case=case)
    assert (rating.stage, rating.score, rating.reasons, rating.state) == (
        "ended",
        1,
        ["attitude", "slow"],
        "rectifying",
    )
    assert rating.staff_id == svc.reviewer.pk

    # The department replies; closing before the call-back is refused; after it, it closes.
    order = WorkOrder.objects.get(pk=rating.work_order_id)
    if order.state == "submitted":
        order = wo.work_order_assign(actor=svc.supervisor, work_order=order, department=case.department)
    if order.state == "assigned":
        order = wo.work_order_take(actor=svc.supervisor, work_order=order)
    order = wo.work_order_reply(
        actor=svc.supervisor, work_order=order, reply="已约谈窗口人员，增设叫号屏和引导员。"
    )
    with pytest.raises(ValidationError):
        wo.work_order_close(actor=svc.supervisor, work_order=order)
    order = wo.work_order_callback(
        actor=svc.supervisor, work_order=order, satisfaction=3, note="电话回访，基本满意"
    )
    wo.work_order_close(actor=svc.supervisor, work_order=order)
    rating.refresh_from_db()
    assert (rating.state, rating.callback_satisfaction) == ("rectified", 3)

    # The citizen judges the rectification: not satisfied, with the reason.
    w.go(f"/services/my/{case.pk}/")
    assert "增设叫号屏" in w.js("document.body.innerText")
    w.js("document.querySelector('input[name=satisfied][value=no]').checked = true")
    w.fill(f"#id_note_{rating.pk}", "叫号屏仍未启用。")
    w.shot("rating-verdict")
    w.click("button[value=verdict]")
    rating.refresh_from_db()
    assert (rating.verdict, rating.state) == ("unsatisfied", "appealed")
    w.shot("rating-verdict-sent")

    # The department (counter staff) contests the rating as malicious.
    w.login(svc.counter)
    w.go("/services/console/ratings/")
    w.fill(f"#id_reason_{rating.pk}", "经调取窗口录像，当日该窗口无排队，评价内容与事实不符。")
    w.shot("rating-contest")
    w.click(f"form:has(#id_reason_{rating.pk}) button[value=contest]")
    rating.refresh_from_db()
    assert (rating.dispute, rating.dispute_by_id) == ("pending", svc.counter.pk)

    # A supervisor decides: the handling is upheld, and the contest upheld excludes the rating.
    w.login(svc.supervisor)
    w.go("/services/console/ratings/")
    w.fill(f"#id_note_{rating.pk}", "已整改到位。")
    w.click(f"form:has(#id_note_{rating.pk}) button[value=uphold]")
    w.go("/services/console/ratings/")
    w.fill(f"#id_cnote_{rating.pk}", "经核实录像，认定为恶意差评，不计入统计。")
    w.shot("rating-contest-decide")
    w.click(f"form:has(#id_cnote_{rating.pk}) button[value=contest_uphold]")
    rating.refresh_from_db()
    assert (rating.state, rating.dispute, rating.excluded) == ("upheld", "upheld", True)
    w.shot("rating-contest-decided")

    # The public indicators of the month: one completed case, rated 0.0 % (its rating excluded), one excluded.
    w.login(svc.citizen)
    w.go(f"/services/ratings/?month={timezone.localdate():%Y-%m}")
    foot = w.js("document.querySelector('tfoot tr').innerText")
    assert foot.split("\t")[1:3] == ["1", "0.0"] and foot.split("\t")[-1] == "1"
    w.shot("rating-indicators")
    w.login(svc.citizen, lang="en")
    w.go(f"/services/ratings/?month={timezone.localdate():%Y-%m}")
    assert "Indicators of the month" in w.js("document.body.innerText")
    w.shot("rating-indicators-en")
