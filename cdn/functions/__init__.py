"""The distribution's CloudFront Functions, and what the local edge does alike.

- ``renditions_viewer_request.js`` (viewer request, ``/renditions/*``, cloudfront-js-2.0): a
  file of its own, run by the tests under Node, refuses grants below a pet's access floor read
  from the KeyValueStore (``cdn.revocation`` has the rule, ``cdn.edge`` applies it locally).
- The viewer-response functions are made here from Python values: the security headers on
  every answer (``cdn.objects.SECURITY_HEADERS``, which the local edge adds too), and on the
  photos' behaviours, renditions' ``Cache-Control`` turned private for the browser
  (``BROWSER_CACHE_CONTROL``): stored ``public`` so that CloudFront caches them, they must not
  be kept by any shared cache between CloudFront and the browser.
"""

from __future__ import annotations

from pathlib import Path

from cdn.objects import IMMUTABLE, SECURITY_HEADERS

RENDITIONS_VIEWER_REQUEST = Path(__file__).with_name("renditions_viewer_request.js")

# The stored Cache-Control → what the browser receives (others are passed as they are).
BROWSER_CACHE_CONTROL = {IMMUTABLE: "private, max-age=31536000, immutable"}


def browser_cache_control(stored: str) -> str:
    """The ``Cache-Control`` a browser gets for an object stored with ``stored``."""
    return BROWSER_CACHE_CONTROL.get(stored, stored)


def renditions_viewer_request_code() -> str:
    """The viewer-request function of the renditions' behaviour, as CloudFront runs it."""
    return RENDITIONS_VIEWER_REQUEST.read_text(encoding="utf-8")


def security_headers_function_code() -> str:
    """The viewer-response function of every behaviour but the photos'."""
    return _viewer_response(photos=False)


def photos_viewer_response_code() -> str:
    """The viewer-response function of the photos' behaviours: the security headers, and
    renditions' ``Cache-Control`` as ``browser_cache_control`` makes it."""
    return _viewer_response(photos=True)


def _viewer_response(*, photos: bool) -> str:
    lines = [
        f"  headers['{name.lower()}'] = {{value: '{value}'}};"
        for name, value in SECURITY_HEADERS.items()
    ]
    if photos:
        lines.append("  var cacheControl = headers['cache-control'];")
        for stored, browser in BROWSER_CACHE_CONTROL.items():
            lines += [
                f"  if (cacheControl && cacheControl.value === '{stored}') {{",
                f"    cacheControl.value = '{browser}';",
                "  }",
            ]
    return "\n".join(
        [
            "function handler(event) {",
            "  var headers = event.response.headers;",
            *lines,
            "  return event.response;",
            "}",
        ]
    )
