"""Pages and API answers sent gzipped to clients that accept it; images never.

Django's ``GZipMiddleware`` compresses whatever passes through it, so the local edge's WebP
and JPEG files (already compressed: gzip only costs CPU, and a byte range would be taken of
the gzipped body) would be gzipped too. This one compresses text only: HTML, JSON, plain
text, JavaScript, CSS, XML and SVG. Static files never reach it: WhiteNoise, above it, answers
them with their precompressed copies.

Compressed pages that carry a secret (the CSRF token) and reflect what a visitor sends are
what BREACH attacks; Django 5.2's ``GZipMiddleware`` pads each compressed answer with 0-99
random bytes in the gzip header's file name (``max_random_bytes = 100`` in
``django/middleware/gzip.py``, ``compress_string`` and ``_get_random_filename`` in
``django/utils/text.py``: the "Heal The Breach" mitigation, Django 4.2 on), and Django masks
the CSRF token afresh on every page, so its bytes are never the same twice.

Bodies in hand are compressed at zlib's level 3 rather than Django's 6 (``compress_string``
takes no level): a 50-photo gallery (32 KB) in 0.10 ms rather than 0.27 ms, to 4.5 KB rather
than 4.1 KB (nginx compresses at level 1 by default). The padding, the rules of what to
compress and the headers are Django's, written again below for that one number; streamed
answers are left to Django.
"""

from __future__ import annotations

import gzip
import secrets

from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers

COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/problem+json",
    "image/svg+xml",
)

LEVEL = 3


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if not content_type.startswith(COMPRESSIBLE):
            return response
        if response.streaming:
            return super().process_response(request, response)
        return self._compressed(request, response)

    def _compressed(self, request, response):
        """Django 5.2's ``GZipMiddleware.process_response`` for a body in hand, at ``LEVEL``."""
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = padded_gzip(response.content, max_random_bytes=self.max_random_bytes)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag  # RFC 9110 8.8.1, as Django does
        response.headers["Content-Encoding"] = "gzip"
        return response


def padded_gzip(data: bytes, *, max_random_bytes: int) -> bytes:
    """``data`` gzipped at ``LEVEL``, with 0 to ``max_random_bytes`` - 1 bytes of padding in the
    header's file name (as ``django.utils.text.compress_string``)."""
    compressed = gzip.compress(data, compresslevel=LEVEL, mtime=0)
    header = bytearray(compressed[:10])
    header[3] = gzip.FNAME
    filename = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    return bytes(header) + filename + compressed[10:]
