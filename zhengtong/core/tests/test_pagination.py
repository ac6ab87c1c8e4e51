import pytest

from zhengtong.audit import actions
from zhengtong.audit.models import AuditEvent
from zhengtong.audit.services import record
from zhengtong.core.errors import ValidationError
from zhengtong.core.pagination import clamp_limit, keyset_page

actions.register({"test.page.item": "Page item"})


@pytest.mark.django_db
def test_keyset_walk_visits_every_row_once_with_ties_in_the_first_key():
    for i in range(23):
        record(actor=None, action="test.page.item", target_type=f"t{i % 3}", target_id=str(i))
    order = ["target_type", "-id"]
    seen, cursor = [], None
    while True:
        page = keyset_page(AuditEvent.objects.all(), order=order, cursor=cursor, limit=5)
        seen.extend(e.pk for e in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = list(AuditEvent.objects.order_by(*order).values_list("pk", flat=True))
    assert seen == expected
    assert len(seen) == 23


@pytest.mark.django_db
def test_forged_or_foreign_cursor_is_rejected():
    for i in range(3):
        record(actor=None, action="test.page.item", target_id=str(i))
    page = keyset_page(AuditEvent.objects.all(), order=["-id"], cursor=None, limit=1)
    with pytest.raises(ValidationError) as exc:
        keyset_page(AuditEvent.objects.all(), order=["-id"], cursor=page.next_cursor + "x", limit=1)
    assert exc.value.fields == {"cursor": ["is not a cursor this list issued"]}
    with pytest.raises(ValidationError):
        keyset_page(AuditEvent.objects.all(), order=["id"], cursor=page.next_cursor, limit=1)


def test_limit_bounds(settings):
    assert clamp_limit(None) == 50
    assert clamp_limit(settings.API_MAX_PAGE_SIZE) == settings.API_MAX_PAGE_SIZE
    for bad in (0, -1, settings.API_MAX_PAGE_SIZE + 1):
        with pytest.raises(ValidationError) as exc:
            clamp_limit(bad)
        assert list(exc.value.fields) == ["limit"]
