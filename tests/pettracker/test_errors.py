"""Django's error handlers answer JSON under /api/ and keep their pages elsewhere."""

import json

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import Client, RequestFactory

from pettracker import errors

pytestmark = pytest.mark.django_db

HANDLERS = [
    (errors.bad_request, (SuspiciousOperation("x"),), 400),
    (errors.permission_denied, (PermissionDenied("x"),), 403),
    (errors.page_not_found, (Http404("x"),), 404),
    (errors.server_error, (), 500),
    (errors.csrf_failure, ("CSRF cookie not set.",), 403),
]


@pytest.mark.parametrize(("handler", "args", "status"), HANDLERS)
def test_each_handler_answers_json_under_the_api(handler, args, status):
    response = handler(RequestFactory().post("/api/photos/anything"), *args)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {"error"}


@pytest.mark.parametrize(("handler", "args", "status"), HANDLERS)
def test_each_handler_keeps_djangos_page_elsewhere(handler, args, status):
    response = handler(RequestFactory().post("/pets/apiary/"), *args)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


def test_a_body_too_large_to_read_is_a_json_400_under_the_api(pet, owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client()
    client.force_login(owner)
    body = '{"filename": "' + "x" * 200 + '"}'
    response = client.post(f"/api/pets/{pet.pk}/uploads", body, "application/json")
    assert response.status_code == 400
    assert "malformed" in response.json()["error"]
