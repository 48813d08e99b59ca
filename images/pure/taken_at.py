"""When a photo was taken, read from the metadata of its original: pure functions, no Django.

Sources, the first that holds a plausible date winning:

1. EXIF ``DateTimeOriginal`` (with ``SubSecTimeOriginal`` and ``OffsetTimeOriginal``), then
   ``DateTimeDigitized`` (with its own sub-seconds and offset). JPEG, PNG (``eXIf``), WebP and
   HEIC carry EXIF alike; Pillow and pillow-heif read it with ``getexif()``.
2. XMP (a JPEG's APP1, a PNG's ``iTXt XML:com.adobe.xmp``, a WebP's or a HEIC's XMP):
   ``exif:DateTimeOriginal``, ``photoshop:DateCreated``, ``xmp:CreateDate``, read by Pillow's
   ``getxmp`` (through defusedxml: the packet is the uploader's, never trusted).
3. A PNG's ``Creation Time`` text (``tEXt``, ``zTXt`` or ``iTXt``), which the PNG
   specification suggests writing as RFC 1123 and programs write in every format.

A date with no offset is local time in an unknown zone: it is read as if it were UTC, so a
photo shows the time its camera's clock showed. Malformed dates (``0000:00:00 00:00:00``,
blanks, garbage) and absurd ones (before photography, 1826, or more than a day ahead of
``now``) are ignored; reading never raises.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image

# Niépce's view from the window at Le Gras, the oldest surviving photograph.
EARLIEST_YEAR = 1826
# Cameras whose clock runs ahead, and time zones east of the server's: a day of slack.
FUTURE_SLACK = datetime.timedelta(days=1)

_EXIF_DATES = (
    # (date, sub-seconds, offset), in the order they are tried
    (
        ExifTags.Base.DateTimeOriginal,
        ExifTags.Base.SubsecTimeOriginal,
        ExifTags.Base.OffsetTimeOriginal,
    ),
    (
        ExifTags.Base.DateTimeDigitized,
        ExifTags.Base.SubsecTimeDigitized,
        ExifTags.Base.OffsetTimeDigitized,
    ),
)
_XMP_DATES = (
    "{http://ns.adobe.com/exif/1.0/}DateTimeOriginal",
    "{http://ns.adobe.com/photoshop/1.0/}DateCreated",
    "{http://ns.adobe.com/xap/1.0/}CreateDate",
)
PNG_CREATION_TIME = "Creation Time"

_EXIF_FORMAT = re.compile(
    r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$"
)
_OFFSET = re.compile(r"^\s*(?:Z|([+\-])(\d{2}):?(\d{2}))\s*$")
_YEAR_MONTH = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")


@dataclass(frozen=True)
class TakenAt:
    when: datetime.datetime  # aware
    source: str  # "exif", "xmp" or "png"


def read_taken_at(image: Image.Image, *, now: datetime.datetime) -> TakenAt | None:
    """When ``image`` (opened by Pillow; for a PNG, loaded, as text chunks may follow its
    pixels) was taken, from its metadata; ``None`` when it says nothing plausible. ``now``
    (aware) bounds the future."""
    for source, when in _candidates(image):
        if when is not None and _plausible(when, now):
            return TakenAt(when=when, source=source)
    return None


def _candidates(image: Image.Image) -> Iterator[tuple[str, datetime.datetime | None]]:
    """Each date the metadata offers, best first; a source that cannot be read gives none."""
    for source, read in (("exif", _exif_dates), ("xmp", _xmp_dates), ("png", _png_dates)):
        try:
            for when in read(image):
                yield source, when
        except Exception:  # noqa: S112  any damage in optional metadata: try the next source
            continue


def _exif_dates(image: Image.Image) -> Iterator[datetime.datetime | None]:
    exif = image.getexif().get_ifd(ExifTags.IFD.Exif)
    for date_tag, subsec_tag, offset_tag in _EXIF_DATES:
        if date_tag in exif:
            yield parse_exif_datetime(
                exif.get(date_tag), subsec=exif.get(subsec_tag), offset=exif.get(offset_tag)
            )


def _xmp_dates(image: Image.Image) -> Iterator[datetime.datetime | None]:
    if not image.info.get("xmp"):
        return
    found = dict(_xmp_properties(image.getxmp(strip_namespaces=False)))
    for name in _XMP_DATES:
        if name in found:
            yield parse_iso_datetime(found[name])


def _xmp_properties(node: Any) -> Iterator[tuple[str, str]]:
    """Every simple property of an XMP packet as Pillow's ``getxmp`` gives it (nested dicts
    and lists), whether written as an attribute or as an element."""
    if isinstance(node, list):
        for item in node:
            yield from _xmp_properties(item)
    elif isinstance(node, dict):
        for name, value in node.items():
            if isinstance(value, str):
                yield name, value
            elif isinstance(value, dict) and isinstance(value.get("text"), str):
                yield name, value["text"]
            yield from _xmp_properties(value)


def _png_dates(image: Image.Image) -> Iterator[datetime.datetime | None]:
    if image.format == "PNG" and PNG_CREATION_TIME in image.info:
        yield parse_any_datetime(str(image.info[PNG_CREATION_TIME]))


def _plausible(when: datetime.datetime, now: datetime.datetime) -> bool:
    try:
        return when.year >= EARLIEST_YEAR and when <= now + FUTURE_SLACK
    except OverflowError:  # year 9999 west of UTC: past what datetime holds in UTC
        return False


# --- Parsing --------------------------------------------------------------------------------


def parse_exif_datetime(
    value: object, *, subsec: object = None, offset: object = None
) -> datetime.datetime | None:
    """An EXIF date (``2024:03:04 14:05:06``, some writers use dashes) with its sub-seconds
    (``"250"``: 0.25 s) and offset (``+01:00``), as an aware datetime; without an offset the
    local time is taken as UTC. ``None`` for anything else (``0000:00:00 00:00:00``, blanks)."""
    match = _EXIF_FORMAT.match(_text(value))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        when = datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone = _zone(_text(offset)) or datetime.UTC
    return when.replace(microsecond=_microseconds(_text(subsec)), tzinfo=zone)


def parse_iso_datetime(value: str) -> datetime.datetime | None:
    """An XMP date: ISO 8601 from a year (``2024``) to a fraction of a second with an offset;
    without a time it is the period's start, without an offset the time is taken as UTC."""
    text = value.strip()
    partial = _YEAR_MONTH.match(text)
    if partial:
        year, month = int(partial.group(1)), int(partial.group(2) or 1)
        text = f"{year:04d}-{month:02d}-01"
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def parse_any_datetime(value: str) -> datetime.datetime | None:
    """A date in whichever form programs write a PNG's ``Creation Time``: RFC 1123 (as the PNG
    specification suggests), ISO 8601 or EXIF's."""
    for parse in (parse_iso_datetime, parse_exif_datetime, _parse_rfc_1123):
        when = parse(value)
        if when is not None:
            return when
    return None


def _parse_rfc_1123(value: str) -> datetime.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""


def _zone(offset: str) -> datetime.tzinfo | None:
    match = _OFFSET.match(offset)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    if sign is None:
        return datetime.UTC
    delta = datetime.timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= datetime.timedelta(hours=24):
        return None
    return datetime.timezone(-delta if sign == "-" else delta)


def _microseconds(subsec: str) -> int:
    digits = subsec[:6] if subsec.isdigit() else ""
    return int(digits.ljust(6, "0")) if digits else 0
