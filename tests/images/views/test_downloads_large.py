"""A 200-photo download, end to end through the view: every member there, named as expected,
and none carrying metadata (issue 16). Not timed: benchmarks/zip_memory.py measures memory."""

import datetime
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from images.pure.imaging import render_full
from tests.factories import RenditionFactory, ready_photo
from tests.images import corpus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # 200 photos made and unzipped: seconds

COUNT = 200


def full_rendition_of_a_photo_with_gps_and_xmp() -> bytes:
    exif = corpus.exif_dates("2024:06:01 10:00:00")
    exif[0x8825] = corpus.GPS
    xmp = corpus.xmp_packet(xmp_CreateDate="2024-06-01T10:00:00+01:00")
    original = corpus.dated("JPEG", exif=exif, xmp=xmp)
    made = render_full(io.BytesIO(original), max_pixels=50_000_000, max_decoded_bytes=250_000_000)
    return made.renditions[0].data


def test_a_zip_of_200_photos_extracts_to_every_photo_named_and_without_metadata(actors, pet):
    data = full_rendition_of_a_photo_with_gps_and_xmp()
    when = datetime.datetime(2024, 6, 1, 10, 0, tzinfo=datetime.UTC)
    ids = []
    for index in range(COUNT):
        caption = "Biscuit on the sofa" if index % 2 else f"Walk {index}"
        photo = ready_photo(pet=pet, caption=caption, taken_at=when, taken_on=when.date())
        key = f"renditions/{pet.pk}/{photo.pk}/full-{index:016x}.jpg"
        default_storage.save(key, ContentFile(data))
        RenditionFactory(photo=photo, name="full", key=key, width=320, height=240, bytes=len(data))
        ids.append(str(photo.pk))

    response = actors["viewer"].post("/photos/download/", {"photo": ids})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))

    names = set(archive.namelist())
    sofa = {"2024-06-01 Biscuit on the sofa.jpg"} | {
        f"2024-06-01 Biscuit on the sofa ({n}).jpg" for n in range(2, COUNT // 2 + 1)
    }
    walks = {f"2024-06-01 Walk {index}.jpg" for index in range(0, COUNT, 2)}
    assert names == sofa | walks
    for name in archive.namelist():
        stored = archive.read(name)
        assert stored == data
        image = Image.open(io.BytesIO(stored))
        image.load()
        assert image.size == (320, 240)
        assert not image.getexif()
        assert not {"exif", "xmp"} & set(image.info)
