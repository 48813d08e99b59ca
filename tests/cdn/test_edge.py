import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.utils import timezone

from cdn.encryption import decrypt_private_key
from cdn.models import SigningKey
from cdn.signer import attach_pet_cookies, get_signer
from cdn.signing import Credentials, custom_policy, custom_url, load_private_key

PET = "11111111-1111-4111-8111-111111111111"
KEY = f"renditions/{PET}/22222222-2222-4222-8222-222222222222/thumb-abc123.webp"
BODY = bytes(range(256)) * 4  # 1,024 bytes


@pytest.fixture
def stored(db):
    default_storage.save(KEY, ContentFile(BODY))
    return KEY


@pytest.fixture
def url(stored, signing_key):
    return get_signer().url(stored)


def test_a_signed_url_is_served_with_the_stored_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Length"] == "1024"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")


def test_answers_carry_the_viewer_response_security_headers(client, url, stored):
    for response in (client.get(url), client.get(f"/cdn/{stored}")):
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubdomains"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


def test_an_unsigned_request_is_refused(client, stored, signing_key):
    response = client.get(f"/cdn/{stored}")
    assert response.status_code == 403
    assert response["Cache-Control"] == "no-store"


def test_a_url_signed_for_one_object_does_not_open_another_pets(client, url, signing_key):
    other = "renditions/99999999-9999-4999-8999-999999999999/x/thumb-abc.webp"
    default_storage.save(other, ContentFile(b"secret"))
    query = url.split("?", 1)[1]
    assert client.get(f"/cdn/{other}?{query}").status_code == 403


@pytest.mark.parametrize(
    "path", ["../db.sqlite3", "renditions/../../x.webp", "static/x.css", "renditions/a b.webp"]
)
def test_paths_the_application_never_makes_are_not_found(client, path, signing_key):
    assert client.get(f"/cdn/{path}").status_code == 404


def test_a_signed_url_for_a_missing_object_is_not_found(client, signing_key):
    url = get_signer().url(f"renditions/{PET}/gone/thumb-abc.webp")
    assert client.get(url).status_code == 404


def test_a_matching_etag_answers_304_without_a_body(client, url):
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_a_later_if_modified_since_answers_304(client, url):
    last_modified = client.get(url)["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304


def test_a_byte_range_answers_206_with_just_those_bytes(client, url):
    response = client.get(url, headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == BODY[10:20]
    assert response["Content-Range"] == "bytes 10-19/1024"
    assert response["Content-Length"] == "10"


def test_a_suffix_range_answers_the_last_bytes(client, url):
    response = client.get(url, headers={"Range": "bytes=-4"})
    assert b"".join(response.streaming_content) == BODY[-4:]


def test_a_range_past_the_end_is_unsatisfiable(client, url):
    response = client.get(url, headers={"Range": "bytes=5000-"})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1024"


@pytest.mark.parametrize("header", ["bytes=9-2", "bytes=0-1,5-6", "items=0-3"])
def test_a_range_we_do_not_serve_gets_the_whole_object(client, url, header):
    response = client.get(url, headers={"Range": header})
    assert response.status_code == 200
    assert response["Content-Length"] == "1024"


def test_a_stale_if_range_gets_the_whole_object(client, url):
    response = client.get(url, headers={"Range": "bytes=0-3", "If-Range": '"old"'})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY
    assert response["Content-Length"] == "1024"
    assert "Content-Range" not in response
    assert response["Content-Type"] == "image/webp"


def test_head_answers_the_headers_alone(client, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response["Content-Length"] == "1024"
    assert b"".join(response.streaming_content) == b""


def test_other_methods_are_not_allowed(client, url):
    assert client.post(url).status_code == 405


def test_a_retiring_key_still_opens_what_it_signed(client, url, signing_key):
    SigningKey.objects.filter(pk=signing_key.pk).update(
        state=SigningKey.State.RETIRING, trusted_until=timezone.now() + datetime.timedelta(hours=1)
    )
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY


def test_a_retired_key_opens_nothing(client, url, signing_key):
    SigningKey.objects.filter(pk=signing_key.pk).update(state=SigningKey.State.RETIRED)
    assert client.get(url).status_code == 403


def test_signed_cookies_open_every_rendition_of_the_pet(client, stored, signing_key):
    _path, cookies = get_signer().pet_cookies(PET)
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get(f"/cdn/{stored}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_an_ip_condition_sees_the_viewer_behind_trusted_proxies(
    client, stored, signing_key, settings
):
    settings.PROXIES = ["load-balancer"]
    private_key = load_private_key(decrypt_private_key(signing_key.encrypted_private_key))
    expires = int(timezone.now().timestamp()) + 600
    policy = custom_policy(f"/cdn/renditions/{PET}/*", expires, ip_address="198.51.100.7")
    url = custom_url(f"/cdn/{stored}", policy, Credentials(signing_key.public_key_id, private_key))
    assert client.get(url, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 200
    assert client.get(url, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_attached_pet_cookies_are_secure_http_only_and_scoped_to_the_pet(
    client, stored, signing_key
):
    response = HttpResponse()
    attach_pet_cookies(response, PET)
    cookies = response.cookies
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    for morsel in cookies.values():
        assert morsel["path"] == f"/cdn/renditions/{PET}/"
        assert morsel["secure"] is True
        assert morsel["httponly"] is True
    for name, morsel in cookies.items():
        client.cookies[name] = morsel.value
    assert client.get(f"/cdn/{stored}").status_code == 200


# --- What the edge tells a prober, and what CloudFront would refuse -------------------------


def test_a_refusal_says_no_more_than_access_denied(client, url, stored, signing_key, caplog):
    query = url.split("?", 1)[1].replace(
        f"Key-Pair-Id={signing_key.public_key_id}", "Key-Pair-Id=KUNTRUSTED0000"
    )
    caplog.set_level("INFO", logger="cdn.edge")
    response = client.get(f"/cdn/{stored}?{query}")
    assert response.status_code == 403
    assert response.content == b"Access Denied"
    assert "not in the trusted key group" in caplog.text  # the reason is for the operator


@pytest.mark.parametrize("name", ["Signature", "Policy", "Key-Pair-Id"])
def test_a_percent_encoded_signing_parameter_name_is_refused(client, url, name):
    encoded = "".join(f"%{ord(char):02X}" for char in name)
    assert client.get(url).status_code == 200
    assert client.get(url.replace(f"{name}=", f"{encoded}=")).status_code == 403


@pytest.mark.parametrize("name", ["Signature", "Policy", "Key-Pair-Id"])
def test_a_signing_parameter_given_twice_is_refused(client, url, name):
    value = next(p for p in url.split("?", 1)[1].split("&") if p.startswith(f"{name}="))
    assert client.get(f"{url}&{value}").status_code == 403


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=0-" + "9" * 5000, 200),  # to the end: the whole object
        ("bytes=" + "9" * 5000 + "-", 416),  # starts past the end
        ("bytes=-" + "9" * 5000, 200),  # the last "N" bytes: all of them
    ],
)
def test_a_range_with_thousands_of_digits_is_answered_not_crashed_on(client, url, header, status):
    response = client.get(url, HTTP_RANGE=header)
    assert response.status_code == status
