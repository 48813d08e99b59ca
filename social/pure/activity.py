"""The activity's news: events in, groups out, and the sentences that tell them.

"Frank added 5 photos of Pip", "Olivia and Ted commented on a photo of Biscuit", "Ted liked 4
of your photos of Pip": events of the same kind about the same pet (and, for added photos, by
the same person; for comments, on the reader's own photos or on others') that came together,
each within ``GAP`` of the one before, are one group.
Plain values only (no Django): the reads that make the events are ``social.models``'."""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# Events of one kind about one pet this close to each other are told as one piece of news:
# a batch of uploads, or an evening's comments.
GAP = datetime.timedelta(hours=2)
# How many people a sentence names before it counts the others.
NAMED_ACTORS = 2
# Who did it, when their account is gone (a photo outlives its uploader).
SOMEONE = "Someone"


class Kind(StrEnum):
    ADDED = "added"  # photos others added to a pet one sees (when they turned ready)
    COMMENTED = "commented"  # comments others made on photos one sees
    LIKED = "liked"  # likes others gave to one's own uploads


@dataclass(frozen=True)
class Event:
    kind: Kind
    at: datetime.datetime
    actor_id: Hashable | None
    actor: str
    pet_id: Hashable
    pet: str
    photo_id: Hashable
    yours: bool = False  # the photo is the reader's upload


@dataclass(frozen=True)
class Group:
    """Events told as one piece of news: who (newest first, each once), which photos (newest
    first, each once), and when the first and the last came."""

    kind: Kind
    pet_id: Hashable
    pet: str
    actors: tuple[str, ...]
    photo_ids: tuple[Hashable, ...]
    earliest: datetime.datetime
    latest: datetime.datetime
    events: int
    yours: bool = False  # every photo is the reader's upload

    @property
    def text(self) -> str:
        return sentence(self)

    @property
    def one_photo(self) -> Hashable | None:
        """The photo, when the news is about a single one (its page is where to go)."""
        return self.photo_ids[0] if len(self.photo_ids) == 1 else None

    def unread_after(self, seen_at: datetime.datetime | None) -> bool:
        """Whether it came after what its reader had read (all is unread when nothing was)."""
        return seen_at is None or self.latest > seen_at


def _key(event: Event) -> tuple:
    # Added photos are each uploader's own news; comments and likes gather everyone's, comments
    # on the reader's own photos apart from those on others'.
    actor = event.actor_id if event.kind is Kind.ADDED else None
    return (event.kind, event.pet_id, actor, event.yours)


def group_events(events: Iterable[Event], *, gap: datetime.timedelta = GAP) -> list[Group]:
    """The groups of ``events`` (in any order), newest first by their latest event; two groups
    whose latest events are at the same moment keep the order of their kinds and pets."""
    runs: dict[tuple, list[Event]] = {}
    done: list[list[Event]] = []
    for event in sorted(events, key=lambda e: e.at):
        run = runs.get(_key(event))
        if run is not None and event.at - run[-1].at <= gap:
            run.append(event)
            continue
        if run is not None:
            done.append(run)
        runs[_key(event)] = [event]
    done.extend(runs.values())
    groups = [_group(run) for run in done]
    return sorted(groups, key=lambda g: g.latest, reverse=True)


def _group(run: list[Event]) -> Group:
    newest_first = run[::-1]
    # Each person once, by their account (two people may not share a name, but be safe).
    actors: dict = {}
    for e in newest_first:
        actors.setdefault(e.actor_id, e.actor or SOMEONE)
    return Group(
        kind=run[0].kind,
        pet_id=run[0].pet_id,
        pet=run[-1].pet,
        actors=tuple(actors.values()),
        photo_ids=tuple(dict.fromkeys(e.photo_id for e in newest_first)),
        earliest=run[0].at,
        latest=run[-1].at,
        events=len(run),
        yours=all(e.yours for e in run),
    )


def actors_text(actors: Sequence[str]) -> str:
    """ "Olivia", "Olivia and Ted", "Olivia, Ted and 1 other", "Olivia, Ted and 2 others"."""
    names = [name or SOMEONE for name in actors]
    if len(names) <= NAMED_ACTORS:
        return " and ".join(names)
    others = len(names) - NAMED_ACTORS
    return f"{', '.join(names[:NAMED_ACTORS])} and {others} other{'' if others == 1 else 's'}"


def photos_text(count: int) -> str:
    """ "a photo", "3 photos"."""
    return "a photo" if count == 1 else f"{count} photos"


def sentence(group: Group) -> str:
    """What the group's news says, in plain text (the page escapes it)."""
    who, photos = actors_text(group.actors), len(group.photo_ids)
    if group.kind is Kind.ADDED:
        return f"{who} added {photos_text(photos)} of {group.pet}"
    verb = "commented on" if group.kind is Kind.COMMENTED else "liked"
    if group.kind is Kind.COMMENTED and not group.yours:
        return f"{who} {verb} {photos_text(photos)} of {group.pet}"
    if photos == 1:
        return f"{who} {verb} your photo of {group.pet}"
    return f"{who} {verb} {photos} of your photos of {group.pet}"


def complete_since(kinds: Iterable[Sequence[Event]], *, limit: int) -> list[Event]:
    """The events of every kind (each newest first, at most ``limit`` read) from the moment
    since when none was cut short: where one kind filled its ``limit``, the older events of
    the others are dropped too, so what is shown is everything since then, in order, and a
    group is never half of what happened."""
    kinds = [list(events) for events in kinds]
    cut = [events[-1].at for events in kinds if len(events) >= limit]
    since = max(cut, default=None)
    return [e for events in kinds for e in events if since is None or e.at >= since]
