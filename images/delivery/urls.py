"""Where browsers fetch stored objects: the CDN (CloudFront, or the local edge at /cdn/)."""

from __future__ import annotations

from django.conf import settings


def object_url(key: str) -> str:
    """The CDN URL of ``key``. Signing is added by the CDN issue's signer."""
    return f"{settings.CDN_BASE_URL}/{key}"
