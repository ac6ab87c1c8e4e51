"""The replica router's rules without a replica (tests/test_replicas_live.py runs them against a
real streaming replica)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import RequestFactory

from zhengtong.accounts.models import Department
from zhengtong.core import replicas


@pytest.fixture
def reads():
    state = replicas.RequestReads(alias="replica1")
    token = replicas._request.set(state)
    yield state
    replicas._request.reset(token)


def test_parse_lsn_orders_positions():
    assert replicas.parse_lsn("0/3C103A8") == 0x3C103A8
    assert replicas.parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert replicas.parse_lsn("1/0") > replicas.parse_lsn("0/FFFFFFFF")
    assert replicas.parse_lsn(None) is None


def test_outside_a_request_everything_reads_the_primary():
    assert replicas.ReplicaRouter().db_for_read(Department) is None
    assert replicas.ReplicaRouter().db_for_write(Department) == "default"


@pytest.mark.django_db(transaction=True)
def test_a_requests_reads_go_to_its_replica_until_it_writes(reads):
    router = replicas.ReplicaRouter()
    assert router.db_for_read(Department) == "replica1"
    assert router.db_for_read(Session) is None  # sessions: always the primary
    assert router.db_for_write(Department) == "default"
    assert reads.wrote is True
    assert router.db_for_read(Department) is None


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_read_the_primary(reads):
    router = replicas.ReplicaRouter()
    with transaction.atomic():
        assert router.db_for_read(Department) is None
    assert router.db_for_read(Department) == "replica1"


def test_only_the_primary_is_migrated():
    router = replicas.ReplicaRouter()
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("replica1", "accounts") is False


def test_a_client_is_named_by_session_then_token_then_address(settings):
    factory = RequestFactory()
    anonymous = factory.get("/", REMOTE_ADDR="10.1.1.1")
    other = factory.get("/", REMOTE_ADDR="10.1.1.2")
    assert replicas.pin_keys(anonymous) != replicas.pin_keys(other)
    signed_in = factory.get("/", REMOTE_ADDR="10.1.1.1")
    signed_in.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    assert replicas.pin_keys(signed_in) != replicas.pin_keys(anonymous)
    # The same session from another address is the same client.
    moved = factory.get("/", REMOTE_ADDR="10.9.9.9")
    moved.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    assert replicas.pin_keys(moved) == replicas.pin_keys(signed_in)
    api = factory.get("/", REMOTE_ADDR="10.1.1.1", HTTP_AUTHORIZATION="Bearer t1")
    assert replicas.pin_keys(api) != replicas.pin_keys(anonymous)
    assert all(key.startswith(replicas.PIN_PREFIX) and "t1" not in key for key in replicas.pin_keys(api))


def test_a_replica_qualifies_by_lag_and_by_the_clients_last_write(settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    fresh = replicas._Probe(replay=100, lag=0.5)
    assert replicas._fits(fresh, None) is True
    assert replicas._fits(fresh, 100) is True
    assert replicas._fits(fresh, 101) is False
    assert replicas._fits(replicas._Probe(replay=100, lag=6.0), None) is False
    assert replicas._fits(replicas._Probe(replay=None), None) is False
