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
"""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/problem+json",
    "image/svg+xml",
)


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if not content_type.startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
