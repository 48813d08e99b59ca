import io

import pytest
from PIL import Image, ImageChops

from images import processing
from images.processing import ImageRejected, process_image, sha256_of
from tests.images import corpus

LIMIT = 50_000_000


def run(data: bytes):
    return process_image(io.BytesIO(data), max_pixels=LIMIT)


def decoded(rendered) -> Image.Image:
    image = Image.open(io.BytesIO(rendered.data))
    image.load()
    return image


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.name)
def test_each_file_of_the_corpus_ends_as_expected(case):
    if case.ready:
        result = run(case.make())
        assert [r.name for r in result.renditions] == ["large", "medium", "thumb"]
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


def test_sizes_cascade_and_are_never_upscaled():
    big = {r.name: (r.width, r.height) for r in run(corpus.jpeg(size=(4000, 3000))).renditions}
    assert big == {"large": (2048, 1536), "medium": (1024, 768), "thumb": (256, 256)}
    small = {r.name: (r.width, r.height) for r in run(corpus.jpeg(size=(300, 200))).renditions}
    assert small == {"large": (300, 200), "medium": (300, 200), "thumb": (200, 200)}


def test_the_thumbnail_is_a_centred_square_crop():
    image = Image.new("RGB", (600, 200), (255, 0, 0))
    image.paste((0, 0, 255), (200, 0, 400, 200))  # blue centre, red sides
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    thumb = decoded(run(buffer.getvalue()).renditions[-1])
    red, _green, blue = thumb.convert("RGB").getpixel((100, 100))
    assert blue > 200
    assert red < 50
    assert run(buffer.getvalue()).placeholder_color.startswith("#")


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


def test_transparency_is_kept():
    assert decoded(run(corpus.png_with_alpha()).renditions[0]).mode == "RGBA"


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


def test_sha256_of_reads_in_chunks_and_rewinds():
    stream = io.BytesIO(b"a" * 3_000_000)
    digest = sha256_of(stream, chunk_size=1 << 16)
    assert digest == sha256_of(io.BytesIO(b"a" * 3_000_000))
    assert stream.tell() == 0
