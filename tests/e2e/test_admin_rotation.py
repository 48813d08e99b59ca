"""An admin rotates the signing key while a gallery keeps loading its images: not one 403."""

from __future__ import annotations

import pytest

from cdn.models import SigningKey
from tests.e2e.helpers import log_in
from tests.factories import PetFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
REFETCH = """() => Promise.all(
  Array.from(document.querySelectorAll('#gallery img')).map(
    image => fetch(image.currentSrc || image.src, {cache: 'no-store'}).then(r => r.status)))"""


def stored_gallery(owner, photos: int):
    pet = PetFactory(owner=owner, name="Juniper")
    for index in range(photos):
        store_renditions(ready_photo(pet=pet), colour=(40 * index % 255, 120, 200))
    return pet


def key_pair_id(page) -> str:
    """The key the browser's cookies for the gallery's pet were signed with."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "CloudFront-Key-Pair-Id"]
    return cookie["value"]


def refetch_images(page) -> list[int]:
    """Fetch every image of the page again, bypassing the browser's cache: their statuses."""
    return page.evaluate(REFETCH)


def test_rotating_from_the_admin_breaks_no_image_of_an_open_gallery(
    person, live_server, signing_key, console_errors
):
    owner = UserFactory(username="gwen")
    UserFactory(username="root", is_staff=True, is_superuser=True)
    pet = stored_gallery(owner, photos=6)
    statuses: list[int] = []

    viewer = person()
    viewer.on("response", lambda r: statuses.append(r.status) if "/cdn/" in r.url else None)
    log_in(viewer, "gwen")
    viewer.goto(f"/pets/{pet.pk}/")
    before = key_pair_id(viewer)

    admin = person()
    log_in(admin, "root")
    admin.goto("/admin/cdn/signingkey/")
    admin.click("text=Rotate now")
    assert refetch_images(viewer) == [200] * 6  # between the confirmation and the rotation
    admin.click("input[type=submit][value^='Yes']")
    admin.wait_for_selector("text=is active")

    # The page rendered before the rotation keeps loading with the old key's cookies...
    assert refetch_images(viewer) == [200] * 6
    # ...and a fresh render sets cookies signed with the new key, which load too.
    viewer.goto(f"/pets/{pet.pk}/")
    new_key = SigningKey.objects.get(state=SigningKey.State.ACTIVE)
    assert before == signing_key.public_key_id
    assert key_pair_id(viewer) == new_key.public_key_id
    assert refetch_images(viewer) == [200] * 6
    assert 403 not in statuses
    assert len(statuses) >= 18
    assert not [error for error in console_errors if "Content Security Policy" in error]
