import pytest

from accounts import usernames
from accounts.usernames import mixes_scripts, skeleton

# Spelled out: these look like the Latin letters they stand beside.
CYRILLIC_I = "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}"
CYRILLIC_A = "\N{CYRILLIC SMALL LETTER A}"
GREEK_BOB = (
    "\N{GREEK CAPITAL LETTER BETA}\N{GREEK CAPITAL LETTER OMICRON}\N{GREEK CAPITAL LETTER BETA}"
)
GREEK_ALPHA = "\N{GREEK SMALL LETTER ALPHA}"


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    ("name", "look_alike"),
    [
        ("olivia", f"ol{CYRILLIC_I}via"),
        ("olivia", "Olivia"),
        ("olivia", fullwidth("olivia")),  # NFKC folds it
        ("olivia", "0livia"),
        ("alice", "a1ice"),
        ("alice", "aIice"),  # a capital I for the small l
        ("modern", "rnodern"),
        ("BOB", GREEK_BOB),
        ("straße", "strasse"),
    ],
)
def test_it_gives_look_alikes_the_same_skeleton(name, look_alike):
    assert skeleton(name) == skeleton(look_alike)


@pytest.mark.parametrize(
    ("name", "other"),
    [("olivia", "olivier"), ("neil", "nell"), ("bob", "ssoss"), ("olivia", "olívia")],
)
def test_it_keeps_names_that_look_different_apart(name, other):
    assert skeleton(name) != skeleton(other)


def test_the_skeleton_of_a_skeleton_is_itself_for_every_character_in_the_data():
    table = usernames._prototypes()
    characters = set(table) | {c for prototype in table.values() for c in prototype}
    for char in characters:
        for variant in {char, char.upper(), char.lower()}:
            assert skeleton(skeleton(variant)) == skeleton(variant), ascii(variant)


@pytest.mark.parametrize(
    "name", [f"ol{CYRILLIC_I}via", f"p{CYRILLIC_A}ypal", f"{GREEK_ALPHA}lpha", "Иvan"]
)
def test_it_tells_a_username_mixing_scripts(name):
    assert mixes_scripts(name)


@pytest.mark.parametrize(
    "name",
    ["olivia", "Иван", GREEK_BOB, "bob_42", "jo.doe@home+1", "田中さん", "tanakaさん", "김민준"],
)
def test_it_lets_one_script_or_a_usual_mix_through(name):
    assert not mixes_scripts(name)
