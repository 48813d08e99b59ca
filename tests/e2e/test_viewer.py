"""The photo viewer (static/js/viewer.js, PhotoSwipe) in a real browser, on a laptop's screen and
on a phone's with touch: it opens from a tile without loading a page, walks through the photos
with the keyboard and a swipe, follows them in the address (Back closes it, Forward and a reload
open it on the same photo), closes back to where the page was with the focus on the tile, and
shows the next photo from what it preloaded. Screenshots and the preload's figures go to
test-results/e2e/."""

from __future__ import annotations

import datetime
import functools
import io
import json
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from images.models import Photo
from images.services.sharing import share_link_create
from tests.e2e.helpers import log_in
from tests.factories import PetFactory, UserFactory, ready_photo

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 3,
}
SCREENS = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]
COLOURS = ["#1971c2", "#2b8a3e", "#e8590c", "#7048e8", "#c2255c", "#0c8599", "#5c940d", "#495057"]
CAPTIONS = ['Miso "asleep" <on> the radiator', "In the garden", "", "Bath day"]


def store_pictures(photo: Photo, colour: str) -> None:
    """Real WebPs of each rendition's size where its key says (a shape, so the screenshots show
    which photo is which)."""
    for rendition in photo.renditions.all():
        default_storage.save(
            rendition.key, ContentFile(picture(colour, rendition.width, rendition.height))
        )


@functools.cache
def picture(colour: str, width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 6, width * 3 // 4, height * 5 // 6), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=60)
    return buffer.getvalue()


@pytest.fixture
def gallery(signing_key):
    """Ann's Pebble with twenty photos (more than a screen), in the grid's order (newest
    first)."""
    owner = UserFactory(username="ann")
    pet = PetFactory(owner=owner, name="Pebble")
    start = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    for i in range(20):
        photo = ready_photo(
            pet=pet,
            caption=CAPTIONS[i % len(CAPTIONS)],
            created_at=start + datetime.timedelta(hours=i),
        )
        store_pictures(photo, COLOURS[i % len(COLOURS)])
    photos = list(Photo.objects.filter(pet=pet).order_by("-created_at"))
    return pet, photos


def documents_loaded(page) -> list[str]:
    """Records the documents the page asks for from now on (a viewer loads none)."""
    documents: list[str] = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    return documents


def open_viewer(page) -> None:
    page.wait_for_selector(".pswp--open .pswp__img:not(.pswp__img--placeholder)")
    wait_for_shown_image(page)


def wait_for_shown_image(page) -> None:
    page.wait_for_function(
        "() => { const s = window.pswp && window.pswp.currSlide;"
        " return s && s.content.state === 'loaded' && !window.pswp.mainScroll.isShifted()"
        " && s.content.element.complete && s.content.element.naturalWidth > 0; }"
    )


def shown_photo(page) -> str:
    return page.evaluate("() => window.pswp.currSlide.data.photo")


def hash_of(page) -> str:
    return urlsplit(page.url).fragment


def swipe_left(page) -> None:
    """A finger moving right to left across the screen, as Chromium's touch input sends it."""
    session = page.context.new_cdp_session(page)
    width = page.viewport_size["width"]
    y = page.viewport_size["height"] // 2
    xs = [width - 40 - step * (width - 100) // 8 for step in range(9)]

    def touch(kind, x):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", xs[0])
    for x in xs[1:]:
        touch("touchMove", x)
        page.wait_for_timeout(16)
    touch("touchEnd", xs[-1])
    session.detach()


NEXT_DECODED = """() => {
    const holder = window.pswp.mainScroll.itemHolders[2];
    const image = holder && holder.el.querySelector('img.pswp__img:not(.pswp__img--placeholder)');
    return Boolean(image && image.complete && image.naturalWidth > 0);
}"""


TWO_AHEAD_LOADED = """() => {
    const pswp = window.pswp;
    const ahead = pswp.contentLoader.getContentByIndex(pswp.currIndex + 2);
    return Boolean(ahead && ahead.state === 'loaded');
}"""


def next_slide_timing(page) -> dict:
    """The resource timing of the image the viewer shows next, taken before moving to it."""
    return page.evaluate(
        """() => {
        const pswp = window.pswp;
        const next = pswp.getItemData(pswp.currIndex + 1);
        const holder = pswp.mainScroll.itemHolders[2];
        const image = holder.el.querySelector('img.pswp__img:not(.pswp__img--placeholder)');
        const url = image ? new URL(image.currentSrc || image.src, location.href).href : null;
        const entry = url ? performance.getEntriesByName(url)[0] : null;
        return {
            photo: next.photo,
            chosen_url: url,
            decoded_before_moving: Boolean(image && image.complete && image.naturalWidth > 0),
            timing: entry ? {
                start_ms: Math.round(entry.startTime),
                duration_ms: Math.round(entry.duration),
                transfer_size: entry.transferSize,
                encoded_body_size: entry.encodedBodySize,
            } : null,
            now_ms: Math.round(performance.now()),
        };
    }"""
    )


def image_complete_at_once(page) -> bool:
    """Whether the current slide's image was already decoded the moment it became current."""
    return page.evaluate(
        "() => { const e = window.pswp.currSlide.content.element;"
        " return Boolean(e && e.complete && e.naturalWidth > 0); }"
    )


def press(page, key: str) -> None:
    page.keyboard.press(key)
    page.wait_for_function("() => !window.pswp.mainScroll.isShifted()")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_viewer_opens_walks_and_closes_where_the_page_was(
    person, gallery, screen, output_dir, console_errors
):
    pet, photos = gallery
    width = screen["viewport"]["width"]
    page = person(**screen)
    log_in(page, "ann")
    page.goto(f"/pets/{pet.pk}/")
    page.wait_for_function("() => window.PetTracker && document.querySelector('#gallery a')")
    page.evaluate("window.scrollTo(0, 120)")  # not at the top: the page must come back here
    scroll_before = page.evaluate("window.scrollY")
    assert scroll_before > 0
    documents = documents_loaded(page)

    first = page.locator(f'#gallery a[data-photo="{photos[1].pk}"]')
    first.tap() if screen is PHONE else first.click()
    open_viewer(page)
    assert urlsplit(page.url).path == f"/pets/{pet.pk}/"
    assert hash_of(page) == f"photo={photos[1].pk}"
    assert photos[1].caption == ""
    caption = page.inner_text(".pswp__viewer-caption")
    assert caption.startswith("Taken ")  # no caption: the date taken, then who uploaded it
    assert caption.endswith(" · Uploaded by ann")
    assert page.get_attribute(".pswp", "aria-label") == "Photo viewer"
    assert page.get_attribute(".pswp__button--close", "aria-label") == "Close"
    assert page.locator(".pswp__button--viewer-fullscreen").is_visible()
    page.wait_for_timeout(400)  # the opening animation
    page.screenshot(path=str(output_dir / f"viewer-gallery-{width}.png"))

    # The next photo, preloaded before moving: its image's timing is recorded, not asserted.
    measured = []
    for step in (2, 3):
        # The next slide's image is there, decoded, while the current one is shown: preloaded
        # (waited for, not timed; its timing is what the JSON records).
        page.wait_for_function(NEXT_DECODED, timeout=15_000)
        timing = next_slide_timing(page)
        if screen is PHONE and step == 2:
            swipe_left(page)
            page.wait_for_function(f"() => window.pswp.currIndex === {step}")
        else:
            press(page, "ArrowRight")
        timing["shown_at_once"] = image_complete_at_once(page)
        measured.append(timing)
        wait_for_shown_image(page)
        assert shown_photo(page) == str(photos[step].pk)
        assert hash_of(page) == f"photo={photos[step].pk}"
        caption, details = page.inner_text(".pswp__viewer-caption").split("\n\n")
        assert caption == photos[step].caption
        assert details.startswith("Taken ")
        assert details.endswith(" · Uploaded by ann")
    assert photos[3].caption == 'Miso "asleep" <on> the radiator'  # shown as typed
    press(page, "ArrowLeft")
    assert shown_photo(page) == str(photos[2].pk)
    press(page, "ArrowRight")

    (output_dir / f"viewer-preload-gallery-{width}.json").write_text(json.dumps(measured, indent=2))
    print(f"\npreload at {width} px:", json.dumps(measured, indent=2))
    # Two ahead too (preload: [1, 2]): PhotoSwipe keeps the adjacent slide in the DOM anyway, but
    # the one after it is loaded only because the viewer asks for it.
    page.wait_for_function(TWO_AHEAD_LOADED, timeout=15_000)

    page.keyboard.press("Escape")
    page.wait_for_selector(".pswp", state="detached")
    assert hash_of(page) == ""
    assert page.evaluate("window.scrollY") == scroll_before
    focused = page.evaluate("document.activeElement.getAttribute('data-photo')")
    assert focused == str(photos[3].pk)  # the tile of the photo last shown
    assert documents == []  # no page was loaded, the viewer's address included
    assert console_errors == []


def test_a_reload_reopens_the_photo_and_back_and_forward_follow_it(person, gallery, console_errors):
    pet, photos = gallery
    page = person(**DESKTOP)
    log_in(page, "ann")
    page.goto(f"/pets/{pet.pk}/")
    page.click(f'#gallery a[data-photo="{photos[0].pk}"]')
    open_viewer(page)
    press(page, "ArrowRight")
    assert hash_of(page) == f"photo={photos[1].pk}"

    page.reload()
    open_viewer(page)
    assert shown_photo(page) == str(photos[1].pk)

    # Full screen, and back.
    button = page.locator(".pswp__button--viewer-fullscreen")
    button.click()
    page.wait_for_function("() => document.fullscreenElement === document.querySelector('.pswp')")
    # The button follows the browser's fullscreenchange event, which comes after the state
    # changed: wait for what the person sees rather than read it at once.
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_attribute("aria-label", "Leave full screen")
    button.click()
    page.wait_for_function("() => document.fullscreenElement === null")
    expect(button).to_have_attribute("aria-label", "Full screen")
    expect(button).to_have_attribute("aria-pressed", "false")

    # Back closes the viewer (moving between photos added no entry), Forward opens it again.
    page.go_back()
    page.wait_for_selector(".pswp", state="detached")
    assert hash_of(page) == ""
    assert urlsplit(page.url).path == f"/pets/{pet.pk}/"
    page.go_forward()
    open_viewer(page)
    assert shown_photo(page) == str(photos[1].pk)

    # A link to a photo opens the viewer on it; closing it leaves the gallery's own address.
    # (in a browser without the Fullscreen API, which has no full-screen button)
    other = person(**DESKTOP)
    other.add_init_script(
        "Object.defineProperty(Document.prototype, 'fullscreenEnabled', {get: () => false})"
    )
    log_in(other, "ann")
    other.goto(f"/pets/{pet.pk}/#photo={photos[4].pk}")
    open_viewer(other)
    assert shown_photo(other) == str(photos[4].pk)
    assert other.locator(".pswp__button--viewer-fullscreen").count() == 0
    other.keyboard.press("Escape")
    other.wait_for_selector(".pswp", state="detached")
    assert other.url.endswith(f"/pets/{pet.pk}/")
    assert other.evaluate("document.activeElement.getAttribute('data-photo')") == str(photos[4].pk)
    assert console_errors == []


@pytest.mark.parametrize("screen", SCREENS)
def test_a_share_links_gallery_and_the_home_page_open_the_viewer(
    person, gallery, screen, output_dir, console_errors
):
    pet, photos = gallery
    width = screen["viewport"]["width"]
    _, token = share_link_create(pet=pet, created_by=pet.owner, lifetime=datetime.timedelta(days=1))
    visitor = person(**screen)  # no account
    visitor.goto(f"/s/{token}/")
    visitor.wait_for_function("() => window.PetTracker && document.querySelector('#gallery a')")
    documents = documents_loaded(visitor)
    tile = visitor.locator(f'#gallery a[data-photo="{photos[0].pk}"]')
    tile.tap() if screen is PHONE else tile.click()
    open_viewer(visitor)
    assert urlsplit(visitor.url).path == f"/s/{token}/"
    caption = visitor.inner_text(".pswp__viewer-caption")
    assert "Bath day" in caption
    assert "Uploaded by" not in caption  # link holders are not told who uploaded
    visitor.wait_for_timeout(400)
    visitor.screenshot(path=str(output_dir / f"viewer-link-{width}.png"))
    visitor.keyboard.press("Escape")
    visitor.wait_for_selector(".pswp", state="detached")
    assert documents == []

    owner = person(**screen)
    log_in(owner, "ann")
    owner.wait_for_function("() => window.PetTracker && document.querySelector('#gallery a')")
    tile = owner.locator(f'#gallery a[data-photo="{photos[2].pk}"]')
    tile.tap() if screen is PHONE else tile.click()
    open_viewer(owner)
    assert urlsplit(owner.url).path == "/"
    press(owner, "ArrowRight")
    assert shown_photo(owner) == str(photos[3].pk)
    owner.wait_for_timeout(400)
    owner.screenshot(path=str(output_dir / f"viewer-home-{width}.png"))
    assert console_errors == []


def test_a_refused_image_in_the_viewer_is_shown_once_the_cookies_are_renewed(
    person, gallery, console_errors
):
    pet, photos = gallery
    page = person(**DESKTOP)
    log_in(page, "ann")
    page.goto(f"/pets/{pet.pk}/")
    page.wait_for_function("() => window.PetTracker && document.querySelector('#gallery a')")
    # The CDN's cookies are lost (the page stayed open past their life, say); the session stays.
    page.context.clear_cookies(name=re.compile("^CloudFront-"))
    with page.expect_request(lambda r: r.headers.get("x-regrant") == "1"):
        page.click(f'#gallery a[data-photo="{photos[5].pk}"]')
    open_viewer(page)  # loaded after all, through gallery.js's regrant
    assert shown_photo(page) == str(photos[5].pk)
    assert page.locator(".pswp__error-msg").count() == 0
    refused = [error for error in console_errors if "403" in error]
    assert refused
    assert len(refused) == len(console_errors)  # only the refusals themselves
