import pytest

from pettracker.text import first_lower, possessive


@pytest.mark.parametrize(
    ("name", "said"),
    [("Miso", "Miso's"), ("Nibbles", "Nibbles'"), ("BORIS", "BORIS'"), ("", "")],
)
def test_a_possessive_takes_the_apostrophe_alone_after_an_s(name, said):
    assert possessive(name) == said


def test_the_first_letter_is_lowered_and_the_rest_kept():
    assert first_lower("Active (signs new URLs)") == "active (signs new URLs)"
    assert first_lower("") == ""
