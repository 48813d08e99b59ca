"""Words for people, made the same way on every page (pure: no Django)."""

from __future__ import annotations

import unicodedata


def possessive(name: str) -> str:
    """``Miso's``, but ``Nibbles'``: a name ending in s takes the apostrophe alone."""
    name = str(name)
    if not name:
        return ""
    return f"{name}'" if name[-1] in "sS" else f"{name}'s"


def first_lower(text: str) -> str:
    """``Active (signs new URLs)`` → ``active (signs new URLs)``, the rest kept as written."""
    return text[:1].lower() + text[1:]


def masked_address(email: str) -> str:
    """``alice@example.com`` → ``a•••@example.com``: enough for its owner to know it, not
    enough to give it away to anyone else."""
    local, at, domain = email.rpartition("@")
    if not at:
        return email[:1] + "•••"
    return f"{local[:1]}•••@{domain}"


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a line break, a tab or another control character (Unicode's
    Cc, Zl and Zp): none belongs in a name, and a line break in a mail's subject stops it."""
    return any(unicodedata.category(c) in CONTROL for c in text)


def one_line(text: str) -> str:
    """``text`` as one line: control characters and runs of spaces become one space."""
    spaced = "".join(" " if unicodedata.category(c) in CONTROL else c for c in text)
    return " ".join(spaced.split())


CONTROL = frozenset({"Cc", "Zl", "Zp"})
