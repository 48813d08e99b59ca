import pytest
from django.core.exceptions import ImproperlyConfigured

from pettracker.env import env_bool, env_int, env_list, env_required, env_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_reads_the_usual_words(raw, expected):
    assert env_bool("FLAG", not expected, environ={"FLAG": raw}) is expected


def test_env_bool_rejects_anything_else_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG", False, environ={"FLAG": "maybe"})


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_unset_or_blank_values_take_the_default(raw):
    environ = {} if raw is None else {"X": raw}
    assert env_bool("X", True, environ=environ) is True
    assert env_int("X", 7, environ=environ) == 7
    assert env_str("X", "d", environ=environ) == "d"
    assert env_list("X", ["a"], environ=environ) == ["a"]


def test_env_int_parses_whole_numbers():
    assert env_int("N", 1, environ={"N": " 42 "}) == 42


@pytest.mark.parametrize("raw", ["4.5", "ten", "0x10", "1e3"])
def test_env_int_rejects_what_is_not_a_whole_number(raw):
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        env_int("N", 1, environ={"N": raw})


def test_env_int_refuses_out_of_range_values_instead_of_clamping():
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 60"):
        env_int("N", 600, minimum=60, environ={"N": "5"})
    with pytest.raises(ImproperlyConfigured, match="above the maximum of 10"):
        env_int("N", 1, maximum=10, environ={"N": "11"})


def test_env_list_splits_on_commas_and_drops_blanks():
    assert env_list("L", environ={"L": "a.example, b.example,,"}) == ["a.example", "b.example"]


def test_env_required_explains_why_it_is_needed():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set: production"):
        env_required("SECRET_KEY", reason="production needs it.", environ={})
    assert env_required("SECRET_KEY", reason="-", environ={"SECRET_KEY": "s"}) == "s"
