"""The dedicated exchange service (``wsgi_exchange``: the same answers, refusals, log rows and
receipts as the API, through the one lean WSGI mechanism) and the exchange log's group commit
(a row committed before its answer leaves, and kept when the caller's transaction rolls back)."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection, transaction

from zhengtong.sharing import receipts, services
from zhengtong.sharing.models import Exchange
from zhengtong.sharing.services import exchange_log


def wsgi(body, *, secret=None, method="POST", path="/api/v1/sharing/exchange/verify"):
    from zhengtong.sharing.wsgi_exchange import application

    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "REMOTE_ADDR": "10.0.0.9",
    }
    if secret:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    out = b"".join(application(environ, start_response))
    return int(seen["status"].split()[0]), json.loads(out)


def test_lean_service_answers_like_the_api(shr, client):
    grant, secret = shr.grant()
    subject = {"resident_id": shr.person.resident_id, "name": "张三"}
    status, answer = wsgi({"subject": subject, "on_behalf_of": "ZJ-L-1"}, secret=secret)
    assert status == 200 and answer["result"] == "match" and receipts.verify(answer["receipt"])
    row = Exchange.objects.get(grant=grant, on_behalf_of="ZJ-L-1")
    # The same body hash as the API's (its schema fills the defaults the same way).
    api = client.post(
        "/api/v1/sharing/exchange/verify",
        {"subject": subject, "on_behalf_of": "ZJ-L-1"},
        content_type="application/json",
        headers={"authorization": f"Bearer {secret}"},
    ).json()
    assert api["receipt"]["payload"]["request_sha256"] == row.request_sha256
    assert answer["receipt"]["payload"]["response_sha256"] == api["receipt"]["payload"]["response_sha256"]


def test_lean_service_refusals_return_nothing(shr):
    grant, secret = shr.grant()
    subject = {"resident_id": shr.person.resident_id, "name": "张三"}
    assert wsgi({"subject": subject})[0] == 401
    status, body = wsgi({"subject": subject}, secret="zts_" + "x" * 40)
    assert status == 403 and body["error"]["code"] == "no_grant" and "result" not in body
    assert wsgi(b"not json", secret=secret)[0] == 422
    assert wsgi({"subject": {"resident_id": 5}}, secret=secret)[0] == 422
    assert wsgi({}, secret=secret, method="GET")[0] == 405
    assert wsgi({}, secret=secret, path="/api/v1/other")[0] == 404
    status, body = wsgi({"subject": {**subject, "phone": "1"}}, secret=secret)
    assert status == 403 and body["error"]["code"] == "outside_fields"
    assert receipts.verify(body["error"]["details"]["receipt"])
    assert Exchange.objects.filter(grant=grant, outcome="refused").count() == 1
    services.grant_suspend(actor=shr.owner, grant=grant, note="核查")
    status, body = wsgi({"subject": subject}, secret=secret)
    assert status == 403 and body["error"]["code"] == "grant_inactive" and "result" not in body


def test_lean_service_interface_rows(shr):
    _grant, secret = shr.grant(mode="interface", fields=["resident_id", "name"])
    body = {
        "filters": [{"field": "resident_id", "op": "eq", "value": shr.person.resident_id}],
        "fields": ["name"],
    }
    status, answer = wsgi(body, secret=secret, path="/api/v1/sharing/exchange/rows")
    assert status == 200 and answer["rows"] == [{"name": "张三"}]


@pytest.mark.django_db(transaction=True)
def test_group_commit_keeps_a_case_verification_when_the_case_rolls_back(shr, world, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the group-commit writer needs PostgreSQL")
    grant, _secret = shr.grant()
    settings.SHARING_LOG_WRITE = "group"
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            answer = services.verify_for_case(
                consumer_department=world.xihu_scjg,
                registry="person",
                subject={"resident_id": shr.person.resident_id, "name": "张三"},
                case_number="ZJ-ROLLBACK-1",
                item_code="ZJ-SCJG-004",
            )
            assert answer["result"] == "match"
            raise RuntimeError("the case submission fails after the verification")
        row = Exchange.objects.get(on_behalf_of="ZJ-ROLLBACK-1")
        assert row.grant_id == grant.pk and row.outcome == "ok"
        assert str(row.receipt_id) == answer["receipt"]["payload"]["id"]
        # Many calls at once: every one committed before it answered, in fewer commits.
        writer = exchange_log.writer()
        rows_before, batches_before = writer.rows, writer.batches
        import threading

        def one(i):
            services.verify_for_case(
                consumer_department=world.xihu_scjg,
                registry="person",
                subject={"resident_id": shr.person.resident_id},
                case_number=f"ZJ-MANY-{i}",
                item_code="ZJ-SCJG-004",
            )
            connection.close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert Exchange.objects.filter(on_behalf_of__startswith="ZJ-MANY-").count() == 8
        assert writer.rows - rows_before == 8 and writer.batches - batches_before <= 8
    finally:
        exchange_log.close()
