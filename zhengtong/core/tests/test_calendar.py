import datetime as dt

import pytest

from zhengtong.core import calendar
from zhengtong.core.calendar import add_working_days, is_workday, working_days_between
from zhengtong.core.models import CalendarDay

D = dt.date


@pytest.mark.django_db
def test_five_working_days_from_29_september_2025_cross_national_day():
    # 10-01..10-08 off; 09-28 (Sunday) and 10-11 (Saturday) are working days; start day not counted.
    assert is_workday(D(2025, 9, 28)) is True
    assert is_workday(D(2025, 10, 11)) is True
    assert not any(is_workday(D(2025, 10, day)) for day in range(1, 9))
    # 09-30 (1), 10-09 (2), 10-10 (3), 10-11 (4), 10-13 (5)
    assert add_working_days(D(2025, 9, 29), 5) == D(2025, 10, 13)


@pytest.mark.django_db
def test_counting_backwards_and_between():
    assert add_working_days(D(2025, 10, 13), -5) == D(2025, 9, 29)
    assert working_days_between(D(2025, 9, 29), D(2025, 10, 13)) == 5
    assert working_days_between(D(2025, 10, 13), D(2025, 9, 29)) == -5
    assert add_working_days(D(2025, 9, 29), 0) == D(2025, 9, 29)


@pytest.mark.django_db
def test_spring_festival_2026_is_off():
    # 2026 schedule: 02-15..02-23 off, 02-14 (Saturday) and 02-28 (Saturday) working.
    assert is_workday(D(2026, 2, 16)) is False
    assert is_workday(D(2026, 2, 14)) is True


@pytest.mark.django_db
def test_local_override_wins_and_unknown_year_falls_back_to_weekdays():
    assert is_workday(D(2099, 1, 5)) is True  # a Monday in a year no library knows
    assert is_workday(D(2099, 1, 3)) is False  # a Saturday
    assert calendar.is_supported(D(2099, 1, 5)) is False
    CalendarDay.objects.create(date=D(2099, 1, 5), is_workday=False, note="local holiday")
    calendar.reset_cache()
    assert is_workday(D(2099, 1, 5)) is False
    assert calendar.is_supported(D(2099, 1, 5)) is True
    assert add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 6)


def test_deadline_api_is_public_and_validates(client, db):
    response = client.get("/api/v1/calendar/deadline", {"start": "2025-09-29", "days": 5})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2025-09-29",
        "working_days": 5,
        "deadline": "2025-10-13",
        "official_calendar": True,
    }
    bad = client.get("/api/v1/calendar/deadline", {"start": "2025-02-30", "days": 5})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_error"
    assert "start" in bad.json()["error"]["details"]["fields"]
    too_many = client.get("/api/v1/calendar/deadline", {"start": "2025-09-29", "days": 1000})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"]["fields"] == {"days": ["must be between 0 and 365"]}
