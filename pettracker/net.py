"""Facts about a request's network side."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The viewer's address: behind ``TRUSTED_PROXY_COUNT`` proxies, the one they saw (the
    last proxies' entries in ``X-Forwarded-For`` are theirs; earlier ones can be forged)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
