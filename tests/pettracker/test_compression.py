"""Pages and API answers go gzipped to clients that accept it; the edge's images never do."""

import gzip
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.test import RequestFactory

from cdn.signer import get_signer
from pettracker.compression import TextGZipMiddleware

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
RENDITION = "renditions/11111111-1111-4111-8111-111111111111/22222222/thumb-abc123.webp"


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


def test_a_page_goes_gzipped_to_a_client_that_accepts_it(client):
    plain = client.get("/")
    response = client.get("/", headers=GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "accept-encoding" in vary(response)
    page = gzip.decompress(response.content)
    assert page.startswith(b"<!doctype html>")
    assert b"Create an account" in page
    assert len(page) == len(plain.content)
    assert int(response["Content-Length"]) == len(response.content) < len(page)


def test_a_page_goes_plain_to_a_client_that_does_not_accept_gzip(client):
    response = client.get("/")
    assert "Content-Encoding" not in response
    assert response.content.startswith(b"<!doctype html>")
    assert "accept-encoding" in vary(response)  # a shared cache must not mix the two


def test_each_gzipped_answer_is_padded_against_breach(client):
    # Django pads the gzip header with 0-99 random bytes, so equal pages differ in length.
    lengths = {len(client.get("/", headers=GZIP).content) for _ in range(10)}
    assert len(lengths) > 1


def test_the_edges_images_are_never_gzipped(client, signing_key):
    body = bytes(range(256)) * 8  # compressible, but an image's bytes all the same
    default_storage.save(RENDITION, ContentFile(body))
    response = client.get(get_signer().url(RENDITION, origin="http://testserver"), headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert response["Content-Length"] == str(len(body))
    assert b"".join(response.streaming_content) == body
    assert response["ETag"].startswith('"')  # still strong: byte ranges stay valid


def test_pages_are_gzipped_at_the_faster_level(client):
    body = client.get("/", headers=GZIP).content
    plain = gzip.decompress(body)
    assert body[3] == gzip.FNAME  # the padding's file name, ended by a zero byte
    deflated = body[body.index(b"\0", 10) + 1 :]
    assert deflated == gzip.compress(plain, compresslevel=3, mtime=0)[10:]


def test_an_answer_that_gzip_would_not_shorten_goes_plain():
    noise = os.urandom(4000)
    middleware = TextGZipMiddleware(lambda request: HttpResponse(noise, content_type="text/plain"))
    response = middleware(RequestFactory().get("/", headers=GZIP))
    assert "Content-Encoding" not in response
    assert response.content == noise
