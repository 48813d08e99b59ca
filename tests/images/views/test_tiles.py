"""The grid's markup, made in Python: escaped, and saying what each photo's state needs."""

import datetime
from html.parser import HTMLParser

import pytest

from cdn.signer import get_signer
from images.models import Photo
from images.views.tiles import grid_html, tiles
from tests.factories import PhotoFactory, UserFactory, ready_photo

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
    assert "data-taken" not in link  # no date taken is known on this branch
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
    photo.__dict__["taken_at"] = taken  # as a photo fetched with its date taken would have it
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
