"""The upload page in a real browser, on a laptop (1280×800) and a phone (390×844, touch):
previews before anything is sent, the warning for a file the pet has already (skip it or upload
it anyway), Retry for a file that failed on the way, the question before leaving while files
are sending, refusals in sentences, and the hidden file control a keyboard still reaches. Each
state is kept as ``test-results/e2e/upload-<state>-<width>.png`` (and ``…-dark.png``)."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
from PIL import Image, ImageDraw

from images.models import Photo, UploadTicket
from tests.e2e.helpers import LAPTOP, SCREENS, axe_violations, log_in
from tests.factories import PetFactory, UserFactory, ready_photo, store_renditions

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TICKETS = "**/api/pets/*/uploads"
MB = 1024 * 1024


def jpeg(name: str, colour: str) -> dict:
    """A photo as Playwright hands it to the file control."""
    image = Image.new("RGB", (800, 600), colour)
    ImageDraw.Draw(image).ellipse((200, 100, 600, 500), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def shoot(page, output_dir, state: str, width: int) -> None:
    """The page in both themes: upload-<state>-<width>.png and upload-<state>-<width>-dark.png."""
    for theme, suffix in (("light", ""), ("dark", "-dark")):
        page.emulate_media(color_scheme=theme)
        path = output_dir / f"upload-{state}-{width}{suffix}.png"
        page.screenshot(path=str(path), full_page=True, scale="css")
    page.emulate_media(color_scheme="light")


def states(page) -> list[str]:
    return page.eval_on_selector_all(".upload", "rows => rows.map(r => r.dataset.state)")


@pytest.fixture
def owner_page(person, live_server):
    """Ann on the upload page of her Biscuit, on the screen the test asks for."""

    def open_page(width: int):
        ann = UserFactory(username="ann")
        pet = PetFactory(owner=ann, name="Biscuit")
        page = person(**SCREENS[width])
        log_in(page, "ann")
        page.goto(f"/pets/{pet.pk}/upload/")
        return page, pet

    return open_page


@pytest.mark.parametrize("width", SCREENS)
def test_each_file_shows_its_preview_before_anything_is_sent(owner_page, output_dir, width):
    page, pet = owner_page(width)
    held = []
    page.route(TICKETS, lambda route: held.append(route))  # no ticket: nothing sent
    heic = {"name": "IMG_0042.HEIC", "mimeType": "image/heic", "buffer": b"\0\0\0\x18ftypheic"}
    page.set_input_files(
        "#files", [jpeg("garden.jpg", "#2b8a3e"), jpeg("sofa.jpg", "#1971c2"), heic]
    )
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('img.upload-preview'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 2"
        " && document.querySelector('.upload-preview.placeholder')"
        " && Array.from(document.querySelectorAll('.upload'))"
        ".every(r => r.dataset.state === 'asking')"
    )
    # The third file is hashed last: its ticket request can reach the route a moment after the
    # previews show, and the route's handler runs only while Playwright waits.
    deadline = time.monotonic() + 10
    while len(held) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert len(held) == 3
    assert states(page) == ["asking", "asking", "asking"]
    assert not Photo.objects.filter(pet=pet).exists()
    # Decoded by the browser from the files themselves, small, and let go once shown.
    previews = page.eval_on_selector_all(
        "img.upload-preview",
        """images => images.map(i => ({src: i.src.slice(0, 5), width: i.width,
            loading: i.loading, decoding: i.decoding, fit: getComputedStyle(i).objectFit}))""",
    )
    assert (
        previews
        == [{"src": "blob:", "width": 48, "loading": "lazy", "decoding": "async", "fit": "cover"}]
        * 2
    )
    revoked = page.evaluate(
        """() => Promise.all(Array.from(document.querySelectorAll('img.upload-preview'))
            .map(i => fetch(i.src).then(() => 'kept', () => 'revoked')))"""
    )
    assert revoked == ["revoked", "revoked"]
    # A HEIC this browser cannot decode: its extension on a plain square.
    assert page.inner_text(".upload-preview.placeholder") == "HEIC"
    shoot(page, output_dir, "previews", width)


@pytest.mark.parametrize("width", SCREENS)
def test_a_file_the_pet_has_already_is_skipped_or_uploaded_anyway(
    owner_page, celery_worker, signing_key, output_dir, width
):
    page, pet = owner_page(width)
    twice = jpeg("biscuit.jpg", "#e8590c")
    there = ready_photo(pet=pet, content_hash=hashlib.sha256(twice["buffer"]).hexdigest())
    store_renditions(there)

    page.set_input_files("#files", [twice])
    row = page.locator(".upload").nth(0)
    page.wait_for_selector(".upload[data-state=duplicate]")
    assert row.locator(".status").inner_text().startswith("Already in Biscuit's photos. See it")
    assert row.get_by_role("link").get_attribute("href") == f"/photos/{there.pk}/"
    assert axe_violations(page)[0] == []  # its link and buttons too
    shoot(page, output_dir, "duplicate", width)

    row.get_by_role("button", name="Skip").click()
    page.wait_for_selector(".upload[data-state=skipped]")
    assert row.locator(".status").inner_text() == "Skipped: nothing was stored."
    assert row.get_by_role("button").count() == 0
    assert list(Photo.objects.filter(pet=pet)) == [there]  # nothing stored, nothing pending
    assert not UploadTicket.objects.exists()

    page.set_input_files("#files", [twice])
    again = page.locator(".upload").nth(1)
    page.wait_for_selector(".upload[data-state=duplicate]")
    again.get_by_role("button", name="Upload anyway").click()
    page.wait_for_selector(".upload[data-state=done] img.upload-thumb", timeout=60_000)
    assert Photo.objects.filter(pet=pet, state=Photo.State.READY).count() == 2
    assert states(page) == ["skipped", "done"]


def test_the_same_file_twice_in_one_drop_is_sent_once(owner_page, celery_worker, signing_key):
    page, pet = owner_page(1280)
    twice = jpeg("biscuit.jpg", "#e8590c")
    page.set_input_files("#files", [twice, {**twice, "name": "biscuit copy.jpg"}])
    page.wait_for_selector(".upload[data-state=duplicate]")
    copy = page.locator(".upload").nth(1)
    assert copy.locator(".status").inner_text() == (
        "This is the same file as one above, already on its way."
    )
    copy.get_by_role("button", name="Skip").click()
    page.wait_for_selector(".upload[data-state=done] img.upload-thumb", timeout=60_000)
    assert states(page) == ["done", "skipped"]
    assert Photo.objects.filter(pet=pet).count() == 1


@pytest.mark.parametrize("width", SCREENS)
def test_a_file_that_failed_on_the_way_is_retried_and_uploads(
    owner_page, celery_worker, signing_key, output_dir, width
):
    page, pet = owner_page(width)
    asked = []

    def drop_the_first(route) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            route.abort("connectionfailed")
        else:
            route.continue_()

    page.route(TICKETS, drop_the_first)
    page.set_input_files("#files", [jpeg("garden.jpg", "#2b8a3e")])
    page.wait_for_selector(".upload[data-state=failed]")
    status = page.inner_text(".upload .status")
    assert status == "The connection dropped before this photo was sent. Retry?"
    assert axe_violations(page)[0] == []
    shoot(page, output_dir, "failed", width)

    page.get_by_role("button", name="Retry").click()
    page.wait_for_selector(".upload[data-state=done]", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('img.upload-thumb')?.naturalWidth > 0", timeout=15_000
    )
    assert len(asked) == 2  # the whole flow again: a new ticket
    assert Photo.objects.filter(pet=pet, state=Photo.State.READY).count() == 1
    assert page.get_by_role("button", name="Retry").count() == 0
    shoot(page, output_dir, "done", width)


@pytest.mark.parametrize("width", SCREENS)
def test_a_file_refused_for_its_own_fault_says_why_and_offers_no_retry(
    owner_page, settings, output_dir, width
):
    settings.PHOTO_MAX_UPLOAD_BYTES = 2 * MB
    page, pet = owner_page(width)
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    big = {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"0" * 3_000_000}
    notes = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}
    page.set_input_files("#files", [notes, big])
    page.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=refused]').length === 2"
    )
    sentences = page.eval_on_selector_all(".upload .status", "s => s.map(e => e.innerText)")
    assert sentences == [
        "This file isn't a photo we can take: use JPEG, PNG, WebP, HEIC or GIF.",
        "This file is 3 MB; photos can be at most 2 MB.",
    ]
    assert page.locator(".upload button").count() == 0
    assert not [url for url in asked if "/api/" in url]  # checked here, before any ticket
    assert not Photo.objects.filter(pet=pet).exists()
    shoot(page, output_dir, "refused", width)


@pytest.mark.parametrize("width", SCREENS)
def test_the_file_control_is_hidden_yet_focusable_and_opened_by_keyboard(
    owner_page, output_dir, width
):
    page, _ = owner_page(width)
    box = page.locator("#files").bounding_box()
    assert box["width"] <= 1
    assert box["height"] <= 1
    assert page.get_by_label("choose files").get_attribute("id") == "files"  # labelled

    for _ in range(40):  # Tab from the top of the page to the file control
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "files":
            break
    else:
        pytest.fail("Tab never reached the file control")
    ring = page.eval_on_selector(
        ".dropzone",
        "z => ({style: getComputedStyle(z).outlineStyle, width: getComputedStyle(z).outlineWidth})",
    )
    assert ring == {"style": "solid", "width": "3px"}
    shoot(page, output_dir, "focus", width)

    # One listener for both keys. Playwright intercepts choosers once the browser has heard
    # of it: page.on() does not wait for that, the round trip of evaluate() does.
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    page.evaluate(
        """() => { window.clicks = 0;
            document.getElementById('files').addEventListener('click', () => window.clicks++); }"""
    )
    for opened, key in enumerate(("Enter", " "), start=1):
        page.keyboard.press(key)
        page.wait_for_function(f"() => window.clicks === {opened}")  # the native activation
        deadline = time.monotonic() + 10
        while len(choosers) < opened and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert len(choosers) == opened, f"{key!r} did not open the file chooser"
    assert all(chooser.is_multiple() for chooser in choosers)


def test_leaving_while_files_are_sending_asks_first(owner_page, celery_worker, signing_key):
    page, pet = owner_page(1280)
    asked = []
    dialogs = []

    def stay(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.route(TICKETS, lambda route: asked.append(route))  # held: still on their way
    page.set_input_files("#files", [jpeg("a.jpg", "#2b8a3e"), jpeg("b.jpg", "#1971c2")])
    page.wait_for_function("() => document.querySelectorAll('[data-state=asking]').length === 2")
    page.get_by_role("link", name="Back to the gallery").click()
    deadline = time.monotonic() + 10
    while not dialogs and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/upload/")  # stayed

    while len(asked) < 2 and time.monotonic() < deadline + 10:
        page.wait_for_timeout(50)  # both held before they are let go
    for route in asked:
        route.continue_()
    page.unroute(TICKETS)
    page.wait_for_function(
        "() => document.querySelectorAll('.upload[data-state=done]').length === 2",
        timeout=60_000,
    )
    page.get_by_role("link", name="Back to the gallery").click()
    page.wait_for_url(f"**/pets/{pet.pk}/")
    assert dialogs == ["beforeunload"]  # nothing asked once everything was sent


def test_refused_files_alone_do_not_hold_the_page(owner_page):
    page, pet = owner_page(LAPTOP["viewport"]["width"])
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.type) or dialog.dismiss())
    page.set_input_files("#files", [{"name": "n.txt", "mimeType": "text/plain", "buffer": b"x"}])
    page.wait_for_selector(".upload[data-state=refused]")
    page.get_by_role("link", name="Back to the gallery").click()
    page.wait_for_url(f"**/pets/{pet.pk}/")
    assert dialogs == []
