import io

import pytest
from PIL import Image

from social.pure.mail_images import MAX_JPEG_BYTES, SIDE, NotAThumbnail, mail_jpeg


def webp(size=(512, 512), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 80, 20, 128) if mode == "RGBA" else "#c85014").save(
        buffer, "WEBP", **save
    )
    return buffer.getvalue()


def test_a_square_rendition_becomes_a_small_jpeg():
    jpeg = mail_jpeg(webp())
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    assert image.size == (SIDE, SIDE)
    assert len(jpeg) <= MAX_JPEG_BYTES


def test_the_jpeg_carries_no_metadata_whatever_the_source_held():
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}  # GPS
    exif[0x010F] = "Camera maker"
    source = webp(exif=exif.tobytes(), xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    assert Image.open(io.BytesIO(source)).info.get("exif")  # the source did carry it
    jpeg = mail_jpeg(source)
    image = Image.open(io.BytesIO(jpeg))
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp"} & set(image.info)
    assert b"Exif" not in jpeg
    assert b"secret" not in jpeg


def test_transparency_is_laid_on_white():
    image = Image.open(io.BytesIO(mail_jpeg(webp(mode="RGBA"))))
    assert image.mode == "RGB"
    green = image.getpixel((10, 10))[1]
    assert green > 150  # half-transparent orange on white is pale, not dark


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_what_is_not_an_image_is_refused(data):
    with pytest.raises(NotAThumbnail):
        mail_jpeg(data)


def test_an_image_far_larger_than_a_rendition_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("L", (5000, 5000)).save(buffer, "PNG")
    with pytest.raises(NotAThumbnail):
        mail_jpeg(buffer.getvalue())
