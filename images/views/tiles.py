"""What the pages show of photos: tiles with signed URLs, built from rows already fetched
(``with_renditions()``), so a page costs no query per photo and one signature per pet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cdn.signer import Signer
from images.models import Photo, RenditionName

# The grid's cells are about 240 px wide, half the screen on a phone.
GRID_SIZES = "(max-width: 560px) 45vw, 240px"


@dataclass(frozen=True)
class Tile:
    photo: Photo
    src: str = ""  # the thumb's signed URL ("" until the photo is ready)
    srcset: str = ""
    width: int = 0
    height: int = 0
    large: str = ""
    large_width: int = 0
    large_height: int = 0

    @property
    def ready(self) -> bool:
        return bool(self.src)


def tile(photo: Photo, signer: Signer) -> Tile:
    """The tile of one photo; its renditions must be prefetched."""
    renditions = {r.name: r for r in photo.renditions.all()}
    thumb = renditions.get(RenditionName.THUMB)
    if photo.state != Photo.State.READY or thumb is None:
        return Tile(photo)
    large = renditions.get(RenditionName.LARGE, thumb)
    urls = {name: signer.url(r.key) for name, r in renditions.items()}  # once per rendition
    by_width = sorted(renditions.items(), key=lambda item: item[1].width)
    return Tile(
        photo,
        src=urls[thumb.name],
        srcset=", ".join(f"{urls[name]} {r.width}w" for name, r in by_width),
        width=thumb.width,
        height=thumb.height,
        large=urls[large.name],
        large_width=large.width,
        large_height=large.height,
    )


def tiles(photos: Iterable[Photo], signer: Signer) -> list[Tile]:
    return [tile(photo, signer) for photo in photos]
