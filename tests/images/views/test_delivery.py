"""Pages carry plain, immutable rendition URLs and open them with CloudFront's signed cookies,
one set per pet shown; the cookies are checked here by a verifier written from CloudFront's
documented algorithm (the "rsa" package and a regular expression), not by the app's own code."""

from __future__ import annotations

import base64
import datetime
import json
import re
import time

import pytest
import rsa
from django.contrib.sessions.models import Session
from django.test import Client

from cdn.revocation import access_floors, renditions_revoke
from cdn.signer import forget_active_key, get_signer
from images.services.sharing import share_link_create, share_revoke
from images.views.common import PAGE_SIZE, REGRANT_HEADER
from tests.factories import PetFactory, ready_photo, store_renditions

pytestmark = pytest.mark.django_db

COOKIE_NAMES = {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}


# --- An independent verifier (docs.aws.amazon.com/AmazonCloudFront: "Use signed cookies") ----


def b64_from_cloudfront(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def cloudfront_admits(cookies: dict[str, str], url: str, public_pem: str, now: int) -> bool:
    """Whether CloudFront serves ``url`` to a viewer sending ``cookies`` (custom policy)."""
    policy = b64_from_cloudfront(cookies["CloudFront-Policy"])
    signature = b64_from_cloudfront(cookies["CloudFront-Signature"])
    try:
        rsa.verify(policy, signature, rsa.PublicKey.load_pkcs1_openssl_pem(public_pem.encode()))
    except rsa.VerificationError:
        return False
    (statement,) = json.loads(policy)["Statement"]
    condition = statement["Condition"]
    if not now < condition["DateLessThan"]["AWS:EpochTime"]:
        return False
    if "DateGreaterThan" in condition and not now > condition["DateGreaterThan"]["AWS:EpochTime"]:
        return False
    pattern = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in statement["Resource"]
    )
    return re.fullmatch(pattern, url) is not None


# --- Helpers ------------------------------------------------------------------------------------


def set_cookies(response, path: str | None = None) -> dict[str, object]:
    """The CloudFront cookies ``response`` sets (on ``path``, when given), by name."""
    return {
        morsel.key: morsel
        for morsel in response.cookies.values()
        if morsel.key in COOKIE_NAMES and path in (None, morsel["path"])
    }


def values(response) -> dict[str, str]:
    return {name: morsel.value for name, morsel in set_cookies(response).items()}


def policy_of(response) -> dict:
    return json.loads(b64_from_cloudfront(values(response)["CloudFront-Policy"]))


def image_urls(html: str) -> list[str]:
    """The photos' image URLs of a page (its icons aside)."""
    found = re.findall(r'<img [^>]*src="([^"]+)"', html)
    for srcset in re.findall(r'srcset="([^"]*)"', html):
        found += [part.split()[0] for part in srcset.split(",") if part.strip()]
    return [url for url in found if not url.startswith("/static/")]


@pytest.fixture
def logged_in(client, owner, signing_key):
    client.force_login(owner)
    return client


@pytest.fixture
def clock(monkeypatch):
    """The signer's clock, which a test can move (the window turning)."""

    class Clock:
        now = time.time()

        def __call__(self):
            return self.now

    clock = Clock()
    monkeypatch.setattr(get_signer(), "_clock", clock)
    return clock


# --- Plain URLs in pages ------------------------------------------------------------------------


def test_a_gallery_carries_plain_content_hashed_urls_with_no_query(logged_in, pet, photo):
    html = logged_in.get(f"/pets/{pet.pk}/").content.decode()
    urls = image_urls(html)
    assert urls
    assert all("?" not in url for url in urls)
    assert all(url.startswith(f"/cdn/renditions/{pet.pk}/{photo.pk}/") for url in urls)
    assert "Signature" not in html
    assert "Policy" not in html


def test_a_page_weighs_at_most_1200_bytes_of_html_per_photo(logged_in, pet):
    ready_photo(pet=pet, caption="A caption of a usual length, say forty")
    one = len(logged_in.get(f"/pets/{pet.pk}/").content)
    for _ in range(PAGE_SIZE - 1):
        ready_photo(pet=pet, caption="A caption of a usual length, say forty")
    full = len(logged_in.get(f"/pets/{pet.pk}/").content)
    assert (full - one) / (PAGE_SIZE - 1) <= 1200


# --- The cookies -------------------------------------------------------------------------------


def test_the_gallery_sets_the_pets_cookies_on_its_renditions_path(logged_in, pet, photo, settings):
    response = logged_in.get(f"/pets/{pet.pk}/")
    cookies = set_cookies(response)
    assert set(cookies) == COOKIE_NAMES
    window = settings.CDN_SIGNING_WINDOW_SECONDS
    for morsel in cookies.values():
        assert morsel["path"] == f"/cdn/renditions/{pet.pk}/"
        assert morsel["httponly"]
        assert morsel["secure"]
        assert morsel["samesite"] == "Lax"
        assert window <= int(morsel["max-age"]) <= 2 * window


def test_the_cookies_open_every_rendition_of_the_pet_and_nothing_else(
    logged_in, pet, photo, signing_key
):
    other = ready_photo(pet=PetFactory(owner=pet.owner))
    response = logged_in.get(f"/pets/{pet.pk}/")
    cookies, now = values(response), int(time.time())
    site = "http://testserver"
    for url in image_urls(response.content.decode()):
        assert cloudfront_admits(cookies, site + url, signing_key.public_key_pem, now)
    for rendition in other.renditions.all():
        url = f"{site}/cdn/{rendition.key}"
        assert not cloudfront_admits(cookies, url, signing_key.public_key_pem, now)
    original = f"{site}/cdn/{photo.original_key}"
    assert not cloudfront_admits(cookies, original, signing_key.public_key_pem, now)


def test_the_policy_names_the_sites_own_origin_never_a_bare_path_or_any_host(logged_in, pet, photo):
    (statement,) = policy_of(logged_in.get(f"/pets/{pet.pk}/"))["Statement"]
    assert statement["Resource"] == f"http://testserver/cdn/renditions/{pet.pk}/*"


def test_a_pets_grant_opens_no_other_pets_image_through_a_crafted_query(
    client, owner, pet, photo, signing_key
):
    """A host wildcard (``http*://*/cdn/renditions/<pet>/*``) would match the other pet's URL
    with this query: ``*`` runs across it."""
    other = ready_photo(pet=PetFactory(owner=owner))
    store_renditions(other)
    client.force_login(owner)
    signed = client.get(f"/api/photos/{photo.pk}").json()["renditions"]["thumb"]
    query = signed.split("?", 1)[1]
    theirs = other.renditions.get(name="thumb").key
    crafted = f"/cdn/{theirs}?x=/cdn/renditions/{pet.pk}/&{query}"
    assert client.get(crafted).status_code == 403


def test_the_cookies_are_set_once_a_window_and_again_when_it_turned(
    logged_in, pet, photo, clock, settings
):
    assert set_cookies(logged_in.get(f"/pets/{pet.pk}/"))
    assert not set_cookies(logged_in.get(f"/pets/{pet.pk}/"))
    assert not set_cookies(logged_in.get(f"/photos/{photo.pk}/"))
    clock.now += settings.CDN_SIGNING_WINDOW_SECONDS
    again = logged_in.get(f"/pets/{pet.pk}/")
    assert set(set_cookies(again)) == COOKIE_NAMES


def test_a_regrant_request_sets_the_cookies_again(logged_in, pet, photo):
    logged_in.get(f"/pets/{pet.pk}/")
    response = logged_in.get(f"/pets/{pet.pk}/", headers={REGRANT_HEADER: "1"})
    assert set(set_cookies(response)) == COOKIE_NAMES


def test_after_a_revocation_those_still_allowed_get_cookies_above_the_floor(
    logged_in, pet, photo, friend, signing_key, monkeypatch
):
    logged_in.get(f"/pets/{pet.pk}/")
    share_revoke(share=pet.shares.get(grantee=friend))
    floor = access_floors([pet.pk])[pet.pk]
    later = time.time() + 2  # the next page, a moment after the revocation
    monkeypatch.setattr("cdn.middleware.time.time", lambda: later)
    response = logged_in.get(f"/pets/{pet.pk}/")
    (statement,) = policy_of(response)["Statement"]
    assert statement["Condition"]["DateGreaterThan"]["AWS:EpochTime"] == floor
    url = f"http://testserver{image_urls(response.content.decode())[0]}"
    assert cloudfront_admits(values(response), url, signing_key.public_key_pem, int(time.time()))


def test_every_page_that_shows_a_pets_photos_grants_it(client, owner, pet, photo, signing_key):
    pet.cover_photo = photo
    pet.save()
    client.force_login(owner)
    paths = ["/", "/pets/", f"/pets/{pet.pk}/", f"/photos/{photo.pk}/", f"/pets/{pet.pk}/upload/"]
    for path in paths:
        client.cookies.clear()
        client.force_login(owner)
        response = client.get(path)
        assert response.status_code == 200, path
        assert set(set_cookies(response)) == COOKIE_NAMES, path


def test_a_share_link_visitor_without_an_account_gets_the_pets_cookies(
    owner, pet, photo, signing_key
):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    response = Client().get(f"/s/{token}/")
    assert response.status_code == 200
    cookies = set_cookies(response)
    assert set(cookies) == COOKIE_NAMES
    assert cookies["CloudFront-Policy"]["path"] == f"/cdn/renditions/{pet.pk}/"


def test_pages_that_show_no_photo_set_no_cookie(logged_in, pet):
    assert not set_cookies(logged_in.get(f"/pets/{pet.pk}/sharing/"))
    assert not set_cookies(logged_in.get("/pets/new/"))


def test_a_cdn_subdomain_gets_cookies_for_the_parent_domain(logged_in, pet, photo, settings):
    settings.CDN_BASE_URL = "https://images.example.com"
    settings.CDN_COOKIE_DOMAIN = "example.com"
    response = logged_in.get(f"/pets/{pet.pk}/")
    morsel = set_cookies(response)["CloudFront-Policy"]
    assert morsel["domain"] == "example.com"
    assert morsel["path"] == f"/renditions/{pet.pk}/"
    (statement,) = policy_of(response)["Statement"]
    assert statement["Resource"] == f"https://images.example.com/renditions/{pet.pk}/*"
    assert f'src="https://images.example.com/renditions/{pet.pk}/' in response.content.decode()


# --- Right-sized images --------------------------------------------------------------------------


def test_the_photo_page_lets_small_screens_take_less_than_the_large(logged_in, pet, photo):
    html = logged_in.get(f"/photos/{photo.pk}/").content.decode()
    (image,) = re.findall(r'<img [^>]*sizes="[^"]*"[^>]*>', html)
    assert re.search(r'srcset="[^"]+ 1024w, [^"]+ 2048w"', image)


# --- The API keeps signed URLs for clients without cookies ---------------------------------------


def test_the_api_gives_signed_urls_and_the_plain_ones_pages_use(logged_in, pet, photo):
    body = logged_in.get(f"/api/photos/{photo.pk}").json()
    assert "Signature=" in body["renditions"]["thumb"]
    assert body["images"]["thumb"] == {
        "url": body["renditions"]["thumb"].split("?")[0],
        "width": 256,
        "height": 256,
    }


def test_the_apis_signed_urls_carry_the_pets_floor(logged_in, pet, photo, monkeypatch):
    floor = renditions_revoke([pet.pk])[pet.pk]
    later = time.time() + 2  # a request a moment after the revocation
    monkeypatch.setattr("cdn.middleware.time.time", lambda: later)
    signed = logged_in.get(f"/api/photos/{photo.pk}").json()["renditions"]["thumb"]
    policy = re.search(r"Policy=([^&]+)", signed).group(1)
    (statement,) = json.loads(b64_from_cloudfront(policy))["Statement"]
    assert statement["Condition"]["DateGreaterThan"]["AWS:EpochTime"] == floor


def test_a_photo_made_before_the_square_rendition_offers_its_medium_to_the_grid(logged_in, pet):
    ready_photo(pet=pet, renditions={"thumb", "medium", "large"})
    html = logged_in.get(f"/pets/{pet.pk}/").content.decode()
    assert re.search(r'srcset="[^"]+/thumb-[^"]+ 256w, [^"]+/medium-[^"]+ 1024w"', html)


def test_a_page_of_several_pets_sets_each_pets_cookies_on_its_own_path(logged_in, owner):
    pets = [PetFactory(owner=owner) for _ in range(3)]
    for pet in pets:
        pet.cover_photo = ready_photo(pet=pet)
        pet.save()
    response = logged_in.get("/")
    for pet in pets:
        assert set(set_cookies(response, f"/cdn/renditions/{pet.pk}/")) == COOKIE_NAMES
    headers = [line for line in str(response.cookies).splitlines() if "CloudFront-Policy=" in line]
    assert len(headers) == 3


def test_without_a_signing_key_the_upload_page_still_works(client, owner, pet, photo, signing_key):
    signing_key.delete()
    forget_active_key()
    client.force_login(owner)
    response = client.get(f"/pets/{pet.pk}/upload/")
    assert response.status_code == 200
    assert not set_cookies(response)
    assert client.get(f"/pets/{pet.pk}/").status_code == 503  # a gallery says what is wrong


def test_an_empty_gallery_sets_no_cookie_and_needs_no_signing_key(client, owner, pet):
    client.force_login(owner)
    response = client.get(f"/pets/{pet.pk}/")
    assert response.status_code == 200
    assert not set_cookies(response)


def test_no_grant_for_a_pet_whose_floor_rose_while_the_page_was_made(
    logged_in, pet, photo, monkeypatch
):
    """The view checked who may see the pet before the revocation committed: a grant signed
    now would carry the new floor and be honoured, so none is set (the next page sets it)."""
    renditions_revoke([pet.pk])
    started = time.time() - 0.5  # the view began just before the revocation
    monkeypatch.setattr("cdn.middleware.time.time", lambda: started)
    assert not set_cookies(logged_in.get(f"/pets/{pet.pk}/"))
    monkeypatch.undo()
    later = time.time() + 2
    monkeypatch.setattr("cdn.middleware.time.time", lambda: later)
    assert set(set_cookies(logged_in.get(f"/pets/{pet.pk}/"))) == COOKIE_NAMES


def test_a_share_link_visit_makes_no_session(owner, pet, photo, signing_key):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=datetime.timedelta(days=1))
    visitor = Client()
    for _ in range(3):
        assert set(set_cookies(visitor.get(f"/s/{token}/"))) == COOKIE_NAMES
    assert Session.objects.count() == 0


def test_home_grants_only_the_pets_whose_images_it_shows(logged_in, owner, pet, photo):
    empty = PetFactory(owner=owner)
    response = logged_in.get("/")
    assert set(set_cookies(response, f"/cdn/renditions/{pet.pk}/")) == COOKIE_NAMES
    assert not set_cookies(response, f"/cdn/renditions/{empty.pk}/")


def test_the_api_signs_nothing_for_a_pet_revoked_while_it_answered(
    logged_in, pet, photo, monkeypatch
):
    renditions_revoke([pet.pk])
    started = time.time() - 0.5  # the request began just before the revocation
    monkeypatch.setattr("cdn.middleware.time.time", lambda: started)
    body = logged_in.get(f"/api/photos/{photo.pk}").json()
    assert body["renditions"] == {}
    assert body["images"]["thumb"]["url"].startswith(f"/cdn/renditions/{pet.pk}/")
