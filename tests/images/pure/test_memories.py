"""Which days a date remembers."""

import datetime

from images.pure.memories import RememberedDays, remembered_days


def test_a_date_remembers_its_day_and_month_in_earlier_years():
    assert remembered_days(datetime.date(2026, 11, 26)) == RememberedDays(
        11, 26, 11, 26, datetime.date(2026, 1, 1)
    )


def test_the_28th_of_february_of_a_common_year_remembers_the_29th_too():
    assert remembered_days(datetime.date(2026, 2, 28))[:4] == (2, 28, 2, 29)
    assert remembered_days(datetime.date(2028, 2, 28))[:4] == (2, 28, 2, 28)  # 2028 has its own
    assert remembered_days(datetime.date(2028, 2, 29))[:4] == (2, 29, 2, 29)
