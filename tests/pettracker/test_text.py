import pytest

from pettracker.text import (
    first_lower,
    has_control_characters,
    masked_address,
    one_line,
    possessive,
)


@pytest.mark.parametrize(
    ("name", "said"),
    [("Miso", "Miso's"), ("Nibbles", "Nibbles'"), ("BORIS", "BORIS'"), ("", "")],
)
def test_a_possessive_takes_the_apostrophe_alone_after_an_s(name, said):
    assert possessive(name) == said


def test_the_first_letter_is_lowered_and_the_rest_kept():
    assert first_lower("Active (signs new URLs)") == "active (signs new URLs)"
    assert first_lower("") == ""


@pytest.mark.parametrize(
    ("email", "shown"),
    [("alice@example.com", "a•••@example.com"), ("a@b.example", "a•••@b.example"), ("x", "x•••")],
)
def test_an_address_is_masked_but_for_its_first_letter_and_domain(email, shown):
    assert masked_address(email) == shown


@pytest.mark.parametrize("text", ["Rex\nthe dog", "Rex\r", "Rex\tthe dog", "Rex\x00", "Rex\u2028"])
def test_line_breaks_tabs_and_other_control_characters_are_found(text):
    assert has_control_characters(text)
    assert not has_control_characters(one_line(text))


def test_one_line_collapses_control_characters_and_runs_of_spaces():
    assert one_line(" Rex\r\n  the\tdog ") == "Rex the dog"
    assert not has_control_characters("Rex the dog, ünïcode ♥")
