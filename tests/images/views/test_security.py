"""Headers and CSRF on every page: the policy that keeps scripts ours and URLs unleaked."""

import re

import pytest
from django.test import Client

from pettracker.settings import _origin

pytestmark = pytest.mark.django_db
# A script without src, a style attribute or a style element.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|<style")


def test_pages_forbid_inline_scripts_and_styles_and_allow_the_cdn(client, owner, pet, settings):
    client.force_login(owner)
    policy = client.get(f"/pets/{pet.pk}/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self'"  # the local edge is on this origin
    assert directives["frame-ancestors"] == "'none'"


def test_only_the_upload_page_shows_images_from_object_urls(client, owner, pet):
    """Its previews of the chosen files are blob: URLs; no other page needs them."""
    client.force_login(owner)
    for path, img_src in (
        (f"/pets/{pet.pk}/upload/", "'self' blob:"),
        (f"/pets/{pet.pk}/", "'self'"),
    ):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["img-src"] == img_src, path
        assert directives["script-src"] == "'self'", path


def test_a_cdn_elsewhere_is_named_by_its_origin():
    assert _origin("https://cdn.pets.example.com/photos") == ["https://cdn.pets.example.com"]
    assert _origin("/cdn") == []  # the local edge: 'self' already covers it


def test_no_page_carries_an_inline_script_or_style(client, owner, pet, photo):
    client.force_login(owner)
    for path in (
        "/",
        f"/pets/{pet.pk}/",
        f"/photos/{photo.pk}/",
        f"/pets/{pet.pk}/upload/",
        f"/pets/{pet.pk}/sharing/",
        "/pets/new/",
    ):
        html = client.get(path).content.decode()
        assert INLINE.search(html) is None, path


def test_signed_urls_do_not_leak_through_referrers(client):
    assert client.get("/")["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/pets/new/", {"name": "Rex", "species": "dog"}),
        ("/pets/{pet}/sharing/", {"action": "link", "lifetime": "7"}),
        ("/photos/{photo}/delete/", {}),
        ("/api/pets/{pet}/uploads", {}),
    ],
)
def test_every_form_and_api_call_needs_the_csrf_token(owner, pet, photo, path, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(path.format(pet=pet.pk, photo=photo.pk), data)
    assert response.status_code == 403
