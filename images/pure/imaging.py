"""Turning an uploaded original into safe renditions: pure functions over bytes, no ORM.

One decode per photo. JPEGs are shrunk while decoding (``draft``) as far as the largest
rendition allows; each smaller rendition is resized from a larger one made before it (a
cascade), and the EXIF orientation is applied to the small results rather than to the full-size
original. Renditions are re-encoded WebP in sRGB carrying no metadata at all: no EXIF (so no
GPS), no XMP, no IPTC, no comments, no ICC profile (untagged means sRGB on the web). The
``full`` rendition for downloads (``render_full``) is made apart, from a decode of its own,
as JPEG (or PNG), with no metadata either.

A worker's memory is bounded before anything is decoded, by pixels (``max_pixels``) and by the
bytes the decode will hold (``max_decoded_bytes``: Pillow's image plus what the format's
decoder keeps beside it). Past the decode the source is never copied whole: 16-bit and palette
modes, ICC conversion and alpha premultiplication are done band by band as it is shrunk to the
largest rendition (benchmarks/worker_memory.py measures the peak).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import math
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, JpegImagePlugin, UnidentifiedImageError
from pillow_heif import register_heif_opener

from images.pure.taken_at import TakenAt, read_taken_at

register_heif_opener()
# Pillow's own bomb check refuses at open without saying the size; open_image checks the
# declared size itself, against a lower limit, before anything is decoded.
Image.MAX_IMAGE_PIXELS = None

# Formats we decode, whatever the file's name or announced type said.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    # A JPEG carrying more pictures (phones' depth maps, cameras' previews): Pillow names it
    # MPO; it is a JPEG, and its first picture is the photo.
    "MPO": "image/jpeg",
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
# A source that needs converting (wide or palette modes, an ICC profile, alpha) is cropped,
# converted and resized in bands of about this many pixels, so the copies made on the way are
# a few of these bands rather than the whole source (tens of MB instead of hundreds).
CONVERT_BAND_PIXELS = 2_000_000
# How far each of Pillow's filters reaches either side, in output pixels (its "support", as in
# Pillow's Resample.c): a band reads this far past its edges to resize as the whole image would.
FILTER_SUPPORT = {
    Image.Resampling.BOX: 0.5,
    Image.Resampling.BILINEAR: 1.0,
    Image.Resampling.HAMMING: 1.0,
    Image.Resampling.BICUBIC: 2.0,
    Image.Resampling.LANCZOS: 3.0,
}
# Bytes per pixel a decoder holds beside Pillow's image while decoding, measured
# (benchmarks/worker_memory.py): libwebp keeps two RGBA canvases and Pillow copies the frame
# into bytes before unpacking it (3 × 4); libheif keeps its interleaved RGB(A) copy (3-4) and
# part of its YCbCr planes.
DECODER_BYTES_PER_PIXEL = {"WEBP": 12, "HEIF": 5}
ORIENTATION_TAG = 0x0112
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class RenditionSpec:
    name: str
    size: int  # longest edge, or the side of a square
    square: bool = False


# Largest first. Each is made from the smallest uncropped one before it that still gives it
# its full size (see ``_source_for``): medium from large, the squares from medium (from large
# when medium is too narrow, from the decode itself for a panorama whose ``large`` is narrower
# than the square: ``_working_size``); never from a square crop, so the thumbnail is the same
# whether or not the 512 px square exists. None is ever upscaled: a square's side is the
# source's short side when that is under the spec's.
RENDITION_SPECS = (
    RenditionSpec("large", 2048),
    RenditionSpec("medium", 1024),
    # The grid's tiles on 2× screens (issue 14): a tile is 175-240 CSS px wide.
    RenditionSpec("square", 512, square=True),
    RenditionSpec("thumb", 256, square=True),
)
LARGEST_SQUARE = max(spec.size for spec in RENDITION_SPECS if spec.square)
# The rendition the placeholder colour is averaged from.
PLACEHOLDER_SOURCE = "thumb"
# The placeholder of an image with no opaque pixel at all: a grey that sits on light and dark
# backgrounds alike.
NEUTRAL_PLACEHOLDER = "#808080"


@dataclass(frozen=True)
class Rendered:
    name: str
    data: bytes
    width: int
    height: int
    content_type: str = "image/webp"

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
    taken_at: TakenAt | None = None  # from the original's metadata, when it says


# The download rendition (issue 16): the whole photo, upright, sRGB, without any metadata, made
# beside the others from a decode of its own (``render_full``) and never shown on a page. JPEG,
# which every viewer, editor and print shop opens (WebP does not everywhere, and stops at
# 16,383 px a side: a panorama would not fit), at a quality where re-encoding a camera's JPEG
# shows no loss to the eye; PNG when the photo has transparency, which JPEG cannot keep.
FULL = "full"
FULL_JPEG_QUALITY = 90
# JPEG's DCT scales (libjpeg decodes at 1/1, 1/2, 1/4 or 1/8 of the size).
_DRAFT_SCALES = (1, 2, 4, 8)


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


def process_image(
    stream: BinaryIO,
    *,
    max_pixels: int,
    max_decoded_bytes: int | None = None,
    names: Collection[str] | None = None,
    now: datetime.datetime | None = None,
) -> ProcessedPhoto:
    """Decode ``stream`` once and make every rendition of ``RENDITION_SPECS``, and read when
    the photo was taken from the same decode's metadata (``read_taken_at``: none is later
    than a day after ``now``, by default the present).

    ``names``: encode only these renditions (those a photo made before they existed lacks);
    the others are still resized, since each is made from one before it, so what is encoded
    is what a full run makes. The placeholder colour comes from the thumbnail: it is ``""``
    when the thumbnail is not among them.

    Raises ``ImageRejected`` with a reason a person can read for anything that is not a
    decodable image of an allowed format within ``max_pixels`` and, when given,
    ``max_decoded_bytes`` (see ``decoded_bytes``).
    """
    image = open_image(stream, max_pixels=max_pixels)
    source_format, declared = image.format, image.size
    working = _working_size(declared)
    with _damaged_if_it_fails():
        image.draft("RGB", working)
    if max_decoded_bytes is not None:
        check_decoded_bytes(image, declared=declared, limit=max_decoded_bytes)
    with _damaged_if_it_fails():
        # Not before the check: Pillow decodes a PNG to read its EXIF (it may follow the pixels).
        orientation = image.getexif().get(ORIENTATION_TAG, 1)
        source, image = image, shrink_to_srgb(image, _working_size(image.size))
    # After the decode, which reads a PNG's text chunks following its pixels; then the
    # full-size decode goes (``source`` would otherwise hold it through the cascade).
    taken_at = read_taken_at(source, now=now or datetime.datetime.now(datetime.UTC))
    del source
    renditions = tuple(_cascade(image, orientation, names))
    width, height = _oriented_size(declared, orientation)
    thumb = next((r for r in renditions if r.name == PLACEHOLDER_SOURCE), None)
    return ProcessedPhoto(
        format=source_format,
        content_type=CONTENT_TYPES[source_format],
        width=width,
        height=height,
        placeholder_color=_average_color(thumb) if thumb else "",
        renditions=renditions,
        taken_at=taken_at,
    )


def render_full(
    stream: BinaryIO,
    *,
    max_pixels: int,
    max_decoded_bytes: int | None = None,
    now: datetime.datetime | None = None,
    read_taken: bool = True,
) -> ProcessedPhoto:
    """The ``full`` rendition of the photo in ``stream``: every pixel, upright, in sRGB, with no
    metadata at all (no EXIF, so no GPS; no XMP, no ICC profile), JPEG, or PNG when it has
    alpha; as a ``ProcessedPhoto`` of that one rendition, with the date taken read from the
    same decode (unless ``read_taken`` is false: ``process_image`` read it already).

    Its memory is bounded like ``process_image``'s, by ``max_decoded_bytes``: the decode, and
    after it the decoded image plus the copy converting it to sRGB or turning it upright
    makes (none for the common RGB photo that is upright already). A JPEG too large for that
    at full size is decoded at the largest DCT scale that fits; any other photo, which
    ``process_image`` decodes whole already, is shrunk until its copy fits. Raises
    ``ImageRejected`` as ``process_image`` does."""
    image = open_image(stream, max_pixels=max_pixels)
    source_format, declared = image.format, image.size
    with _damaged_if_it_fails():
        if max_decoded_bytes is not None:
            _draft_within(image, declared, max_decoded_bytes)
            check_decoded_bytes(image, declared=declared, limit=max_decoded_bytes)
        image.load()
        orientation = image.getexif().get(ORIENTATION_TAG, 1)
        size = _full_size(image, orientation, max_decoded_bytes)
        upright = shrink_to_srgb(image, size)
    taken_at = (
        read_taken_at(image, now=now or datetime.datetime.now(datetime.UTC)) if read_taken else None
    )
    del image  # the decode goes (unless it is the result) before the upright copy is made
    upright = _apply_orientation(upright, orientation)
    full = _encode_full(upright)
    return ProcessedPhoto(
        format=source_format,
        content_type=CONTENT_TYPES[source_format],
        width=full.width,
        height=full.height,
        placeholder_color="",
        renditions=(full,),
        taken_at=taken_at,
    )


def _draft_within(image: Image.Image, declared: tuple[int, int], limit: int) -> None:
    """For a JPEG: decode at the largest DCT scale whose decode, and whose decoded image
    beside its copy, fit ``limit``."""
    if not isinstance(image, JpegImagePlugin.JpegImageFile):
        return
    width, height = declared
    coefficients = _progressive_jpeg_coefficient_bytes(image, declared)
    per_pixel = _bytes_per_pixel("RGB" if image.mode == "YCbCr" else image.mode)
    orientation = image.getexif().get(ORIENTATION_TAG, 1)  # (a JPEG's EXIF comes first)
    copies = _needs_copy(image, orientation)
    for scale in _DRAFT_SCALES:
        pixels = math.ceil(width / scale) * math.ceil(height / scale)
        held = pixels * per_pixel + (pixels * 4 if copies else 0)
        if max(pixels * per_pixel + coefficients, held) <= limit or scale == _DRAFT_SCALES[-1]:
            if scale > 1:
                # Pillow picks the largest scale giving at least the size asked for.
                image.draft("RGB", (width // scale, height // scale))
            return


def _needs_copy(image: Image.Image, orientation: int) -> bool:
    """Whether making ``image``'s full rendition copies it: to convert its pixels to 8-bit
    sRGB, or to turn it upright."""
    return orientation in _TRANSPOSITIONS or _srgb_converter(image) is not _unchanged


def _full_size(image: Image.Image, orientation: int, limit: int | None) -> tuple[int, int]:
    """The decode's size, or smaller when the copy it needs would not fit beside it."""
    pixels = image.width * image.height
    held = pixels * _bytes_per_pixel(image.mode)  # the decoder's own buffers are freed
    if limit is None or not _needs_copy(image, orientation) or held + pixels * 4 <= limit:
        return image.size
    scale = math.sqrt(max(limit - held, 4) / 4 / pixels)
    return max(1, math.floor(image.width * scale)), max(1, math.floor(image.height * scale))


def _encode_full(image: Image.Image) -> Rendered:
    buffer = io.BytesIO()
    # Only the pixels are passed on: no exif= or xmp=, so none is written. icc_profile=None
    # is said outright: Pillow's PNG writer otherwise falls back to image.info's profile, the
    # original's, which would tag pixels already converted to sRGB with the wrong profile.
    if image.mode == "RGBA":
        # zlib's level 3: on a 12-megapixel photo-like RGBA, 60 % of level 6's time (the
        # default) for a file 15 % larger; level 1 is faster still but 35 % larger.
        image.save(buffer, "PNG", compress_level=3, icc_profile=None)
        content_type = "image/png"
    else:
        image.save(buffer, "JPEG", quality=FULL_JPEG_QUALITY, icc_profile=None)
        content_type = "image/jpeg"
    return Rendered(FULL, buffer.getvalue(), image.width, image.height, content_type)


def read_taken_at_of(
    stream: BinaryIO,
    *,
    max_pixels: int,
    max_decoded_bytes: int | None = None,
    now: datetime.datetime | None = None,
) -> TakenAt | None:
    """When the photo in ``stream`` was taken, from its metadata alone (``read_taken_at``),
    for photos processed before dates were read: its pixels are not decoded, but for a PNG,
    whose text may follow them, within the limits processing has. Raises ``ImageRejected`` as
    ``process_image`` does."""
    image = open_image(stream, max_pixels=max_pixels)
    with _damaged_if_it_fails():
        if image.format == "PNG":
            if max_decoded_bytes is not None:
                check_decoded_bytes(image, declared=image.size, limit=max_decoded_bytes)
            image.load()
        return read_taken_at(image, now=now or datetime.datetime.now(datetime.UTC))


@contextmanager
def _damaged_if_it_fails() -> Iterator[None]:
    try:
        yield
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("the image is damaged or truncated") from exc


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


def decoded_bytes(image: Image.Image, *, declared: tuple[int, int]) -> int:
    """The memory decoding ``image`` will take, in bytes, as it is set to decode now (after
    ``draft``; ``declared`` is its size before): Pillow's image at the bytes Pillow stores per
    pixel of its mode, plus what the format's decoder holds beside it."""
    width, height = image.size
    per_pixel = _bytes_per_pixel(image.mode) + DECODER_BYTES_PER_PIXEL.get(image.format, 0)
    return width * height * per_pixel + _progressive_jpeg_coefficient_bytes(image, declared)


def check_decoded_bytes(image: Image.Image, *, declared: tuple[int, int], limit: int) -> None:
    """Refuse, before any decoding, an image whose decode would take more than ``limit``
    bytes; the message says how large a file would go through."""
    needed = decoded_bytes(image, declared=declared)
    if needed <= limit:
        return
    width, height = declared
    fitting = width * height * limit / needed / 1_000_000
    raise ImageRejected(
        f"image too large: {width}×{height} px takes {needed / 1_000_000:,.0f} MB of memory to "
        f"decode (the limit is {limit / 1_000_000:,.0f} MB); save it at {fitting:.1f} "
        f"megapixels at most{_lighter_kind(image)}"
    )


def _lighter_kind(image: Image.Image) -> str:
    if not isinstance(image, JpegImagePlugin.JpegImageFile):
        return ", or as a JPEG"  # decoded at a reduced scale, with no decoder copies
    return ", or as a baseline (not progressive) JPEG" if image.info.get("progressive") else ""


def _bytes_per_pixel(mode: str) -> int:
    # Pillow stores a byte a pixel for 1, L and P, two for I;16, and four for everything else:
    # I and F, and every multi-band mode (RGB is held as RGBX, LA as four bytes too).
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _progressive_jpeg_coefficient_bytes(image: Image.Image, size: tuple[int, int]) -> int:
    """libjpeg holds every DCT coefficient of a progressive JPEG (2 bytes each, 64 to a block
    of 8×8) at full size, however small ``draft`` makes the output: 3 bytes a pixel at 4:2:0,
    6 at 4:4:4."""
    if not isinstance(image, JpegImagePlugin.JpegImageFile) or not image.info.get("progressive"):
        return 0  # (MPO, a JPEG with more pictures after it, is a JpegImageFile too)
    width, height = size
    h_max = max(h for _, h, _, _ in image.layer)
    v_max = max(v for _, _, v, _ in image.layer)
    blocks = sum(
        math.ceil(width * h / h_max / 8) * math.ceil(height * v / v_max / 8)
        for _, h, v, _ in image.layer
    )
    return blocks * 64 * 2


def shrink_to_srgb(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Decode ``image`` into 8-bit RGB or RGBA in sRGB (from an embedded ICC profile) at
    ``size``, which is never larger than it is.

    A large source that needs converting is cropped, converted and resized band by band, so
    no second full-size copy of it is made."""
    image.load()
    convert = _srgb_converter(image)
    if size == image.size:
        return convert(image)
    if image.width * image.height < BANDED_RESIZE_MIN_PIXELS:
        return convert(image).resize(size, RESAMPLE, reducing_gap=3.0)
    if image.mode == "RGB" and convert is _unchanged:
        return _banded_resize(image, size)  # the common JPEG: resized where it lies, no copy
    # Pillow premultiplies an RGBA image's alpha into a full-size copy before resizing it (in
    # each band's call); a cropped band makes that copy band-sized too.
    return _banded_resize(image, size, convert=convert)


def _unchanged(image: Image.Image) -> Image.Image:
    return image


def _srgb_converter(image: Image.Image) -> Callable[[Image.Image], Image.Image]:
    """The per-pixel conversion of ``image``'s pixels to 8-bit sRGB RGB or RGBA, set up once
    (the ICC transform is built here) and applicable to the whole image or to any crop of it;
    ``_unchanged`` when they already are."""
    target = "RGBA" if _has_alpha(image) else "RGB"
    transform = _icc_transform(image, target)
    if transform is None and image.mode == target:
        return _unchanged

    def convert(part: Image.Image) -> Image.Image:
        part = _to_eight_bit(part)
        if transform is not None:
            if part.mode != transform.input_mode:
                part = part.convert(transform.input_mode)
            return transform.apply(part)
        return part if part.mode == target else part.convert(target)

    return convert


def _icc_transform(image: Image.Image, target: str) -> ImageCms.ImageCmsTransform | None:
    icc = image.info.get("icc_profile")
    if not icc:
        return None
    eight_bit = _eight_bit_mode(image.mode)
    source_mode = eight_bit if eight_bit in ("RGB", "RGBA", "CMYK", "L") else target
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.buildTransform(source, _SRGB, source_mode, target)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None  # a broken profile: fall back to a plain conversion rather than fail


def _eight_bit_mode(mode: str) -> str:
    return "L" if mode in ("I;16", "I;16B", "I;16L", "I", "F") else mode


def _to_eight_bit(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits rather than clip everything above 255 to white.
        return image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if image.mode == "F":
        return image.convert("L")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _cascade(
    image: Image.Image, orientation: int, names: Collection[str] | None = None
) -> list[Rendered]:
    """Each rendition resized from one made before it (``_source_for``); while one is being
    encoded (Pillow releases the GIL there) the next is resized, so a photo takes both cores'
    worth of time less. Only ``names`` are encoded, when given. A pool per call: a pool made at
    import would not survive Celery's fork."""
    with ThreadPoolExecutor(max_workers=len(RENDITION_SPECS)) as pool:
        pending, uncropped = [], [image]
        for spec in RENDITION_SPECS:
            source = _source_for(spec, uncropped)
            if spec.square:
                made = _square(source, spec.size)
            else:
                made = _shrink(source, spec.size)
                uncropped.append(made)
            if names is None or spec.name in names:
                oriented = _apply_orientation(made, orientation)
                pending.append(pool.submit(_encode, spec.name, oriented))
        return [job.result() for job in pending]


def _source_for(spec: RenditionSpec, uncropped: list[Image.Image]) -> Image.Image:
    """The smallest of ``uncropped`` (the decode shrunk to ``large``, then the renditions made
    from it, largest first) from which ``spec`` comes out at the size it would have if made
    from the first: a 512 px square is cut from medium unless medium's short side is under
    512 px while the first's is not."""
    first = uncropped[0]
    if spec.square:
        side = min(spec.size, *first.size)
        holds = [image for image in uncropped if min(image.size) >= side]
    else:
        width, height = _fit(first.size, spec.size)
        holds = [image for image in uncropped if image.width >= width and image.height >= height]
    return holds[-1]


def _shrink(image: Image.Image, longest: int) -> Image.Image:
    """Fit within ``longest`` px on the longest edge; never upscale."""
    size = _fit(image.size, longest)
    if size == image.size:
        return image
    if image.width * image.height < BANDED_RESIZE_MIN_PIXELS:
        return image.resize(size, RESAMPLE, reducing_gap=3.0)
    return _banded_resize(image, size)


def _banded_resize(
    image: Image.Image,
    size: tuple[int, int],
    *,
    convert: Callable[[Image.Image], Image.Image] | None = None,
) -> Image.Image:
    """``image.resize(size)`` in horizontal bands on parallel threads (Pillow releases the GIL
    while resampling). Each band's filter reads past its box, into the whole image or, when
    the pixels need ``convert``-ing, into a converted crop reaching as far as the filter does;
    so there are no seams: the result is the single call's, but for float rounding of the band
    boxes moving a few pixels by a level (tests bound it)."""
    (width, height), (out_width, out_height) = image.size, size
    bands = RESIZE_BANDS
    if convert is not None:
        bands = min(max(bands, math.ceil(width * height / CONVERT_BAND_PIXELS)), out_height)
    cuts = [round(out_height * i / bands) for i in range(bands + 1)]
    # Pillow rounds each window's ends to whole rows: one more row covers that.
    reach = math.ceil(FILTER_SUPPORT[LARGE_SOURCE_RESAMPLE] * height / out_height) + 1

    def band(top: int, bottom: int) -> Image.Image:
        source, upper, lower = image, height * top / out_height, height * bottom / out_height
        if convert is not None:
            first = max(0, math.floor(upper) - reach)
            source = convert(image.crop((0, first, width, min(height, math.ceil(lower) + reach))))
            upper, lower = upper - first, lower - first
        box = (0, upper, width, lower)
        return source.resize((out_width, bottom - top), LARGE_SOURCE_RESAMPLE, box=box)

    with ThreadPoolExecutor(max_workers=RESIZE_BANDS) as pool:
        parts = list(pool.map(band, cuts[:-1], cuts[1:]))
    result = Image.new(parts[0].mode, size)
    for top, part in zip(cuts, parts, strict=False):
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


def _working_size(size: tuple[int, int]) -> tuple[int, int]:
    """What the decode is shrunk to before the cascade: ``large``'s size, unless that leaves
    its short side under the largest square while the source's is not (a panorama: 12000×1500
    fits ``large`` at 2048×256, 20000×1000 at 2048×102). Then it keeps the short side the
    squares need, so each square is as large as the source allows, and ``large`` is made from
    it like any other rendition."""
    fitted = _fit(size, RENDITION_SPECS[0].size)
    needed = min(LARGEST_SQUARE, *size)
    if min(fitted) >= needed:
        return fitted
    width, height = size
    if width < height:
        return needed, max(needed, round(height * needed / width))
    return max(needed, round(width * needed / height)), needed


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
    # Only the pixels are passed on: no exif=, xmp= or icc_profile=, so none is written (and
    # None said outright, as in _encode_full, should a writer fall back to image.info).
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, icc_profile=None)
    return Rendered(name=name, data=buffer.getvalue(), width=image.width, height=image.height)


def _average_color(rendered: Rendered) -> str:
    """The thumbnail's mean colour, each pixel weighted by its opacity: transparent pixels
    (whose colour nobody sees) count for nothing; an image with none opaque gets a neutral
    grey. Pillow resizes RGBA with premultiplied alpha, which is that weighting."""
    with Image.open(io.BytesIO(rendered.data)) as thumb:
        red, green, blue, alpha = (
            thumb.convert("RGBA").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        )
    if alpha == 0:
        return NEUTRAL_PLACEHOLDER
    return f"#{red:02x}{green:02x}{blue:02x}"
