"""Small JPEGs for a mail's inline images, made from a photo's square renditions.

Renditions are WebP, which many mail clients do not show; each is decoded and written again as
a baseline JPEG with nothing but pixels: no EXIF, XMP or ICC profile is carried over (Pillow
writes only what it is given), whatever the source held.
"""

from __future__ import annotations

import io

from PIL import Image

SIDE = 256  # pixels: shown at 128 CSS px, sharp on 2x screens
MAX_SOURCE_BYTES = 2 * 1024 * 1024  # a square rendition is tens of kB; more is not one
MAX_SOURCE_PIXELS = 4096 * 4096
MAX_JPEG_BYTES = 64 * 1024
QUALITY = 80


class NotAThumbnail(ValueError):
    """The bytes are not a small image this can make a mail's JPEG of."""


def mail_jpeg(data: bytes) -> bytes:
    """``data`` (an image, usually a WebP square) as a JPEG of at most SIDE×SIDE pixels and
    MAX_JPEG_BYTES, without metadata; NotAThumbnail when it cannot be."""
    if len(data) > MAX_SOURCE_BYTES:
        raise NotAThumbnail("too many bytes for a thumbnail")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise NotAThumbnail("too many pixels for a thumbnail")
            image.thumbnail((SIDE, SIDE))
            pixels = _flattened(image)
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise NotAThumbnail(str(exc)) from None
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=QUALITY, optimize=True)
    if out.tell() > MAX_JPEG_BYTES:
        raise NotAThumbnail("the JPEG came out too large")
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels only; transparency laid on white, as a mail's background usually is."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
