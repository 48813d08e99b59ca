"""The local edge: ``/cdn/<key>`` checks a request exactly as CloudFront would (see
``cdn.verification``) against the keys CloudFront would trust, then serves the
object as CloudFront serves it from S3: stored headers, validators, 304s and byte ranges, and
the seed's viewer-response security headers.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.views.decorators.http import require_http_methods

from cdn.models import SigningKey
from cdn.objects import SECURITY_HEADERS, object_headers
from cdn.signing import SIGNING_PARAMETERS, PublicKey, load_public_key
from cdn.verification import Refused, SignedRequest, signing_query, verify
from pettracker.framing import bounded_int
from pettracker.metrics import increment
from pettracker.net import client_ip

logger = logging.getLogger(__name__)

# Only keys the application makes: ids, hashes and dots, under the two prefixes.
OBJECT_KEY = re.compile(r"(?:originals|renditions)/[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.[a-z0-9]+")
CHUNK = 64 * 1024
SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@require_http_methods(["GET", "HEAD"])
def edge(request: HttpRequest, key: str) -> HttpResponse:
    if not OBJECT_KEY.fullmatch(key):
        return _plain(404, "Not Found")
    try:
        verify(_signed_request(request, key), trusted_public_keys())
    except Refused as refusal:
        # The reason goes to the log only: it would tell a prober which key ids are trusted.
        logger.info("edge refused %s: %s", key, refusal)
        increment("edge_refused")
        return _plain(403, "Access Denied")
    if not default_storage.exists(key):
        return _plain(404, "Not Found")
    increment("edge_served")
    return _serve(request, key)


def _signed_request(request: HttpRequest, key: str) -> SignedRequest:
    kept = [
        part
        for part in request.META.get("QUERY_STRING", "").split("&")
        if part and part.split("=", 1)[0] not in SIGNING_PARAMETERS
    ]
    url = f"{settings.CDN_BASE_URL}/{key}" + (f"?{'&'.join(kept)}" if kept else "")
    return SignedRequest(
        url=url,
        query=signing_query(request.META.get("QUERY_STRING", "")),
        cookies=request.COOKIES,
        client_ip=client_ip(request),
        now=now(),
    )


def now() -> int:
    """The edge's clock, in epoch seconds (CloudFront's resolution)."""
    return int(time.time())


def trusted_public_keys() -> dict[str, PublicKey]:
    """The keys CloudFront trusts: those in the key group (published, active, retiring)."""
    rows = SigningKey.objects.trusted().values_list("public_key_id", "public_key_pem")
    return {key_id: _public_key(pem) for key_id, pem in rows}


@functools.lru_cache(maxsize=64)
def _public_key(pem: str) -> PublicKey:
    return load_public_key(pem.encode())


def _plain(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return _secured(response)


def _secured(response: HttpResponse) -> HttpResponse:
    for name, value in SECURITY_HEADERS.items():
        response[name] = value
    return response


def _serve(request: HttpRequest, key: str) -> HttpResponse:
    size = default_storage.size(key)
    modified = default_storage.get_modified_time(key)
    last_modified = int(modified.timestamp())
    etag = quote_etag(f"{size:x}-{int(modified.timestamp() * 1_000_000):x}")
    headers = object_headers(key)
    if _not_modified(request, etag, last_modified):
        response = HttpResponse(status=304)
    else:
        start, end = _byte_range(request, etag, size)
        partial = (start, end) != (0, size - 1)
        if start > end:  # unsatisfiable
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return _secured(response)
        body = iter(()) if request.method == "HEAD" else _read(key, start, end)
        response = StreamingHttpResponse(body, status=206 if partial else 200)
        response["Content-Length"] = str(end - start + 1)
        if partial:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Type"] = headers["ContentType"]
        response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = headers["CacheControl"]
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    return _secured(response)


def _not_modified(request: HttpRequest, etag: str, last_modified: int) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in candidates or "*" in candidates
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified <= since


def _byte_range(request: HttpRequest, etag: str, size: int) -> tuple[int, int]:
    """The single range asked for (RFC 9110), else the whole object. Several ranges, or an
    ``If-Range`` that no longer matches, get the whole object, as the RFC allows."""
    whole = (0, size - 1)
    match = SINGLE_RANGE.fullmatch(request.headers.get("Range", "").strip())
    if_range = request.headers.get("If-Range")
    if match is None or (if_range is not None and if_range != etag):
        return whole
    first, last = match.groups()
    if not first and not last:
        return whole
    if not first:  # the last N bytes
        return max(0, size - bounded_int(last)), size - 1
    start = bounded_int(first)
    if last and bounded_int(last) < start:
        return whole  # not a valid range: ignored
    end = min(bounded_int(last), size - 1) if last else size - 1
    if start >= size:
        return size, size - 1  # start > end: unsatisfiable
    return start, end


def _read(key: str, start: int, end: int) -> Iterator[bytes]:
    with default_storage.open(key, "rb") as stream:
        stream.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
