"""Turning an uploaded original into safe renditions: pure functions over bytes, no ORM.

One decode per photo. JPEGs are shrunk while decoding (``draft``) as far as the largest
rendition allows; each smaller rendition is resized from the one above it (a cascade), and the
EXIF orientation is applied to the small results rather than to the full-size original.
Renditions are re-encoded WebP in sRGB carrying no metadata at all: no EXIF (so no GPS), no
XMP, no IPTC, no comments, no ICC profile (untagged means sRGB on the web).
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()
# Pillow's own bomb check refuses at open without saying the size; open_image checks the
# declared size itself, against a lower limit, before anything is decoded.
Image.MAX_IMAGE_PIXELS = None

# Formats we decode, whatever the file's name or announced type said.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
}
WEBP_QUALITY = 80
# libwebp's effort 2 encodes about twice as fast as its default 4; measured on photo-like and
# flat images, its files are 3-13% larger (benchmarks/renditions.py shows both).
WEBP_METHOD = 2
# BICUBIC, as Pillow's thumbnail() uses: for shrinking it is as sharp as LANCZOS to the eye and
# a third faster on a 12-megapixel decode.
RESAMPLE = Image.Resampling.BICUBIC
# Sources this large are resized in bands on parallel threads, with the triangle filter: over
# the ~2x reduction from a camera's decode to ``large`` it averages as wide a neighbourhood as
# bicubic, looks the same at that size, and takes 40% less time (benchmarks/renditions.py).
BANDED_RESIZE_MIN_PIXELS = 4_000_000
LARGE_SOURCE_RESAMPLE = Image.Resampling.BILINEAR
RESIZE_BANDS = 2
ORIENTATION_TAG = 0x0112
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class RenditionSpec:
    name: str
    size: int  # longest edge, or the side of a square
    square: bool = False


# Largest first: each is made from the one before it.
RENDITION_SPECS = (
    RenditionSpec("large", 2048),
    RenditionSpec("medium", 1024),
    RenditionSpec("thumb", 256, square=True),
)


@dataclass(frozen=True)
class Rendered:
    name: str
    data: bytes
    width: int
    height: int

    @property
    def content_hash(self) -> str:
        """A short hash of the bytes, for immutable, content-addressed keys."""
        return hashlib.sha256(self.data).hexdigest()[:16]


@dataclass(frozen=True)
class ProcessedPhoto:
    format: str
    content_type: str
    width: int  # as displayed, after orientation
    height: int
    placeholder_color: str  # "#rrggbb", shown while the thumbnail loads
    renditions: tuple[Rendered, ...]


class ImageRejected(ValueError):
    """A file we will not process; the message is meant for the person who uploaded it."""


def sha256_of(stream: BinaryIO, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a stream's bytes, read in chunks; leaves the stream at its start."""
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(chunk_size):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def process_image(stream: BinaryIO, *, max_pixels: int) -> ProcessedPhoto:
    """Decode ``stream`` once and make every rendition of ``RENDITION_SPECS``.

    Raises ``ImageRejected`` with a reason a person can read for anything that is not a
    decodable image of an allowed format within ``max_pixels``.
    """
    image = open_image(stream, max_pixels=max_pixels)
    orientation = image.getexif().get(ORIENTATION_TAG, 1)
    source_format = image.format
    width, height = _oriented_size(image.size, orientation)
    try:
        image.draft("RGB", _fit(image.size, RENDITION_SPECS[0].size))
        image = to_srgb(image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("the image is damaged or truncated") from exc
    renditions = tuple(_cascade(image, orientation))
    return ProcessedPhoto(
        format=source_format,
        content_type=CONTENT_TYPES[source_format],
        width=width,
        height=height,
        placeholder_color=_average_color(renditions[-1]),
        renditions=renditions,
    )


def open_image(stream: BinaryIO, *, max_pixels: int) -> Image.Image:
    """Identify the image from its bytes and check its declared size before any decoding."""
    stream.seek(0)
    if not stream.read(1):
        raise ImageRejected("the file is empty")
    stream.seek(0)
    try:
        image = Image.open(stream, formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise ImageRejected(
            "not an image, or not a kind we accept (JPEG, PNG, WebP, HEIC or GIF)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected("the image is damaged or truncated") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected("the image has no pixels")
    if width * height > max_pixels:
        raise ImageRejected(
            f"image too large: {width}×{height} px (the limit is {max_pixels // 1_000_000} "
            "megapixels)"
        )
    return image


def to_srgb(image: Image.Image) -> Image.Image:
    """Decode into 8-bit RGB or RGBA in sRGB, converting from an embedded ICC profile."""
    image.load()
    icc = image.info.get("icc_profile")
    image = _to_eight_bit(image)
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") else "RGB"
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(mode)
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to a plain conversion rather than fail
    mode = "RGBA" if _has_alpha(image) else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _to_eight_bit(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits rather than clip everything above 255 to white.
        return image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if image.mode == "F":
        return image.convert("L")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _cascade(image: Image.Image, orientation: int) -> list[Rendered]:
    """Each rendition resized from the previous one; while one is being encoded (Pillow
    releases the GIL there) the next is resized, so a photo takes both cores' worth of time
    less. A pool per call: a pool made at import would not survive Celery's fork."""
    with ThreadPoolExecutor(max_workers=len(RENDITION_SPECS)) as pool:
        pending, current = [], image
        for spec in RENDITION_SPECS:
            current = _square(current, spec.size) if spec.square else _shrink(current, spec.size)
            oriented = _apply_orientation(current, orientation)
            pending.append(pool.submit(_encode, spec.name, oriented))
        return [job.result() for job in pending]


def _shrink(image: Image.Image, longest: int) -> Image.Image:
    """Fit within ``longest`` px on the longest edge; never upscale."""
    size = _fit(image.size, longest)
    if size == image.size:
        return image
    if image.width * image.height < BANDED_RESIZE_MIN_PIXELS:
        return image.resize(size, RESAMPLE, reducing_gap=3.0)
    return _banded_resize(image, size)


def _banded_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image.resize(size)`` in horizontal bands on parallel threads (Pillow releases the GIL
    while resampling). Each band's filter reads past its box into the whole image, so there are
    no seams: the result is the single call's, but for float rounding of the band boxes moving
    a few pixels by one level (a test bounds it)."""
    (width, height), (out_width, out_height) = image.size, size
    cuts = [round(out_height * i / RESIZE_BANDS) for i in range(RESIZE_BANDS + 1)]

    def band(top: int, bottom: int) -> Image.Image:
        box = (0, height * top / out_height, width, height * bottom / out_height)
        return image.resize((out_width, bottom - top), LARGE_SOURCE_RESAMPLE, box=box)

    with ThreadPoolExecutor(max_workers=RESIZE_BANDS) as pool:
        bands = list(pool.map(band, cuts[:-1], cuts[1:]))
    result = Image.new(image.mode, size)
    for top, part in zip(cuts, bands, strict=False):
        result.paste(part, (0, top))
    return result


def _square(image: Image.Image, side: int) -> Image.Image:
    """A centred square crop, at most ``side`` px; never upscaled."""
    width, height = image.size
    edge = min(width, height)
    left, top = (width - edge) // 2, (height - edge) // 2
    target = min(side, edge)
    box = (left, top, left + edge, top + edge)
    return image.resize((target, target), RESAMPLE, box=box, reducing_gap=3.0)


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = longest / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


_TRANSPOSITIONS = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    for method in _TRANSPOSITIONS.get(orientation, ()):
        image = image.transpose(method)
    return image


def _encode(name: str, image: Image.Image) -> Rendered:
    buffer = io.BytesIO()
    # Only the pixels are passed on: no exif=, xmp= or icc_profile=, so none is written.
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return Rendered(name=name, data=buffer.getvalue(), width=image.width, height=image.height)


def _average_color(rendered: Rendered) -> str:
    with Image.open(io.BytesIO(rendered.data)) as thumb:
        red, green, blue = (
            thumb.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        )
    return f"#{red:02x}{green:02x}{blue:02x}"
