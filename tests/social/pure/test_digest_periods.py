import datetime
from zoneinfo import ZoneInfo

import pytest

from social.pure.digest_periods import DAILY, WEEKLY, latest_period, period_of_key

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC


def at(text: str, zone=LONDON) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_daily_digest_covers_the_previous_local_day():
    period = latest_period(DAILY, now=at("2026-11-26 09:00"), zone=LONDON)
    assert period.key == "2026-11-25"
    assert (period.start, period.end) == (utc("2026-11-25 00:00"), utc("2026-11-26 00:00"))


def test_just_after_local_midnight_the_day_that_just_ended_is_due():
    period = latest_period(DAILY, now=at("2026-11-26 00:00"), zone=LONDON)
    assert period.key == "2026-11-25"
    assert latest_period(DAILY, now=at("2026-11-25 23:59:59"), zone=LONDON).key == "2026-11-24"


def test_the_local_day_is_not_the_utc_day():
    tokyo = ZoneInfo("Asia/Tokyo")
    # 20:00 UTC on the 25th is 05:00 on the 26th in Tokyo: the 25th there has ended.
    period = latest_period(DAILY, now=utc("2026-11-25 20:00"), zone=tokyo)
    assert period.key == "2026-11-25"
    assert period.start == utc("2026-11-24 15:00")


def test_the_day_the_clocks_go_forward_has_23_hours():
    period = latest_period(DAILY, now=at("2026-03-30 00:30"), zone=LONDON)
    assert period.key == "2026-03-29"
    assert (period.start, period.end) == (utc("2026-03-29 00:00"), utc("2026-03-29 23:00"))
    assert period.end - period.start == datetime.timedelta(hours=23)


def test_the_day_the_clocks_go_back_has_25_hours():
    period = latest_period(DAILY, now=at("2026-10-26 08:00"), zone=LONDON)
    assert period.key == "2026-10-25"
    assert (period.start, period.end) == (utc("2026-10-24 23:00"), utc("2026-10-26 00:00"))


def test_a_weekly_digest_covers_the_previous_iso_week_monday_to_monday():
    period = latest_period(WEEKLY, now=at("2026-11-26 09:00"), zone=LONDON)  # a Thursday
    assert period.key == "2026-W47"
    assert (period.start, period.end) == (utc("2026-11-16 00:00"), utc("2026-11-23 00:00"))
    monday = latest_period(WEEKLY, now=at("2026-11-30 00:05"), zone=LONDON)
    assert monday.key == "2026-W48"


def test_a_week_across_a_change_of_clock_is_a_week_on_the_local_clock():
    period = latest_period(WEEKLY, now=at("2026-10-26 00:10"), zone=LONDON)  # after 25 Oct
    assert period.key == "2026-W43"
    assert period.end - period.start == datetime.timedelta(days=7, hours=1)


def test_the_weeks_at_the_turn_of_the_year_are_iso_weeks():
    assert latest_period(WEEKLY, now=at("2027-01-04 03:00"), zone=LONDON).key == "2026-W53"
    assert latest_period(WEEKLY, now=at("2026-01-01 12:00"), zone=LONDON).key == "2025-W52"
    assert latest_period(DAILY, now=at("2026-01-01 12:00"), zone=LONDON).key == "2025-12-31"


@pytest.mark.parametrize("frequency", [DAILY, WEEKLY])
def test_a_key_names_the_period_it_was_made_for(frequency):
    for now in ("2026-03-30 00:30", "2026-10-26 08:00", "2027-01-04 03:00"):
        period = latest_period(frequency, now=at(now), zone=LONDON)
        assert period_of_key(frequency, period.key, zone=LONDON) == period


@pytest.mark.parametrize(
    ("frequency", "key"),
    [(DAILY, "2026-W47"), (WEEKLY, "2026-11-25"), (DAILY, "2026-13-01"), (WEEKLY, "2026-W60"),
     ("hourly", "2026-11-25"), (DAILY, "")],
)  # fmt: skip
def test_anything_else_is_not_a_period(frequency, key):
    with pytest.raises(ValueError, match="period"):
        period_of_key(frequency, key, zone=LONDON)
