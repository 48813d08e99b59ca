"""Look-alike usernames: the scripts a username mixes, and its skeleton, a canonical form that
two usernames share when one could pass for the other. Pure functions over strings, built on
the Unicode confusables data (UTS #39) that confusable-homoglyphs ships.

The skeleton follows UTS #39's: each character becomes the prototype it is confusable with
(``0`` → ``O``, Cyrillic i → Latin ``i``, ``m`` → ``rn``, ``I`` → ``l``), and case is
folded after that, again until nothing changes. Mapping before folding keeps what the letters
look like as typed: ``aIice`` passes for ``alice``, and Greek capitals spelling BOB for
``BOB``, which folding first would lose (to ``aiice``, and to small Greek letters).

One consequence: a capital whose prototype differs from its small letter's falls apart from
it, so ``OLIVIA`` (``ollvla``) and ``olivia`` get different skeletons. Such pairs differ only
in case, which the model refuses separately (``username__iexact``), as Django's forms do.
"""

from __future__ import annotations

import functools
import unicodedata

from confusable_homoglyphs import categories, confusables

# Scripts a username may mix (UTS #39's "highly restrictive" level): digits and punctuation
# belong to no script, combining marks to their letter's, and Japanese, Chinese and Korean
# are written in several scripts at once.
NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})
ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# The package built its data from confusables.txt's comments, which wrap right-to-left
# characters in these marks for display; they are no part of the characters.
DISPLAY_MARKS = str.maketrans("", "", "\u200e\u200f")
MAX_ROUNDS = 8


def scripts(username: str) -> frozenset[str]:
    """The scripts (``LATIN``, ``CYRILLIC``…) of the letters in ``username``."""
    return frozenset(categories.unique_aliases(username)) - NEUTRAL_SCRIPTS


def mixes_scripts(username: str) -> bool:
    """Whether ``username`` mixes scripts that are not written together, such as Latin and
    Cyrillic (``olivia`` with a Cyrillic i)."""
    found = scripts(unicodedata.normalize("NFKC", username))
    return len(found) > 1 and not any(found <= allowed for allowed in ALLOWED_MIXES)


def skeleton(username: str) -> str:
    """The canonical form of ``username``: the same for usernames that differ in compatibility
    forms or look-alike characters (``olivia``; with a Cyrillic i; ``0livia``; in
    fullwidth letters) or in case (``Olivia``; see the module's note on ``I``)."""
    text = username
    for _ in range(MAX_ROUNDS):
        folded = _fold(text)
        if folded == text:
            return text
        text = folded
    raise AssertionError(f"the skeleton of {username!r} does not settle")  # see the tests


def _fold(text: str) -> str:
    prototypes = _prototypes()
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    mapped = unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in text))
    return unicodedata.normalize("NFD", mapped.casefold())


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each character of confusables.txt mapped to its prototype.

    The package keeps each pair both ways round: a character that has a prototype has that
    one entry, and a prototype has an entry for each character that maps to it (prototypes
    never map further). Where two characters have only each other, which is the prototype is
    lost; both then map to the smaller, which keeps them together all the same.
    """
    entries: dict[str, set[str]] = {}
    for key, homoglyphs in confusables.confusables_data.items():
        targets = {h["c"].translate(DISPLAY_MARKS) for h in homoglyphs}
        entries.setdefault(key.translate(DISPLAY_MARKS), set()).update(targets)
    table = {}
    for char, targets in entries.items():
        if len(char) != 1 or len(targets) != 1:
            continue  # a prototype, or a character shown with others in a comment
        (target,) = targets
        if len(target) > 1 or len(entries.get(target, ())) > 1:
            table[char] = target
        elif char != min(char, target):
            table[char] = min(char, target)
    return table
