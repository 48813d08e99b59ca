"""Hostile input to the verifier and the edge: random and mutated policies, signatures,
cookies and query strings never crash anything and are never accepted unless validly signed
for the resource."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cdn.signing import (
    Credentials,
    canned_url,
    custom_policy,
    custom_url,
    load_private_key,
    signed_cookies,
    url_b64decode,
    url_b64encode,
)
from cdn.verification import Refused, SignedRequest, verify
from tests.fixtures.keys import private_key_pem

BASE = "https://cdn.example.com"
URL = f"{BASE}/renditions/11111111-1111-4111-8111-111111111111/p/thumb-ab.webp"
NOW = 1_900_000_000
KEY = load_private_key(private_key_pem())

pytestmark = pytest.mark.slow  # hundreds of examples a property: several seconds
TRUSTED = {"KGOOD": KEY.public_key()}
CREDENTIALS = Credentials("KGOOD", KEY)
PARAMETERS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")
VALID_QUERY = custom_url(URL, custom_policy(f"{BASE}/renditions/*", NOW + 600), CREDENTIALS)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)

texts = st.text(max_size=300)
urlsafe = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~=+/", max_size=400
)


def query_of(url: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))


def outcome(request: SignedRequest) -> bool:
    """Whether it was accepted; any exception but Refused fails the property."""
    try:
        verify(request, TRUSTED)
    except Refused:
        return False
    return True


@PROPERTY_SETTINGS
@given(query=st.dictionaries(st.sampled_from(PARAMETERS), st.one_of(texts, urlsafe)))
def test_random_query_parameters_are_refused_never_crash(query):
    request = SignedRequest(url=URL, query=query, cookies={}, client_ip="203.0.113.1", now=NOW)
    assert outcome(request) is False


@PROPERTY_SETTINGS
@given(
    cookies=st.dictionaries(
        st.sampled_from([f"CloudFront-{name}" for name in PARAMETERS]), st.one_of(texts, urlsafe)
    ),
    ip=st.one_of(st.ip_addresses().map(str), texts),
)
def test_random_cookies_are_refused_never_crash(cookies, ip):
    request = SignedRequest(url=URL, query={}, cookies=cookies, client_ip=ip, now=NOW)
    assert outcome(request) is False


@PROPERTY_SETTINGS
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_validly_signed_nonsense_policies_never_crash(document):
    policy = json.dumps({"Statement": [document]} if not isinstance(document, dict) else document)
    url = custom_url(URL, policy, CREDENTIALS)
    request = SignedRequest(
        url=URL, query=query_of(url), cookies={}, client_ip="203.0.113.1", now=NOW
    )
    outcome(request)  # accepted or refused, never an error


@PROPERTY_SETTINGS
@given(
    name=st.sampled_from(["Policy", "Signature", "Key-Pair-Id"]),
    position=st.integers(min_value=0),
    replacement=st.characters(codec="ascii"),
)
def test_a_mutated_signed_url_is_accepted_only_if_it_means_the_same(name, position, replacement):
    query = query_of(VALID_QUERY)
    value = query[name]
    index = position % len(value)
    assume(value[index] != replacement)
    mutated = {**query, name: value[:index] + replacement + value[index + 1 :]}
    request = SignedRequest(url=URL, query=mutated, cookies={}, client_ip="203.0.113.1", now=NOW)
    if outcome(request):
        # Only base64's unused trailing bits can change without changing what is signed.
        assert name != "Key-Pair-Id"
        assert url_b64decode(mutated[name]) == url_b64decode(query[name])


@PROPERTY_SETTINGS
@given(path=st.text(min_size=1, max_size=80))
def test_a_signature_never_opens_another_resource(path):
    canned = canned_url(URL, NOW + 600, CREDENTIALS)
    other = f"{BASE}/{quote(path, safe='/')}"
    assume(other != URL)
    request = SignedRequest(
        url=other, query=query_of(canned), cookies={}, client_ip="1.2.3.4", now=NOW
    )
    assert outcome(request) is False
    pet_policy = custom_policy(
        f"{BASE}/renditions/11111111-1111-4111-8111-111111111111/*", NOW + 600
    )
    cookies = signed_cookies(pet_policy, CREDENTIALS)
    assume(not other.startswith(f"{BASE}/renditions/11111111-1111-4111-8111-111111111111/"))
    request = SignedRequest(url=other, query={}, cookies=cookies, client_ip="1.2.3.4", now=NOW)
    assert outcome(request) is False


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=64))
def test_base64_round_trips(data):
    assert url_b64decode(url_b64encode(data)) == data


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.text(max_size=120), query=st.text(max_size=300), cookie=st.text(max_size=200))
def test_the_edge_answers_anything_without_a_server_error(client, signing_key, path, query, cookie):
    client.cookies["CloudFront-Policy"] = cookie.encode("ascii", "ignore").decode()
    response = client.get(f"/cdn/{quote(path)}?{quote(query, safe='=&')}")
    assert response.status_code in (403, 404)
