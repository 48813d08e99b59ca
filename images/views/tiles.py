"""What the pages show of photos: tiles with plain, immutable rendition URLs, built from rows
already fetched (a page's renditions in one query, as plain rows), so a page costs no query, no
model instance and no signature per rendition. The page's signed cookies open the URLs
(``images.views.common.render_granting``).

A tile carries everything its markup needs, addresses included, and the grid's markup is made
here (``grid_html``) rather than by a template loop: the template engine's lookups, an include
and a ``{% url %}`` per photo were half of a gallery's time (benchmarks/load.sh)."""

from __future__ import annotations

import calendar
import datetime
import functools
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from cdn.signer import Signer
from images.models import DOWNLOAD_ONLY, Photo, Rendition, RenditionName, RenditionRow
from pettracker.markup import fill

# The grid's cells (static/css/app.css): half the screen less the gaps on a phone, at most
# 204 px wider up (150 px columns fill the row; 167 px at 1280).
GRID_SIZES = "(max-width: 560px) calc(50vw - 20px), 204px"
# A whole photo is at most the page's width (about 1100 px) and 80 % of the screen's height.
PHOTO_SIZES = "(max-width: 1140px) 100vw, 1100px"

# Renditions cropped to a square, for the grid's square cells (the others keep the photo's
# shape, which the grid would crop away: a 2× screen then fetched 1,024 px for a 240 px cell).
SQUARE_RENDITIONS = {RenditionName.THUMB, RenditionName.SQUARE}
WHOLE_RENDITIONS = {RenditionName.MEDIUM, RenditionName.LARGE}


@dataclass(frozen=True)
class Tile:
    photo: Photo
    href: str  # the photo's page
    alt: str
    src: str = ""  # the thumb's URL ("" until the photo is ready)
    srcset: str = ""  # square renditions, for the grid
    width: int = 0
    height: int = 0
    large: str = ""
    large_width: int = 0
    large_height: int = 0
    whole_srcset: str = ""  # whole-photo renditions, for the photo page and the viewer
    api: str = ""  # the photo's API address, while it is processing (the page polls it)

    @property
    def ready(self) -> bool:
        return bool(self.src)


def tile(
    photo: Photo,
    renditions: Mapping[str, RenditionRow | Rendition],
    signer: Signer,
    *,
    pet_name: str = "",
) -> Tile:
    """The tile of one photo, from its renditions by name."""
    href = route("photo_page", photo.pk)
    alt = photo.caption or (f"A photo of {pet_name}" if pet_name else "A photo")
    thumb = renditions.get(RenditionName.THUMB)
    if photo.state != Photo.State.READY or thumb is None:
        api = route("api_photo", photo.pk) if photo.state == Photo.State.PROCESSING else ""
        return Tile(photo, href, alt, api=api)
    large = renditions.get(RenditionName.LARGE, thumb)
    urls = {name: signer.object_url(r.key) for name, r in renditions.items()}
    whole = [name for name in renditions if name in WHOLE_RENDITIONS] or [thumb.name]
    return Tile(
        photo,
        href,
        alt,
        src=urls[thumb.name],
        srcset=square_srcset(renditions, urls),
        width=thumb.width,
        height=thumb.height,
        large=urls[large.name],
        large_width=large.width,
        large_height=large.height,
        whole_srcset=_srcset(renditions, urls, whole),
    )


def square_srcset(renditions: Mapping[str, RenditionRow | Rendition], urls: dict) -> str:
    """The ``srcset`` of a photo's square renditions (``urls``: their addresses by name), for
    square cells: the thumb and the square, or the medium beside the thumb for a photo made
    before the square rendition existed (the next best)."""
    square = [name for name in renditions if name in SQUARE_RENDITIONS]
    if len(square) < 2:
        square += [name for name in renditions if name == RenditionName.MEDIUM]
    return _srcset(renditions, urls, square)


def _srcset(renditions: Mapping, urls: dict, names: list[str]) -> str:
    """``url 256w, url 512w``: each width once (a small photo's renditions may share one)."""
    by_width = {renditions[name].width: urls[name] for name in names}
    return ", ".join(f"{url} {width}w" for width, url in sorted(by_width.items()))


def tiles(
    photos: Iterable[Photo], signer: Signer, *, pet_name: str | Callable[[Photo], str] = ""
) -> list[Tile]:
    """Tiles of ``photos`` and their renditions (one query). ``pet_name`` names the pet in the
    images' text: the pet's name, or how to find it for each photo (by default its ``pet``,
    which must be fetched with it)."""
    photos = list(photos)
    renditions = Rendition.objects.shown_for(p.pk for p in photos)
    name_of = pet_name if callable(pet_name) else lambda p: pet_name or p.pet.name
    return [tile(p, renditions.get(p.pk, {}), signer, pet_name=name_of(p)) for p in photos]


def photo_tile(photo: Photo, signer: Signer, *, pet_name: str = "") -> Tile:
    """The tile of one photo whose renditions were prefetched (``with_renditions()``): those
    pages show, as ``Rendition.objects.shown_for`` gives them (not the download-only ``full``,
    whose key no page carries)."""
    renditions = {r.name: r for r in photo.renditions.all() if r.name not in DOWNLOAD_ONLY}
    return tile(photo, renditions, signer, pet_name=pet_name)


def route(name: str, pk) -> str:
    """``reverse(name, args=[pk])`` for a route whose one argument is a UUID, without
    resolving it again for every photo of a page."""
    before, after = _route_parts(name, get_script_prefix())
    return f"{before}{pk}{after}"


_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@functools.lru_cache(maxsize=32)
def _route_parts(name: str, script_prefix: str) -> tuple[str, str]:
    before, _, after = reverse(name, args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
    return before, after


# --- The grid's markup ----------------------------------------------------------------------

# A ready tile's link carries what the viewer (static/js/viewer.js, PhotoSwipe) needs of its
# photo: the whole-photo srcset (its largest entry is the large rendition, whose size follows),
# who uploaded it, when it was taken (on the place's clock), and its id for the viewer's address
# (#photo=<id>); the caption it reads from the tile's own. The link itself stays the
# no-JavaScript way in. Nothing is repeated: the page weighs at most 1,200 B of HTML a photo.
_READY = (
    '<li class="tile"{} data-state="ready" data-placeholder="{}"><a href="{}" data-photo="{}" '
    'data-pswp-srcset="{}" data-pswp-width="{}" data-pswp-height="{}" data-uploader="{}" '
    'data-taken="{}">'
    '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" loading="lazy" alt="{}"></a>'
    "{}</li>"
)
# The caption repeats the image's alt text, which names the link: hidden from screen readers,
# which would otherwise read it twice, run into the link's name.
_CAPTION = '<span class="caption" aria-hidden="true">{}</span>'
_PROCESSING = (
    '<li class="tile"{} data-state="processing" data-placeholder="{}" data-api="{}" '
    'data-href="{}" data-alt="{}"><span class="tile-status">Processing…</span></li>'
)
_FAILED = (
    '<li class="tile"{} data-state="{}" data-placeholder="{}"><a href="{}" data-photo="{}">'
    '<span class="tile-status failed">Couldn\'t be processed{}</span></a>{}</li>'
)
# The tile of a photo the visitor may delete says so (``deletable``: the gallery's photos come
# annotated by ``PhotoQuerySet.with_deletable``), for selection.js's Delete; on processing
# tiles too, whose <li> stays when gallery.js fills it.
_DELETABLE = mark_safe(" data-deletable")
# A tile the visitor may act on carries its checkbox, of the selection bar's form
# (templates/includes/selection_bar.html): shown at once without JavaScript, in the select
# mode with it (static/js/selection.js).
_PICK = (
    '<label class="pick"><input type="checkbox" name="photo" value="{}" form="selection">'
    '<span class="visually-hidden">Select {}</span></label>'
)


_MONTH = '<section><h{} class="month">{}</h{}><ul class="grid">{}</ul></section>'
MONTH_NAMES = tuple(calendar.month_name)  # "", "January", ... (English, as the site is)


def month_taken(photo: Photo) -> str:
    """ "March 2024": the month ``photo`` was taken, as a gallery's heading says it."""
    taken = photo.day_taken()
    return f"{MONTH_NAMES[taken.month]} {taken.year}"


def gallery_html(tiles: Iterable[Tile], *, heading_level: int = 2, **grid) -> SafeString:
    """A gallery's grid, a section per month taken (``tiles`` come newest first): a heading
    ("March 2024", at ``heading_level`` under the page's) over the ``grid_html`` of its
    photos. A month split across pages has its heading on each."""
    # Safe: the headings are made by fill, the items by grid_html.
    html = "".join(
        fill(_MONTH, heading_level, month, heading_level, grid_html(group, **grid))
        for month, group in itertools.groupby(tiles, key=lambda t: month_taken(t.photo))
    )
    return mark_safe(html)  # noqa: S308


def years_ago_html(tiles: Iterable[Tile], *, today: datetime.date) -> SafeString:
    """Photos taken on this day in earlier years (``tiles`` newest first): a section per
    year, its heading ("2024 · 2 years ago") over the ``grid_html`` of its photos."""

    def heading(year: int) -> str:
        ago = today.year - year
        return f"{year} · {ago} year{'' if ago == 1 else 's'} ago"

    # Safe: the headings are made by fill, the items by grid_html.
    html = "".join(
        fill(_MONTH, 3, heading(year), 3, grid_html(group))
        for year, group in itertools.groupby(tiles, key=lambda t: t.photo.day_taken().year)
    )
    return mark_safe(html)  # noqa: S308


def grid_html(
    tiles: Iterable[Tile],
    *,
    sizes: str = GRID_SIZES,
    link_to_large: bool = False,
    shows_error: Callable[[Photo], bool] = lambda photo: False,
    shows_uploader: bool = True,
    selectable: Callable[[Photo], bool] = lambda photo: False,
    deletable: Callable[[Photo], bool] = lambda photo: False,
) -> SafeString:
    """The ``<li>`` of every tile of a grid: an image linking to its photo's page (or, with
    ``link_to_large``, to its large rendition), "Processing…" while the page polls the API, or
    why it failed, to those ``shows_error`` names (the pet's owner, the uploader). Ready tiles
    carry the viewer's data; who uploaded a photo only when ``shows_uploader`` (the photos
    must then come with their uploader: ``for_tiles``). Ready and failed tiles of the photos
    ``selectable`` names carry a checkbox (processing ones get none: their markup is replaced
    when they turn ready); those ``deletable`` names say so (``data-deletable``)."""
    # Safe: every piece is made by fill, which escapes what it is given.
    html = "".join(
        _tile_html(t, sizes, link_to_large, shows_error, shows_uploader, selectable, deletable)
        for t in tiles
    )
    return mark_safe(html)  # noqa: S308


def _tile_html(
    t: Tile, sizes: str, link_to_large: bool, shows_error, shows_uploader, selectable, deletable
) -> str:
    photo = t.photo
    mine = _DELETABLE if deletable(photo) else ""
    pick = fill(_PICK, photo.pk, t.alt) if not t.api and selectable(photo) else ""
    if t.ready:
        caption = fill(_CAPTION, photo.caption) if photo.caption else ""
        caption = fill("{}{}", caption, pick)
        href = t.large if link_to_large else t.href
        uploader = photo.uploader.username if shows_uploader and photo.uploader_id else ""
        taken = photo.local_taken_at().isoformat()
        return fill(
            _READY, mine, photo.placeholder_color, href, photo.pk, t.whole_srcset, t.large_width,
            t.large_height, uploader, taken, t.src, t.srcset, sizes, t.width, t.height, t.alt,
            caption,
        )  # fmt: skip
    if t.api:
        return fill(_PROCESSING, mine, photo.placeholder_color, t.api, t.href, t.alt)
    reason = fill(": {}", photo.error) if shows_error(photo) else ""
    return fill(_FAILED, mine, photo.state, photo.placeholder_color, t.href, photo.pk, reason, pick)
