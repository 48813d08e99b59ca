"""The request's framing: a Content-Length that is not a number (400), or longer than any
body could be (413), is refused before anything reads the body.

RFC 9112 (section 6.3) makes an invalid Content-Length an unrecoverable framing error that a
server answers with 400, and asks recipients to expect huge numerals without failing on them.
Django 5.2 answers both with a 500 wherever the body is read: ``HttpRequest.body`` calls
``int()`` on the header (Django ticket #37103, fixed upstream by reading it as 0), and
``int()`` refuses 4,300 digits or more. gunicorn refuses a non-numeric one itself; runserver
passes everything through.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from pettracker.errors import error_response

MALFORMED = "Content-Length must be the body's size in bytes, digits only."
MAX_DIGITS = 18  # 10**18 bytes, an exabyte: more than any body


def bounded_int(digits: str) -> int:
    """A non-negative numeral's value; one longer than ``MAX_DIGITS`` counts as ``10**MAX_DIGITS``
    (past any body or object, and within what ``int()`` accepts)."""
    return int(digits) if len(digits) <= MAX_DIGITS else 10**MAX_DIGITS


def declared_length(request: HttpRequest) -> int | None:
    """The body's declared size (0 when not declared; ``10**MAX_DIGITS`` for any longer
    numeral), or ``None`` when it is not a number."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()):  # 1*DIGIT: no sign, space, other digits
        return None
    return bounded_int(declared)


class ContentLengthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = declared_length(request)
        if declared is None:
            return error_response(request, 400, MALFORMED)
        if declared >= 10**MAX_DIGITS:
            return error_response(request, 413, "The body is larger than this site accepts.")
        return self.get_response(request)
