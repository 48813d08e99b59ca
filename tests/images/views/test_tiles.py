"""The grid's markup, made in Python: escaped, and saying what each photo's state needs."""

import datetime
import re
from html.parser import HTMLParser

import pytest

from cdn.signer import get_signer
from images.models import Photo
from images.views.tiles import gallery_html, grid_html, photo_tile, tiles
from tests.factories import PhotoFactory, UserFactory, ready_photo, store_full

pytestmark = pytest.mark.django_db


def test_a_ready_tile_links_its_page_and_escapes_its_caption(pet):
    photo = ready_photo(pet=pet, caption='<script>alert("x")</script>')
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name))
    assert f'<a href="/photos/{photo.pk}/" ' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'loading="lazy"' in html


def test_a_share_links_tiles_open_the_large_rendition(pet):
    photo = ready_photo(pet=pet)
    (tile,) = tiles([photo], get_signer(), pet_name=pet.name)
    assert f'<a href="{tile.large}" ' in grid_html([tile], link_to_large=True)


def attributes_of_link(html: str) -> dict[str, str]:
    """The attributes of the tile's link, unescaped, as a browser reads them."""
    parser = LinkParser()
    parser.feed(html)
    return parser.attributes


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attributes: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.attributes = {name: value or "" for name, value in attrs}


def test_a_ready_tile_carries_the_viewers_slide(pet):
    photo = ready_photo(pet=pet, caption='Miso "asleep" <on> the radiator')
    photo = Photo.objects.for_tiles().get(pk=photo.pk)
    (tile,) = tiles([photo], get_signer(), pet_name=pet.name)
    html = grid_html([tile])
    link = attributes_of_link(html)
    assert link["data-photo"] == str(photo.pk)
    assert link["data-pswp-srcset"] == tile.whole_srcset
    assert link["data-pswp-srcset"].endswith(f"{tile.large} {tile.large_width}w")
    assert (link["data-pswp-width"], link["data-pswp-height"]) == (
        str(tile.large_width),
        str(tile.large_height),
    )
    assert link["data-uploader"] == photo.uploader.username
    assert link["data-taken"] == photo.taken_at.isoformat()  # no offset known: the site's zone
    # The caption the viewer reads is the tile's own, escaped once.
    assert "Miso &quot;asleep&quot; &lt;on&gt; the radiator</span>" in html
    assert "<on>" not in html


def test_the_uploaders_name_is_escaped_and_a_deleted_uploader_is_nobody(pet):
    named = ready_photo(pet=pet, uploader=UserFactory(username='a"b<c'))
    gone = ready_photo(pet=pet)
    Photo.objects.filter(pk=gone.pk).update(uploader=None)  # their account was deleted
    photos = Photo.objects.for_tiles().filter(pk__in=[named.pk, gone.pk]).order_by("created_at")
    html = grid_html(tiles(photos, get_signer(), pet_name=pet.name))
    assert 'data-uploader="a&quot;b&lt;c"' in html
    assert 'data-uploader=""' in html


def test_a_share_links_tiles_name_no_uploader(pet):
    photo = Photo.objects.for_tiles().get(pk=ready_photo(pet=pet).pk)
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name), shows_uploader=False)
    assert attributes_of_link(html)["data-uploader"] == ""


def test_a_date_taken_is_passed_as_iso_8601_when_the_photo_has_one(pet):
    photo = Photo.objects.for_tiles().get(pk=ready_photo(pet=pet).pk)
    taken = datetime.datetime(
        2024, 6, 1, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=9))
    )
    photo.taken_at, photo.taken_at_offset = taken, 9 * 60  # taken in Tokyo, as its EXIF said
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name))
    assert attributes_of_link(html)["data-taken"] == "2024-06-01T09:30:00+09:00"


def test_a_processing_tile_tells_the_script_where_to_ask(pet):
    photo = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name))
    assert f'data-api="/api/photos/{photo.pk}"' in html
    assert f'data-href="/photos/{photo.pk}/"' in html
    assert "Processing…" in html


def test_a_failure_says_why_only_to_whom_it_is_shown(pet):
    photo = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="not an <image>")
    shown = tiles([photo], get_signer(), pet_name=pet.name)
    assert "Couldn't be processed: not an &lt;image&gt;" in grid_html(
        shown, shows_error=lambda p: True
    )
    hidden = grid_html(shown)
    assert "Couldn't be processed<" in hidden
    assert "not an" not in hidden


def test_a_failed_tile_links_its_page_where_it_can_be_deleted(pet):
    photo = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="not an image")
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name))
    assert f'<a href="/photos/{photo.pk}/"' in html


class Spoken(HTMLParser):
    """The text a screen reader reads of some markup: images by their alt text, nothing of
    what ``aria-hidden`` hides, each element's text as it is (no space added between)."""

    VOID = {"img", "br", "input", "meta", "link", "source"}

    def __init__(self):
        super().__init__()
        self.text, self.hidden = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and not any(self.hidden):
            self.text.append(attrs.get("alt") or "")
        if tag not in self.VOID:
            self.hidden.append(attrs.get("aria-hidden") == "true")

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            self.hidden.pop()

    def handle_data(self, data):
        if not any(self.hidden):
            self.text.append(data)


def spoken(html: str) -> str:
    parser = Spoken()
    parser.feed(html)
    return "".join(parser.text)


def test_a_captioned_tile_reads_its_caption_once_not_run_into_anything(pet):
    pet.name = "Miso"
    photo = ready_photo(pet=pet, caption="Miso asleep on the radiator")
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name))
    assert spoken(html) == "Miso asleep on the radiator"
    assert '<span class="caption" aria-hidden="true">Miso asleep on the radiator</span>' in html


def test_a_tile_without_a_caption_names_the_pet(pet):
    photo = ready_photo(pet=pet)
    assert spoken(grid_html(tiles([photo], get_signer(), pet_name="Miso"))) == "A photo of Miso"


def test_a_gallery_groups_its_tiles_by_month_taken_newest_first(pet):
    def taken(year, month):
        when = datetime.datetime(year, month, 15, tzinfo=datetime.UTC)
        return ready_photo(pet=pet, taken_at=when, taken_at_offset=0)

    shown = tiles([taken(2024, 3), taken(2024, 3), taken(2024, 1), taken(2023, 3)], get_signer())
    html = gallery_html(shown, heading_level=3)
    months = re.findall(r'<section><h3 class="month">([^<]+)</h3><ul class="grid">', html)
    assert months == ["March 2024", "January 2024", "March 2023"]
    assert html.count('<li class="tile"') == 4
    assert html.count("</ul></section>") == 3


# --- The full rendition is for downloads only -----------------------------------------------


def test_a_photos_tile_never_signs_the_full_renditions_key(pet, monkeypatch):
    photo = ready_photo(pet=pet)
    store_full(photo)
    signer = get_signer()
    signed = []
    real = signer.object_url
    monkeypatch.setattr(signer, "object_url", lambda key: signed.append(key) or real(key))
    photo_tile(Photo.objects.with_renditions().get(pk=photo.pk), signer, pet_name=pet.name)
    assert signed
    assert not [key for key in signed if "/full-" in key]
