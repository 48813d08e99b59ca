import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from cdn.models import PendingInvalidation
from images.models import Photo, UploadTicket
from tests.factories import PetFactory, PhotoFactory, ready_photo
from tests.images import corpus
from tests.images.helpers import ask_ticket, complete, post_file, upload

pytestmark = pytest.mark.django_db
JPEG = corpus.jpeg(gps=True)


@pytest.fixture
def _active_signing_key():
    """No signing key unless a test asks for one (the pages' tests all get one): what the API
    answers without a key is tested here too."""


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Tickets ------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["owner", "contributor"])
def test_owner_and_contributor_get_an_upload_ticket(request, pet, actor):
    response = ask_ticket(client_for(request.getfixturevalue(actor)), pet, data=JPEG)
    assert response.status_code == 201
    body = response.json()
    photo = Photo.objects.get(pk=body["photo"])
    assert photo.state == Photo.State.PENDING
    assert body["upload"]["url"] == "http://testserver/uploads/"
    assert body["upload"]["fields"]["key"] == photo.original_key
    assert "holiday" not in photo.original_key  # no user-supplied string in a key
    assert body["expires_at"]


@pytest.mark.parametrize("actor", ["friend", "stranger"])
def test_a_viewer_or_stranger_gets_404_and_nothing_is_stored(request, pet, actor):
    response = ask_ticket(client_for(request.getfixturevalue(actor)), pet, data=JPEG)
    assert response.status_code == 404
    assert not Photo.objects.exists()


def test_anonymous_gets_401_as_json(pet):
    response = ask_ticket(client_for(None), pet, data=JPEG)
    assert response.status_code == 401
    assert response.json() == {"error": "Log in first."}


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"content_type": "image/svg+xml"}, 415, "Only these image types are accepted"),
        ({"content_type": "text/html"}, 415, "Only these image types are accepted"),
        ({"size": 41 * 1024 * 1024}, 413, "larger than the 40 MB limit"),
        ({"size": 0}, 400, "size must be a whole number"),
        ({"size": -5}, 400, "size must be a whole number"),
        ({"size": "12"}, 400, "size must be a whole number"),
        ({"size": True}, 400, "size must be a whole number"),
        ({"filename": ""}, 400, "filename must be a non-empty string"),
        ({"filename": "x" * 256}, 400, "at most 255 characters"),
        ({"filename": 42}, 400, "filename must be a non-empty string"),
        ({"filename": "a\x00.jpg"}, 400, "NUL"),
    ],
)
def test_bad_ticket_requests_get_a_clear_error_and_store_nothing(
    pet, owner, changes, status, message
):
    response = ask_ticket(client_for(owner), pet, data=JPEG, **changes)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not Photo.objects.exists()


SHA = hashlib.sha256(JPEG).hexdigest()


def test_a_file_already_in_the_pets_photos_gets_409_naming_it_and_nothing_is_made(pet, owner):
    there = ready_photo(pet=pet)
    Photo.objects.filter(pk=there.pk).update(content_hash=SHA)
    pet.name = "Nibbles"
    pet.save()
    response = ask_ticket(client_for(owner), pet, data=JPEG, content_hash=SHA)
    assert response.status_code == 409
    assert response.json() == {
        "error": "Already in Nibbles' photos.",
        "duplicate_of": str(there.pk),
        "photo_page": f"/photos/{there.pk}/",
    }
    assert Photo.objects.count() == 1


def test_the_same_file_sent_again_while_the_first_is_processing_is_a_duplicate(pet, owner):
    client = client_for(owner)
    ticket = ask_ticket(client, pet, data=JPEG, content_hash=SHA).json()
    post_file(client, ticket, JPEG)
    assert complete(client, ticket["photo"]).status_code == 202  # processing now
    again = ask_ticket(client, pet, data=JPEG, content_hash=SHA)
    assert again.status_code == 409
    assert again.json()["duplicate_of"] == ticket["photo"]


def test_uploading_a_duplicate_anyway_gets_a_ticket(pet, owner):
    Photo.objects.filter(pk=ready_photo(pet=pet).pk).update(content_hash=SHA)
    response = ask_ticket(client_for(owner), pet, data=JPEG, content_hash=SHA, duplicate="allow")
    assert response.status_code == 201


def test_the_same_file_in_another_pet_or_failed_is_no_duplicate(pet, owner):
    other = ready_photo(pet=PetFactory(owner=owner))
    failed = PhotoFactory(pet=pet, state="failed", error="Not an image")
    Photo.objects.filter(pk__in=[other.pk, failed.pk]).update(content_hash=SHA)
    assert ask_ticket(client_for(owner), pet, data=JPEG, content_hash=SHA).status_code == 201


@pytest.mark.parametrize("content_hash", ["abc", "Z" * 64, 42, SHA.upper() + "0"])
def test_a_content_hash_that_is_not_a_sha256_gets_400(pet, owner, content_hash):
    response = ask_ticket(client_for(owner), pet, data=JPEG, content_hash=content_hash)
    assert response.status_code == 400
    assert "content_hash must be the file's SHA-256" in response.json()["error"]


def test_duplicate_accepts_only_allow(pet, owner):
    response = ask_ticket(client_for(owner), pet, data=JPEG, duplicate="yes please")
    assert response.status_code == 400
    assert 'duplicate must be "allow"' in response.json()["error"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"string"'])
def test_a_body_that_is_not_a_json_object_gets_400(pet, owner, body):
    response = client_for(owner).post(
        f"/api/pets/{pet.pk}/uploads", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_the_api_requires_the_csrf_token(pet, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(f"/api/pets/{pet.pk}/uploads", "{}", content_type="application/json")
    assert response.status_code == 403
    assert not Photo.objects.exists()


# --- The local upload endpoint -----------------------------------------------------------


def test_the_local_endpoint_stores_the_file_under_the_ticket_key(pet, owner):
    client = client_for(owner)
    ticket = ask_ticket(client, pet, data=JPEG).json()
    assert post_file(Client(), ticket, JPEG).status_code == 204  # no session needed
    with default_storage.open(ticket["upload"]["fields"]["key"]) as stored:
        assert stored.read() == JPEG


def test_the_local_endpoint_refuses_a_file_larger_than_the_size_its_ticket_declared(pet, owner):
    # The quota counted the declared size, so the ticket must not let more bytes in.
    ticket = ask_ticket(client_for(owner), pet, data=JPEG, size=len(JPEG) - 1).json()
    response = post_file(Client(), ticket, JPEG)
    assert response.status_code == 413
    assert f"larger than {len(JPEG) - 1:,} bytes" in response.json()["error"]
    assert not default_storage.exists(ticket["upload"]["fields"]["key"])


def test_the_local_endpoint_refuses_a_body_far_over_the_limit_before_reading_it(pet, owner):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    response = Client().post(
        "/uploads/", ticket["upload"]["fields"], CONTENT_LENGTH=str(50 * 1024 * 1024)
    )
    assert response.status_code == 413


@pytest.mark.parametrize("declared", ["abc", "12abc", "1e9", " ", "-1", "١٢"])
def test_the_local_endpoint_refuses_a_content_length_that_is_not_a_number(pet, owner, declared):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    response = Client().post("/uploads/", ticket["upload"]["fields"], CONTENT_LENGTH=declared)
    assert response.status_code == 400
    assert "Content-Length" in response.json()["error"]
    assert not default_storage.exists(ticket["upload"]["fields"]["key"])


def test_the_local_endpoint_refuses_a_tampered_key(pet, owner):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    ticket["upload"]["fields"]["key"] = "originals/999/2026/11/elsewhere.jpg"
    response = post_file(Client(), ticket, JPEG)
    assert response.status_code == 403
    assert not default_storage.exists("originals/999/2026/11/elsewhere.jpg")


def test_the_local_endpoint_wants_a_file(pet, owner):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    response = Client().post("/uploads/", ticket["upload"]["fields"])
    assert response.status_code == 400


# --- Limits: tickets per minute, and a quota of photos and bytes per user ------------------


def test_a_ticket_over_the_per_minute_rate_gets_429_with_retry_after_and_nothing_is_made(
    pet, owner, settings
):
    settings.UPLOAD_TICKETS_PER_MINUTE = 3
    client = client_for(owner)
    for _ in range(3):
        assert ask_ticket(client, pet, data=JPEG).status_code == 201
    response = ask_ticket(client, pet, data=JPEG)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert f"try again in {response['Retry-After']} seconds" in response.json()["error"]
    assert Photo.objects.count() == 3


def test_retry_after_is_when_the_oldest_ticket_of_the_minute_leaves_it(pet, owner, settings):
    settings.UPLOAD_TICKETS_PER_MINUTE = 2
    client = client_for(owner)
    first = ask_ticket(client, pet, data=JPEG).json()["photo"]
    ask_ticket(client, pet, data=JPEG)
    fifty_seconds_ago = timezone.now() - datetime.timedelta(seconds=50)
    UploadTicket.objects.filter(photo_id=first).update(created_at=fifty_seconds_ago)
    response = ask_ticket(client, pet, data=JPEG)
    assert response.status_code == 429
    assert 9 <= int(response["Retry-After"]) <= 10


def test_tickets_older_than_a_minute_no_longer_count_against_the_rate(pet, owner, settings):
    settings.UPLOAD_TICKETS_PER_MINUTE = 1
    client = client_for(owner)
    ask_ticket(client, pet, data=JPEG)
    UploadTicket.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    assert ask_ticket(client, pet, data=JPEG).status_code == 201


def test_the_rate_is_counted_per_user(pet, owner, contributor, settings):
    settings.UPLOAD_TICKETS_PER_MINUTE = 1
    assert ask_ticket(client_for(owner), pet, data=JPEG).status_code == 201
    assert ask_ticket(client_for(owner), pet, data=JPEG).status_code == 429
    assert ask_ticket(client_for(contributor), pet, data=JPEG).status_code == 201


def test_a_ticket_over_the_photo_quota_gets_413_saying_what_to_do_and_nothing_is_made(
    pet, owner, settings
):
    settings.PHOTO_QUOTA_COUNT = 2
    PhotoFactory.create_batch(2, pet=pet, uploader=owner, state=Photo.State.READY)
    response = ask_ticket(client_for(owner), pet, data=JPEG)
    assert response.status_code == 413
    message = response.json()["error"]
    assert "2 of your 2 photos" in message
    assert "Delete photos" in message
    assert "ask an administrator" in message
    assert Photo.objects.count() == 2


def test_a_ticket_over_the_storage_quota_gets_413_and_one_that_just_fits_is_made(
    pet, owner, settings
):
    settings.PHOTO_QUOTA_BYTES = 1_000_000
    PhotoFactory(pet=pet, uploader=owner, size=990_000, state=Photo.State.READY)
    client = client_for(owner)
    response = ask_ticket(client, pet, data=JPEG, size=10_001)
    assert response.status_code == 413
    message = response.json()["error"]
    assert "storage quota" in message
    assert "966.8 KB of 976.6 KB used" in message
    assert "Delete photos" in message
    assert Photo.objects.count() == 1
    assert ask_ticket(client, pet, data=JPEG, size=10_000).status_code == 201


def test_pending_uploads_count_against_the_quota_by_their_declared_size(pet, owner, settings):
    settings.PHOTO_QUOTA_BYTES = 1000
    client = client_for(owner)
    assert ask_ticket(client, pet, data=JPEG, size=600).status_code == 201  # never uploaded
    assert ask_ticket(client, pet, data=JPEG, size=600).status_code == 413


def test_a_users_own_quota_lifts_the_sites_default(pet, owner, settings):
    settings.PHOTO_QUOTA_COUNT = 1
    PhotoFactory(pet=pet, uploader=owner)
    client = client_for(owner)
    assert ask_ticket(client, pet, data=JPEG).status_code == 413
    owner.photo_quota = 5
    owner.save(update_fields=["photo_quota"])
    assert ask_ticket(client, pet, data=JPEG).status_code == 201


def test_a_users_own_quota_lowers_the_sites_default(pet, owner, contributor):
    contributor.storage_quota = len(JPEG) - 1
    contributor.save(update_fields=["storage_quota"])
    assert ask_ticket(client_for(contributor), pet, data=JPEG).status_code == 413
    assert ask_ticket(client_for(owner), pet, data=JPEG).status_code == 201


def test_the_quota_counts_what_the_user_uploaded_whoever_owns_the_pet(pet, owner, contributor):
    contributor.photo_quota = 1
    contributor.save(update_fields=["photo_quota"])
    PhotoFactory.create_batch(3, pet=pet, uploader=owner)  # the owner's, not the contributor's
    client = client_for(contributor)
    assert ask_ticket(client, pet, data=JPEG).status_code == 201
    assert ask_ticket(client, pet, data=JPEG).status_code == 413


# --- Completion ----------------------------------------------------------------------------


def test_completing_queues_processing_after_commit(pet, owner, django_capture_on_commit_callbacks):
    client = client_for(owner)
    ticket = ask_ticket(client, pet, data=JPEG).json()
    post_file(client, ticket, JPEG)
    with django_capture_on_commit_callbacks() as callbacks:
        response = complete(client, ticket["photo"])
    assert response.status_code == 202
    assert response.json()["state"] == "processing"
    assert len(callbacks) == 1


def test_completing_before_uploading_gets_409(pet, owner):
    client = client_for(owner)
    ticket = ask_ticket(client, pet, data=JPEG).json()
    response = complete(client, ticket["photo"])
    assert response.status_code == 409
    assert Photo.objects.get().state == Photo.State.PENDING


def test_completing_twice_is_harmless(pet, owner, django_capture_on_commit_callbacks):
    client = client_for(owner)
    ticket = ask_ticket(client, pet, data=JPEG).json()
    post_file(client, ticket, JPEG)
    with django_capture_on_commit_callbacks() as callbacks:
        complete(client, ticket["photo"])
        second = complete(client, ticket["photo"])
    assert second.status_code == 202
    assert len(callbacks) == 1


def test_completing_refuses_a_stored_file_larger_than_its_ticket_declared(pet, owner):
    client = client_for(owner)
    ticket = ask_ticket(client, pet, data=JPEG, size=100).json()
    # What a storage that ignored the ticket's policy would hold.
    default_storage.save(ticket["upload"]["fields"]["key"], ContentFile(JPEG))
    response = complete(client, ticket["photo"])
    assert response.status_code == 413
    assert Photo.objects.get().state == Photo.State.FAILED


def test_only_the_uploader_completes_their_upload(pet, owner, contributor):
    ticket = ask_ticket(client_for(contributor), pet, data=JPEG).json()
    assert complete(client_for(owner), ticket["photo"]).status_code == 404


# --- Reading and deleting ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_a_processed_photo_answers_with_its_signed_rendition_urls(pet, owner, friend, signing_key):
    photo_id = upload(client_for(owner), pet, JPEG)
    body = client_for(friend).get(f"/api/photos/{photo_id}").json()
    assert body["state"] == "ready"
    assert body["error"] == ""
    # Not the full one, made for downloads: its key is never shown (issue 16).
    assert set(body["renditions"]) == {"thumb", "square", "medium", "large"}
    assert set(body["images"]) == {"thumb", "square", "medium", "large"}
    for url in body["renditions"].values():
        assert url.startswith(f"/cdn/renditions/{pet.pk}/{photo_id}/")
        assert "?Policy=" in url
        assert url.endswith(f"&Key-Pair-Id={signing_key.public_key_id}")
    # One wildcard policy for the pet: every rendition carries the same signature.
    assert len({url.split("?")[1] for url in body["renditions"].values()}) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_without_an_active_signing_key_the_api_says_so(pet, owner):
    photo_id = upload(client_for(owner), pet, JPEG)
    response = client_for(owner).get(f"/api/photos/{photo_id}")
    assert response.status_code == 503
    assert "rotate_signing_key" in response.json()["error"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_a_failed_photo_answers_with_its_reason(pet, owner):
    client = client_for(owner)
    photo_id = upload(client, pet, b"just some text, not a picture")
    body = client.get(f"/api/photos/{photo_id}").json()
    assert body["state"] == "failed"
    assert body["error"].startswith("not an image")
    assert body["renditions"] == {}


def test_a_stranger_cannot_see_or_delete_a_photo(pet, owner, stranger):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    client = client_for(stranger)
    assert client.get(f"/api/photos/{ticket['photo']}").status_code == 404
    assert client.delete(f"/api/photos/{ticket['photo']}").status_code == 404
    assert Photo.objects.filter(pk=ticket["photo"]).exists()


def test_a_viewer_sees_a_ready_photo_but_may_not_delete_it(pet, friend, signing_key):
    photo = ready_photo(pet=pet)
    client = client_for(friend)
    assert client.get(f"/api/photos/{photo.pk}").status_code == 200
    response = client.delete(f"/api/photos/{photo.pk}")
    assert response.status_code == 403
    assert "owner or the photo's uploader" in response.json()["error"]
    assert Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.parametrize("state", ["pending", "processing", "failed"])
@pytest.mark.parametrize("actor", ["friend", "contributor", "stranger"])
def test_only_the_owner_and_the_uploader_see_an_unfinished_photo(request, pet, state, actor):
    photo = PhotoFactory(pet=pet, state=state, error="not an image" if state == "failed" else "")
    client = client_for(request.getfixturevalue(actor))
    for method in (client.get, client.delete):
        response = method(f"/api/photos/{photo.pk}")
        assert response.status_code == 404
        assert "No photo" in response.json()["error"]
    assert Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.parametrize("state", ["pending", "processing", "failed"])
@pytest.mark.parametrize("actor", ["owner", "uploader"])
def test_the_owner_and_the_uploader_see_every_state_and_its_reason(
    pet, contributor, owner, state, actor
):
    reason = "not an image" if state == "failed" else ""
    photo = PhotoFactory(pet=pet, uploader=contributor, state=state, error=reason)
    client = client_for(owner if actor == "owner" else contributor)
    body = client.get(f"/api/photos/{photo.pk}").json()
    assert (body["state"], body["error"]) == (state, reason)
    assert client.delete(f"/api/photos/{photo.pk}").status_code == 204


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_deleting_removes_the_row_at_once_then_the_objects_and_queues_invalidation(pet, owner):
    client = client_for(owner)
    photo_id = upload(client, pet, JPEG)
    photo = Photo.objects.get(pk=photo_id)
    keys = [photo.original_key, *photo.renditions.values_list("key", flat=True)]
    assert all(default_storage.exists(key) for key in keys)
    assert client.delete(f"/api/photos/{photo_id}").status_code == 204
    assert not Photo.objects.filter(pk=photo_id).exists()
    assert not any(default_storage.exists(key) for key in keys)
    assert sorted(PendingInvalidation.objects.values_list("path", flat=True)) == sorted(
        f"/{key}" for key in keys
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_a_contributor_deletes_their_own_photo_but_not_the_owners(pet, owner, contributor):
    own = upload(client_for(contributor), pet, JPEG)
    owners = upload(client_for(owner), pet, JPEG)
    client = client_for(contributor)
    assert client.delete(f"/api/photos/{owners}").status_code == 403
    assert client.delete(f"/api/photos/{own}").status_code == 204


# --- Every answer is JSON, refusals included ----------------------------------------------

UPLOADS, COMPLETE, PHOTO = (
    "/api/pets/{pet}/uploads",
    "/api/photos/{photo}/complete",
    "/api/photos/{photo}",
)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/nothing-here",
        "/api/photos/not-a-uuid",
        "/api/photos/{photo}/",
        "/api/pets/{pet}/uploads/extra",
        "/api/" + "x" * 5000,
    ],
    ids=["root", "unknown", "malformed-id", "trailing-slash", "extra-segment", "long"],
)
def test_an_unknown_api_address_answers_404_as_json(pet, owner, settings, path, debug):
    settings.DEBUG = debug
    photo = ready_photo(pet=pet)
    for client in (client_for(owner), client_for(None)):
        response = client.get(path.format(pet=pet.pk, photo=photo.pk))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "/api/photos/<photo>" in response.json()["error"]  # it names what there is


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", UPLOADS, "POST"),
        ("put", UPLOADS, "POST"),
        ("get", COMPLETE, "POST"),
        ("post", PHOTO, "GET, HEAD, DELETE"),
        ("patch", PHOTO, "GET, HEAD, DELETE"),
        ("options", PHOTO, "GET, HEAD, DELETE"),
    ],
)
def test_a_wrong_method_answers_405_as_json_naming_the_right_ones(
    pet, owner, settings, method, path, allowed, debug
):
    settings.DEBUG = debug
    photo = ready_photo(pet=pet)
    response = getattr(client_for(owner), method)(path.format(pet=pet.pk, photo=photo.pk))
    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert allowed.split(", ")[0] in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"), [("post", UPLOADS), ("post", COMPLETE), ("get", PHOTO), ("delete", PHOTO)]
)
def test_anonymous_gets_401_as_json_everywhere(pet, method, path):
    photo = ready_photo(pet=pet)
    response = getattr(client_for(None), method)(path.format(pet=pet.pk, photo=photo.pk))
    assert response.status_code == 401
    assert response.json() == {"error": "Log in first."}


@pytest.mark.parametrize(
    ("method", "path"), [("post", UPLOADS), ("post", COMPLETE), ("get", PHOTO), ("delete", PHOTO)]
)
def test_what_a_user_may_not_see_is_404_as_json(pet, stranger, method, path):
    photo = ready_photo(pet=pet)
    body = {"data": "{}", "content_type": "application/json"} if method == "post" else {}
    response = getattr(client_for(stranger), method)(
        path.format(pet=pet.pk, photo=photo.pk), **body
    )
    assert response.status_code == 404
    assert response.json()["error"].startswith("No ")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_failed_csrf_check_answers_403_as_json(pet, owner, settings, debug):
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(f"/api/pets/{pet.pk}/uploads", "{}", content_type="application/json")
    assert response.status_code == 403
    assert "X-CSRFToken" in response.json()["error"]


def test_a_failed_csrf_check_on_a_page_keeps_djangos_page(pet, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(f"/pets/{pet.pk}/edit/", {"name": "Rex"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_answers_500_as_json(pet, owner, monkeypatch):
    def broken(photo):
        raise RuntimeError("a bug")

    monkeypatch.setattr("images.views.api.photo_json", broken)
    photo = ready_photo(pet=pet)
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.get(f"/api/photos/{photo.pk}")
    assert response.status_code == 500
    assert "try again" in response.json()["error"]
    assert "a bug" not in response.content.decode()  # nothing of the failure leaks


def test_a_server_error_on_a_page_keeps_the_html_page(pet, owner, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("images.views.pets.pet_cards", broken)
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.get("/pets/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
