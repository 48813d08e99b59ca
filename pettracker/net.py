"""Facts about a request's network side, and the guard of the way in."""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

# Added by CloudFront to every request it forwards to the app (the stack's origin headers).
ORIGIN_SECRET_HEADER = "X-Origin-Secret"  # noqa: S105  (a header's name)
ORIGIN_SECRET_META = "HTTP_" + ORIGIN_SECRET_HEADER.upper().replace("-", "_")


def client_ip(request: HttpRequest) -> str:
    """The viewer's address: behind the ``PROXIES`` hops, the one the outermost saw (each hop
    appends what it saw to ``X-Forwarded-For``; earlier entries can be forged)."""
    hops = len(settings.PROXIES)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def site_url(request: HttpRequest) -> str:
    """Scheme and host of this site (no trailing slash), to start the links in mails."""
    return request.build_absolute_uri("/").removesuffix("/")


def is_local_path(request: HttpRequest, url: str) -> bool:
    """Whether ``url`` is a path of this site (``/...``), safe to redirect to: the pages that
    come back where they were pressed (``next``) send ``request.get_full_path``. Anything else,
    a URL of another site or one Django would not trust, is not."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@functools.cache
def _unguarded_paths() -> frozenset[str]:
    # Reached directly, without CloudFront: the load balancer's health check, and the metrics
    # scraper inside the network (/metrics asks for its own token; no address decides there).
    return frozenset({reverse("healthz"), reverse("metrics")})


class OriginGuardMiddleware:
    """With ``ORIGIN_SECRET`` set, answer only requests carrying it (CloudFront adds it), so
    every request takes the path ``PROXIES`` describes and its client address can be trusted.
    The header is removed once checked: nothing later (error reports) sees the secret."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        expected = settings.ORIGIN_SECRET
        given = request.META.pop(ORIGIN_SECRET_META, "")
        if not expected or request.path in _unguarded_paths():
            return self.get_response(request)
        if constant_time_compare(given, expected):
            return self.get_response(request)
        return HttpResponse(
            "This site is reached through its public address only.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
