"""Share links on the owner's sharing page (made with a label, a password, an expiry; changed,
revoked one by one or all at once), and on the holder's side: the password form and its
throttle, the count of openings, and the link's preview (Open Graph and Twitter card tags)
whose image a crawler without cookies opens at the local edge until the link is revoked."""

from __future__ import annotations

import datetime
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import hashers
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from cdn.revocation import access_floors, forget_cached_floors
from cdn.signer import get_signer
from images.models import ShareLink
from images.services import link_access
from images.services.sharing import share_link_create, share_link_revoke, share_link_update
from images.views.common import REGRANT_HEADER
from tests.factories import PetFactory, ready_photo, store_renditions
from tests.images.views.test_delivery import b64_from_cloudfront

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
# What a browser asks for when it opens a page.
PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the password throttle lives there
    yield
    cache.clear()


@pytest.fixture
def sharing(client, owner, pet):
    client.force_login(owner)
    url = f"/pets/{pet.pk}/sharing/"
    return lambda **data: client.post(url, data) if data else client.get(url)


def text_of(response) -> str:
    """The page's words, without its tags."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def meta(response, name: str) -> str | None:
    """The content of the page's ``<meta property|name="name">``."""
    html = response.content.decode()
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    return unescape(found.group(1)) if found else None


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def password_link(pet, owner, password="open sesame", **fields):  # noqa: S107 (a test's)
    return share_link_create(
        pet=pet, created_by=owner, lifetime=7 * DAY, password=password, **fields
    )


# --- The owner's sharing page ------------------------------------------------------------------


def test_the_owner_makes_a_labelled_password_link_that_allows_downloads(sharing, pet, client):
    response = sharing(
        action="link", label="Grandma", lifetime="30", password="biscuits", allows_download="on"
    )
    assert response.status_code == 302
    link = ShareLink.objects.get(pet=pet)
    assert (link.label, link.has_password, link.allows_download) == ("Grandma", True, True)
    page = text_of(sharing())
    assert "Your new link, Grandma" in page
    assert "Password Yes" in page
    assert "Downloads Allowed" in page


def test_a_link_made_with_the_defaults_lives_a_week_with_no_downloads(sharing, pet):
    sharing(action="link", lifetime="7")
    link = ShareLink.objects.get(pet=pet)
    assert link.label == "Link 1"
    assert round((link.expires_at - link.created_at) / DAY) == 7
    assert not link.allows_download
    assert not link.has_password


def test_the_form_offers_a_week_first_and_never_only_as_a_choice(sharing):
    html = sharing().content.decode()
    assert re.search(r'<option value="7" selected>7 days</option>', html)
    assert '<option value="never">Never (until you revoke it)</option>' in html
    assert re.search(r'<option value="never"[^>]*selected', html) is None


def test_a_link_that_never_expires_says_so_in_the_list(sharing, pet):
    sharing(action="link", lifetime="never", label="Vet")
    assert ShareLink.objects.get(pet=pet).expires_at is None
    assert "Expires Never" in text_of(sharing())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lifetime": "366"}, "Select a valid choice."),
        ({"lifetime": ""}, "This field is required."),
        ({"lifetime": "7", "password": "short"}, "Use at least 6 characters"),
        ({"lifetime": "7", "label": "x" * 61}, "at most 60 characters"),
    ],
)
def test_a_bad_new_link_says_why_and_makes_nothing(sharing, pet, data, message):
    response = sharing(action="link", **data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert not ShareLink.objects.exists()


def test_the_list_shows_each_links_facts(sharing, pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="Vet")
    ShareLink.objects.filter(pk=link.pk).update(
        opens=3, last_opened_at=timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 5))
    )
    page = text_of(sharing())
    assert "Vet" in page
    assert "Password No" in page
    assert "Downloads No" in page
    assert "Opened 3 times, last 4 Mar 2026, 10:05" in page


def test_revoked_and_expired_links_are_not_listed(sharing, pet, owner):
    gone, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="Gone")
    share_link_revoke(link=gone)
    share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="Kept")
    page = text_of(sharing())
    assert "Kept" in page
    assert "Gone" not in page


def test_the_owner_renames_and_extends_a_link(sharing, pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    prefix = f"link-{link.pk}"
    response = sharing(
        action="update_link",
        link=link.pk,
        **{f"{prefix}-label": "Vet", f"{prefix}-lifetime": "365"},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.label == "Vet"
    assert round((link.expires_at - timezone.now()) / DAY) == 365
    assert access_floors([pet.pk]) == {}  # extending revokes nothing


def test_shortening_a_link_revokes_at_the_cdn(sharing, pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=None)
    sharing(action="update_link", link=link.pk, **{f"link-{link.pk}-lifetime": "1"})
    link.refresh_from_db()
    assert round((link.expires_at - timezone.now()) / DAY) == 1
    assert pet.pk in access_floors([pet.pk])


def test_the_owner_sets_then_removes_a_password_and_toggles_downloads(sharing, pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    prefix = f"link-{link.pk}"
    sharing(
        action="update_link",
        link=link.pk,
        **{f"{prefix}-password": "new secret", f"{prefix}-allows_download": "on"},
    )
    link.refresh_from_db()
    assert link.has_password
    assert link.allows_download
    sharing(action="update_link", link=link.pk, **{f"{prefix}-remove_password": "on"})
    link.refresh_from_db()
    assert not link.has_password
    assert not link.allows_download


def test_a_refused_change_says_why_beside_that_link_and_changes_nothing(sharing, pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY, label="Vet")
    prefix = f"link-{link.pk}"
    response = sharing(
        action="update_link",
        link=link.pk,
        **{f"{prefix}-password": "new secret", f"{prefix}-remove_password": "on"},
    )
    assert response.status_code == 400
    assert "Either set a new password or remove it, not both." in text_of(response)
    assert re.search(r'<details class="link-change" open>', response.content.decode())
    link.refresh_from_db()
    assert not link.has_password


def test_a_revoked_link_cannot_be_changed_from_the_page(sharing, pet, owner):
    link, _ = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    share_link_revoke(link=link)
    response = sharing(action="update_link", link=link.pk, **{f"link-{link.pk}-lifetime": "never"})
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.expires_at is not None


def test_another_pets_link_cannot_be_changed_from_this_page(sharing, owner):
    theirs, _ = share_link_create(pet=PetFactory(), created_by=owner, lifetime=DAY)
    response = sharing(action="update_link", link=theirs.pk, **{f"link-{theirs.pk}-label": "x"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.label == "Link 1"


def test_revoke_all_links_revokes_this_pets_links_only(sharing, pet, owner, client):
    for label in ("Grandma", "Vet"):
        share_link_create(pet=pet, created_by=owner, lifetime=DAY, label=label)
    other, _ = share_link_create(pet=PetFactory(owner=owner), created_by=owner, lifetime=DAY)
    response = sharing(action="revoke_all_links")
    assert response.status_code == 302
    assert not pet.share_links.active().exists()
    assert ShareLink.objects.active().get() == other
    assert pet.pk in access_floors([pet.pk])
    assert "Revoked 2 links" in text_of(client.get(response["Location"]))


def test_revoke_all_asks_once_with_the_number_of_links(sharing, pet, owner):
    share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    assert "Yes, revoke all 2 links" in text_of(sharing())


# --- The holder's side: passwords --------------------------------------------------------------


def test_a_password_link_asks_for_it_and_shows_nothing_of_the_pet(pet, owner, photo):
    _, token = password_link(pet, owner, label="Grandma")
    response = Client().get(f"/s/{token}/")
    assert response.status_code == 200
    page = text_of(response)
    assert "This gallery has a password" in page
    for secret in (pet.name, "Grandma", owner.username, photo.caption, str(photo.pk), "/cdn/"):
        assert secret not in page
    assert not [c for c in response.cookies if c.startswith("CloudFront")]


def test_the_right_password_opens_the_gallery_and_is_remembered(pet, owner, photo):
    _, token = password_link(pet, owner)
    holder = Client()
    response = holder.post(f"/s/{token}/", {"password": "open sesame"})
    assert response.status_code == 302
    assert response["Location"] == f"/s/{token}/"
    gallery = holder.get(f"/s/{token}/")
    assert gallery.status_code == 200
    assert photo.caption in text_of(gallery)
    assert [c for c in gallery.cookies if c.startswith("CloudFront-Policy")]
    assert holder.get(f"/s/{token}/?page=2").status_code == 200


def test_a_wrong_password_is_refused_with_a_clear_error(pet, owner, photo):
    _, token = password_link(pet, owner)
    response = Client().post(f"/s/{token}/", {"password": "open says me"})
    assert response.status_code == 403
    assert "That password isn't right." in text_of(response)
    assert photo.caption not in text_of(response)


def test_a_blank_password_is_a_400_that_says_what_to_do(pet, owner):
    _, token = password_link(pet, owner)
    response = Client().post(f"/s/{token}/", {"password": ""})
    assert response.status_code == 400
    assert "Type the password you were given with the link." in text_of(response)


def test_one_links_password_opens_no_other_link(pet, owner, photo):
    _, first = password_link(pet, owner, password="first one")
    _, second = password_link(pet, owner, password="second one")
    holder = Client()
    holder.post(f"/s/{first}/", {"password": "first one"})
    assert photo.caption not in text_of(holder.get(f"/s/{second}/"))


def test_five_wrong_passwords_from_one_address_are_throttled(pet, owner):
    _, token = password_link(pet, owner)
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        guesser.post(f"/s/{token}/", {"password": f"guess {n}"}).status_code for n in range(5)
    ]
    assert statuses == [403, 403, 403, 403, 429]
    refused = guesser.post(f"/s/{token}/", {"password": "open sesame"})  # right, but too late
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert "Too many wrong passwords from here" in text_of(refused)
    assert guesser.get(f"/s/{token}/").status_code == 429
    # Another address, and the same address at another link, are not held back.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(f"/s/{token}/", {"password": "open sesame"}).status_code == 302
    _, elsewhere = password_link(pet, owner)
    assert guesser.post(f"/s/{elsewhere}/", {"password": "open sesame"}).status_code == 302


def test_guesses_racing_one_another_are_counted_before_any_is_hashed(pet, owner, monkeypatch):
    """Each guess is counted before its password is hashed: guesses arriving while earlier
    ones are still being checked are refused once five are under way."""
    _, token = password_link(pet, owner)
    real = hashers.verify_password
    hashed, overlapped = [], []

    def slow_verify(password, encoded, *args, **kwargs):
        hashed.append(password)
        if len(hashed) <= 7:  # while this guess is hashed, the next one arrives
            guess = {"password": f"parallel {len(hashed)}"}
            overlapped.append(Client(REMOTE_ADDR="203.0.113.9").post(f"/s/{token}/", guess))
        return real(password, encoded, *args, **kwargs)

    monkeypatch.setattr(hashers, "verify_password", slow_verify)
    first = Client(REMOTE_ADDR="203.0.113.9").post(f"/s/{token}/", {"password": "first"})
    assert len(hashed) == 5
    assert overlapped[-1].status_code == 429
    assert first.status_code in (403, 429)


def test_the_addresses_of_one_ipv6_network_share_their_five_guesses(pet, owner):
    _, token = password_link(pet, owner)
    statuses = [
        Client(REMOTE_ADDR=f"2001:db8::{n:x}").post(f"/s/{token}/", {"password": "guess"})
        for n in range(7)
    ]
    assert [response.status_code for response in statuses] == [403] * 4 + [429] * 3
    # Another /64 is another network.
    other = Client(REMOTE_ADDR="2001:db8:0:1::1")
    assert other.post(f"/s/{token}/", {"password": "open sesame"}).status_code == 302


def test_a_link_takes_only_so_many_guesses_from_everywhere_then_nobody_new_opens_it(
    pet, owner, photo, monkeypatch
):
    monkeypatch.setattr(link_access, "GUESSES_PER_LINK", 10)  # 100 in production
    _, token = password_link(pet, owner)
    unlocked = Client()
    unlocked.post(f"/s/{token}/", {"password": "open sesame"})
    statuses = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(f"/s/{token}/", {"password": "guess"})
        for n in range(1, 11)
    ]
    assert {response.status_code for response in statuses} == {403}
    newcomer = Client(REMOTE_ADDR="192.0.2.1")
    refused = newcomer.post(f"/s/{token}/", {"password": "open sesame"})
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/plain")
    assert refused["Retry-After"] == "600"
    assert "Too many people have tried this link's password" in refused.content.decode()
    assert newcomer.get(f"/s/{token}/").status_code == 429
    # Who typed the password before still sees the gallery.
    assert photo.caption in text_of(unlocked.get(f"/s/{token}/"))


def test_the_throttle_keeps_no_address_in_the_cache(pet, owner):
    _, token = password_link(pet, owner)
    Client(REMOTE_ADDR="203.0.113.9").post(f"/s/{token}/", {"password": "wrong one"})
    keys = list(cache._cache)  # the tests' cache is in memory
    assert keys
    assert not any("203.0.113.9" in key for key in keys)


def test_a_success_clears_the_addresss_failures(pet, owner):
    _, token = password_link(pet, owner)
    holder = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(4):
        holder.post(f"/s/{token}/", {"password": f"guess {n}"})
    holder.post(f"/s/{token}/", {"password": "open sesame"})
    again = Client(REMOTE_ADDR="203.0.113.9")
    assert again.post(f"/s/{token}/", {"password": "guess 5"}).status_code == 403


def test_changing_the_password_locks_out_those_who_typed_the_old_one(pet, owner, photo):
    link, token = password_link(pet, owner)
    holder = Client()
    holder.post(f"/s/{token}/", {"password": "open sesame"})
    assert photo.caption in text_of(holder.get(f"/s/{token}/"))
    share_link_update(link=link, password="something else")
    locked = holder.get(f"/s/{token}/")
    assert "This gallery has a password" in text_of(locked)
    assert photo.caption not in text_of(locked)
    assert holder.post(f"/s/{token}/", {"password": "open sesame"}).status_code == 403
    assert holder.post(f"/s/{token}/", {"password": "something else"}).status_code == 302


def test_removing_the_password_opens_the_link_to_everyone_holding_it(pet, owner, photo):
    link, token = password_link(pet, owner)
    share_link_update(link=link, password=None)
    assert photo.caption in text_of(Client().get(f"/s/{token}/"))


def test_a_revoked_password_link_is_dead_even_for_those_who_unlocked_it(pet, owner, photo):
    link, token = password_link(pet, owner)
    holder = Client()
    holder.post(f"/s/{token}/", {"password": "open sesame"})
    share_link_revoke(link=link)
    assert holder.get(f"/s/{token}/").status_code == 410
    assert holder.post(f"/s/{token}/", {"password": "open sesame"}).status_code == 410


def test_the_password_form_needs_its_csrf_token(pet, owner):
    _, token = password_link(pet, owner)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/s/{token}/", {"password": "open sesame"}).status_code == 403


# --- The holder's side: counting openings ------------------------------------------------------


def opens_of(token: str) -> tuple[int, datetime.datetime | None]:
    link = ShareLink.objects.for_token(token).get()
    return link.opens, link.last_opened_at


def test_opening_the_gallery_counts_once_per_first_page(pet, owner, photo):
    _link, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    holder = Client(HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT=PAGE_ACCEPT)
    before = timezone.now()
    holder.get(f"/s/{token}/")
    holder.get(f"/s/{token}/")
    opens, last = opens_of(token)
    assert opens == 2
    assert last >= before


@pytest.mark.parametrize(
    "visit",
    ["head", "later-page", "regrant", "crawler", "script", "password-form", "wrong-password"],
)
def test_what_is_not_someone_opening_the_link_is_not_counted(pet, owner, photo, visit):
    protected = visit in ("password-form", "wrong-password")
    _, token = (
        password_link(pet, owner)
        if protected
        else share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    )
    holder, url = Client(HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT=PAGE_ACCEPT), f"/s/{token}/"
    if visit == "head":
        holder.head(url)
    elif visit == "later-page":
        holder.get(url + "?page=2")
    elif visit == "regrant":
        holder.get(url, headers={REGRANT_HEADER: "1"})
    elif visit == "crawler":
        Client(HTTP_USER_AGENT=SLACK).get(url)
    elif visit == "script":  # curl and the like: no browser asks for a page with */* alone
        Client(HTTP_USER_AGENT="curl/8.5.0", HTTP_ACCEPT="*/*").get(url)
    elif visit == "password-form":
        holder.get(url)
    else:
        holder.post(url, {"password": "wrong one"})
    assert opens_of(token) == (0, None)


def test_a_password_link_counts_the_gallery_once_unlocked(pet, owner, photo):
    _, token = password_link(pet, owner)
    holder = Client(HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT=PAGE_ACCEPT)
    holder.post(f"/s/{token}/", {"password": "open sesame"})
    holder.get(f"/s/{token}/")
    assert opens_of(token)[0] == 1


# --- Previews ----------------------------------------------------------------------------------


@pytest.fixture
def cover(pet):
    photo = ready_photo(pet=pet, caption="Cover")
    store_renditions(photo)
    pet.cover_photo = photo
    pet.save()
    return photo


def test_a_link_shows_the_pets_name_and_cover_in_its_preview(pet, owner, cover):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    response = Client(HTTP_USER_AGENT=SLACK).get(f"/s/{token}/")
    assert response.status_code == 200
    medium = cover.renditions.get(name="medium")
    assert meta(response, "og:title") == "Biscuit's photos"
    assert (
        meta(response, "og:description")
        == f"1 photo of Biscuit, shared by {owner.username} on PetTracker."
    )
    assert meta(response, "og:type") == "website"
    assert meta(response, "og:url") == f"http://testserver/s/{token}/"
    assert meta(response, "og:image").startswith(f"http://testserver/cdn/{medium.key}?")
    assert "Signature=" in meta(response, "og:image")
    assert (meta(response, "og:image:width"), meta(response, "og:image:height")) == ("1024", "768")
    assert meta(response, "og:image:alt") == "A photo of Biscuit"
    assert meta(response, "twitter:card") == "summary_large_image"
    assert meta(response, "twitter:image") == meta(response, "og:image")


def test_a_links_preview_never_shows_another_pets_photo(pet, owner, stranger):
    """A cover chosen in the admin (a raw id) may name any photo: the preview takes the pet's
    own newest instead, never a photo of a pet the link does not open."""
    own = ready_photo(pet=pet)
    elsewhere = ready_photo(pet=PetFactory(owner=stranger))
    pet.cover_photo = elsewhere
    pet.save()
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    image = meta(Client(HTTP_USER_AGENT=SLACK).get(f"/s/{token}/"), "og:image")
    assert f"/renditions/{pet.pk}/{own.pk}/" in image
    assert str(elsewhere.pk) not in image


def test_the_preview_image_opens_without_cookies_until_the_link_is_revoked(pet, owner, cover):
    link, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    image = meta(Client(HTTP_USER_AGENT=SLACK).get(f"/s/{token}/"), "og:image")
    crawler = Client(HTTP_USER_AGENT="Slack-ImgProxy (+https://api.slack.com/robots)")
    fetched = crawler.get(image)
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "image/webp"
    assert b"".join(fetched.streaming_content)[:4] == b"RIFF"
    share_link_revoke(link=link)
    forget_cached_floors()  # what the revocation's commit does (the test runs in a transaction)
    assert crawler.get(image).status_code == 403


def test_the_preview_image_lives_no_longer_than_the_link(pet, owner, cover):
    link, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    soon = timezone.now() + datetime.timedelta(minutes=2)
    ShareLink.objects.filter(pk=link.pk).update(expires_at=soon)
    image = meta(Client().get(f"/s/{token}/"), "og:image")
    (statement,) = json.loads(b64_from_cloudfront(query_of(image)["Policy"]))["Statement"]
    assert statement["Condition"]["DateLessThan"]["AWS:EpochTime"] == int(soon.timestamp())


def test_a_long_lived_links_preview_image_lives_as_long_as_any_signed_url(pet, owner, cover):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=None)
    image = meta(Client().get(f"/s/{token}/"), "og:image")
    (statement,) = json.loads(b64_from_cloudfront(query_of(image)["Policy"]))["Statement"]
    assert statement["Condition"]["DateLessThan"]["AWS:EpochTime"] == get_signer().expiry()


def test_a_password_links_preview_is_neutral(pet, owner, cover):
    _, token = password_link(pet, owner, label="Grandma")
    response = Client(HTTP_USER_AGENT=SLACK).get(f"/s/{token}/")
    html = response.content.decode()
    assert meta(response, "og:title") == "A shared gallery on PetTracker"
    assert meta(response, "og:image") is None
    assert meta(response, "twitter:card") == "summary"
    assert pet.name not in html
    assert "/cdn/" not in html


def test_a_dead_link_has_no_preview(pet, owner, cover):
    link, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    share_link_revoke(link=link)
    response = Client(HTTP_USER_AGENT=SLACK).get(f"/s/{token}/")
    assert response.status_code == 410
    assert meta(response, "og:title") is None
    assert meta(response, "og:image") is None


def test_a_pet_without_ready_photos_previews_without_an_image(pet, owner):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    response = Client().get(f"/s/{token}/")
    assert meta(response, "og:title") == "Biscuit's photos"
    assert meta(response, "og:image") is None
    assert meta(response, "twitter:card") == "summary"


def test_link_pages_ask_not_to_be_indexed(pet, owner, photo):
    _, token = share_link_create(pet=pet, created_by=owner, lifetime=DAY)
    assert meta(Client().get(f"/s/{token}/"), "robots") == "noindex, nofollow"
