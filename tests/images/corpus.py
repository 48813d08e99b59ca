"""Images good, odd and hostile, all made in memory, each with the outcome it must reach.

Used by the pure processing tests and by the tests that push the same files through the real
upload endpoint and a real Celery worker.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageCms, PngImagePlugin
from pillow_heif import register_heif_opener

GPS = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}


def jpeg(size=(640, 480), color=(200, 120, 40), *, orientation=None, gps=False, **save) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(image, Image.new("RGB", size, color), 0.6)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes(), **save)
    return buffer.getvalue()


def png(size=(300, 200), mode="RGB", color=(10, 200, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return buffer.getvalue()


def png_16bit() -> bytes:
    """A 16-bit greyscale gradient (mode I;16), values 0..65535."""
    image = Image.linear_gradient("L").resize((256, 256)).convert("I")
    image = image.point(lambda v: v * 257).convert("I;16")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_with_alpha() -> bytes:
    return png(mode="RGBA", color=(255, 0, 0, 128))


def cmyk_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("CMYK", (320, 240), (0, 255, 255, 0)).save(buffer, "JPEG")  # pure red in CMYK
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (120, 90), index) for index in (1, 2, 3)]
    for frame, rgb in zip(frames, [(255, 0, 0), (0, 255, 0), (0, 0, 255)], strict=True):
        frame.putpalette([0, 0, 0, *rgb * 255][:768])
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 60, 220)).save(buffer, "WEBP")
    return buffer.getvalue()


def heic() -> bytes:
    register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (240, 200, 10)).save(buffer, "HEIF", quality=90)
    return buffer.getvalue()


def srgb_tagged_jpeg() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return jpeg(icc_profile=profile)


def huge_exif_jpeg() -> bytes:
    """A JPEG whose EXIF segment is nearly the 64 KB a segment can hold."""
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription
    exif[0x8825] = GPS
    image = Image.new("RGB", (200, 200), (90, 90, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(size=(800, 600))
    return data[: len(data) // 2]


def polyglot_html_jpeg() -> bytes:
    """A valid JPEG that is also an HTML page, markup in a comment segment and after the end."""
    data = jpeg(size=(200, 150))
    comment = b"<html><script>alert(document.cookie)</script></html>"
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:] + comment


def png_bomb(width=50_000, height=50_000) -> bytes:
    """A tiny PNG that declares a huge canvas."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, format: str, **save) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **save)
    return buffer.getvalue()


def bmp() -> bytes:
    return encoded(Image.new("RGB", (64, 64), (1, 2, 3)), "BMP")


def tiff() -> bytes:
    return encoded(Image.new("RGB", (64, 64), (1, 2, 3)), "TIFF")


def gif_bomb() -> bytes:
    """A GIF whose screen and frame declare 40000×40000 px in a few bytes."""
    header = b"GIF89a" + struct.pack("<HH", 40_000, 40_000) + b"\x00\x00\x00"
    frame = b"\x2c" + struct.pack("<HHHH", 0, 0, 40_000, 40_000) + b"\x00"
    return header + frame + b"\x02\x02\x44\x01\x00\x3b"


def grey_jpeg() -> bytes:
    return encoded(Image.linear_gradient("L").resize((320, 240)), "JPEG")


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (120, 80), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    return encoded(image, "PNG", transparency=0)


def broken_icc_jpeg() -> bytes:
    return jpeg(icc_profile=b"\x00" * 128 + b"not an ICC profile")


def panorama_jpeg() -> bytes:
    return jpeg(size=(6000, 300))


def png_with_trailing_garbage() -> bytes:
    return png() + b"PK\x03\x04" + b"\x00" * 200  # a zip glued behind the image


def tiny_jpeg() -> bytes:
    return jpeg(size=(1, 1))


# --- Dates taken: EXIF, XMP, PNG text --------------------------------------------------------

EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL = 0x9003, 0x9011, 0x9291
DATE_TIME_DIGITIZED = 0x9004
DATE_TIME = 0x0132  # when the file was last changed: not when the photo was taken


def exif_dates(original=None, *, offset=None, subsec=None, digitized=None, changed=None):
    """EXIF holding these dates, as cameras and phones write them (``2024:03:04 14:05:06``)."""
    exif = Image.Exif()
    if changed:
        exif[DATE_TIME] = changed
    ifd = exif.get_ifd(EXIF_IFD)
    for tag, value in (
        (DATE_TIME_ORIGINAL, original),
        (OFFSET_TIME_ORIGINAL, offset),
        (SUBSEC_TIME_ORIGINAL, subsec),
        (DATE_TIME_DIGITIZED, digitized),
    ):
        if value is not None:
            ifd[tag] = value
    return exif


def xmp_packet(**properties: str) -> bytes:
    """An XMP packet with these properties (``xmp_CreateDate="2024-03-04T14:05:00+01:00"``),
    written as elements, as Adobe's tools and most phones do."""
    namespaces = {
        "xmp": "http://ns.adobe.com/xap/1.0/",
        "exif": "http://ns.adobe.com/exif/1.0/",
        "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    }
    declared = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())
    elements = "".join(
        f"<{name.replace('_', ':')}>{value}</{name.replace('_', ':')}>"
        for name, value in properties.items()
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {declared}>{elements}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def dated(format: str, *, exif=None, xmp: bytes = b"", size=(320, 240), **save) -> bytes:
    """A photo in ``format`` (JPEG, WEBP, HEIF, PNG) carrying this EXIF and XMP."""
    register_heif_opener()
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    if exif is not None:
        save["exif"] = exif.tobytes()
    if xmp:
        save["xmp"] = xmp
    return encoded(image, format, **save)


def png_with_text(text: dict[str, str], *, itxt: dict[str, str] | None = None) -> bytes:
    """A PNG with these ``tEXt`` chunks (and ``iTXt``, where XMP goes in a PNG)."""
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    for key, value in (itxt or {}).items():
        info.add_itxt(key, value)
    return encoded(Image.new("RGB", (200, 150), (10, 120, 200)), "PNG", pnginfo=info)


def png_with_text_after_its_pixels(key: str, value: str) -> bytes:
    """A PNG whose text chunk follows its pixels (the specification allows either place)."""
    data = png()
    end = data.rindex(b"IEND") - 4
    body = key.encode("latin-1") + b"\x00" + value.encode("latin-1")
    crc = zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF
    return (
        data[:end]
        + struct.pack(">I", len(body))
        + b"tEXt"
        + body
        + struct.pack(">I", crc)
        + data[end:]
    )


def jpeg_with_dates() -> bytes:
    exif = exif_dates("2024:03:04 14:05:06", offset="+01:00", subsec="25")
    exif[0x8825] = GPS
    return dated("JPEG", exif=exif, xmp=xmp_packet(xmp_CreateDate="2024-03-04T14:05:06+01:00"))


def heic_with_dates() -> bytes:
    exif = exif_dates("2023:07:14 09:30:00", offset="-04:00")
    return dated("HEIF", exif=exif, xmp=xmp_packet(photoshop_DateCreated="2023-07-14"))


def webp_with_dates() -> bytes:
    return dated(
        "WEBP",
        exif=exif_dates("2022:12:25 08:00:00"),
        xmp=xmp_packet(xmp_CreateDate="2022-12-25T08:00:00Z"),
    )


def png_with_dates() -> bytes:
    xmp = xmp_packet(exif_DateTimeOriginal="2021-05-06T07:08:09+02:00").decode()
    return png_with_text(
        {"Creation Time": "Thu, 06 May 2021 07:08:09 +0200"}, itxt={"XML:com.adobe.xmp": xmp}
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ZIP = b"PK\x05\x06" + b"\x00" * 18


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


@dataclass(frozen=True)
class Case:
    name: str
    make: object  # () -> bytes
    content_type: str  # what the uploader claims
    ready: bool
    reason: str = ""  # a fragment of the failure reason, when not ready


CASES = (
    Case("jpeg with gps", lambda: jpeg(gps=True, orientation=6), "image/jpeg", True),
    Case("png", png, "image/png", True),
    Case("png with alpha", png_with_alpha, "image/png", True),
    Case("16-bit png", png_16bit, "image/png", True),
    Case("cmyk jpeg", cmyk_jpeg, "image/jpeg", True),
    Case("animated gif", animated_gif, "image/gif", True),
    Case("webp", webp, "image/webp", True),
    Case("heic", heic, "image/heic", True),
    Case("srgb-tagged jpeg", srgb_tagged_jpeg, "image/jpeg", True),
    Case("huge exif block", huge_exif_jpeg, "image/jpeg", True),
    Case("html/jpeg polyglot", polyglot_html_jpeg, "image/jpeg", True),
    Case("png named as jpeg", png, "image/jpeg", True),
    Case("zero bytes", lambda: b"", "image/jpeg", False, "the file is empty"),
    Case("truncated jpeg", truncated_jpeg, "image/jpeg", False, "damaged or truncated"),
    Case(
        "text renamed .jpg", lambda: b"just some notes\n" * 50, "image/jpeg", False, "not an image"
    ),
    Case("svg", lambda: SVG, "image/png", False, "not an image"),
    Case("decompression bomb", png_bomb, "image/png", False, "image too large: 50000×50000 px"),
    Case("gif bomb", gif_bomb, "image/gif", False, "image too large: 40000×40000 px"),
    Case("bmp", bmp, "image/png", False, "not a kind we accept"),
    Case("tiff", tiff, "image/jpeg", False, "not a kind we accept"),
    Case("pdf", lambda: PDF, "image/jpeg", False, "not an image"),
    Case("zip", lambda: ZIP, "image/png", False, "not an image"),
    Case("1×1 jpeg", tiny_jpeg, "image/jpeg", True),
    Case("6000×300 panorama", panorama_jpeg, "image/jpeg", True),
    Case("greyscale jpeg", grey_jpeg, "image/jpeg", True),
    Case("palette png with transparency", palette_png_with_transparency, "image/png", True),
    Case("jpeg with a broken icc profile", broken_icc_jpeg, "image/jpeg", True),
    Case("png with a zip behind it", png_with_trailing_garbage, "image/png", True),
    Case("webp named as jpeg", webp, "image/jpeg", True),
    Case("jpeg with dates, xmp and gps", jpeg_with_dates, "image/jpeg", True),
    Case("heic with dates and xmp", heic_with_dates, "image/heic", True),
    Case("webp with dates and xmp", webp_with_dates, "image/webp", True),
    Case("png with dates in text and xmp", png_with_dates, "image/png", True),
)


def with_every_kind_of_metadata(mode: str, format: str) -> bytes:
    """A ``mode`` picture in ``format`` carrying EXIF with GPS, an ICC profile, XMP and, in a
    PNG, text chunks: everything a rendition must leave behind."""
    exif = Image.Exif()
    exif[0x8825] = GPS
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    save = {"exif": exif.tobytes(), "icc_profile": profile}
    if format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "the secret place")
        info.add_itxt("XML:com.adobe.xmp", xmp_packet(xmp_CreateDate="2024-06-01").decode())
        save["pnginfo"] = info
    else:
        save["xmp"] = xmp_packet(xmp_CreateDate="2024-06-01")
    color = (0, 255, 0, 128) if mode == "RGBA" else (0, 255, 0)
    return encoded(Image.new(mode, (64, 48), color), format, **save)
