"""The ``full`` rendition (issue 16): the whole photo for downloads, upright, sRGB, with no
metadata at all."""

import io

import pytest
from PIL import Image

from images.pure.imaging import ImageRejected, process_image, render_full
from tests.images import corpus

LIMIT = 50_000_000
DECODED_LIMIT = 250_000_000


def full_of(data: bytes, *, max_decoded_bytes: int = DECODED_LIMIT):
    result = render_full(io.BytesIO(data), max_pixels=LIMIT, max_decoded_bytes=max_decoded_bytes)
    (full,) = result.renditions
    return result, full


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_camera_jpeg_comes_out_a_jpeg_at_its_full_size():
    result, full = full_of(corpus.jpeg(size=(1600, 1200)))
    image = opened(full.data)
    assert (full.name, full.content_type, image.format) == ("full", "image/jpeg", "JPEG")
    assert image.size == (full.width, full.height) == (1600, 1200)
    assert (result.width, result.height) == (1600, 1200)


def test_it_carries_no_exif_no_gps_no_xmp_and_no_icc_profile():
    exif = corpus.exif_dates("2024:06:01 10:00:00")
    exif[0x8825] = corpus.GPS
    xmp = corpus.xmp_packet(xmp_CreateDate="2024-06-01T10:00:00+01:00")
    _, full = full_of(corpus.dated("JPEG", exif=exif, xmp=xmp, icc_profile=b""))
    image = opened(full.data)
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    assert b"Exif" not in full.data
    assert b"xmpmeta" not in full.data
    assert b"http://ns.adobe.com" not in full.data


SOURCES_WITH_METADATA = [("RGB", "JPEG"), ("RGB", "PNG"), ("RGBA", "PNG"), ("RGB", "WEBP")]
METADATA = {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp", "Comment"}


def every_rendition_of(data: bytes):
    """The full rendition and the ones shown (large, medium, square, thumb) of one source."""
    shown = process_image(io.BytesIO(data), max_pixels=LIMIT, max_decoded_bytes=DECODED_LIMIT)
    return [full_of(data)[1], *shown.renditions]


@pytest.mark.parametrize(("mode", "format"), SOURCES_WITH_METADATA)
def test_no_rendition_of_any_name_carries_the_originals_icc_exif_xmp_or_text(mode, format):
    data = corpus.with_every_kind_of_metadata(mode, format)
    assert {"icc_profile", "exif"} <= set(opened(data).info)  # the source does carry them
    renditions = every_rendition_of(data)
    assert [r.name for r in renditions] == ["full", "large", "medium", "square", "thumb"]
    for rendition in renditions:
        image = opened(rendition.data)
        assert not METADATA & set(image.info), (rendition.name, sorted(image.info))
        assert not image.getexif(), rendition.name
        assert not getattr(image, "text", None), rendition.name
        assert b"the secret place" not in rendition.data


def test_gps_of_the_original_does_not_reach_it():
    original = corpus.jpeg(gps=True)
    assert b"Exif" in original
    _, full = full_of(original)
    assert not opened(full.data).getexif().get_ifd(0x8825)
    assert b"Exif" not in full.data


def test_the_photo_is_turned_upright_from_its_exif_orientation():
    result, full = full_of(corpus.jpeg(size=(640, 480), orientation=6))
    assert opened(full.data).size == (full.width, full.height) == (480, 640)
    assert (result.width, result.height) == (480, 640)


def test_a_photo_with_transparency_comes_out_a_png_that_keeps_it():
    _, full = full_of(corpus.png_with_alpha())
    image = opened(full.data)
    assert (image.format, image.mode, full.content_type) == ("PNG", "RGBA", "image/png")
    assert image.getextrema()[3][0] < 255


def test_a_cmyk_jpeg_is_converted_to_rgb():
    _, full = full_of(corpus.cmyk_jpeg())
    assert opened(full.data).mode == "RGB"


def test_the_date_taken_is_read_from_the_same_decode():
    result, _ = full_of(corpus.jpeg_with_dates())
    assert result.taken_at is not None


def test_an_upright_rgb_jpeg_is_encoded_from_its_decode_at_full_size_without_a_copy():
    data = corpus.jpeg(size=(2000, 1000))
    _, full = full_of(data, max_decoded_bytes=9_000_000)  # the decode: 8 MB
    assert (full.width, full.height) == (2000, 1000)


def test_a_jpeg_to_turn_upright_that_cannot_be_held_twice_is_decoded_at_a_smaller_dct_scale():
    data = corpus.jpeg(size=(2000, 1000), orientation=6)
    # The decode and its upright copy at full size: 2 × 8 MB; at half size they fit 9 MB.
    _, full = full_of(data, max_decoded_bytes=9_000_000)
    assert (full.width, full.height) == (500, 1000)


def test_a_png_whose_copy_would_not_fit_beside_its_decode_is_shrunk_to_fit():
    data = corpus.png(size=(1000, 1000), mode="L", color=128)  # made RGB: a copy
    _, full = full_of(data, max_decoded_bytes=3_000_000)  # decode 1 MB, so 2 MB left
    assert full.width * full.height * 4 <= 2_000_000
    assert full.width == full.height


def test_a_decompression_bomb_is_refused_before_anything_is_decoded():
    with pytest.raises(ImageRejected, match="too large"):
        full_of(corpus.png_bomb())
