"""Downloads (issue 16): POST /photos/download/, a photo's Download, and a share link's when its
owner allowed them."""

import datetime
import io
import time
import zipfile
from html import unescape

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.utils import timezone
from PIL import Image

from images.models import Photo, ShareLink
from images.services.downloads import MAX_PHOTOS
from images.views import downloads
from tests.factories import PetFactory, PhotoFactory, ready_photo, store_full

pytestmark = pytest.mark.django_db


def taken(day: str) -> dict:
    when = datetime.datetime.fromisoformat(f"{day}T10:00:00+00:00")
    return {"taken_at": when, "taken_on": when.date()}


@pytest.fixture
def photos(pet):
    made = [
        ready_photo(pet=pet, caption="Biscuit on the sofa", **taken("2024-06-01")),
        ready_photo(pet=pet, caption="Biscuit on the sofa", **taken("2024-06-01")),
        ready_photo(pet=pet, caption="", **taken("2023-01-02")),
    ]
    for photo in made:
        store_full(photo)
    return made


def opened_zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def post_download(client, photos, **fields):
    data = {"photo": [str(p.pk) for p in photos], **fields}
    return client.post("/photos/download/", data)


def allow_downloads(pet, allowed=True):
    ShareLink.objects.filter(pet=pet).update(allows_download=allowed)


# --- POST /photos/download/ ------------------------------------------------------------------


def test_the_owner_gets_the_full_renditions_in_a_zip_named_after_the_pet(actors, photos):
    response = post_download(actors["owner"], photos)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="Biscuit photos.zip"'
    assert response["Cache-Control"] == "private, no-store"
    assert not response.has_header("Content-Length")
    archive = opened_zip(response)
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "2023-01-02 Biscuit.jpg",
        "2024-06-01 Biscuit on the sofa (2).jpg",
        "2024-06-01 Biscuit on the sofa.jpg",
    ]
    info = archive.getinfo("2023-01-02 Biscuit.jpg")
    assert info.date_time == (2023, 1, 2, 10, 0, 0)
    image = Image.open(io.BytesIO(archive.read("2023-01-02 Biscuit.jpg")))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "xmp"} & set(image.info)


def test_the_owner_may_download_the_originals_with_their_metadata(actors, photos):
    response = post_download(actors["owner"], photos, kind="original")
    assert response.status_code == 200
    archive = opened_zip(response)
    data = archive.read("2023-01-02 Biscuit.jpg")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the GPS, as uploaded


def test_originals_keep_the_names_they_were_uploaded_with(actors, photos):
    Photo.objects.filter(pk__in=[photos[0].pk, photos[1].pk]).update(
        original_filename="IMG_0001.jpeg"
    )
    response = post_download(actors["owner"], photos, kind="original")
    assert sorted(opened_zip(response).namelist()) == [
        "2023-01-02 Biscuit.jpg",  # uploaded without a name: as the full renditions are named
        "IMG_0001 (2).jpg",
        "IMG_0001.jpg",
    ]
    # The full renditions are named by date and caption whatever the upload's name.
    full = opened_zip(post_download(actors["owner"], photos)).namelist()
    assert "2024-06-01 Biscuit on the sofa.jpg" in full


@pytest.mark.parametrize("actor", ["viewer", "contributor"])
def test_those_shared_with_download_the_full_renditions(actors, photos, actor):
    response = post_download(actors[actor], photos)
    assert response.status_code == 200
    assert len(opened_zip(response).namelist()) == 3


@pytest.mark.parametrize("actor", ["viewer", "contributor"])
def test_only_the_owner_gets_originals(actors, photos, actor):
    response = post_download(actors[actor], photos, kind="original")
    assert response.status_code == 403
    assert not response.streaming


def test_a_photo_the_user_does_not_see_is_a_404_and_nothing_is_sent(actors, photos):
    elsewhere = ready_photo(pet=PetFactory())
    store_full(elsewhere)
    response = post_download(actors["owner"], [*photos, elsewhere])
    assert response.status_code == 404
    assert not response.streaming


def test_a_stranger_gets_a_404_for_every_photo(actors, photos):
    assert post_download(actors["stranger"], photos).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(actors, photos):
    response = post_download(actors["anonymous"], photos)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_malformed_id_is_an_unknown_photo(actors, photos):
    response = actors["owner"].post("/photos/download/", {"photo": ["nope"]})
    assert response.status_code == 404


def test_a_photo_still_processing_is_refused_with_a_reason(actors, pet, photos):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    response = post_download(actors["owner"], [*photos, processing])
    assert response.status_code == 409
    assert "1 of the 4 photos you chose is not ready" in response.content.decode()


def test_a_viewer_is_not_told_a_photo_still_processing_exists(actors, pet, contributor):
    processing = PhotoFactory(pet=pet, uploader=contributor, state=Photo.State.PROCESSING)
    assert (
        actors["viewer"].post("/photos/download/", {"photo": [str(processing.pk)]}).status_code
        == 404
    )
    assert actors["viewer"].get(f"/api/photos/{processing.pk}").status_code == 404
    # Its uploader sees it, and is told why it cannot be downloaded yet.
    assert (
        actors["contributor"].post("/photos/download/", {"photo": [str(processing.pk)]}).status_code
        == 409
    )


def test_a_head_of_a_download_is_refused_without_opening_the_photo(
    actors, pet, photos, link_token, monkeypatch
):
    allow_downloads(pet)
    monkeypatch.setattr(downloads, "_single_download", lambda photo: pytest.fail("opened"))
    assert actors["owner"].head(f"/photos/{photos[0].pk}/download/").status_code == 405
    assert (
        actors["anonymous"].head(f"/s/{link_token}/photos/{photos[0].pk}/download/").status_code
        == 405
    )
    assert actors["anonymous"].head(f"/s/{link_token}/download/").status_code == 405


def test_a_failed_photo_ticked_with_a_ready_one_is_refused_on_a_page_back_to_the_gallery(
    actors, pet, photos
):
    failed = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="Not an image")
    response = post_download(actors["owner"], [photos[0], failed], gallery=pet.pk)
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    html = unescape(response.content.decode())
    assert "1 of the 2 photos you chose is not ready" in html
    assert f'href="/pets/{pet.pk}/">Back to Biscuit</a>' in html


@pytest.mark.parametrize(
    ("actor", "chosen", "fields", "status", "says"),
    [
        ("owner", [], {}, 400, "Choose at least one photo"),
        ("owner", ["unknown"], {}, 404, "not shared with you"),
        ("viewer", [0], {"kind": "original"}, 403, "Only a pet's owner"),
        ("owner", [0], {"kind": "raw"}, 400, "kind=full"),
    ],
)
def test_each_refusal_of_a_download_is_a_page_saying_why_with_the_way_back(
    actors, pet, photos, actor, chosen, fields, status, says
):
    ids = [
        str(photos[c].pk) if c != "unknown" else "8c1f0b59-0000-4000-8000-000000000000"
        for c in chosen
    ]
    response = actors[actor].post(
        "/photos/download/", {"photo": ids, "gallery": str(pet.pk), **fields}
    )
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = unescape(response.content.decode())
    assert says in html
    assert f'href="/pets/{pet.pk}/"' in html


def test_a_refused_download_leads_home_when_the_gallery_posted_is_not_one_the_user_sees(
    actors, pet, photos
):
    hidden = PetFactory(name="Secret")
    for gallery in ("", "nope", str(hidden.pk)):
        response = post_download(actors["viewer"], photos, kind="original", gallery=gallery)
        assert response.status_code == 403
        html = unescape(response.content.decode())
        assert '<a class="button secondary" href="/">Back to your pets</a>' in html
        assert "Secret" not in html


def test_nothing_chosen_or_an_unknown_kind_is_a_400_saying_what_to_do(actors, photos):
    assert "at least one" in actors["owner"].post("/photos/download/", {}).content.decode()
    response = post_download(actors["owner"], photos, kind="raw")
    assert response.status_code == 400
    assert "kind=full or kind=original" in response.content.decode()


def test_more_photos_than_a_zip_holds_is_a_400_saying_the_limit(actors, photos):
    ids = [str(p.pk) for p in photos] * 1 + [
        f"00000000-0000-0000-0000-{n:012d}" for n in range(MAX_PHOTOS)
    ]
    response = actors["owner"].post("/photos/download/", {"photo": ids})
    assert response.status_code == 400
    assert "at most 1,000 photos" in response.content.decode()


def test_the_same_id_twice_is_one_photo(actors, photos):
    response = post_download(actors["owner"], [photos[0], photos[0]])
    assert opened_zip(response).namelist() == ["2024-06-01 Biscuit on the sofa.jpg"]


def test_photos_of_several_pets_go_in_a_folder_each(actors, owner, photos):
    rex = PetFactory(owner=owner, name="Rex")
    theirs = ready_photo(pet=rex, caption="Rex", **taken("2022-05-05"))
    store_full(theirs)
    response = post_download(actors["owner"], [photos[2], theirs])
    assert response["Content-Disposition"] == 'attachment; filename="Pet photos.zip"'
    assert sorted(opened_zip(response).namelist()) == [
        "Biscuit/2023-01-02 Biscuit.jpg",
        "Rex/2022-05-05 Rex.jpg",
    ]


def test_it_takes_csrf(owner, photos):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert post_download(client, photos).status_code == 403


def test_a_photo_made_before_the_full_rendition_is_downloaded_as_its_large(actors, pet, photos):
    older = ready_photo(pet=pet, caption="Older", **taken("2020-02-02"))
    from tests.factories import store_renditions

    store_renditions(older)
    response = post_download(actors["owner"], [older])
    assert opened_zip(response).namelist() == ["2020-02-02 Older.webp"]


# --- One photo --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["owner", "viewer", "contributor"])
def test_the_photo_page_offers_its_download_to_everyone_who_sees_it(actors, photos, actor):
    photo = photos[2]
    page = actors[actor].get(f"/photos/{photo.pk}/").content.decode()
    assert f'href="/photos/{photo.pk}/download/"' in page
    assert ("Download original" in page) == (actor == "owner")
    response = actors[actor].get(f"/photos/{photo.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="2023-01-02 Biscuit.jpg"'
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    assert Image.open(io.BytesIO(body)).format == "JPEG"


def test_no_page_carries_the_full_renditions_key(actors, pet, photos, link_token):
    allow_downloads(pet)
    full_keys = [p.renditions.get(name="full").key for p in photos]
    pages = [
        actors["owner"].get(f"/photos/{photos[0].pk}/"),
        actors["owner"].get(f"/pets/{pet.pk}/"),
        actors["owner"].get("/"),
        actors["anonymous"].get(f"/s/{link_token}/"),
        actors["owner"].get(f"/api/photos/{photos[0].pk}"),
    ]
    for response in pages:
        assert response.status_code == 200
        for key in full_keys:
            assert key.rsplit("/", 1)[-1] not in response.content.decode()


# --- Share links --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["anonymous", "stranger", "owner"])
def test_a_link_allowing_downloads_offers_the_whole_gallery_as_a_zip(
    actors, pet, photos, link_token, actor
):
    allow_downloads(pet)
    page = unescape(actors[actor].get(f"/s/{link_token}/").content.decode())
    assert f'href="/s/{link_token}/download/"' in page
    assert f'data-photo-download="/s/{link_token}/photos/{{id}}/download/"' in page
    response = actors[actor].get(f"/s/{link_token}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Biscuit photos.zip"'
    assert len(opened_zip(response).namelist()) == 3
    one = actors[actor].get(f"/s/{link_token}/photos/{photos[0].pk}/download/")
    assert one.status_code == 200
    assert one["Content-Disposition"].startswith('attachment; filename="2024-06-01 Biscuit')


def test_a_links_zip_holds_only_its_ready_photos(client, pet, photos, link_token):
    allow_downloads(pet)
    assert client.head(f"/s/{link_token}/download/").status_code == 405  # nothing read
    PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    assert len(opened_zip(client.get(f"/s/{link_token}/download/")).namelist()) == 3


def test_a_link_without_downloads_shows_no_button_and_refuses_them(client, photos, link_token):
    page = client.get(f"/s/{link_token}/").content.decode()
    assert "Download all" not in page
    assert "data-photo-download" not in page
    assert client.get(f"/s/{link_token}/download/").status_code == 403
    one = client.get(f"/s/{link_token}/photos/{photos[0].pk}/download/")
    assert one.status_code == 403


def test_a_link_downloads_no_photo_of_another_pet(client, pet, photos, link_token):
    allow_downloads(pet)
    elsewhere = ready_photo(pet=PetFactory())
    store_full(elsewhere)
    assert client.get(f"/s/{link_token}/photos/{elsewhere.pk}/download/").status_code == 404


def test_a_revoked_or_expired_link_downloads_nothing(client, pet, photos, link_token):
    allow_downloads(pet)
    ShareLink.objects.filter(pet=pet).update(revoked_at=timezone.now())
    for path in (f"/s/{link_token}/download/", f"/s/{link_token}/photos/{photos[0].pk}/download/"):
        response = client.get(path)
        assert response.status_code == 410
        assert "turned it off" in unescape(response.content.decode())
    assert client.get("/s/not-a-token/download/").status_code == 404


def test_a_link_gallery_larger_than_a_zip_says_its_zip_holds_the_newest(
    client, pet, photos, link_token, monkeypatch
):
    from images.views import sharing

    allow_downloads(pet)
    assert "The newest" not in client.get(f"/s/{link_token}/").content.decode()
    monkeypatch.setattr(sharing, "MAX_PHOTOS", 2)
    assert (
        "The newest 2 photos, in one ZIP file." in client.get(f"/s/{link_token}/").content.decode()
    )
    monkeypatch.setattr("images.views.downloads.MAX_PHOTOS", 2)
    assert len(opened_zip(client.get(f"/s/{link_token}/download/")).namelist()) == 2


def test_tiles_and_the_viewers_slides_never_use_the_full_rendition(photos):
    from cdn.signer import get_signer
    from images.models import Rendition
    from images.views.tiles import photo_tile, tiles

    photo = Photo.objects.with_renditions().get(pk=photos[0].pk)
    assert "full" in {r.name for r in photo.renditions.all()}
    assert "full" not in Rendition.objects.shown_for([photo.pk])[photo.pk]
    for tile in [photo_tile(photo, get_signer()), *tiles([photo], get_signer())]:
        for url in (tile.src, tile.srcset, tile.large, tile.whole_srcset):
            assert "/full-" not in url
        assert tile.large_width == 2048  # the large rendition, not the full one


def test_a_password_links_downloads_ask_for_its_password_first(client, pet, photos):
    """Downloads and passwords were built apart; without this, a password link allowing
    downloads gave its photos to anyone holding the address."""
    from images.services.sharing import share_link_create

    _, token = share_link_create(
        pet=pet,
        created_by=pet.owner,
        lifetime=datetime.timedelta(days=7),
        password="tea and biscuits",
        allows_download=True,
    )
    paths = (f"/s/{token}/download/", f"/s/{token}/photos/{photos[0].pk}/download/")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/s/{token}/"
    assert client.post(f"/s/{token}/", {"password": "tea and biscuits"}).status_code == 302
    for path in paths:
        assert client.get(path).status_code == 200


# --- Downloads at once -----------------------------------------------------------------------


def test_a_user_downloads_three_at_once_and_a_finished_one_frees_its_slot(actors, photos):
    owner = actors["owner"]
    under_way = [post_download(owner, photos[:1]) for _ in range(2)]
    under_way.append(owner.get(f"/photos/{photos[0].pk}/download/"))
    assert [response.status_code for response in under_way] == [200, 200, 200]
    refused = post_download(owner, photos[:1])
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/plain")
    assert refused["Retry-After"] == "60"
    assert "3 downloads under way" in refused.content.decode()
    assert owner.get(f"/photos/{photos[0].pk}/download/").status_code == 429
    assert opened_zip(under_way[0]).namelist()  # read to its end: its slot is free
    assert post_download(owner, photos[:1]).status_code == 200
    # Others download meanwhile: the limit is each user's.
    assert post_download(actors["viewer"], photos[:1]).status_code == 200


def closed_by_the_server(response):
    """What the WSGI server does with a response whose client went away: close it (as the
    test client does at a response's end, keeping the test's database connection open)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_a_download_the_client_left_frees_its_slot(actors, photos):
    owner = actors["owner"]
    under_way = [post_download(owner, photos) for _ in range(3)]
    closed_by_the_server(under_way[0])  # (closed mid-way: tests/images/pure/test_streams.py)
    closed_by_the_server(under_way[1])
    assert [post_download(owner, photos).status_code for _ in range(3)] == [200, 200, 429]


def test_a_slot_no_download_gave_back_comes_back_within_ten_minutes(actors, photos, monkeypatch):
    owner = actors["owner"]
    for _ in range(3):
        post_download(owner, photos)  # never read nor closed: a worker that died
    assert post_download(owner, photos).status_code == 429
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    assert post_download(owner, photos).status_code == 200


def test_a_links_holders_download_three_at_once_through_it(client, pet, photos, link_token):
    allow_downloads(pet)
    from django.test import Client

    holders = [Client() for _ in range(4)]
    paths = [f"/s/{link_token}/download/", f"/s/{link_token}/photos/{photos[0].pk}/download/"]
    under_way = [holders[n].get(paths[n % 2]) for n in range(3)]
    assert [response.status_code for response in under_way] == [200, 200, 200]
    refused = holders[3].get(paths[0])
    assert refused.status_code == 429
    assert "3 downloads through this link are under way" in refused.content.decode()
    b"".join(under_way[1].streaming_content)
    assert holders[3].get(paths[1]).status_code == 200
