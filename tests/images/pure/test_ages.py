import datetime

import pytest

from images.pure.ages import age_in_words

TODAY = datetime.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("birthday", "said"),
    [
        (datetime.date(2026, 11, 26), "born today"),
        (datetime.date(2026, 11, 25), "1 day old"),
        (datetime.date(2026, 11, 12), "2 weeks old"),
        (datetime.date(2026, 10, 26), "1 month old"),
        (datetime.date(2026, 10, 27), "4 weeks old"),
        (datetime.date(2025, 11, 27), "11 months old"),
        (datetime.date(2025, 11, 26), "1 year old"),
        (datetime.date(2016, 2, 29), "10 years old"),
        (None, ""),
        (datetime.date(2026, 12, 1), ""),  # not born yet: said nothing
    ],
)
def test_an_age_is_said_in_its_largest_whole_unit(birthday, said):
    assert age_in_words(birthday, TODAY) == said
