import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cdn.models import SigningKey
from cdn.signer import forget_active_key, get_signer
from images.models import Photo
from images.views.common import PAGE_SIZE
from tests.factories import PhotoFactory, ready_photo

pytestmark = pytest.mark.django_db


def gallery(client, user, pet, **params):
    client.force_login(user)
    return client.get(f"/pets/{pet.pk}/", params)


def test_thumbs_come_with_srcset_sizes_lazy_loading_and_their_size(client, owner, pet, photo):
    html = gallery(client, owner, pet).content.decode()
    (image,) = re.findall(r"<img [^>]*srcset[^>]+>", html)  # the gallery's only photo
    assert 'loading="lazy"' in image
    assert 'width="256" height="256"' in image
    assert f'src="/cdn/renditions/{pet.pk}/{photo.pk}/thumb-' in image
    # Square renditions only, for square cells; the page's cookies open them.
    assert re.search(r'srcset="[^"?]+/thumb-[^"?]+ 256w, [^"?]+/square-[^"?]+ 512w"', image)
    assert 'sizes="(max-width: 560px) calc(50vw - 20px), 204px"' in image
    assert 'data-placeholder="#a0b0c0"' in html


def test_photos_are_newest_first_and_paginated(client, owner, pet):
    photos = [ready_photo(pet=pet) for _ in range(PAGE_SIZE + 2)]
    first = gallery(client, owner, pet)
    assert [t.photo for t in first.context["tiles"]] == photos[::-1][:PAGE_SIZE]
    second = gallery(client, owner, pet, page=2)
    assert [t.photo for t in second.context["tiles"]] == photos[::-1][PAGE_SIZE:]
    assert b'rel="next"' in first.content
    assert gallery(client, owner, pet, page="lots").context["page"].number == 1


def test_uploaders_see_processing_and_failed_photos_viewers_do_not(
    client, owner, friend, contributor, pet, photo
):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    failed = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="not an image")
    pending = PhotoFactory(pet=pet, state=Photo.State.PENDING)
    seen = {
        user: {t.photo for t in gallery(client, user, pet).context["tiles"]}
        for user in (owner, contributor, friend)
    }
    assert seen[owner] == seen[contributor] == {photo, processing, failed}
    assert seen[friend] == {photo}
    assert pending not in seen[owner]


def test_a_processing_tile_tells_the_script_where_to_ask(client, owner, pet):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    html = gallery(client, owner, pet).content.decode()
    assert f'data-api="/api/photos/{processing.pk}"' in html
    assert "Processing…" in html


def test_the_failure_reason_is_shown_to_the_owner_only(client, owner, contributor, pet):
    PhotoFactory(pet=pet, state=Photo.State.FAILED, error="not an image", uploader=owner)
    assert b"not an image" in gallery(client, owner, pet).content
    assert b"not an image" not in gallery(client, contributor, pet).content


def test_the_page_makes_the_same_number_of_queries_for_3_or_30_photos(
    client, owner, pet, django_assert_num_queries
):
    ready_photo(pet=pet)
    client.force_login(owner)
    client.get(f"/pets/{pet.pk}/")  # warm: the signer has read the active key, cookies set
    for _ in range(2):
        ready_photo(pet=pet)  # and the page is made again, not read from the cache
    with CaptureQueriesContext(connection) as three:
        client.get(f"/pets/{pet.pk}/")
    for _ in range(27):
        ready_photo(pet=pet)
    with django_assert_num_queries(len(three.captured_queries)):
        client.get(f"/pets/{pet.pk}/")


def test_a_page_asked_again_is_one_query_and_the_same_page(
    client, owner, pet, django_assert_num_queries
):
    for _ in range(3):
        ready_photo(pet=pet)
    client.force_login(owner)
    first = client.get(f"/pets/{pet.pk}/")
    # The user (as on every page; the session is in the cache), then who sees the pet and
    # the version of what it shows.
    with django_assert_num_queries(2):
        again = client.get(f"/pets/{pet.pk}/")
    assert _without_tokens(again.content) == _without_tokens(first.content)


def _without_tokens(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def test_a_page_costs_one_signature_then_none_within_the_window(client, owner, pet):
    for _ in range(10):
        ready_photo(pet=pet)
    signer = get_signer()
    before = signer.signatures
    first = gallery(client, owner, pet).content
    assert signer.signatures - before == 1
    second = gallery(client, owner, pet).content
    assert signer.signatures - before == 1
    # The same bytes: the browser finds every image in its cache and downloads none again.
    urls = re.findall(rb'src="([^"]+)"', first)
    assert urls == re.findall(rb'src="([^"]+)"', second)


def test_an_empty_gallery_invites_an_upload(client, owner, friend, pet):
    assert b"Upload the first" in gallery(client, owner, pet).content
    assert b"Upload the first" not in gallery(client, friend, pet).content


def test_without_a_signing_key_the_page_says_what_to_do(client, owner, pet, photo, signing_key):
    SigningKey.objects.filter(pk=signing_key.pk).update(state=SigningKey.State.RETIRED)
    forget_active_key()
    response = gallery(client, owner, pet)
    assert response.status_code == 503
    assert b"rotate_signing_key" in response.content


def test_the_species_reads_the_same_as_on_the_cards(client, owner, friend, pet):
    client.force_login(owner)
    assert '<p class="muted">Dog' in client.get(f"/pets/{pet.pk}/").content.decode()
    client.force_login(friend)
    assert "owner's dog" in unescape(client.get(f"/pets/{pet.pk}/").content.decode())


def test_the_pets_page_shows_its_species_age_photo_count_and_cover(client, owner, pet, settings):
    pet.birthday = datetime.date.today() - datetime.timedelta(days=3 * 366)
    pet.save()
    cover, other = ready_photo(pet=pet), ready_photo(pet=pet)
    pet.cover_photo = cover
    pet.save()
    response = gallery(client, owner, pet)
    html = unescape(response.content.decode())
    assert "Dog · 3 years old · 2 photos" in html
    head = html[html.index('class="page-head"') : html.index('id="gallery"')]
    assert f"/renditions/{pet.pk}/{cover.pk}/thumb-" in head
    assert f"/renditions/{pet.pk}/{other.pk}/" not in head


def header_cover(client, user, pet, **params) -> str:
    """The photo id of the cover in the gallery's header ("" without one)."""
    html = gallery(client, user, pet, **params).content.decode()
    head = html[html.index('class="page-head"') : html.index('id="gallery"')]
    found = re.search(rf"/renditions/{pet.pk}/([0-9a-f-]+)/thumb-", head)
    return found.group(1) if found else ""


def dated(pet, days_ago: int, **fields) -> Photo:
    taken = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)
    return ready_photo(pet=pet, taken_at=taken, taken_on=taken.date(), **fields)


def test_the_header_shows_the_newest_ready_photo_when_no_cover_was_chosen_on_every_page(
    client, owner, pet
):
    newest = dated(pet, 1)
    PhotoFactory(pet=pet, uploader=owner, state=Photo.State.PROCESSING)
    for n in range(PAGE_SIZE + 2):
        dated(pet, 10 + n)
    assert header_cover(client, owner, pet) == str(newest.pk)
    assert header_cover(client, owner, pet, page=2) == str(newest.pk)


def test_the_header_shows_the_chosen_cover_from_another_page(client, friend, pet):
    for n in range(PAGE_SIZE + 2):
        dated(pet, 10 + n)
    chosen = dated(pet, 100)  # on page 2
    pet.cover_photo = chosen
    pet.save()
    assert header_cover(client, friend, pet) == str(chosen.pk)
    assert header_cover(client, friend, pet, page=2) == str(chosen.pk)


def test_a_chosen_cover_that_is_not_ready_gives_way_to_the_newest_ready_photo(client, owner, pet):
    newest = dated(pet, 1)
    chosen = PhotoFactory(pet=pet, uploader=owner, state=Photo.State.FAILED)
    pet.cover_photo = chosen
    pet.save()
    assert header_cover(client, owner, pet) == str(newest.pk)


def test_a_pet_without_a_cover_or_birthday_shows_neither(client, owner, pet):
    html = unescape(gallery(client, owner, pet).content.decode())
    assert "Dog · no photos yet" in html
    assert "old" not in html[html.index('class="page-head"') :]
