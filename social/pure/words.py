"""Words about likes and comments, made the same way by the pages and the JSON answers."""

from __future__ import annotations


def counted(number: int, one: str, many: str) -> str:
    """``1 like``, ``3 likes``, ``no comments``."""
    if number == 0:
        return f"no {many}"
    return f"{number:,} {one if number == 1 else many}"


def liked_by(names: list[str], *, you: str | None = None, shown: int = 5) -> str:
    """Who likes a photo, newest first, for its page: ``Liked by you, Ann and Bob``; past
    ``shown`` names, ``and 4 others``. ``you``, when among them, comes first as "you". Empty
    when nobody does."""
    others = [name for name in names if name != you]
    people = (["you"] if you is not None and you in names else []) + others
    if not people:
        return ""
    named, rest = people[:shown], len(people) - shown
    if rest > 0:
        return f"Liked by {', '.join(named)} and {counted(rest, 'other', 'others')}"
    if len(named) == 1:
        return f"Liked by {named[0]}"
    return f"Liked by {', '.join(named[:-1])} and {named[-1]}"
