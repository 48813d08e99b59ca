import datetime

import pytest

from cdn.models import PendingInvalidation
from images.models import Pet, Photo, Share
from tests.factories import PhotoFactory, ready_photo
from tests.images.helpers import queued_for_deletion

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_a_new_pet_belongs_to_whoever_made_it(owner_client, owner):
    response = owner_client.post("/pets/new/", {"name": " Rex ", "species": "dog"})
    pet = Pet.objects.get(name="Rex")
    assert pet.owner == owner
    assert response["Location"] == f"/pets/{pet.pk}/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "species": "dog"}, "This field is required."),
        ({"name": "x" * 101, "species": "dog"}, "at most 100 characters"),
        ({"name": "Rex", "species": "dragon"}, "Select a valid choice"),
        (
            {"name": "Rex", "species": "dog", "birthday": "2999-01-01"},
            "can&#x27;t be in the future",
        ),
        ({"name": "Rex", "species": "dog", "birthday": "yesterday"}, "Enter a valid date"),
        ({"name": "Rex\nthe dog", "species": "dog"}, "on one line: no line breaks, tabs"),
        ({"name": "Rex\tthe dog", "species": "dog"}, "on one line: no line breaks, tabs"),
    ],
)
def test_a_bad_pet_is_refused_with_a_clear_message_and_nothing_stored(owner_client, data, message):
    response = owner_client.post("/pets/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Pet.objects.filter(owner__username="owner").exclude(name="Biscuit").exists()


def test_the_owner_edits_a_pet(owner_client, pet):
    response = owner_client.post(
        f"/pets/{pet.pk}/edit/", {"name": "Biscuit II", "species": "cat", "birthday": "2020-02-29"}
    )
    assert response.status_code == 302
    pet.refresh_from_db()
    assert (pet.name, pet.species, pet.birthday) == (
        "Biscuit II",
        "cat",
        datetime.date(2020, 2, 29),
    )


def test_deleting_asks_first_then_removes_the_pet_its_photos_and_shares(owner_client, pet):
    photo = ready_photo(pet=pet)
    keys = {photo.original_key, *photo.renditions.values_list("key", flat=True)}
    confirm = owner_client.get(f"/pets/{pet.pk}/delete/")
    assert b"be undone" in confirm.content
    assert Pet.objects.filter(pk=pet.pk).exists()
    owner_client.post(f"/pets/{pet.pk}/delete/")
    assert not Pet.objects.filter(pk=pet.pk).exists()
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not Share.objects.filter(pet_id=pet.pk).exists()
    # The stored objects go through the pipeline's deletion and the CDN is told.
    assert queued_for_deletion(keys)
    assert set(PendingInvalidation.objects.values_list("path", flat=True)) == {
        f"/{k}" for k in keys
    }


def test_the_upload_page_gives_the_script_its_endpoints(owner_client, pet):
    html = owner_client.get(f"/pets/{pet.pk}/upload/").content.decode()
    assert f'data-tickets="/api/pets/{pet.pk}/uploads"' in html
    assert 'data-max-bytes="41943040"' in html
    assert "multiple" in html
    assert "csrfmiddlewaretoken" in html


def test_the_upload_page_shows_my_usage_against_my_quota(owner_client, pet, owner, settings):
    settings.PHOTO_QUOTA_COUNT = 10_000
    settings.PHOTO_QUOTA_BYTES = 20 * 1024**3
    PhotoFactory(pet=pet, uploader=owner, size=1024**3)
    PhotoFactory(pet=pet, uploader=owner, size=205 * 1024**2, state=Photo.State.PENDING)
    html = owner_client.get(f"/pets/{pet.pk}/upload/").content.decode().replace("\xa0", " ")
    assert "2 of 10,000 photos · 1.2 GB of 20.0 GB" in html
    assert "reached your quota" not in html


def test_the_upload_page_shows_a_contributors_own_quota_and_says_when_it_is_full(
    client, pet, contributor
):
    contributor.photo_quota = 1
    contributor.save(update_fields=["photo_quota"])
    PhotoFactory(pet=pet, uploader=contributor, size=2048)
    client.force_login(contributor)
    html = client.get(f"/pets/{pet.pk}/upload/").content.decode().replace("\xa0", " ")
    assert "1 of 1 photos · 2.0 KB of" in html
    assert "reached your quota" in html
    assert "ask an administrator" in html


def test_my_pets_lists_only_the_pets_i_own(client, pet, friend):
    client.force_login(friend)
    assert b"Biscuit" not in client.get("/pets/").content
