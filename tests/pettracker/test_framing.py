"""A Content-Length that is not a number is a 400 everywhere, before anything reads the body."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
MALFORMED = ["abc", "12abc", "1e3", " ", "-1", "+5", "0x10", "١٢", "5, 5"]


@pytest.mark.parametrize("declared", MALFORMED)
def test_a_page_refuses_a_malformed_content_length_with_400(declared):
    response = Client(raise_request_exception=False).post(
        "/accounts/login/",
        "username=a&password=b",
        "application/x-www-form-urlencoded",
        CONTENT_LENGTH=declared,
    )
    assert response.status_code == 400
    assert "Content-Length" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/api/pets/11111111-1111-4111-8111-111111111111/uploads", "/uploads/"]
)
def test_the_api_and_the_upload_endpoint_refuse_it_as_json(owner, path):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    response = client.post(path, "{}", "application/json", CONTENT_LENGTH="abc")
    assert response.status_code == 400
    assert "Content-Length" in response.json()["error"]


@pytest.mark.parametrize("declared", ["", "0", "21"])
def test_a_numeric_or_absent_content_length_goes_through(declared):
    response = Client().post(
        "/accounts/login/",
        "username=a&password=b",
        "application/x-www-form-urlencoded",
        CONTENT_LENGTH=declared,
    )
    assert response.status_code == 200  # the form again: no such account


@pytest.mark.parametrize("digits", [19, 4301, 5000])
def test_a_content_length_with_more_digits_than_any_body_is_413(digits):
    response = Client(raise_request_exception=False).post(
        "/accounts/login/",
        "username=a&password=b",
        "application/x-www-form-urlencoded",
        CONTENT_LENGTH="9" * digits,
    )
    assert response.status_code == 413
