"""Turns a missing CDN signing key into a page that says so, instead of a server error; and
notes when the view started, which ``cdn.signer.grant_pets`` compares with the pets' access
floors (a revocation that committed after the view checked who may see a pet)."""

from __future__ import annotations

import time

from django.shortcuts import render

from cdn.signer import NoSigningKey


class NoSigningKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.cdn_view_started_at = time.time()
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NoSigningKey):
            return render(request, "503_no_signing_key.html", status=503)
        return None
