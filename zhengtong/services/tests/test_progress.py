"""Progress for everyone (issue 19 item 9 and defects of item 11): the labelled timeline, the public
办件查询 by case number and check value, SMS at each case node, the renewal of an expired licence,
and the case state labels that no other module's translation overrides."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import translation

from zhengtong.accounts.models import User
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import NotFound, RateLimited, ValidationError
from zhengtong.notify.models import Delivery
from zhengtong.payments.services import bill_for
from zhengtong.registry import services as registry
from zhengtong.registry.models import LicenceType
from zhengtong.services import progress, services
from zhengtong.services.models import Case
from zhengtong.services.tests.conftest import pay_bill

pytestmark = pytest.mark.django_db

PHONE = "13957112345"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _submit(svc):
    User.objects.filter(pk=svc.citizen.pk).update(phone=PHONE)
    svc.citizen.refresh_from_db()
    return services.case_submit(
        actor=svc.citizen,
        item=svc.items["ZJ-SCJG-004"],
        raw={"shop_name": "张记小吃", "premises": "西湖区文三路18号"},
    )


def test_progress_labels_each_step_once_and_lists_correction_items(svc):
    case = _submit(svc)
    services.case_request_correction(
        actor=svc.counter, case=case, note="材料不全", items=["经营场所证明", "照片"]
    )
    case.refresh_from_db()
    services.case_resubmit(actor=svc.citizen, case=case, raw={}, expected_version=case.version)
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case, note="同意")
    case.refresh_from_db()
    with translation.override("zh-hans"):
        entries = progress.case_progress(case)
    labels = [e.action for e in entries]
    assert labels[:3] == ["submit", "request_correction", "resubmit"]
    assert entries[0].label == "已提交" and entries[0].state_label == ""  # not "已提交 → 已提交"
    correction = entries[1]
    assert correction.items == ["经营场所证明", "照片"] and correction.note == "材料不全"
    # A review opinion's data ({"step": …, "decision": …}) is not a list of correction items
    # (the page once printed "1. ('step', '审核') 2. ('decision', 'approve')").
    approve = next(e for e in entries if e.action == "approve")
    assert approve.step and approve.items == [] and approve.state_label


def test_an_entry_that_keeps_the_state_names_no_state(svc):
    User.objects.filter(pk=svc.citizen.pk).update(phone=PHONE)
    case = services.case_submit(
        actor=svc.citizen,
        item=svc.items["ZJ-SCJG-001"],
        raw={"category": "N1", "training_org": "杭州培训中心", "work_years": "3"},
    )
    pay_bill(bill_for(f"case:{case.pk}"), svc.citizen)
    case.refresh_from_db()
    entries = progress.case_progress(case)
    assert [e.action for e in entries] == ["submit", "pay"]
    assert entries[1].state_label == ""  # a payment keeps the state: not "已缴费 → 已提交"


def test_public_progress_leaves_out_notes_and_items(svc):
    case = _submit(svc)
    services.case_request_correction(actor=svc.counter, case=case, note="身份证号330106…有误", items=["照片"])
    entries = progress.case_progress(case, public=True)
    assert [e.note for e in entries] == ["", ""] and [e.items for e in entries] == [[], []]


def test_track_by_phone_digits_or_id_and_masked_applicant(svc):
    case = _submit(svc)
    with translation.override("zh-hans"):
        result = progress.case_track(number=case.number, check=PHONE[-4:], client="10.0.0.1")
    assert result.number == case.number and result.state == "submitted"
    assert result.applicant == "张*" and svc.person.resident_id not in str(result.__dict__)
    by_id = progress.case_track(
        number=case.number, check=svc.person.resident_id[-6:].lower(), client="10.0.0.1"
    )
    assert by_id.number == case.number


def test_track_progress_is_the_public_timeline_in_one_query_on_postgresql(svc, django_assert_num_queries):
    """The look-up's timeline (on PostgreSQL read with the case in the same statement) is the
    public ``case_progress``: same entries, same instants, in order."""
    from django.db import connection

    case = _submit(svc)
    services.case_request_correction(actor=svc.counter, case=case, note="补正", items=["照片"])
    expected = [e.__dict__ for e in progress.case_progress(case, public=True)]
    assert len(expected) == 2
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        result = progress.case_track(number=case.number, check=PHONE[-4:], client="10.0.0.9")
    assert [e.__dict__ for e in result.progress] == expected
    assert result.progress[0].at.utcoffset() == dt.timedelta(0)


def test_track_wrong_check_and_unknown_number_are_the_same_404_and_lock_after_five(svc, settings):
    case = _submit(svc)
    events = AuditEvent.objects.count()
    with pytest.raises(NotFound) as unknown:
        progress.case_track(number="20990101" + "0" * 10, check="1234", client="10.0.0.2")
    for _ in range(settings.SERVICES_TRACK_FAILURES_PER_NUMBER - 1):
        with pytest.raises(NotFound) as wrong:
            progress.case_track(number=case.number, check="0000", client="10.0.0.2")
    assert wrong.value.message == unknown.value.message
    with pytest.raises(NotFound):
        progress.case_track(number=case.number, check="0001", client="10.0.0.3")
    # The number is locked for the hour: even the right check value is refused now.
    with pytest.raises(RateLimited) as limited:
        progress.case_track(number=case.number, check=PHONE[-4:], client="10.0.0.4")
    assert limited.value.retry_after >= 1
    assert AuditEvent.objects.count() == events  # an anonymous look-up writes nothing


def test_track_rate_limited_per_address(svc, settings):
    settings.SERVICES_TRACK_PER_MINUTE = 3
    case = _submit(svc)
    for _ in range(3):
        progress.case_track(number=case.number, check=PHONE[-4:], client="10.9.9.9")
    with pytest.raises(RateLimited):
        progress.case_track(number=case.number, check=PHONE[-4:], client="10.9.9.9")
    progress.case_track(number=case.number, check=PHONE[-4:], client="10.9.9.8")


@pytest.mark.parametrize(
    ("number", "check", "field"),
    [
        ("", "1234", "number"),
        ("x" * 40, "1234", "number"),
        ("ABC-1", "1234", "number"),
        ("2025", "", "check"),
        ("2025", "12345", "check"),
        ("2025", "12 4", "check"),
        ("2025", "１２３４", "check"),
    ],
)
def test_track_bad_input_names_the_field(svc, number, check, field):
    with pytest.raises(ValidationError) as exc:
        progress.case_track(number=number, check=check, client="10.0.0.5")
    assert list(exc.value.fields) == [field]


def test_track_api_and_page(svc, client):
    case = _submit(svc)
    services.case_request_correction(actor=svc.counter, case=case, note="秘密备注", items=["照片"])
    r = client.get("/api/v1/services/track", {"number": case.number, "check": PHONE[-4:]})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "correction_requested" and len(body["progress"]) == 2
    assert "秘密备注" not in r.content.decode()
    assert client.get("/api/v1/services/track", {"number": case.number, "check": "9999"}).status_code == 404
    r = client.get("/api/v1/services/track", {"number": case.number})
    assert r.status_code == 422 and "check" in r.json()["error"]["details"]["fields"]
    page = client.get(
        "/services/track/", {"number": case.number, "check": PHONE[-4:]}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'id="track-result"' in html and "秘密备注" not in html
    page = client.get("/services/track/", {"number": case.number, "check": "12"})
    assert page.status_code == 400 and 'id="track-result"' not in page.content.decode()
    assert client.get("/services/track/").status_code == 200
    assert 'href="/services/track/"' in client.get("/services/").content.decode()  # found from the catalogue


def test_each_case_node_reaches_the_applicant_by_sms(svc):
    case = _submit(svc)
    services.case_accept(actor=svc.counter, case=case)
    sms = Delivery.objects.filter(channel="sms", message__recipient=svc.citizen)
    assert sms.count() == 3  # received, accepted, and the invitation to rate the acceptance
    assert {d.address_masked for d in sms} == {"139****2345"}
    assert {d.message.event for d in sms} == {
        "services.case.submitted",
        "services.case.accept",
        "services.rating.invite",
    }


def test_case_nodes_inbox_only_when_sms_is_off(svc, settings):
    settings.SERVICES_CASE_CHANNELS = []
    _submit(svc)
    assert not Delivery.objects.filter(message__recipient=svc.citizen).exists()


def _driving_licence(svc, *, state: str):
    lic = registry.licence_issue(
        actor=svc.world.system,
        licence_type=LicenceType.objects.get(code="driving_licence"),
        number="330106199001010011",
        issuing_department=svc.world.xihu_gaj,
        valid_from=dt.date(2014, 1, 1),
        valid_to=dt.date(2024, 1, 1),
        holder_person=svc.person,
    )
    if state == "expired":
        registry.licence_expire(actor=svc.world.system, licence=lic)
    elif state == "revoked":
        registry.licence_revoke(actor=svc.world.system, licence=lic, note="吊销")
    lic.refresh_from_db()
    assert lic.state == state
    return lic


def test_an_expired_licence_is_the_material_of_its_own_renewal(svc):
    lic = _driving_licence(svc, state="expired")
    version = svc.items["ZJ-GAJ-003"].current_version
    _data, _sources, status, _uploads, _holdings = services.prepare_application(
        actor=svc.citizen, version=version, raw={}
    )
    assert status["driving"] == {"by": "licence", "ref": str(lic.pk), "number": lic.number}


def test_a_revoked_licence_is_not_renewed_without_upload(svc):
    _driving_licence(svc, state="revoked")
    version = svc.items["ZJ-GAJ-003"].current_version
    with pytest.raises(ValidationError) as exc:
        services.prepare_application(actor=svc.citizen, version=version, raw={})
    assert "material_driving" in exc.value.fields
    assert not Case.objects.exists()


def test_case_rejected_label_is_the_services_own(svc):
    with translation.override("zh-hans"):
        assert Case.workflow.state_label("rejected") == "未获批准"
        from zhengtong.registry.models import CorrectionRequest

        assert CorrectionRequest.workflow.state_label("rejected") == "不予更正"


def _wsgi(app, path: str, query: str = "", method: str = "GET", **extra):
    import io

    status: list[str] = []
    headers: dict[str, str] = {}

    def start_response(s, h):
        status.append(s)
        headers.update(h)

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "10.7.7.7",
        "wsgi.input": io.BytesIO(b""),
        **extra,
    }
    # As Django's test client: the test's transaction must survive the request's signals.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(status[0].split()[0]), headers, body


def test_lean_track_service_answers_as_the_api(svc, client):
    """The lean 办件查询 service (services.wsgi_track) gives the API's JSON, refusals and limits."""
    import json
    from urllib.parse import urlencode

    from zhengtong.services import wsgi_track

    case = _submit(svc)
    services.case_request_correction(actor=svc.counter, case=case, note="秘密备注", items=["照片"])
    query = urlencode({"number": case.number, "check": PHONE[-4:]})
    api = client.get(f"/api/v1/services/track?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    status, headers, body = _wsgi(
        wsgi_track.application, wsgi_track.PATH, query, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == api.json()
    assert "秘密备注" not in body.decode()
    wrong = urlencode({"number": case.number, "check": "9999"})
    status, _h, body = _wsgi(wsgi_track.application, wsgi_track.PATH, wrong)
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    status, _h, body = _wsgi(wsgi_track.application, wsgi_track.PATH, urlencode({"number": case.number}))
    assert status == 422 and "check" in json.loads(body)["error"]["details"]["fields"]
    assert _wsgi(wsgi_track.application, "/api/v1/services/other")[0] == 404
    assert _wsgi(wsgi_track.application, wsgi_track.PATH, query, method="POST")[0] == 405


def test_lean_track_service_rate_limits_with_retry_after(svc, settings):
    from urllib.parse import urlencode

    from zhengtong.services import wsgi_track

    settings.SERVICES_TRACK_PER_MINUTE = 2
    case = _submit(svc)
    query = urlencode({"number": case.number, "check": PHONE[-4:]})
    assert [_wsgi(wsgi_track.application, wsgi_track.PATH, query)[0] for _ in range(2)] == [200, 200]
    status, headers, _body = _wsgi(wsgi_track.application, wsgi_track.PATH, query)
    assert status == 429 and int(headers["Retry-After"]) >= 1
