"""Error answers: ``{"error": "..."}`` JSON under ``/api/`` (as the API promises) and from the
local upload endpoint (as S3's stand-in, whose refusals the upload page reads); Django's pages
everywhere else.

The API's own views answer their refusals themselves (``images.views.api.api_view``), also under
DEBUG=true; these handlers cover what happens before or around a view: a failed CSRF check
(``CSRF_FAILURE_VIEW``) and, with DEBUG=false, Django's 400/403/404/500 handlers
(``handler*`` in ``pettracker.urls``; with DEBUG=true Django shows its technical pages
instead).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults

JSON_PATHS = ("/api/", "/uploads/")


def json_error(status: int, message: str) -> JsonResponse:
    """The one shape of every API error: a message a person can act on."""
    return JsonResponse({"error": message}, status=status)


def answers_json(request: HttpRequest) -> bool:
    return request.path_info.startswith(JSON_PATHS)


def error_response(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A refusal made before any view: JSON where answers are JSON, plain text elsewhere."""
    if answers_json(request):
        return json_error(status, message)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if answers_json(request):
        return json_error(400, "The request is malformed or too large; check its headers and body.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if answers_json(request):
        return json_error(403, "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if answers_json(request):
        return json_error(404, "Nothing here, or it isn't shared with you.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if answers_json(request):
        # Nothing of the failure itself: it is logged, and may name internals.
        return json_error(500, "The server failed to answer; it is logged. Please try again.")
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if answers_json(request):
        return json_error(
            403,
            f"The CSRF check failed ({reason.rstrip('.')}). Send the csrftoken cookie's value "
            "in an X-CSRFToken header, from a page of this site.",
        )
    return csrf.csrf_failure(request, reason=reason)
