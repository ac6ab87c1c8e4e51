"""Real-name verification (实名认证) of a citizen account against the population registry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from zhengtong.accounts.models import User, UserKind
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, RateLimited, ValidationError
from zhengtong.core.identifiers import resident_id_check_char
from zhengtong.registry import services
from zhengtong.registry.services.identity import REAL_NAME_FAILURES_PER_ACCOUNT, REAL_NAME_FAILURES_PER_ID

USER_FIELDS = ["resident_id", "is_real_name", "real_name_verified_at", "display_name"]


def user_state(user) -> dict:
    return {f: getattr(User.objects.get(pk=user.pk), f) for f in USER_FIELDS}


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def post_real_name(client, **payload):
    return client.post(
        "/api/v1/registry/my/real-name", data=json.dumps(payload), content_type="application/json"
    )


@pytest.fixture
def person(world):
    return world.person(world.village, birth=dt.date(1985, 6, 15), seq=11, name="张三")


def test_success_links_the_account(world, person):
    user = services.citizen_verify_real_name(
        actor=world.citizen, resident_id=person.resident_id.lower(), name="张三"
    )
    stored = User.objects.get(pk=world.citizen.pk)
    assert (stored.resident_id, stored.is_real_name, stored.display_name) == (
        person.resident_id,
        True,
        "张三",
    )
    assert stored.real_name_verified_at is not None
    assert user.pk == stored.pk
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor_label) == ("registry.real_name.verify", "citizen")
    assert person.resident_id not in json.dumps(event.after, ensure_ascii=False)


def test_wrong_name_changes_nothing_on_the_account_but_the_attempt_is_recorded(world, person):
    before = user_state(world.citizen)
    with pytest.raises(ValidationError) as exc:
        services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张四")
    assert exc.value.code == "no_match"
    assert exc.value.fields == {"resident_id": ["no registry record matches this name and ID number"]}
    assert user_state(world.citizen) == before
    # The failed attempt stays in the audit trail (repeated guessing must be visible).
    failed = AuditEvent.objects.filter(action="registry.real_name.failed")
    assert failed.count() == 1
    assert failed.get().actor_label == "citizen"
    assert AuditEvent.objects.filter(action="registry.real_name.verify").count() == 0


def test_dead_person_does_not_verify(world, person):
    services.person_update(actor=world.system, person=person, is_alive=False)
    before = user_state(world.citizen)
    with pytest.raises(ValidationError):
        services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    assert user_state(world.citizen) == before


def test_invalid_id_is_rejected_before_any_lookup(world, person):
    expected = resident_id_check_char(person.resident_id[:17])
    wrong = "1" if expected != "1" else "2"
    before, events = user_state(world.citizen), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.citizen_verify_real_name(
            actor=world.citizen, resident_id=person.resident_id[:17] + wrong, name="张三"
        )
    assert exc.value.fields == {"resident_id": [f"check character should be {expected}, not {wrong}"]}
    assert user_state(world.citizen) == before
    assert AuditEvent.objects.count() == events


def test_second_account_with_the_same_id_answers_like_a_wrong_name(world, person, password):
    """Issue 17 item 9: an ID another account holds is not confirmed (no 409 "duplicate")."""
    services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    other = world.acc.user_create(actor=None, username="citizen2", password=password, kind=UserKind.CITIZEN)
    before, events = user_state(other), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as taken:
        services.citizen_verify_real_name(actor=other, resident_id=person.resident_id, name="张三")
    with pytest.raises(ValidationError) as wrong:
        services.citizen_verify_real_name(actor=other, resident_id=person.resident_id, name="李四")
    assert (taken.value.code, taken.value.fields) == (wrong.value.code, wrong.value.fields)
    assert taken.value.code == "no_match"
    assert taken.value.fields == {"resident_id": ["no registry record matches this name and ID number"]}
    assert user_state(other) == before
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[events:]) == [
        "registry.real_name.failed",
        "registry.real_name.failed",
    ]
    assert User.objects.get(pk=world.citizen.pk).resident_id == person.resident_id


def test_failures_are_throttled_per_account(world, person):
    """Issue 17 item 9: after REAL_NAME_FAILURES_PER_ACCOUNT wrong names the account gets 429,
    even with the right name, and no further failure is audited."""
    for i in range(REAL_NAME_FAILURES_PER_ACCOUNT):
        with pytest.raises(ValidationError):
            services.citizen_verify_real_name(
                actor=world.citizen, resident_id=person.resident_id, name=f"李{i}"
            )
    events = AuditEvent.objects.count()
    with pytest.raises(RateLimited):
        services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    assert AuditEvent.objects.count() == events
    assert user_state(world.citizen)["is_real_name"] is False


def test_failures_are_throttled_per_resident_id(world, person, password):
    """Issue 17 item 9: many accounts guessing names for one ID number share one limit."""
    for i in range(REAL_NAME_FAILURES_PER_ID):
        guesser = world.acc.user_create(
            actor=None, username=f"guesser{i}", password=password, kind=UserKind.CITIZEN
        )
        with pytest.raises(ValidationError):
            services.citizen_verify_real_name(actor=guesser, resident_id=person.resident_id, name=f"李{i}")
    with pytest.raises(RateLimited):
        services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    assert user_state(world.citizen)["is_real_name"] is False


def test_staff_accounts_do_not_verify(world, person):
    before, events = user_state(world.xihu_clerk), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.citizen_verify_real_name(actor=world.xihu_clerk, resident_id=person.resident_id, name="张三")
    assert user_state(world.xihu_clerk) == before
    assert AuditEvent.objects.count() == events


# --- API ------------------------------------------------------------------------------------


def test_api_success_returns_only_the_masked_id(world, person):
    response = post_real_name(api(world.citizen), resident_id=person.resident_id, name="张三")
    assert response.status_code == 200
    assert response.json() == {
        "is_real_name": True,
        "display_name": "张三",
        "resident_id_masked": person.resident_id[:6] + "********" + person.resident_id[-4:],
    }
    assert person.resident_id not in response.content.decode()
    assert User.objects.get(pk=world.citizen.pk).is_real_name is True


def test_api_wrong_name_is_422(world, person):
    before = user_state(world.citizen)
    response = post_real_name(api(world.citizen), resident_id=person.resident_id, name="李四")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_match"
    assert user_state(world.citizen) == before


def test_api_invalid_id_is_422_naming_the_check_character(world, person):
    expected = resident_id_check_char(person.resident_id[:17])
    wrong = "1" if expected != "1" else "2"
    response = post_real_name(api(world.citizen), resident_id=person.resident_id[:17] + wrong, name="张三")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"]["resident_id"] == [
        f"check character should be {expected}, not {wrong}"
    ]
    assert user_state(world.citizen)["is_real_name"] is False


def test_api_second_account_answers_like_a_wrong_name(world, person, password):
    services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    other = world.acc.user_create(actor=None, username="citizen2", password=password, kind=UserKind.CITIZEN)
    taken = post_real_name(api(other), resident_id=person.resident_id, name="张三")
    wrong = post_real_name(api(other), resident_id=person.resident_id, name="李四")
    assert taken.status_code == wrong.status_code == 422
    assert taken.json() == wrong.json()
    assert taken.json()["error"]["code"] == "no_match"
    assert user_state(other)["resident_id"] is None


def test_api_staff_is_403(world, person):
    before = user_state(world.xihu_clerk)
    response = post_real_name(api(world.xihu_clerk), resident_id=person.resident_id, name="张三")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "only citizen and enterprise accounts verify a resident identity",
        "details": {},
    }
    assert user_state(world.xihu_clerk) == before


def test_api_anonymous_is_401(world, person, client):
    response = post_real_name(client, resident_id=person.resident_id, name="张三")
    assert response.status_code == 401
