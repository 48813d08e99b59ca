from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from images.models import Photo
from tests.factories import PhotoFactory, ready_photo, store_full

pytestmark = pytest.mark.django_db


def page(client, user, photo):
    client.force_login(user)
    return client.get(f"/photos/{photo.pk}/")


def test_the_photo_page_shows_the_large_rendition_at_its_size(client, friend, pet, photo):
    html = page(client, friend, photo).content.decode()
    assert f'src="/cdn/renditions/{pet.pk}/{photo.pk}/large-' in html
    assert 'width="2048" height="1536"' in html
    assert "On the beach" in html


def test_previous_and_next_follow_the_gallery_order(client, owner, pet):
    first, middle, last = (ready_photo(pet=pet) for _ in range(3))
    context = page(client, owner, middle).context
    assert (context["newer"], context["older"]) == (last, first)
    context = page(client, owner, last).context
    assert (context["newer"], context["older"]) == (None, middle)


def test_only_the_owner_gets_the_caption_form_and_the_original(client, owner, friend, photo):
    owners = page(client, owner, photo).content.decode()
    assert 'name="caption"' in owners
    assert f"/photos/{photo.pk}/original" in owners
    friends = page(client, friend, photo).content.decode()
    assert 'name="caption"' not in friends
    assert "original" not in friends


def test_the_owner_changes_the_caption(client, owner, photo):
    client.force_login(owner)
    client.post(f"/photos/{photo.pk}/", {"caption": "  Muddy paws  "})
    photo.refresh_from_db()
    assert photo.caption == "Muddy paws"


def test_an_overlong_caption_is_refused_and_the_old_one_kept(client, owner, photo):
    client.force_login(owner)
    response = client.post(f"/photos/{photo.pk}/", {"caption": "x" * 501})
    assert response.status_code == 400
    assert b"at most 500 characters" in response.content
    photo.refresh_from_db()
    assert photo.caption == "On the beach"


def test_the_original_is_a_signed_url_for_the_owner(client, owner, photo, signing_key):
    client.force_login(owner)
    response = client.get(f"/photos/{photo.pk}/original")
    # Signed for the absolute URL CloudFront sees (a canned policy names it exactly).
    assert response["Location"].startswith(f"http://testserver/cdn/{photo.original_key}?")
    assert "&Expires=" in response["Location"]
    assert response["Location"].endswith(f"Key-Pair-Id={signing_key.public_key_id}")


def test_the_original_downloads_under_its_uploaded_name(client, owner, photo, signing_key):
    Photo.objects.filter(pk=photo.pk).update(
        original_filename="IMG_0001.HEIC", content_type="image/heif"
    )
    client.force_login(owner)
    location = client.get(f"/photos/{photo.pk}/original")["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["response-content-disposition"] == ['attachment; filename="IMG_0001.HEIC"']


def test_deleting_a_photo_returns_to_the_gallery(client, owner, pet, photo):
    client.force_login(owner)
    response = client.post(f"/photos/{photo.pk}/delete/")
    assert response["Location"] == f"/pets/{pet.pk}/"
    assert not Photo.objects.filter(pk=photo.pk).exists()


def test_a_processing_photo_is_shown_to_uploaders_only(client, owner, friend, pet):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    assert b"Still processing" in page(client, owner, processing).content
    assert page(client, friend, processing).status_code == 404


def test_deleting_needs_post(client, owner, photo):
    client.force_login(owner)
    assert client.get(f"/photos/{photo.pk}/delete/").status_code == 405


def test_the_owner_chooses_the_cover(client, owner, pet, photo):
    ready_photo(pet=pet)  # newer: the cover until one is chosen
    client.force_login(owner)
    assert b"cover</button>" in client.get(f"/photos/{photo.pk}/").content
    assert client.post(f"/photos/{photo.pk}/cover/").status_code == 302
    pet.refresh_from_db()
    assert pet.cover_photo == photo
    assert b"cover</button>" not in client.get(f"/photos/{photo.pk}/").content


@pytest.mark.parametrize("who", ["friend", "contributor", "stranger"])
def test_only_the_owner_chooses_the_cover(client, request, pet, photo, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(f"/photos/{photo.pk}/cover/").status_code == 404
    pet.refresh_from_db()
    assert pet.cover_photo is None


def test_a_photo_still_processing_cannot_be_the_cover(client, owner, pet):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    client.force_login(owner)
    assert client.post(f"/photos/{processing.pk}/cover/").status_code == 404


def test_the_cover_message_says_nibbles_cover_not_nibbless(client, owner, pet, photo):
    pet.name = "Nibbles"
    pet.save()
    client.force_login(owner)
    assert "Use as Nibbles' cover" in unescape(client.get(f"/photos/{photo.pk}/").content.decode())
    followed = client.post(f"/photos/{photo.pk}/cover/", follow=True).content.decode()
    assert "This photo is now Nibbles' cover." in unescape(followed)


def test_the_original_arrives_through_the_edge_as_an_attachment_of_that_name(
    client, owner, photo, signing_key
):
    default_storage.save(photo.original_key, ContentFile(b"JPEG bytes"))
    Photo.objects.filter(pk=photo.pk).update(original_filename='../"Miso"\r\nasleep.jpeg')
    client.force_login(owner)
    location = client.get(f"/photos/{photo.pk}/original")["Location"]
    response = client.get(location.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Miso asleep.jpeg"'


def test_newer_and_older_step_through_failed_photos_for_those_who_see_them(
    client, owner, friend, pet
):
    first = ready_photo(pet=pet)
    failed = PhotoFactory(pet=pet, state="failed", error="Not an image")
    last = ready_photo(pet=pet)
    context = page(client, owner, first).context
    assert context["newer"] == failed
    assert page(client, owner, failed).status_code == 200
    assert b"Delete photo" in page(client, owner, failed).content
    assert page(client, friend, first).context["newer"] == last  # a viewer never sees it


def test_the_placeholder_colour_fills_the_image_not_the_letterbox_around_it(client, friend, photo):
    Photo.objects.filter(pk=photo.pk).update(placeholder_color="#a0b0c0")
    html = page(client, friend, photo).content.decode()
    figure = html[html.index('<figure class="photo"') :]
    assert figure.startswith('<figure class="photo">')
    assert 'width="2048" height="1536" data-placeholder="#a0b0c0"' in figure


def test_no_photo_page_carries_the_full_renditions_key(client, owner, friend, pet, photo):
    store_full(photo)
    for user in (owner, friend):
        html = page(client, user, photo).content.decode()
        assert "/large-" in html
        assert "full-" not in html
