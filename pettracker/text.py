"""Words for people, made the same way on every page (pure: no Django)."""

from __future__ import annotations


def possessive(name: str) -> str:
    """``Miso's``, but ``Nibbles'``: a name ending in s takes the apostrophe alone."""
    name = str(name)
    if not name:
        return ""
    return f"{name}'" if name[-1] in "sS" else f"{name}'s"


def first_lower(text: str) -> str:
    """``Active (signs new URLs)`` → ``active (signs new URLs)``, the rest kept as written."""
    return text[:1].lower() + text[1:]
