"""Every form and API field at its limits: a clear 400 (or 413/415) each, nothing stored."""

import json

import pytest

from images.models import Pet, Photo, Share
from tests.factories import ready_photo

pytestmark = pytest.mark.django_db
GOOD = {"filename": "walk.jpg", "content_type": "image/jpeg", "size": 1000}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def ask(client, pet, body) -> tuple[int, str]:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.post(f"/api/pets/{pet.pk}/uploads", raw, content_type="application/json")
    return response.status_code, response.json()["error"] if response.status_code >= 400 else ""


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"filename": "x" * 256}, 400, "at most 255 characters"),
        ({"filename": ""}, 400, "non-empty string"),
        ({"filename": "   "}, 400, "non-empty string"),
        ({"filename": "a\x00.jpg"}, 400, "NUL"),
        ({"filename": 123}, 400, "non-empty string"),
        ({"filename": None}, 400, "non-empty string"),
        ({"filename": ["a.jpg"]}, 400, "non-empty string"),
        ({"content_type": "image/svg+xml"}, 415, "Only these image types"),
        ({"content_type": 7}, 415, "Only these image types"),
        ({"content_type": None}, 415, "Only these image types"),
        ({"size": -1}, 400, "at least 1"),
        ({"size": 0}, 400, "at least 1"),
        ({"size": 1.5}, 400, "whole number"),
        ({"size": "1000"}, 400, "whole number"),
        ({"size": True}, 400, "whole number"),
        ({"size": 10**30}, 413, "larger than the 40 MB limit"),
        ({"size": 41943041}, 413, "larger than the 40 MB limit"),
    ],
)
def test_each_upload_field_at_its_limit_is_refused_and_nothing_stored(
    owner_client, pet, change, status, says
):
    code, error = ask(owner_client, pet, {**GOOD, **change})
    assert code == status
    assert says in error
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("not json", "must be JSON"),
        (b"\xff\xfe", "must be JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ('"a string"', "must be a JSON object"),
        ("[" * 100_000, "must be JSON"),  # nested past the parser's recursion limit
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "must be JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(owner_client, pet, body, says):
    status, error = ask(owner_client, pet, body)
    assert status == 400
    assert says in error
    assert not Photo.objects.exists()


def test_the_largest_allowed_upload_and_unicode_names_are_accepted(owner_client, pet):
    status, _ = ask(
        owner_client, pet, {**GOOD, "filename": "Ü🐶 ../../etc/passwd.jpg", "size": 41943040}
    )
    assert status == 201
    photo = Photo.objects.get()
    assert photo.original_filename == "passwd.jpg"  # a name only; never a path or a key
    assert "passwd" not in photo.original_key


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "Rex\x00"}, "Null characters are not allowed."),
        ({"name": "   "}, "This field is required."),
        ({"species": "d" * 1000}, "Select a valid choice"),
        ({"birthday": "9" * 100}, "Enter a valid date"),
        ({"birthday": "-1-01-01"}, "Enter a valid date"),
    ],
)
def test_each_pet_field_at_its_limit_is_refused(owner_client, data, says):
    before = Pet.objects.count()
    response = owner_client.post("/pets/new/", {"name": "Rex", "species": "dog", **data})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert Pet.objects.count() == before


def test_unicode_pet_names_are_kept_as_typed(owner_client):
    owner_client.post("/pets/new/", {"name": "Café 🐱 Ñandú", "species": "cat"})
    assert Pet.objects.filter(name="Café 🐱 Ñandú").exists()


@pytest.mark.parametrize("who", ["x" * 255, "a\x00b", "@" * 254])
def test_an_invitation_at_its_limits_is_refused(owner_client, pet, who):
    before = Share.objects.count()
    response = owner_client.post(
        f"/pets/{pet.pk}/sharing/", {"action": "invite", "who": who, "role": "viewer"}
    )
    assert response.status_code == 400
    assert Share.objects.count() == before


def test_a_caption_with_a_null_byte_is_refused(owner_client, pet):
    photo = ready_photo(pet=pet)
    response = owner_client.post(f"/photos/{photo.pk}/", {"caption": "hi\x00"})
    assert response.status_code == 400
    photo.refresh_from_db()
    assert photo.caption == ""
