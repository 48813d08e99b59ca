"""The journey of a pet owner and their friends, in a real browser against the live product."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from cdn import edge
from images.models import Photo
from images.services import uploads
from tests.e2e.helpers import log_in
from tests.factories import (
    PASSWORD,
    PetFactory,
    PhotoFactory,
    RenditionFactory,
    UserFactory,
    ready_photo,
    store_renditions,
)
from tests.images import corpus

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def photo_file(tmp_path, name: str, colour: str) -> str:
    image = Image.new("RGB", (1600, 1200), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((400, 200, 1200, 1000), fill="white")
    path = tmp_path / name
    image.save(path, "JPEG", quality=85)
    return str(path)


def loaded_images(page) -> list[int]:
    """The natural widths of the gallery's images once they have loaded (0 = broken)."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#gallery img')).every(i => i.complete)"
    )
    return page.eval_on_selector_all("#gallery img", "images => images.map(i => i.naturalWidth)")


class EdgeHits:
    """Counts the objects the local edge serves (what browsers download, not their cache)."""

    def __init__(self, monkeypatch):
        self.count = 0
        serve = edge._serve

        def counting(request, key, stored):
            self.count += 1
            return serve(request, key, stored)

        monkeypatch.setattr(edge, "_serve", counting)


def test_sign_up_upload_share_revoke_and_revisit(
    person,
    live_server,
    celery_worker,
    signing_key,
    tmp_path,
    output_dir,
    monkeypatch,
    console_errors,
):
    hits = EdgeHits(monkeypatch)
    ann = person()

    # Sign up, and create a pet.
    ann.goto("/accounts/signup/")
    ann.fill("#id_username", "ann")
    ann.fill("#id_email", "ann@example.com")
    ann.fill("#id_password1", PASSWORD)
    ann.fill("#id_password2", PASSWORD)
    ann.click("main form button[type=submit]")
    ann.wait_for_url(f"{live_server.url}/")
    ann.click("text=Add a pet")
    ann.fill("#id_name", "Pebble")
    ann.select_option("#id_species", "cat")
    ann.click("main form button[type=submit]")
    ann.wait_for_selector("h1:has-text('Pebble')")
    gallery_url = ann.url

    # Upload two photos through the page: each bar reaches done.
    ann.click("text=Upload photos")
    ann.wait_for_url("**/upload/")  # the page and its script, not the gallery still showing
    files = [
        photo_file(tmp_path, "garden.jpg", "#2b8a3e"),
        photo_file(tmp_path, "sofa.jpg", "#1971c2"),
    ]
    ann.set_input_files("#files", files)
    ann.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=done]').length === 2",
        timeout=60_000,
    )
    assert ann.eval_on_selector_all("progress", "bars => bars.map(b => b.value)") == [100, 100]
    assert Photo.objects.filter(pet__name="Pebble", state=Photo.State.READY).count() == 2

    # The gallery's thumbnails really load, from the edge.
    ann.goto(gallery_url)
    widths = loaded_images(ann)
    assert len(widths) == 2
    assert all(width > 0 for width in widths)
    ann.screenshot(path=str(output_dir / "gallery.png"), full_page=True)

    # Share with Bob, who then sees the gallery; Carl, a stranger, gets a 404.
    UserFactory(username="bob")
    UserFactory(username="carl")
    ann.goto(gallery_url + "sharing/")
    ann.fill("#id_who", "bob")
    ann.click(".invite-form button[type=submit]")
    ann.wait_for_selector("text=Pebble is shared with bob.")

    bob = person()
    log_in(bob, "bob")
    bob.goto(gallery_url)
    assert all(width > 0 for width in loaded_images(bob))

    # A second visit within the signing window downloads no image again.
    before = hits.count
    bob.goto("/")
    bob.goto(gallery_url)
    assert all(width > 0 for width in loaded_images(bob))
    assert hits.count == before

    carl = person()
    log_in(carl, "carl")
    assert carl.goto(gallery_url).status == 404

    # Ann revokes Bob: the gallery is gone for him at once.
    ann.goto(gallery_url + "sharing/")
    ann.click("form:has(input[value=revoke]) button")
    ann.wait_for_selector("text=bob no longer sees Pebble.")
    assert bob.goto(gallery_url).status == 404
    # Nothing the pages needed was blocked (the CSP allows no inline script or style).
    assert not [error for error in console_errors if "Content Security Policy" in error]


def test_a_refused_file_says_why_and_the_others_still_upload(
    person, live_server, celery_worker, signing_key, tmp_path
):
    owner = UserFactory(username="dora")
    pet = PetFactory(owner=owner, name="Nib")
    page = person()
    log_in(page, "dora")
    page.goto(f"/pets/{pet.pk}/upload/")
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    page.set_input_files("#files", [str(text), photo_file(tmp_path, "ok.jpg", "#e8590c")])
    page.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=done]').length === 1"
        " && document.querySelectorAll('.upload[data-state=refused]').length === 1",
        timeout=60_000,
    )
    refused = page.inner_text(".upload[data-state=refused] .status")
    # Checked on the page before any ticket is asked for, in a sentence that says what to do.
    assert refused == "This file isn't a photo we can take: use JPEG, PNG, WebP, HEIC or GIF."
    assert Photo.objects.filter(pet=pet, state=Photo.State.READY).count() == 1


def test_files_over_the_rate_wait_their_turn_and_then_upload(
    person, live_server, celery_worker, signing_key, tmp_path, settings, monkeypatch, output_dir
):
    settings.UPLOAD_TICKETS_PER_MINUTE = 1

    monkeypatch.setattr(uploads, "RATE_WINDOW", datetime.timedelta(seconds=3))  # a short minute
    owner = UserFactory(username="gus")
    pet = PetFactory(owner=owner, name="Bramble")
    page = person()
    log_in(page, "gus")
    page.goto(f"/pets/{pet.pk}/upload/")
    colours = ("#2b8a3e", "#1971c2", "#e8590c")
    page.set_input_files(
        "#files", [photo_file(tmp_path, f"{i}.jpg", colour) for i, colour in enumerate(colours)]
    )
    page.wait_for_selector(".upload[data-state=waiting] >> text=Waiting…")
    page.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=done]').length === 3",
        timeout=60_000,
    )
    assert Photo.objects.filter(pet=pet, state=Photo.State.READY).count() == 3
    # Each finished row shows its thumb, which the upload page's cookies open.
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.upload-thumb'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 3"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(output_dir / "upload-done-390.png"), full_page=True)


def test_a_file_over_the_quota_says_what_to_do_on_its_row(
    person, live_server, celery_worker, signing_key, tmp_path
):
    owner = UserFactory(username="hal")
    owner.photo_quota = 1
    owner.save(update_fields=["photo_quota"])
    pet = PetFactory(owner=owner, name="Juniper")
    page = person()
    log_in(page, "hal")
    page.goto(f"/pets/{pet.pk}/upload/")
    assert "0 of 1 photos" in page.inner_text(".quota")
    page.set_input_files(
        "#files",
        [photo_file(tmp_path, "a.jpg", "#2b8a3e"), photo_file(tmp_path, "b.jpg", "#1971c2")],
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=done]').length === 1"
        " && document.querySelectorAll('.upload[data-state=refused]').length === 1",
        timeout=60_000,
    )
    refused = page.inner_text(".upload[data-state=refused] .status")
    assert "1 of your 1 photos" in refused
    assert "ask an administrator" in refused


def test_a_processing_photo_turns_into_its_thumbnail_when_ready(person, signing_key):
    owner = UserFactory(username="eve")
    pet = PetFactory(owner=owner, name="Moth")
    photo = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    page = person()
    log_in(page, "eve")
    page.goto(f"/pets/{pet.pk}/")
    page.wait_for_selector(".tile[data-state=processing] >> text=Processing…")

    # What the worker does when it finishes.
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), "#7048e8").save(buffer, "WEBP")
    key = f"renditions/{pet.pk}/{photo.pk}/thumb-0a1b2c3d.webp"
    default_storage.save(key, ContentFile(buffer.getvalue()))
    RenditionFactory(photo=photo, name="thumb", key=key)
    Photo.objects.filter(pk=photo.pk).update(state=Photo.State.READY)

    page.wait_for_selector(".tile[data-state=ready] img", timeout=15_000)
    # The page had no image, so no cookies: the first try is refused, gallery.js asks for the
    # page's cookies (X-Regrant) and loads it again.
    page.wait_for_function(
        "() => document.querySelector('#gallery img').naturalWidth > 0", timeout=15_000
    )
    assert page.get_attribute("#gallery img", "src") == f"/cdn/{key}"  # plain, immutable
    assert page.get_attribute("#gallery img", "alt") == "A photo of Moth"  # not "A new photo"
    link = page.locator("#gallery .tile a")
    assert link.get_attribute("data-photo") == str(photo.pk)  # the viewer opens it too
    assert link.get_attribute("data-pswp-srcset") == f"/cdn/{key} 256w"
    link.click()
    page.wait_for_selector(".pswp--open .pswp__img:not(.pswp__img--placeholder)")
    assert page.evaluate("location.hash") == f"#photo={photo.pk}"  # the viewer, not a new page


def test_the_pets_cover_in_the_header_loads_again_once_the_cookies_are_renewed(person, signing_key):
    owner = UserFactory(username="gus")
    pet = PetFactory(owner=owner, name="Pip")
    store_renditions(ready_photo(pet=pet))
    page = person()
    log_in(page, "gus")
    page.goto(f"/pets/{pet.pk}/")
    page.wait_for_function("() => document.querySelector('img.pet-cover').naturalWidth > 0")
    # A newer photo (the new cover, not in the browser's cache), and the CDN's cookies lost
    # (the page stayed open past their life, say) while the session stays, so the page does
    # not set them again: its images are refused, then gallery.js asks for the page's cookies
    # (X-Regrant) and loads them again, the header's cover too.
    newer = ready_photo(pet=pet, taken_at=datetime.datetime.now(datetime.UTC))
    store_renditions(newer, colour="#1971c2")
    page.context.clear_cookies(name=re.compile("^CloudFront-"))
    with page.expect_request(lambda r: r.headers.get("x-regrant") == "1"):
        page.reload()
    assert f"/{newer.pk}/" in page.get_attribute("img.pet-cover", "src")
    page.wait_for_function(
        "() => document.querySelector('#gallery img').naturalWidth > 0", timeout=15_000
    )
    page.wait_for_function(
        "() => document.querySelector('img.pet-cover').naturalWidth > 0", timeout=15_000
    )


def test_a_share_link_made_on_the_page_shows_the_gallery_to_a_visitor(person, signing_key):
    owner = UserFactory(username="fay")
    pet = PetFactory(owner=owner, name="Tansy")
    store_renditions(ready_photo(pet=pet))

    page = person()
    log_in(page, "fay")
    page.goto(f"/pets/{pet.pk}/sharing/")
    page.select_option("#id_lifetime", "1")
    page.click(".link-form button[type=submit]")
    link = page.input_value("#new-link-url")
    assert "/s/" in link

    visitor = person()  # no account, no cookies
    visitor.goto(link)
    assert visitor.inner_text("h1") == "Tansy"
    (width,) = loaded_images(visitor)
    assert width > 0
    assert "/originals/" not in visitor.content()


def test_photos_uploaded_out_of_order_appear_by_date_taken_under_their_months(
    person, live_server, celery_worker, signing_key, tmp_path, output_dir
):
    owner = UserFactory(username="emil")
    pet = PetFactory(owner=owner, name="Tofu")
    taken = {
        "winter.jpg": "2023:12:24 18:00:00",
        "spring.jpg": "2024:03:03 14:05:00",
        "summer.jpg": "2023:07:01 09:00:00",
    }  # uploaded in this order
    files = []
    for name, when in taken.items():
        path = tmp_path / name
        path.write_bytes(corpus.dated("JPEG", exif=corpus.exif_dates(when), size=(800, 600)))
        files.append(str(path))
    page = person()
    log_in(page, "emil")
    page.goto(f"/pets/{pet.pk}/upload/")
    page.set_input_files("#files", files)
    page.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=done]').length === 3",
        timeout=60_000,
    )
    page.goto(f"/pets/{pet.pk}/")
    assert all(width > 0 for width in loaded_images(page))
    months = page.eval_on_selector_all(
        "#gallery section",
        "sections => sections.map(s => [s.querySelector('h2.month').textContent,"
        " s.querySelectorAll('li.tile').length])",
    )
    assert months == [["March 2024", 1], ["December 2023", 1], ["July 2023", 1]]
    page.screenshot(path=str(output_dir / "gallery-by-date.png"), full_page=True)
    page.goto(page.get_attribute("#gallery li.tile a", "href"))  # a click opens the viewer
    assert page.inner_text("p.taken") == "Taken 3 March 2024, 14:05"


def test_a_tiles_placeholder_goes_once_its_image_is_shown_so_transparency_shows_the_page(
    person, signing_key
):
    owner = UserFactory(username="gus")
    pet = PetFactory(owner=owner, name="Pixel")
    photo = ready_photo(pet=pet)  # its placeholder colour is painted behind the tile
    for rendition in photo.renditions.all():  # a transparent image: its pixels are see-through
        buffer = io.BytesIO()
        Image.new("RGBA", (rendition.width, rendition.height), (0, 0, 0, 0)).save(buffer, "WEBP")
        default_storage.save(rendition.key, ContentFile(buffer.getvalue()))
    page = person()
    log_in(page, "gus")
    page.goto(f"/pets/{pet.pk}/")
    page.wait_for_function("() => document.querySelector('#gallery img').naturalWidth > 0")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#gallery .tile')).backgroundColor"
        " === 'rgba(0, 0, 0, 0)'",
        timeout=5_000,
    )


def test_a_failed_tile_keeps_its_failed_look_and_has_one_focus_ring(person, signing_key):
    owner = UserFactory(username="hal")
    pet = PetFactory(owner=owner, name="Rust")
    store_renditions(ready_photo(pet=pet))
    PhotoFactory(pet=pet, state=Photo.State.FAILED, error="Not an image")
    page = person()
    log_in(page, "hal")
    page.goto(f"/pets/{pet.pk}/")
    page.wait_for_function("() => document.querySelector('#gallery img').naturalWidth > 0")
    failed = page.locator('.tile[data-state="failed"]')
    assert failed.evaluate("t => getComputedStyle(t).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.focus('.tile[data-state="ready"] a')
    link_outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('.tile[data-state=ready] a')).outlineStyle"
    )
    assert link_outline == "none"  # the ring is the tile's (app.css), not a second one inside
