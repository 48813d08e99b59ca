"""The local edge: CloudFront's checks (against the full URL, as CloudFront sees it), the pets'
access floors, the trusted keys' cache, then the object as CloudFront serves it."""

import datetime
import uuid
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cdn import edge, revocation
from cdn.encryption import decrypt_private_key
from cdn.keypairs import HASH_OF
from cdn.models import AccessFloor, SigningKey
from cdn.revocation import renditions_revoke
from cdn.signing import (
    Credentials,
    canned_url,
    custom_policy,
    custom_url,
    load_private_key,
    signed_cookies,
)

PET = "11111111-1111-4111-8111-111111111111"
OTHER_PET = "99999999-9999-4999-8999-999999999999"
KEY = f"renditions/{PET}/22222222-2222-4222-8222-222222222222/thumb-abc123.webp"
ORIGINAL = "originals/7/2026/03/33333333-3333-4333-8333-333333333333.jpg"
BODY = bytes(range(256)) * 4  # 1,024 bytes
SITE = "http://testserver"  # what the test client requests
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"


def credentials_of(key: SigningKey) -> Credentials:
    private_key = load_private_key(decrypt_private_key(key.encrypted_private_key))
    return Credentials(key.public_key_id, private_key, HASH_OF[key.algorithm])


def pet_policy(pet=PET, *, resource=None, floor=None, ip=None, expires=None) -> str:
    """A pet's grant as the signer makes it when the CDN is a path of the site."""
    expires = expires or int(timezone.now().timestamp()) + 600
    resource = resource or f"http*://*/cdn/renditions/{pet}/*"
    return custom_policy(resource, expires, date_greater_than=floor, ip_address=ip)


def signed(key: str, policy: str, credentials: Credentials) -> str:
    """The path and signed query the test client requests."""
    return custom_url(f"/cdn/{key}", policy, credentials)


@pytest.fixture
def stored(db):
    default_storage.save(KEY, ContentFile(BODY))
    return KEY


@pytest.fixture
def credentials(signing_key):
    return credentials_of(signing_key)


@pytest.fixture
def url(stored, credentials):
    return signed(stored, pet_policy(), credentials)


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """One controllable clock for the edge's caches (trusted keys, access floors)."""
    clock = Clock()
    monkeypatch.setattr(edge.trusted_keys, "clock", clock)
    monkeypatch.setattr(revocation.floor_cache, "clock", clock)
    return clock


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def queries_on(table: str, context: CaptureQueriesContext) -> int:
    return sum(1 for query in context.captured_queries if table in query["sql"])


# --- Serving ---------------------------------------------------------------------------------


def test_a_signed_url_is_served_with_the_stored_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert body_of(response) == BODY
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Length"] == "1024"
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")


def test_renditions_reach_the_browser_private_and_immutable(client, url):
    """Stored ``public`` so that CloudFront caches them; nothing between it and the browser
    may (the viewer-response function does the same at CloudFront)."""
    assert client.get(url)["Cache-Control"] == PRIVATE_IMMUTABLE
    etag = client.get(url)["ETag"]
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified["Cache-Control"] == PRIVATE_IMMUTABLE


def test_answers_carry_the_viewer_response_security_headers(client, url, stored):
    for response in (client.get(url), client.get(f"/cdn/{stored}")):
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubdomains"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


def test_an_unsigned_request_is_refused(client, stored, signing_key):
    response = client.get(f"/cdn/{stored}")
    assert response.status_code == 403
    assert response["Cache-Control"] == "no-store"


def test_a_url_signed_for_one_pet_does_not_open_another_pets(client, url, signing_key):
    other = f"renditions/{OTHER_PET}/x/thumb-abc.webp"
    default_storage.save(other, ContentFile(b"secret"))
    query = url.split("?", 1)[1]
    assert client.get(f"/cdn/{other}?{query}").status_code == 403


@pytest.mark.parametrize(
    "path", ["../db.sqlite3", "renditions/../../x.webp", "static/x.css", "renditions/a b.webp"]
)
def test_paths_the_application_never_makes_are_not_found(client, path, signing_key):
    assert client.get(f"/cdn/{path}").status_code == 404


def test_a_signed_url_for_a_missing_object_is_not_found(client, credentials):
    missing = f"renditions/{PET}/gone/thumb-abc.webp"
    assert client.get(signed(missing, pet_policy(), credentials)).status_code == 404


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
    assert body_of(response) == BODY[10:20]
    assert response["Content-Range"] == "bytes 10-19/1024"
    assert response["Content-Length"] == "10"


def test_a_suffix_range_answers_the_last_bytes(client, url):
    response = client.get(url, headers={"Range": "bytes=-4"})
    assert body_of(response) == BODY[-4:]


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
    assert body_of(response) == BODY
    assert response["Content-Length"] == "1024"
    assert "Content-Range" not in response
    assert response["Content-Type"] == "image/webp"


def test_head_answers_the_headers_alone(client, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response["Content-Length"] == "1024"
    assert body_of(response) == b""


def test_other_methods_are_not_allowed(client, url):
    assert client.post(url).status_code == 405


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


# --- The full URL, as CloudFront matches it ----------------------------------------------------


def test_a_policy_naming_a_bare_path_is_refused_as_cloudfront_would(client, stored, credentials):
    bare = pet_policy(resource=f"/cdn/renditions/{PET}/*")
    assert client.get(signed(stored, bare, credentials)).status_code == 403
    for name, value in signed_cookies(bare, credentials).items():
        client.cookies[name] = value
    assert client.get(f"/cdn/{stored}").status_code == 403


def test_a_policy_naming_this_site_exactly_is_served(client, stored, credentials):
    exact = pet_policy(resource=f"{SITE}/cdn/renditions/{PET}/*")
    assert client.get(signed(stored, exact, credentials)).status_code == 200


def test_a_policy_naming_another_host_or_scheme_is_refused(client, stored, credentials):
    for resource in (
        f"http://images.example.com/cdn/renditions/{PET}/*",
        f"https://testserver/cdn/renditions/{PET}/*",
    ):
        other = signed(stored, pet_policy(resource=resource), credentials)
        assert client.get(other).status_code == 403
    https = pet_policy(resource=f"https://testserver/cdn/renditions/{PET}/*")
    assert client.get(signed(stored, https, credentials), secure=True).status_code == 200


def test_an_original_is_served_with_a_canned_policy_over_its_absolute_url(client, credentials):
    default_storage.save(ORIGINAL, ContentFile(b"JPEG"))
    expires = int(timezone.now().timestamp()) + 600
    absolute = canned_url(f"{SITE}/cdn/{ORIGINAL}", expires, credentials)
    response = client.get(absolute.removeprefix(SITE))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    bare = canned_url(f"/cdn/{ORIGINAL}", expires, credentials)
    assert client.get(bare).status_code == 403


def test_other_query_parameters_are_part_of_the_url_a_canned_policy_names(client, credentials):
    default_storage.save(ORIGINAL, ContentFile(b"JPEG"))
    expires = int(timezone.now().timestamp()) + 600
    with_version = canned_url(f"{SITE}/cdn/{ORIGINAL}?v=2", expires, credentials)
    assert client.get(with_version.removeprefix(SITE)).status_code == 200
    assert client.get(with_version.removeprefix(SITE).replace("v=2", "v=3")).status_code == 403


def test_an_original_is_sent_as_the_attachment_its_signed_url_names(client, credentials):
    default_storage.save(ORIGINAL, ContentFile(b"JPEG"))
    expires = int(timezone.now().timestamp()) + 600
    disposition = quote('attachment; filename="IMG_0001.HEIC"')
    url = canned_url(
        f"{SITE}/cdn/{ORIGINAL}?response-content-disposition={disposition}", expires, credentials
    ).removeprefix(SITE)
    response = client.get(url)
    assert response["Content-Disposition"] == 'attachment; filename="IMG_0001.HEIC"'
    other = quote('attachment; filename="other.jpg"')
    assert client.get(url.replace(disposition, other)).status_code == 403  # signed with the URL


def test_a_rendition_ignores_a_disposition_in_its_query(client, stored, credentials):
    url = signed(stored, pet_policy(), credentials)
    response = client.get(f"{url}&response-content-disposition=attachment")
    assert response.status_code == 200
    assert "Content-Disposition" not in response


def test_an_ip_condition_sees_the_viewer_behind_trusted_proxies(
    client, stored, credentials, settings
):
    settings.PROXIES = ["load-balancer"]
    url = signed(stored, pet_policy(ip="198.51.100.7"), credentials)
    assert client.get(url, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 200
    assert client.get(url, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_signed_cookies_open_every_rendition_of_the_pet(client, stored, credentials):
    for name, value in signed_cookies(pet_policy(), credentials).items():
        client.cookies[name] = value
    response = client.get(f"/cdn/{stored}")
    assert response.status_code == 200
    assert body_of(response) == BODY


# --- Access floors -------------------------------------------------------------------------------


def test_a_grant_at_or_above_the_pets_floor_is_served_one_below_is_refused(
    client, stored, credentials
):
    floor = int(timezone.now().timestamp()) - 59
    AccessFloor.objects.create(pet_id=PET, floor=floor)
    assert client.get(signed(stored, pet_policy(floor=floor), credentials)).status_code == 200
    assert client.get(signed(stored, pet_policy(floor=floor - 1), credentials)).status_code == 403
    assert client.get(signed(stored, pet_policy(), credentials)).status_code == 403


def test_a_revocation_closes_the_grants_signed_before_it_at_once(
    client, stored, credentials, django_capture_on_commit_callbacks
):
    before = signed(stored, pet_policy(), credentials)
    assert client.get(before).status_code == 200  # and its floor (none) is cached
    with django_capture_on_commit_callbacks(execute=True):
        (floor,) = renditions_revoke([PET]).values()
    assert client.get(before).status_code == 403
    for name, value in signed_cookies(pet_policy(), credentials).items():
        client.cookies[name] = value
    assert client.get(f"/cdn/{stored}").status_code == 403
    client.cookies.clear()
    assert client.get(signed(stored, pet_policy(floor=floor), credentials)).status_code == 200


def test_a_floor_raised_by_another_process_applies_within_the_cache_time(
    client, stored, credentials, clock
):
    before = signed(stored, pet_policy(), credentials)
    assert client.get(before).status_code == 200
    AccessFloor.objects.create(pet_id=PET, floor=int(timezone.now().timestamp()) - 59)
    clock.now += revocation.FLOOR_CACHE_SECONDS - 0.1
    assert client.get(before).status_code == 200  # the cached floor (none) is still used
    clock.now += 0.1
    assert client.get(before).status_code == 403
    assert revocation.FLOOR_CACHE_SECONDS <= 10  # well within the minute revocation promises


def test_a_floor_refusal_says_no_more_than_access_denied(client, stored, credentials, caplog):
    AccessFloor.objects.create(pet_id=PET, floor=int(timezone.now().timestamp()))
    caplog.set_level("INFO", logger="cdn.edge")
    response = client.get(signed(stored, pet_policy(), credentials))
    assert response.content == b"Access Denied"
    assert "access floor" in caplog.text


def test_another_pets_floor_changes_nothing(client, url):
    AccessFloor.objects.create(pet_id=OTHER_PET, floor=int(timezone.now().timestamp()))
    assert client.get(url).status_code == 200


def test_originals_have_no_floors(client, credentials):
    default_storage.save(ORIGINAL, ContentFile(b"JPEG"))
    AccessFloor.objects.create(pet_id=PET, floor=int(timezone.now().timestamp()))
    expires = int(timezone.now().timestamp()) + 600
    url = canned_url(f"{SITE}/cdn/{ORIGINAL}", expires, credentials).removeprefix(SITE)
    assert client.get(url).status_code == 200


def test_a_pets_floor_is_read_once_for_many_images(client, url, clock):
    with CaptureQueriesContext(connection) as context:
        for _ in range(5):
            assert client.get(url).status_code == 200
    assert queries_on("cdn_accessfloor", context) == 1


# --- The trusted keys ------------------------------------------------------------------------


def test_the_trusted_keys_are_read_once_for_many_requests(client, url):
    with CaptureQueriesContext(connection) as context:
        statuses = [client.get(url).status_code for _ in range(5)]
    assert queries_on("images_signingkey", context) == 1
    assert statuses == [200] * 5


def test_keys_changed_while_being_read_are_read_again_at_the_next_request(client, url, monkeypatch):
    parse = edge._public_key

    def changed_meanwhile(pem):
        monkeypatch.setattr(edge, "_public_key", parse)
        edge.forget_trusted_keys()  # a key saved (committed) while this read ran
        return parse(pem)

    monkeypatch.setattr(edge, "_public_key", changed_meanwhile)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200
    assert queries_on("images_signingkey", context) == 2


def test_a_retiring_key_still_opens_what_it_signed(client, url, signing_key):
    signing_key.state = SigningKey.State.RETIRING
    signing_key.trusted_until = timezone.now() + datetime.timedelta(hours=1)
    signing_key.save()
    response = client.get(url)
    assert response.status_code == 200
    assert body_of(response) == BODY


def test_a_retired_key_opens_nothing_at_once_in_the_process_that_retired_it(
    client, url, signing_key
):
    assert client.get(url).status_code == 200
    signing_key.state = SigningKey.State.RETIRED
    signing_key.save()  # as cdn.rotation does: the cache is forgotten
    assert client.get(url).status_code == 403


def test_a_key_that_left_the_group_elsewhere_is_refused_within_the_refresh_period(
    client, url, signing_key, clock
):
    assert client.get(url).status_code == 200
    # Another process retired it: this one learns it at its next refresh.
    SigningKey.objects.filter(pk=signing_key.pk).update(state=SigningKey.State.RETIRED)
    clock.now += edge.TRUSTED_KEYS_REFRESH_SECONDS - 1
    assert client.get(url).status_code == 200
    clock.now += 1
    assert client.get(url).status_code == 403


def test_a_key_published_elsewhere_is_trusted_at_once(client, stored, url, make_signing_key, clock):
    newer = make_signing_key(state="retired")
    assert client.get(url).status_code == 200  # the cache holds the active key alone
    clock.now += edge.UNKNOWN_KEY_REFRESH_SECONDS
    SigningKey.objects.filter(pk=newer.pk).update(state=SigningKey.State.PUBLISHED)
    response = client.get(signed(stored, pet_policy(), credentials_of(newer)))
    assert response.status_code == 200


def test_unknown_key_ids_read_the_keys_at_most_once_a_second(client, stored, url, clock):
    assert client.get(url).status_code == 200
    clock.now += edge.UNKNOWN_KEY_REFRESH_SECONDS
    query = url.split("?", 1)[1]
    with CaptureQueriesContext(connection) as context:
        for _ in range(20):
            forged = query.replace("Key-Pair-Id=KTEST", f"Key-Pair-Id=K{uuid.uuid4().hex[:8]}")
            assert client.get(f"/cdn/{stored}?{forged}").status_code == 403
    assert queries_on("images_signingkey", context) == 1
    clock.now += edge.UNKNOWN_KEY_REFRESH_SECONDS
    with CaptureQueriesContext(connection) as context:
        assert client.get(f"/cdn/{stored}?{forged}").status_code == 403
    assert queries_on("images_signingkey", context) == 1


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
