import datetime
import io
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageCms

from images.pure import imaging as processing
from images.pure.imaging import ImageRejected, process_image, sha256_of
from tests.images import corpus

LIMIT = 50_000_000
DECODED_LIMIT = 250_000_000


def run(data: bytes, *, max_decoded_bytes: int = DECODED_LIMIT):
    return process_image(io.BytesIO(data), max_pixels=LIMIT, max_decoded_bytes=max_decoded_bytes)


def decoded(rendered) -> Image.Image:
    image = Image.open(io.BytesIO(rendered.data))
    image.load()
    return image


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.name)
def test_each_file_of_the_corpus_ends_as_expected(case):
    if case.ready:
        result = run(case.make())
        assert [r.name for r in result.renditions] == ["large", "medium", "square", "thumb"]
        for rendered in result.renditions:
            assert decoded(rendered).format == "WEBP"
    else:
        with pytest.raises(ImageRejected, match=case.reason):
            run(case.make())


@pytest.mark.parametrize("case", [c for c in corpus.CASES if c.ready], ids=lambda c: c.name)
def test_renditions_carry_no_metadata_at_all(case):
    for rendered in run(case.make()).renditions:
        image = decoded(rendered)
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        assert b"Exif" not in rendered.data
        assert b"<script" not in rendered.data


def test_the_photo_is_turned_upright_from_its_exif_orientation():
    result = run(corpus.jpeg(size=(640, 480), orientation=6))
    assert (result.width, result.height) == (480, 640)
    large = next(r for r in result.renditions if r.name == "large")
    assert (large.width, large.height) == (480, 640)
    assert decoded(large).size == (480, 640)


def sizes(data: bytes) -> dict[str, tuple[int, int]]:
    return {r.name: (r.width, r.height) for r in run(data).renditions}


def test_sizes_cascade_and_are_never_upscaled():
    assert sizes(corpus.jpeg(size=(4000, 3000))) == {
        "large": (2048, 1536),
        "medium": (1024, 768),
        "square": (512, 512),
        "thumb": (256, 256),
    }
    assert sizes(corpus.jpeg(size=(300, 200))) == {
        "large": (300, 200),
        "medium": (300, 200),
        "square": (200, 200),
        "thumb": (200, 200),
    }


@pytest.mark.parametrize(
    ("size", "orientation", "side"),
    [
        ((1600, 1200), None, 512),  # landscape
        ((1200, 1600), None, 512),  # portrait
        ((1600, 1200), 6, 512),  # landscape turned upright
        ((2200, 1000), None, 512),  # medium is 466 px high: cut from large instead
        ((640, 480), None, 480),  # small: the short side, never upscaled
        ((300, 300), None, 300),
        ((300, 200), None, 200),
        ((3000, 500), None, 500),  # a panorama: its short side, though large is 2048×341
    ],
)
def test_the_square_is_512_px_or_the_short_side_when_that_is_smaller(size, orientation, side):
    made = sizes(corpus.jpeg(size=size, orientation=orientation))
    assert made["square"] == (side, side)
    assert made["thumb"] == (min(256, side), min(256, side))


@pytest.mark.parametrize(
    ("size", "orientation"),
    [
        ((12000, 1500), None),  # large is 2048×256
        ((16000, 1500), None),  # large is 2048×192
        ((20000, 1000), None),  # large is 2048×102
        ((20000, 1000), 6),  # the same, turned upright
        ((600, 9000), None),  # a tall one
    ],
)
def test_a_panoramas_squares_are_full_size_whenever_its_short_side_allows(size, orientation):
    exif = Image.Exif()
    if orientation:
        exif[processing.ORIENTATION_TAG] = orientation
    flat = Image.new("RGB", size, (200, 120, 40))  # quick to make at 20 megapixels
    made = sizes(corpus.encoded(flat, "JPEG", exif=exif.tobytes()))
    assert made["thumb"] == (256, 256)
    side = min(512, *size)
    assert made["square"] == (side, side)
    assert max(made["large"]) == 2048
    assert max(made["medium"]) == 1024


def test_a_panoramas_square_is_still_its_centre():
    image = Image.new("RGB", (8000, 600), (255, 0, 0))  # large is 2048×154
    image.paste((0, 0, 255), (3700, 0, 4300, 600))  # blue centre, red sides
    result = run(corpus.encoded(image, "PNG"))
    thumb = decoded(next(r for r in result.renditions if r.name == "thumb")).convert("RGB")
    assert thumb.size == (256, 256)
    for x in (2, 128, 253):
        red, _green, blue = thumb.getpixel((x, 128))
        assert blue > 200
        assert red < 50


def test_each_rendition_is_made_from_the_smallest_uncropped_one_holding_it():
    def source(name: str, *images: tuple[int, int]) -> tuple[int, int]:
        spec = next(s for s in processing.RENDITION_SPECS if s.name == name)
        return processing._source_for(spec, [Image.new("RGB", size) for size in images]).size

    assert source("medium", (2048, 1536), (2048, 1536)) == (2048, 1536)
    assert source("square", (2048, 1536), (2048, 1536), (1024, 768)) == (1024, 768)
    assert source("square", (2048, 931), (2048, 931), (1024, 466)) == (2048, 931)
    # The thumbnail is cut from medium, as before the square existed: its bytes stay the same.
    assert source("thumb", (2048, 1536), (2048, 1536), (1024, 768)) == (1024, 768)
    assert source("thumb", (2048, 341), (2048, 341), (1024, 170)) == (2048, 341)
    assert source("square", (300, 200), (300, 200), (300, 200)) == (300, 200)


def test_only_the_named_renditions_are_encoded_as_a_full_run_makes_them():
    data = corpus.jpeg(size=(1600, 1200))
    full = {r.name: r for r in run(data).renditions}
    only = process_image(io.BytesIO(data), max_pixels=LIMIT, names=["square"])
    assert [r.name for r in only.renditions] == ["square"]
    assert only.renditions[0].data == full["square"].data
    assert only.placeholder_color == ""  # it comes from the thumbnail, not made
    with_thumb = process_image(io.BytesIO(data), max_pixels=LIMIT, names=["square", "thumb"])
    assert with_thumb.placeholder_color == run(data).placeholder_color


@pytest.mark.parametrize("name", ["square", "thumb"])
def test_the_squares_are_centred_crops(name):
    image = Image.new("RGB", (1800, 600), (255, 0, 0))
    image.paste((0, 0, 255), (600, 0, 1200, 600))  # blue centre, red sides
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    result = run(buffer.getvalue())
    square = decoded(next(r for r in result.renditions if r.name == name)).convert("RGB")
    for x in (2, square.width // 2, square.width - 3):
        red, _green, blue = square.getpixel((x, square.height // 2))
        assert blue > 200
        assert red < 50
    assert result.placeholder_color.startswith("#")


def test_sixteen_bit_images_are_scaled_not_clipped_to_white():
    large = decoded(run(corpus.png_16bit()).renditions[0]).convert("L")
    low, high = large.getextrema()
    assert low < 30
    assert high > 225


def test_cmyk_becomes_rgb_with_its_colour():
    large = decoded(run(corpus.cmyk_jpeg()).renditions[0]).convert("RGB")
    red, green, blue = large.getpixel((10, 10))
    assert red > 200
    assert green < 60
    assert blue < 60


@pytest.mark.parametrize(
    "make", [corpus.png_with_alpha, lambda: half_clear(), lambda: half_clear(mode="P")]
)
def test_transparency_is_kept_in_every_rendition(make):
    for rendered in run(make()).renditions:
        assert decoded(rendered).mode == "RGBA", rendered.name


def half_clear(size=(600, 400), mode="RGBA") -> bytes:
    """A PNG whose left half is red and right half fully transparent black (``P``: a palette
    whose first colour is transparent)."""
    if mode == "P":
        image = Image.new("P", size, 0)
        image.putpalette([0, 0, 0, 255, 0, 0])
        image.paste(1, (0, 0, size[0] // 2, size[1]))
        return corpus.encoded(image, "PNG", transparency=0)
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, size[0] // 2, size[1]))
    return corpus.encoded(image, "PNG")


def test_transparent_pixels_stay_transparent():
    thumb = decoded(next(r for r in run(half_clear()).renditions if r.name == "thumb"))
    assert thumb.getpixel((thumb.width - 5, thumb.height // 2))[3] == 0
    assert thumb.getpixel((5, thumb.height // 2))[3] == 255


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_the_placeholder_of_a_transparent_image_comes_from_its_opaque_pixels(mode):
    red, green, blue = rgb(run(half_clear(mode=mode)).placeholder_color)
    assert red > 240
    assert green < 15
    assert blue < 15


def test_a_half_transparent_colour_counts_as_its_colour():
    assert rgb(run(corpus.png_with_alpha()).placeholder_color)[0] > 240  # (255, 0, 0, 128)


def test_a_fully_transparent_image_gets_a_neutral_placeholder():
    clear = corpus.encoded(Image.new("RGBA", (300, 200), (0, 0, 0, 0)), "PNG")
    assert run(clear).placeholder_color == processing.NEUTRAL_PLACEHOLDER


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def test_the_date_taken_is_read_from_the_same_decode():
    result = run(corpus.jpeg_with_dates())
    assert result.taken_at.when.isoformat() == "2024-03-04T14:05:06.250000+01:00"
    assert result.taken_at.source == "exif"
    assert run(corpus.jpeg()).taken_at is None


def test_a_date_in_the_future_of_now_is_not_taken():
    data = corpus.jpeg_with_dates()
    early = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    result = process_image(io.BytesIO(data), max_pixels=LIMIT, now=early)
    assert result.taken_at is None


def test_an_animated_gif_gives_its_first_frame():
    large = decoded(run(corpus.animated_gif()).renditions[0]).convert("RGB")
    assert large.getpixel((5, 5))[0] > 200  # the first frame is red


def test_the_real_format_comes_from_the_bytes_not_the_claim():
    assert run(corpus.png()).content_type == "image/png"
    assert run(corpus.webp()).content_type == "image/webp"
    assert run(corpus.heic()).content_type == "image/heic"


def test_the_same_input_gives_the_same_bytes_so_rerunning_writes_the_same_keys():
    data = corpus.jpeg(size=(1200, 900))
    first, second = run(data), run(data)
    assert [r.content_hash for r in first.renditions] == [r.content_hash for r in second.renditions]


def test_the_banded_resize_has_no_seams_and_matches_the_plain_resize_within_one_level():
    image = Image.effect_noise((2500, 1700), 60).convert("RGB")
    plain = image.resize((1023, 697), processing.LARGE_SOURCE_RESAMPLE)
    difference = ImageChops.difference(plain, processing._banded_resize(image, (1023, 697)))
    assert all(high <= 1 for _, high in difference.getextrema())
    changed = sum(1 for pixel in difference.get_flattened_data() if max(pixel))
    assert changed < 0.001 * 1023 * 697


@pytest.mark.slow  # a large image resized twice: about a second
def test_the_banded_resize_is_exact_when_the_bands_divide_evenly():
    image = Image.effect_noise((4000, 3000), 60).convert("RGB")
    plain = image.resize((2048, 1536), processing.LARGE_SOURCE_RESAMPLE)
    banded = processing._banded_resize(image, (2048, 1536))
    assert ImageChops.difference(plain, banded).getbbox() is None


def test_the_pixel_limit_is_checked_before_decoding():
    with pytest.raises(
        ImageRejected, match=r"image too large: 640×480 px \(the limit is 0 megapixels\)"
    ):
        process_image(io.BytesIO(corpus.jpeg()), max_pixels=1000)


def test_an_image_within_the_pixel_limit_but_over_the_decoded_bytes_limit_is_refused():
    rgba = corpus.png(size=(2000, 2000), mode="RGBA", color=(9, 9, 9, 9))  # 16 MB decoded
    with pytest.raises(
        ImageRejected,
        match=r"image too large: 2000×2000 px takes 16 MB of memory to decode \(the limit is 10 "
        r"MB\); save it at 2\.5 megapixels at most, or as a JPEG",
    ):
        run(rgba, max_decoded_bytes=10_000_000)


def test_the_decoded_bytes_limit_is_checked_before_decoding():
    # Its pixel data is a few zeros: decoding it would fail as damaged, and reading a PNG's
    # EXIF (which may follow the pixels) decodes it.
    declared_only = corpus.png_bomb(width=3000, height=3000)
    with pytest.raises(ImageRejected, match="3000×3000 px takes 36 MB of memory to decode"):
        run(declared_only, max_decoded_bytes=10_000_000)


def test_the_decoded_bytes_limit_counts_the_bytes_of_each_pixel_not_pixels():
    grey = corpus.png(size=(2000, 2000), mode="L", color=9)  # one byte a pixel: 4 MB
    assert run(grey, max_decoded_bytes=10_000_000).width == 2000


def test_a_jpeg_counts_at_the_reduced_size_it_decodes_to():
    # Decoded at half scale (2100×1500, 12.6 MB) to make a 2048 px rendition: not at 50 MB.
    result = run(corpus.jpeg(size=(4200, 3000)), max_decoded_bytes=20_000_000)
    assert (result.width, result.height) == (4200, 3000)


def test_a_progressive_jpeg_counts_its_coefficients_at_full_size():
    # 12.6 MB decoded at half scale, and 37.8 MB of coefficients libjpeg holds meanwhile.
    progressive = corpus.jpeg(size=(4200, 3000), progressive=True)
    with pytest.raises(ImageRejected, match=r"takes 50 MB .* or as a baseline \(not progressive"):
        run(progressive, max_decoded_bytes=20_000_000)


def test_a_webp_counts_the_canvases_its_decoder_keeps_beside_the_image():
    webp = corpus.encoded(Image.new("RGB", (1000, 1000), (1, 2, 3)), "WEBP")
    with pytest.raises(ImageRejected, match="takes 16 MB of memory"):
        run(webp, max_decoded_bytes=10_000_000)


def png_16bit_rgba(size: tuple[int, int]) -> bytes:
    """A 16-bit RGBA PNG (Pillow cannot write one): left half 0x8000 grey, right half 0xFFFF
    white, alpha 0x8000 everywhere."""
    width, height = size
    half = width // 2
    row = b"\x00" + struct.pack(">HHHH", 0x8000, 0x8000, 0x8000, 0x8000) * half
    row += struct.pack(">HHHH", 0xFFFF, 0xFFFF, 0xFFFF, 0x8000) * (width - half)
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    pixels = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_large_sixteen_bit_rgba_png_ends_as_eight_bit_renditions_of_the_right_size():
    result = run(png_16bit_rgba((3000, 2000)))
    sizes = {r.name: (r.width, r.height) for r in result.renditions}
    assert sizes == {
        "large": (2048, 1365),
        "medium": (1024, 682),
        "square": (512, 512),
        "thumb": (256, 256),
    }
    large = decoded(result.renditions[0])
    assert large.mode == "RGBA"
    grey, _, _, alpha = large.getpixel((100, 600))
    white = large.getpixel((1900, 600))[0]
    assert abs(grey - 128) <= 2
    assert white >= 253
    assert abs(alpha - 128) <= 2


def _palette_with_transparency():
    image = Image.effect_noise((2600, 1700), 60).convert("P", palette=Image.Palette.ADAPTIVE)
    image.info["transparency"] = 3
    return image


def _sixteen_bit_grey():
    noise = Image.effect_noise((2600, 1700), 60).convert("I")
    return noise.point(lambda v: v * 257).convert("I;16")


def _rgba():
    noise = Image.effect_noise((2600, 1700), 60)
    return Image.merge("RGBA", [noise, noise.rotate(90), noise.rotate(180), noise.rotate(270)])


def _rgb_with_a_profile():
    image = Image.effect_noise((2600, 1700), 60).convert("RGB")
    image.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return image


@pytest.mark.slow  # large images, converted and resized twice: seconds in all
@pytest.mark.parametrize(
    "make", [_palette_with_transparency, _sixteen_bit_grey, _rgba, _rgb_with_a_profile]
)
def test_shrinking_band_by_band_matches_converting_the_whole_image_then_resizing(make):
    image = make()
    whole = processing.shrink_to_srgb(image, image.size)
    expected = whole.resize((1024, 670), processing.LARGE_SOURCE_RESAMPLE)
    banded = processing.shrink_to_srgb(image, (1024, 670))
    assert banded.mode == whole.mode
    assert banded.mode in ("RGB", "RGBA")
    # Compared as seen, with alpha multiplied in: a level of float rounding in the band boxes
    # moves a translucent pixel's stored colour by up to 255/alpha levels, not what one sees.
    seen = "RGBa" if banded.mode == "RGBA" else banded.mode
    difference = ImageChops.difference(expected.convert(seen), banded.convert(seen))
    assert all(high <= 2 for _, high in difference.getextrema())
    changed = sum(1 for pixel in difference.get_flattened_data() if max(pixel))
    assert changed < 0.001 * 1024 * 670


def test_sha256_of_reads_in_chunks_and_rewinds():
    stream = io.BytesIO(b"a" * 3_000_000)
    digest = sha256_of(stream, chunk_size=1 << 16)
    assert digest == sha256_of(io.BytesIO(b"a" * 3_000_000))
    assert stream.tell() == 0


def test_a_jpeg_carrying_more_pictures_is_processed_as_its_first():
    extra = Image.new("RGB", (600, 400), "blue")
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "red").save(buffer, "MPO", save_all=True, append_images=[extra])
    processed = process_image(buffer, max_pixels=50_000_000)
    assert processed.content_type == "image/jpeg"
    thumb = Image.open(io.BytesIO(processed.renditions[-1].data)).convert("RGB")
    red, _, blue = thumb.getpixel((10, 10))
    assert red > 200
    assert blue < 60
