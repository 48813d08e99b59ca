import pytest
from django.core.files.storage import default_storage
from django.test import Client

from images.models import PendingInvalidation, Photo
from tests.images import corpus
from tests.images.helpers import ask_ticket, complete, post_file, upload

pytestmark = pytest.mark.django_db
JPEG = corpus.jpeg(gps=True)


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


def test_the_local_endpoint_refuses_a_file_larger_than_its_ticket_allows(pet, owner, settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 1000
    ticket = ask_ticket(client_for(owner), pet, data=JPEG, size=500).json()  # it lies
    response = post_file(Client(), ticket, JPEG)
    assert response.status_code == 413
    assert "larger than 1,000 bytes" in response.json()["error"]
    assert not default_storage.exists(ticket["upload"]["fields"]["key"])


def test_the_local_endpoint_refuses_a_body_far_over_the_limit_before_reading_it(pet, owner):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    response = Client().post(
        "/uploads/", ticket["upload"]["fields"], CONTENT_LENGTH=str(50 * 1024 * 1024)
    )
    assert response.status_code == 413


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
    assert set(body["renditions"]) == {"thumb", "medium", "large"}
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


def test_a_viewer_sees_but_may_not_delete(pet, owner, friend):
    ticket = ask_ticket(client_for(owner), pet, data=JPEG).json()
    client = client_for(friend)
    assert client.get(f"/api/photos/{ticket['photo']}").status_code == 200
    response = client.delete(f"/api/photos/{ticket['photo']}")
    assert response.status_code == 403
    assert "owner or the photo's uploader" in response.json()["error"]


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
