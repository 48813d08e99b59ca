"""The grid's markup, made in Python: escaped, and saying what each photo's state needs."""

import pytest

from cdn.signer import get_signer
from images.models import Photo
from images.views.tiles import grid_html, tiles
from tests.factories import PhotoFactory, ready_photo

pytestmark = pytest.mark.django_db


def test_a_ready_tile_links_its_page_and_escapes_its_caption(pet):
    photo = ready_photo(pet=pet, caption='<script>alert("x")</script>')
    html = grid_html(tiles([photo], get_signer(), pet_name=pet.name))
    assert f'<a href="/photos/{photo.pk}/">' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'loading="lazy"' in html


def test_a_share_links_tiles_open_the_large_rendition(pet):
    photo = ready_photo(pet=pet)
    (tile,) = tiles([photo], get_signer(), pet_name=pet.name)
    assert f'<a href="{tile.large}">' in grid_html([tile], link_to_large=True)


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
