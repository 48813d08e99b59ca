"""What a digest says, grouped per pet: "Pip: 5 new photos by Frank; 2 comments". Plain
values in, plain values out; the reads that find them are ``social.models.digest_reads``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# A digest quotes a pet's latest few comments, each cut to a line or two; it counts them all.
COMMENTS_QUOTED = 3
QUOTE_CHARS = 200


@dataclass(frozen=True)
class Quote:
    author: str
    text: str


@dataclass
class PetNews:
    pet_id: str
    name: str
    photos_by: dict[str, int] = field(default_factory=dict)  # uploader's name: photos added
    comments: int = 0
    quotes: list[Quote] = field(default_factory=list)  # the latest COMMENTS_QUOTED, oldest first
    thumbnails: list[str] = field(default_factory=list)  # Content-IDs of the inline images
    url: str = ""  # the pet's gallery, absolute

    @property
    def photos(self) -> int:
        return sum(self.photos_by.values())

    def summary(self) -> str:
        """One line: "5 new photos by Frank and Olivia; 2 comments"."""
        parts = []
        if self.photos:
            people = _and(list(self.photos_by))
            parts.append(f"{_count(self.photos, 'new photo')} by {people}")
        if self.comments:
            parts.append(_count(self.comments, "comment"))
        return "; ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def quote(text: str) -> str:
    """A comment as a digest quotes it: on one line (controls and breaks made spaces), at most
    QUOTE_CHARS long. Escaping is the templates' job (the HTML one autoescapes)."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1].rstrip() + "…"


def group_news(
    photo_counts: Iterable[tuple[str, str, str, int]],
    comments: Iterable[tuple[str, str, str, str]],
    comment_counts: dict[str, int] | None = None,
) -> list[PetNews]:
    """Per pet, by name: ``photo_counts`` are (pet id, pet name, uploader, photos) and
    ``comments`` (pet id, pet name, author, text), oldest first; ``comment_counts`` (pet id:
    comments) when ``comments`` holds only the ones quoted, else they are counted."""
    pets: dict[str, PetNews] = {}
    for pet_id, name, uploader, n in photo_counts:
        news = pets.setdefault(pet_id, PetNews(pet_id, name))
        news.photos_by[uploader] = news.photos_by.get(uploader, 0) + n
    for pet_id, name, author, text in comments:
        news = pets.setdefault(pet_id, PetNews(pet_id, name))
        news.comments += 1
        news.quotes.append(Quote(author, quote(text)))
        del news.quotes[:-COMMENTS_QUOTED]
    for pet_id, n in (comment_counts or {}).items():
        if pet_id in pets:
            pets[pet_id].comments = n
    return sorted(pets.values(), key=lambda news: (news.name.casefold(), news.pet_id))


def spread(photos: list[tuple[object, str]], limit: int) -> list[object]:
    """Up to ``limit`` of ``photos`` ((photo, pet), newest first), taken in turns from each
    pet, so that one pet's busy day does not crowd the others out of the thumbnails."""
    queues: dict[str, list[object]] = {}
    for photo, pet in photos:
        queues.setdefault(pet, []).append(photo)
    chosen: list[object] = []
    while queues and len(chosen) < limit:
        for pet in list(queues):
            chosen.append(queues[pet].pop(0))
            if not queues[pet]:
                del queues[pet]
            if len(chosen) == limit:
                break
    return chosen
