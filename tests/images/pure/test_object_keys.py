import datetime
import uuid

import pytest

from cdn.objects import renditions_prefix
from images.pure.object_keys import original_key, rendition_key

PET = uuid.UUID("11111111-1111-4111-8111-111111111111")
PHOTO = uuid.UUID("22222222-2222-4222-8222-222222222222")


def test_original_keys_are_made_of_owner_date_and_photo_id():
    key = original_key(
        owner_id=7, photo_id=PHOTO, when=datetime.datetime(2026, 3, 9), content_type="image/png"
    )
    assert key == f"originals/7/2026/03/{PHOTO}.png"


def test_original_keys_refuse_a_content_type_we_do_not_accept():
    with pytest.raises(KeyError):
        original_key(
            owner_id=7, photo_id=PHOTO, when=datetime.datetime(2026, 3, 9), content_type="text/html"
        )


def test_rendition_keys_sit_under_the_pets_prefix_and_never_under_originals():
    key = rendition_key(pet_id=PET, photo_id=PHOTO, name="thumb", content_hash="ab12cd34")
    assert key == f"renditions/{PET}/{PHOTO}/thumb-ab12cd34.webp"
    assert key.startswith(renditions_prefix(PET))
    assert not key.startswith("originals/")


@pytest.mark.parametrize(
    ("name", "content_hash"), [("../x", "ab"), ("thumb", "a/b"), ("t h", "ab")]
)
def test_rendition_keys_refuse_anything_but_plain_names_and_hashes(name, content_hash):
    with pytest.raises(ValueError, match="alphanumeric"):
        rendition_key(pet_id=PET, photo_id=PHOTO, name=name, content_hash=content_hash)
