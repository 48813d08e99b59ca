"""Delivery in a real browser: pages' signed cookies open their pets' images, a revisit after the
signing window turned downloads no image again, a revocation reaches the edge within its bound
while everyone still allowed keeps loading, and one pet's cookies open nothing of another's."""

from __future__ import annotations

import datetime
import time

import pytest

from cdn import edge
from cdn.revocation import EDGE_REVOCATION_SECONDS
from cdn.signer import get_signer
from images.services.sharing import share_link_create, share_revoke
from tests.e2e.helpers import log_in
from tests.factories import PetFactory, ShareFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


class EdgeServed:
    """The objects the local edge served with their bytes (what browsers downloaded, not what
    they found in their cache)."""

    def __init__(self, monkeypatch):
        self.keys: list[str] = []
        serve = edge._serve

        def counting(request, key, stored):
            response = serve(request, key, stored)
            if response.status_code in (200, 206):
                self.keys.append(key)
            return response

        monkeypatch.setattr(edge, "_serve", counting)


def gallery_of(owner, photos: int, name="Pebble"):
    pet = PetFactory(owner=owner, name=name)
    for _ in range(photos):
        store_renditions(ready_photo(pet=pet))
    return pet


def shown_widths(page) -> list[int]:
    """The natural widths of every image of the page once each has loaded or failed."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('main img')).every(i => i.complete)"
    )
    return page.eval_on_selector_all("main img", "images => images.map(i => i.naturalWidth)")


def load_every_image(page) -> list[int]:
    """Scroll to the end, so lazy images load, then their widths."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.eval_on_selector_all("main img", "images => images.forEach(i => i.loading = 'eager')")
    return shown_widths(page)


def status_of(page, url: str) -> int:
    """What the edge answers this browser for ``url`` (its cookies, not its cache)."""
    return page.evaluate(
        "url => fetch(url, {credentials: 'same-origin', cache: 'no-store'}).then(r => r.status)",
        url,
    )


def test_a_revisit_after_the_window_turned_downloads_no_image_again(
    person, live_server, signing_key, monkeypatch, output_dir, settings
):
    owner = UserFactory(username="ann")
    pet = gallery_of(owner, 8)
    served = EdgeServed(monkeypatch)
    page = person(viewport={"width": 1280, "height": 900})
    log_in(page, "ann")
    page.goto(f"/pets/{pet.pk}/")
    first = load_every_image(page)
    assert len(first) == 9  # the 8 tiles and the pet's cover
    assert all(first)
    downloaded = len(served.keys)
    assert downloaded >= 8
    page.screenshot(path=str(output_dir / "delivery-gallery-1280.png"), full_page=True)
    cookies_before = {c["name"]: c["value"] for c in page.context.cookies()}

    # Two windows later (the next day would do the same): new cookies, the same URLs.
    signer = get_signer()
    later = time.time() + 2 * settings.CDN_SIGNING_WINDOW_SECONDS
    monkeypatch.setattr(signer, "_clock", lambda: later)
    page.goto("/")
    page.goto(f"/pets/{pet.pk}/")
    again = load_every_image(page)
    assert len(again) == 9
    assert all(again)
    assert len(served.keys) == downloaded  # zero image bytes downloaded again
    cookies_after = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies_after["CloudFront-Policy"] != cookies_before["CloudFront-Policy"]


def test_a_phone_takes_the_square_512_for_the_grid_not_the_medium(
    person, live_server, signing_key, monkeypatch, output_dir
):
    owner = UserFactory(username="ann")
    pet = gallery_of(owner, 4)
    served = EdgeServed(monkeypatch)
    page = person(viewport=PHONE, device_scale_factor=3)
    log_in(page, "ann")
    page.goto(f"/pets/{pet.pk}/")
    widths = load_every_image(page)
    assert len(widths) == 5  # the four tiles and the pet's cover
    assert all(widths)
    page.screenshot(path=str(output_dir / "delivery-gallery-390.png"), full_page=True)
    names = {key.rsplit("/", 1)[1].split("-")[0] for key in served.keys}
    assert "square" in names  # a 3× phone takes the 512 px square for ~175 px cells
    assert names <= {"thumb", "square"}


def test_a_revoked_friend_is_refused_within_the_bound_while_the_owner_keeps_loading(
    person, live_server, signing_key, monkeypatch
):
    owner, friend = UserFactory(username="ann"), UserFactory(username="bob")
    pet = gallery_of(owner, 2)
    share = ShareFactory(pet=pet, grantee=friend, role="viewer")
    large = [f"/cdn/{r.key}" for r in pet.photos.get_queryset()[0].renditions.filter(name="large")]
    ann, bob = person(), person()
    log_in(ann, "ann")
    log_in(bob, "bob")
    for page in (ann, bob):
        page.goto(f"/pets/{pet.pk}/")
        assert all(load_every_image(page))
        assert status_of(page, large[0]) == 200

    share_revoke(share=share)
    revoked_at = time.monotonic()
    while status_of(bob, large[0]) != 403:
        assert time.monotonic() - revoked_at < EDGE_REVOCATION_SECONDS, "still served to bob"
        time.sleep(0.5)
    print(f"refused {time.monotonic() - revoked_at:.1f} s after the revocation")

    # Ann's open page holds cookies signed before the revocation: an image it has not loaded
    # yet is refused once, the page renews its cookies and loads it.
    ann.evaluate(
        """url => {
            const image = document.querySelector('#gallery img');
            image.removeAttribute('srcset');
            image.src = url;
        }""",
        large[0],
    )
    ann.wait_for_function(
        "url => Array.from(document.images).some(i => i.src.endsWith(url) && i.naturalWidth)",
        arg=large[0],
    )
    assert status_of(ann, large[0]) == 200
    assert bob.goto(f"/pets/{pet.pk}/").status == 404


def test_one_pets_cookies_open_none_of_another_pets_images(person, live_server, signing_key):
    owner, friend = UserFactory(username="ann"), UserFactory(username="bob")
    shared = gallery_of(owner, 1, name="Pebble")
    private = gallery_of(owner, 1, name="Secret")
    ShareFactory(pet=shared, grantee=friend, role="viewer")
    secret = f"/cdn/{private.photos.get().renditions.get(name='thumb').key}"
    bob = person()
    log_in(bob, "bob")
    bob.goto(f"/pets/{shared.pk}/")
    assert all(load_every_image(bob))
    assert status_of(bob, secret) == 403
    paths = {
        cookie["path"]
        for cookie in bob.context.cookies()
        if cookie["name"].startswith("CloudFront-")
    }
    assert paths == {f"/cdn/renditions/{shared.pk}/"}
    # Once the owner shares the other pet too, its page grants it.
    ShareFactory(pet=private, grantee=friend, role="viewer")
    bob.goto(f"/pets/{private.pk}/")
    assert all(load_every_image(bob))
    assert status_of(bob, secret) == 200


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_that_shows_photos_loads_them_through_its_cookies(
    person, live_server, signing_key, output_dir, width
):
    owner = UserFactory(username="ann")
    pet = gallery_of(owner, 3)
    photo = pet.photos.get_queryset().first()
    pet.cover_photo = photo
    pet.save()
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    page = person(viewport={"width": width, "height": 900})
    log_in(page, "ann")
    pages = {
        "home": "/",
        "pets": "/pets/",
        "photo": f"/photos/{photo.pk}/",
        "sharing": f"/pets/{pet.pk}/sharing/",
        "link": f"/s/{token}/",
    }
    for name, path in pages.items():
        page.goto(path)
        widths = load_every_image(page)
        assert all(widths), f"{name}: an image did not load"
        # Every page but sharing (no photo on it) shows at least one image.
        assert widths or name == "sharing", f"{name}: no image at all"
        page.screenshot(path=str(output_dir / f"delivery-{name}-{width}.png"), full_page=True)
