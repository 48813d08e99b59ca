"""The local edge: ``/cdn/<key>`` checks a request exactly as CloudFront would (see
``cdn.verification``), against the full URL it was asked for and the keys CloudFront would
trust, then applies the pets' access floors as the renditions' viewer-request function does
(``cdn.revocation``), and serves the object as CloudFront serves it from S3: stored headers,
validators, 304s and byte ranges, and the viewer-response functions' headers (security
headers; renditions private to the browser, ``cdn.functions.browser_cache_control``).

The trusted keys are read at most every ``TRUSTED_KEYS_REFRESH_SECONDS`` (at once when a key
changes in this process), and again, at most once a second, when a request names a key id the
cache does not know: a key published elsewhere is trusted at its first request, and random key
ids cannot make every request a query. Access floors are read through
``cdn.revocation.cached_floor`` (``FLOOR_CACHE_SECONDS``).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.views.decorators.http import require_http_methods

from cdn.functions import browser_cache_control
from cdn.models import SigningKey
from cdn.objects import (
    DISPOSITION_PARAMETER,
    ORIGINALS_PREFIX,
    RENDITIONS_PREFIX,
    SECURITY_HEADERS,
    object_headers,
)
from cdn.revocation import cached_floor, floor_admits
from cdn.signer import site_origin
from cdn.signing import SIGNING_PARAMETERS, PublicKey, load_public_key
from cdn.verification import Refused, SignedRequest, Verified, signing_query, verify
from pettracker.framing import bounded_int
from pettracker.metrics import increment
from pettracker.net import client_ip

logger = logging.getLogger(__name__)

# Only keys the application makes: ids, hashes and dots, under the two prefixes.
OBJECT_KEY = re.compile(r"(?:originals|renditions)/[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.[a-z0-9]+")
CHUNK = 64 * 1024
SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
TRUSTED_KEYS_REFRESH_SECONDS = 30
UNKNOWN_KEY_REFRESH_SECONDS = 1


class TrustedKeys(Mapping):
    """The keys CloudFront trusts (published, active, retiring) by key id, read from the
    database at most every ``refresh`` seconds, or when asked for an id it does not hold and
    it last read them at least ``unknown_refresh`` seconds ago."""

    def __init__(
        self,
        *,
        refresh: float = TRUSTED_KEYS_REFRESH_SECONDS,
        unknown_refresh: float = UNKNOWN_KEY_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.refresh, self.unknown_refresh, self.clock = refresh, unknown_refresh, clock
        self._keys: dict[str, PublicKey] = {}
        self._read_at: float | None = None  # None: never read, or forgotten
        self._generation = 0  # counts forget(): a read it overtook is not trusted for long
        self._lock = threading.Lock()

    def __getitem__(self, key_id: str) -> PublicKey:
        now = self.clock()
        if self._stale(now) or (key_id not in self._keys and self._read_before(now)):
            self._read(now)
        return self._keys[key_id]

    def _stale(self, now: float) -> bool:
        return self._read_at is None or now >= self._read_at + self.refresh

    def _read_before(self, now: float) -> bool:
        """Whether the keys were read at least ``unknown_refresh`` seconds ago."""
        return self._read_at is None or now >= self._read_at + self.unknown_refresh

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def _read(self, now: float) -> None:
        generation = self._generation
        rows = SigningKey.objects.trusted().values_list("public_key_id", "public_key_pem")
        keys = {key_id: _public_key(pem) for key_id, pem in rows}
        with self._lock:
            self._keys = keys
            # Forgotten while reading: what was read may predate the change, so read again.
            self._read_at = now if generation == self._generation else None

    def forget(self) -> None:
        """Read the keys again at the next request."""
        with self._lock:
            self._generation += 1
            self._read_at = None


trusted_keys = TrustedKeys()


def trusted_public_keys() -> Mapping[str, PublicKey]:
    """The keys CloudFront trusts: those in the key group (published, active, retiring)."""
    return trusted_keys


def forget_trusted_keys() -> None:
    trusted_keys.forget()


@receiver([post_save, post_delete], sender=SigningKey, dispatch_uid="cdn.edge.signing_keys")
def _signing_key_changed(**kwargs) -> None:
    """A key changed in this process (cdn.rotation saves every step): read the keys again, now
    and once the change commits (a request in between may have read the old ones)."""
    forget_trusted_keys()
    transaction.on_commit(forget_trusted_keys)


@require_http_methods(["GET", "HEAD"])
def edge(request: HttpRequest, key: str) -> HttpResponse:
    if not OBJECT_KEY.fullmatch(key):
        return _plain(404, "Not Found")
    try:
        verified = verify(_signed_request(request, key), trusted_public_keys())
        _check_floor(key, verified)
    except Refused as refusal:
        # The reason goes to the log only: it would tell a prober which key ids are trusted.
        logger.info("edge refused %s: %s", key, refusal)
        increment("edge_refused")
        return _plain(403, "Access Denied")
    stored = stored_object(key)
    if stored is None:
        return _plain(404, "Not Found")
    increment("edge_served")
    response = _serve(request, key, stored)
    if key.startswith(ORIGINALS_PREFIX) and (disposition := _disposition(request)):
        response["Content-Disposition"] = disposition
    return response


def _disposition(request: HttpRequest) -> str:
    """The ``Content-Disposition`` an original's signed URL asks for (as S3 honours it on a
    signed request): verified with the URL, so only a line break would be refused."""
    value = request.GET.get(DISPOSITION_PARAMETER, "")
    if "\r" in value or "\n" in value or not value.startswith(("attachment", "inline")):
        return ""
    return value


def _signed_request(request: HttpRequest, key: str) -> SignedRequest:
    kept = [
        part
        for part in request.META.get("QUERY_STRING", "").split("&")
        if part and part.split("=", 1)[0] not in SIGNING_PARAMETERS
    ]
    # The full URL, as CloudFront matches policies against it: scheme, host, path, and the
    # query string but its signing parameters.
    url = f"{site_origin(request)}{request.path}"  # the origin pages sign for
    url += f"?{'&'.join(kept)}" if kept else ""
    return SignedRequest(
        url=url,
        query=signing_query(request.META.get("QUERY_STRING", "")),
        cookies=request.COOKIES,
        client_ip=client_ip(request),
        now=now(),
    )


def _check_floor(key: str, verified: Verified) -> None:
    """A rendition's pet may have an access floor: the grant must not be older."""
    pet_id = _pet_of(key)
    if pet_id is None:
        return
    floor = cached_floor(pet_id)
    if not floor_admits(verified.date_greater_than, floor):
        raise Refused(f"the grant predates the access floor {floor} of pet {pet_id}")


def _pet_of(key: str) -> uuid.UUID | None:
    """The pet whose rendition ``key`` is, or ``None`` (an original, or not a pet's id)."""
    if not key.startswith(RENDITIONS_PREFIX):
        return None
    try:
        return uuid.UUID(key.split("/", 2)[1])
    except ValueError:
        return None


def now() -> int:
    """The edge's clock, in epoch seconds (CloudFront's resolution)."""
    return int(time.time())


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


class Stored(NamedTuple):
    size: int
    modified: float  # epoch seconds


def stored_object(key: str) -> Stored | None:
    """The object's size and modification time, ``None`` when it is missing: one ``stat`` for
    storage on this disk (instead of three calls), the storage's own calls otherwise."""
    try:
        path = default_storage.path(key)
    except NotImplementedError:
        if not default_storage.exists(key):
            return None
        return Stored(default_storage.size(key), default_storage.get_modified_time(key).timestamp())
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Stored(found.st_size, found.st_mtime)


def _serve(request: HttpRequest, key: str, stored: Stored) -> HttpResponse:
    size = stored.size
    last_modified = int(stored.modified)
    etag = quote_etag(f"{size:x}-{int(stored.modified * 1_000_000):x}")
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
    response["Cache-Control"] = browser_cache_control(headers["CacheControl"])
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
