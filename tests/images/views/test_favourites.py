"""Favourites: the heart on a photo (form and JSON), and the Favourites page across pets."""

import json

import pytest
from django.test import Client

from images.models import Favourite
from images.services.favourites import favourite_set
from images.services.sharing import share_revoke
from tests.factories import PetFactory, PhotoFactory, ShareFactory, ready_photo

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def heart(client, photo, state=None, **extra):
    data = {} if state is None else {"favourite": state}
    return client.post(f"/photos/{photo.pk}/favourite/", data, **extra)


def test_a_viewer_hearts_a_photo_and_takes_the_heart_off(actors, friend, photo):
    response = heart(actors["viewer"], photo, "on", **JSON)
    assert response.status_code == 200
    assert json.loads(response.content) == {"photo": str(photo.pk), "favourite": True}
    assert Favourite.objects.filter(user=friend, photo=photo).exists()
    assert json.loads(heart(actors["viewer"], photo, "off", **JSON).content)["favourite"] is False
    assert not Favourite.objects.filter(user=friend, photo=photo).exists()


def test_setting_the_state_twice_keeps_one_heart(actors, friend, photo):
    heart(actors["viewer"], photo, "on")
    heart(actors["viewer"], photo, "on")
    assert Favourite.objects.filter(user=friend, photo=photo).count() == 1


def test_nothing_sent_switches_the_heart(actors, friend, photo):
    assert json.loads(heart(actors["viewer"], photo, **JSON).content)["favourite"] is True
    assert json.loads(heart(actors["viewer"], photo, **JSON).content)["favourite"] is False


def test_without_javascript_the_form_goes_back_to_the_page_it_was_on(actors, photo):
    response = actors["viewer"].post(
        f"/photos/{photo.pk}/favourite/", {"favourite": "on", "next": "/favourites/"}
    )
    assert response["Location"] == "/favourites/"
    elsewhere = actors["viewer"].post(
        f"/photos/{photo.pk}/favourite/", {"favourite": "on", "next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == f"/photos/{photo.pk}/"


def test_a_nonsense_state_is_refused_in_words(actors, photo):
    response = heart(actors["viewer"], photo, "maybe")
    assert response.status_code == 400
    assert b"favourite=on" in response.content


def test_a_photo_one_does_not_see_cannot_be_hearted(actors, photo, pet):
    assert heart(actors["stranger"], photo, "on").status_code == 404
    unfinished = PhotoFactory(pet=pet, state="processing")
    assert heart(actors["viewer"], unfinished, "on").status_code == 404
    assert not Favourite.objects.exists()


def test_each_person_has_their_own_hearts(actors, photo, friend, contributor):
    heart(actors["viewer"], photo, "on")
    assert list(Favourite.objects.values_list("user", flat=True)) == [friend.pk]
    page = actors["contributor"].get(f"/photos/{photo.pk}/").content.decode()
    assert 'aria-pressed="false"' in page
    assert 'aria-pressed="true"' in actors["viewer"].get(f"/photos/{photo.pk}/").content.decode()


def test_the_favourites_page_lists_the_hearts_one_still_sees_newest_first(
    actors, friend, owner, pet, photo
):
    other_owner_pet = PetFactory(name="Rex")
    share = ShareFactory(pet=other_owner_pet, grantee=friend, role="viewer")
    rex = ready_photo(pet=other_owner_pet, caption="Rex asleep")
    third = ready_photo(pet=pet, caption="Not hearted")
    favourite_set(user=friend, photo=photo, on=True)
    favourite_set(user=friend, photo=rex, on=True)
    favourite_set(user=owner, photo=third, on=True)  # someone else's heart
    page = actors["viewer"].get("/favourites/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Rex asleep") < html.index("On the beach")
    assert "Not hearted" not in html
    assert f'data-favourites="{rex.pk} {photo.pk}"' in html
    # A revoked share hides its photos' hearts; they stay, and come back with a new share.
    share_revoke(share=share)
    assert "Rex asleep" not in actors["viewer"].get("/favourites/").content.decode()
    assert Favourite.objects.filter(user=friend, photo=rex).exists()


def test_the_favourites_page_sets_the_cookies_of_every_pet_shown(actors, friend, photo):
    favourite_set(user=friend, photo=photo, on=True)
    page = actors["viewer"].get("/favourites/")
    assert any(name.startswith("CloudFront-") for name in page.cookies)


def test_a_share_link_holder_has_no_heart(link_token, photo):
    visitor = Client()
    page = visitor.get(f"/s/{link_token}/").content.decode()
    assert "data-favourite-url" not in page
    assert heart(visitor, photo, "on").status_code == 302  # to log in
    assert not Favourite.objects.exists()


def test_a_gallery_tells_the_viewer_which_photos_are_hearted(actors, friend, pet, photo):
    favourite_set(user=friend, photo=photo, on=True)
    page = actors["viewer"].get(f"/pets/{pet.pk}/").content.decode()
    assert f'data-favourites="{photo.pk}"' in page
    assert "data-favourite-url=" in page


def test_home_tells_the_viewer_which_recent_photos_are_hearted(actors, friend, photo):
    favourite_set(user=friend, photo=photo, on=True)
    page = actors["viewer"].get("/").content.decode()
    assert f'data-favourites="{photo.pk}"' in page


def test_the_favourites_pages_queries_do_not_grow_with_the_hearts(
    client, friend, django_assert_max_num_queries
):
    for n in range(12):
        pet = PetFactory(name=f"Pet {n}")
        ShareFactory(pet=pet, grantee=friend, role="viewer")
        favourite_set(user=friend, photo=ready_photo(pet=pet), on=True)
    client.force_login(friend)
    client.get("/favourites/")  # the first visit of the window also stores the grants
    # session, user, count, the page's photos, their pets' names, renditions, access floors
    with django_assert_max_num_queries(7):
        assert client.get("/favourites/").status_code == 200
