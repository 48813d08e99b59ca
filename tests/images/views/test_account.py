"""The account page: photos, bytes and the quota, as the upload quota counts them."""

import pytest

from images.models import Usage, upload_usage
from images.services.photos import photo_delete
from images.services.uploads import OverQuota, photo_create_upload
from tests.factories import PetFactory, PhotoFactory, ready_photo

pytestmark = pytest.mark.django_db


def test_the_account_page_shows_what_one_uploaded_against_the_quota(client, owner, pet, friend):
    owner.storage_quota = 5 * 1024**3
    owner.photo_quota = 500
    owner.save()
    ready_photo(pet=pet, uploader=owner).__class__.objects.filter(uploader=owner).update(
        size=1024**3
    )
    PhotoFactory(pet=pet, uploader=owner, size=300 * 1024**2, state="pending")
    ready_photo(pet=PetFactory(owner=friend), uploader=friend)  # someone else's: not counted
    client.force_login(owner)
    page = client.get("/accounts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 photos · 1.3\xa0GB of 5.0\xa0GB (26 %)" in text
    assert 'max="5368709120"' in text
    assert 'value="1388314624"' in text
    assert '<label for="storage-bytes">' in text
    assert "Photos: 2 of 500" in text


def test_the_account_page_uses_the_sites_quota_when_none_is_set(client, owner, settings):
    settings.PHOTO_QUOTA_BYTES = 20 * 1024**3
    client.force_login(owner)
    text = client.get("/accounts/").content.decode()
    assert "0 photos · 0\xa0bytes of 20.0\xa0GB (0 %)" in text


def test_the_header_links_the_account_page_and_favourites(client, owner):
    client.force_login(owner)
    text = client.get("/accounts/").content.decode()
    assert '<a href="/accounts/" aria-current="page">Account</a>' in text
    assert '<a href="/favourites/">Favourites</a>' in text


def test_a_deleted_photo_whose_upload_may_still_land_counts_on_the_page_as_in_the_quota(
    client, owner, pet, settings
):
    settings.PHOTO_QUOTA_BYTES = 5000
    photo, *_ = photo_create_upload(
        pet=pet,
        uploader=owner,
        filename="walk.jpg",
        content_type="image/jpeg",
        size=4000,
        local_url="http://testserver/uploads/",
    )
    photo_delete(photo=photo)
    with pytest.raises(OverQuota):  # the quota still counts it: its ticket is valid
        photo_create_upload(
            pet=pet,
            uploader=owner,
            filename="run.jpg",
            content_type="image/jpeg",
            size=4000,
            local_url="http://testserver/uploads/",
        )
    client.force_login(owner)
    text = client.get("/accounts/").content.decode()
    assert "1 photo · 3.9\xa0KB of 4.9\xa0KB (80 %)" in text
    assert upload_usage(owner) == Usage(photos=1, bytes=4000)
