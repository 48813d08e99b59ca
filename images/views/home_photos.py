"""The home page's photos of the pets one sees: those taken on this day in earlier years, and
the newest, as tiles show them.

Two queries, built once (``pettracker.prepared``): building them through the ORM — who sees
the pets, the photos' columns and uploaders, the viewer's hearts, the order — was 40 % of the
home page's time, their running a tenth of that (benchmarks/scale.py). Each chooses its photos'
ids from an index alone (``photo_pet_state_day_idx`` holds each pet's ready photos in the
order), then reads only those rows: sorting the whole rows of every photo one may see, joined
with their uploaders, was the page's slowest query (PostgreSQL 5.9 ms, SQLite 1.1 ms at
100,000 photos; this way 3.4 and 0.3).

The pets' ids go in as a list, as the page has them from its cards: PostgreSQL then walks each
pet's index, where for a subquery its planner guessed half of all pets and read every photo.
The list is padded to a power of two with an id no pet has, so that a few shapes serve any
number of pets; past the longest, the pets come as the subquery."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS

from accounts.models import User
from images.models import TILE_COLUMNS, Photo
from images.pure.memories import remembered_days
from pettracker.prepared import Prepared

# The lists' lengths: 8, 16, … 4,096 pets.
LIST_LENGTHS = tuple(2**k for k in range(3, 13))
_NO_PET = uuid.UUID(int=0)

# What a tile shows of a photo (``PhotoQuerySet.for_tiles``) and its uploader's id, in the
# model's order of columns (``Model.from_db`` reads them so).
_SHOWN = {*TILE_COLUMNS, "uploader_id"}
_COLUMNS = [f.attname for f in Photo._meta.concrete_fields if f.attname in _SHOWN]

# Placeholders (pettracker.prepared): values no constant of the queries can equal. The days'
# fit in 32 bits: Django finds no row for a number past PostgreSQL's integer (EmptyResultSet).
_USER = -1_734_621_957
_DAYS = {
    "month": -1_346_219_861,
    "day": -1_346_219_862,
    "also_month": -1_346_219_863,
    "also_day": -1_346_219_864,
    "before": datetime.date(3, 2, 1),
}


def _pet_placeholders(length: int) -> dict[str, uuid.UUID]:
    return {f"pet{i}": uuid.UUID(int=0x5EED_0000_0000 + i + 1) for i in range(length)}


def _query(length: int | None, limit: int, *, user_id: int, memories: bool, **values):
    user = User(pk=user_id, is_active=True)
    seen = Photo.objects.visible_to(user).ready()
    if length is not None:
        seen = seen.filter(pet_id__in=[values[f"pet{i}"] for i in range(length)])
    if memories:
        seen = seen.taken_on_days(*(values[name] for name in _DAYS))
    ids = seen.newest_taken_first().values("pk")[:limit]
    rows = Photo.objects.filter(pk__in=ids).with_hearted(user).newest_taken_first()
    return rows.values_list(*_COLUMNS, "uploader__username", "hearted")


_PREPARED: dict[tuple, Prepared] = {}


def _prepared(length: int | None, limit: int, memories: bool) -> Prepared:
    key = (length, limit, memories)
    found = _PREPARED.get(key)
    if found is None:
        placeholders = {"user_id": _USER, **(_DAYS if memories else {})}
        placeholders |= _pet_placeholders(length or 0)

        def build(**values):
            return _query(length, limit, memories=memories, **values)

        found = _PREPARED.setdefault(key, Prepared(build, **placeholders))
    return found


def photos_shown(user, pet_ids: Sequence, *, limit: int, today: datetime.date | None = None):
    """The ``limit`` ready photos of ``pet_ids`` (pets ``user`` sees: the rule is asked again,
    ``Pet.objects.visible_to``) taken last, newest first; with ``today``, only those taken on
    its day and month in earlier years (``PhotoQuerySet.taken_on_days``). Each photo comes with its
    uploader and ``hearted`` (``PhotoQuerySet.with_hearted``), as ``for_tiles`` fetches them."""
    if not (user.is_authenticated and user.is_active) or not pet_ids:
        return []
    length = next((n for n in LIST_LENGTHS if n >= len(pet_ids)), None)
    values = {"user_id": user.pk}
    if length is not None:
        padded = [*pet_ids, *[_NO_PET] * (length - len(pet_ids))]
        values |= {f"pet{i}": pet_id for i, pet_id in enumerate(padded)}
    if today is not None:
        values |= remembered_days(today)._asdict()
    rows = _prepared(length, limit, today is not None).run(**values)
    return [_photo(row) for row in rows]


def _photo(row: tuple) -> Photo:
    """A photo of a row (its columns, its uploader's name, whether it is hearted), as the ORM
    would make it from the same query."""
    columns = len(_COLUMNS)
    photo = Photo.from_db(DEFAULT_DB_ALIAS, _COLUMNS, row[:columns])
    uploader_name, photo.hearted = row[columns:]
    if photo.uploader_id is not None:
        uploader = User.from_db(
            DEFAULT_DB_ALIAS, ["id", "username"], (photo.uploader_id, uploader_name)
        )
        photo.uploader = uploader
    return photo
