from urllib.parse import parse_qsl

import pytest

from cdn.signing import (
    Credentials,
    HashAlgorithm,
    canned_url,
    custom_policy,
    custom_url,
    load_private_key,
    signed_cookies,
    url_b64encode,
)
from cdn.verification import Refused, SignedRequest, Verified, verify
from tests.fixtures.keys import private_key_pem

BASE = "https://cdn.example.com"
PET = "renditions/11111111-1111-4111-8111-111111111111/"
OTHER_PET = "renditions/99999999-9999-4999-8999-999999999999/"
OBJECT = f"{BASE}/{PET}22222222-2222-4222-8222-222222222222/thumb-abc123.webp"
NOW = 1_900_000_000
LATER = NOW + 600


@pytest.fixture(scope="module")
def key():
    return load_private_key(private_key_pem())


@pytest.fixture(scope="module")
def other_key():
    return load_private_key(private_key_pem(index=1))


@pytest.fixture(scope="module")
def trusted(key):
    return {"KGOOD": key.public_key()}


def request_for(signed_url: str, *, url=None, now=NOW, ip="203.0.113.5", cookies=None):
    bare, _, query = signed_url.partition("?")
    return SignedRequest(
        url=url or bare,
        query=dict(parse_qsl(query, keep_blank_values=True)),
        cookies=cookies or {},
        client_ip=ip,
        now=now,
    )


def wildcard_url(key, *, resource=f"{BASE}/{PET}*", url=OBJECT, algorithm=HashAlgorithm.SHA1, **kw):
    policy = custom_policy(resource, LATER, **kw)
    return custom_url(url, policy, Credentials("KGOOD", key, algorithm))


# --- Accepted -------------------------------------------------------------------------------


def test_a_canned_url_round_trips(key, trusted):
    verify(request_for(canned_url(OBJECT, LATER, Credentials("KGOOD", key))), trusted)


def test_a_custom_policy_for_exactly_this_url_round_trips(key, trusted):
    verify(request_for(wildcard_url(key, resource=OBJECT)), trusted)


def test_a_wildcard_policy_covers_every_object_of_the_pet(key, trusted):
    signed = wildcard_url(key)
    query = signed.split("?", 1)[1]
    for name in ("thumb-abc.webp", "large-def.webp"):
        other = f"{BASE}/{PET}33333333-3333-4333-8333-333333333333/{name}"
        verify(request_for(f"{other}?{query}"), trusted)


def test_question_marks_match_exactly_one_character(key, trusted):
    resource = OBJECT.replace("thumb-abc123", "thumb-abc12?")
    verify(request_for(wildcard_url(key, resource=resource)), trusted)
    with pytest.raises(Refused, match="Resource"):
        verify(request_for(wildcard_url(key, resource=resource), url=OBJECT + "x"), trusted)


def test_signed_cookies_round_trip_without_a_query(key, trusted):
    policy = custom_policy(f"{BASE}/{PET}*", LATER)
    cookies = signed_cookies(policy, Credentials("KGOOD", key))
    verify(request_for(OBJECT, cookies=cookies), trusted)


def test_sha256_and_ecdsa_signatures_round_trip():
    ec_key = load_private_key(private_key_pem("ecdsa-p256-sha256"))
    signed = wildcard_url(ec_key, algorithm=HashAlgorithm.SHA256)
    verify(request_for(signed), {"KGOOD": ec_key.public_key()})


def test_an_address_inside_the_policys_network_is_served(key, trusted):
    verify(request_for(wildcard_url(key, ip_address="203.0.113.0/24")), trusted)


def test_a_policy_that_has_started_is_served(key, trusted):
    verify(request_for(wildcard_url(key, date_greater_than=NOW - 1)), trusted)


def test_what_the_verified_policy_grants_is_returned(key, trusted):
    granted = verify(request_for(wildcard_url(key, date_greater_than=NOW - 59)), trusted)
    assert granted == Verified("KGOOD", False, LATER, NOW - 59, f"{BASE}/{PET}*")
    assert verify(request_for(wildcard_url(key)), trusted).date_greater_than is None
    canned = verify(request_for(canned_url(OBJECT, LATER, Credentials("KGOOD", key))), trusted)
    assert (canned.canned, canned.date_greater_than, canned.resource) == (True, None, None)


def test_a_pattern_for_any_scheme_and_host_covers_the_path(key, trusted):
    signed = wildcard_url(key, resource=f"http*://*/{PET}*")
    verify(request_for(signed), trusted)
    verify(request_for(signed, url=OBJECT.replace("https://", "http://")), trusted)


# --- Refused --------------------------------------------------------------------------------


def refused(request, trusted, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        verify(request, trusted)


def test_a_changed_path_is_refused(key, trusted):
    signed = canned_url(OBJECT, LATER, Credentials("KGOOD", key))
    refused(request_for(signed, url=OBJECT.replace("thumb", "large")), trusted, "signature")


def test_an_expired_url_is_refused(key, trusted):
    refused(request_for(wildcard_url(key), now=LATER), trusted, "expired")


def test_a_url_not_valid_yet_is_refused(key, trusted):
    refused(request_for(wildcard_url(key, date_greater_than=NOW + 60)), trusted, "not valid yet")


def test_an_unknown_key_id_is_refused(key, trusted):
    signed = wildcard_url(key).replace("Key-Pair-Id=KGOOD", "Key-Pair-Id=KOTHER")
    refused(request_for(signed), trusted, "not in the trusted key group")


def test_a_key_that_left_the_key_group_is_refused(key):
    refused(request_for(wildcard_url(key)), {}, "not in the trusted key group")


def test_a_signature_by_another_key_under_a_trusted_id_is_refused(other_key, trusted):
    refused(request_for(wildcard_url(other_key)), trusted, "signature does not match")


def test_bad_base64_is_refused(key, trusted):
    signed = wildcard_url(key).replace("Signature=", "Signature=%%%")
    refused(request_for(signed), trusted, "not URL-safe base64")


def test_a_policy_naming_a_bare_path_covers_no_url(key, trusted):
    """CloudFront matches the resource against the full URL: a path alone matches nothing."""
    path = OBJECT.removeprefix(BASE)
    for resource in (f"/{PET}*", path):
        refused(request_for(wildcard_url(key, resource=resource)), trusted, "Resource")


def test_a_policy_for_another_pet_is_refused(key, trusted):
    signed = wildcard_url(key, resource=f"{BASE}/{OTHER_PET}*", url=f"{BASE}/{OTHER_PET}x.webp")
    query = signed.split("?", 1)[1]
    refused(request_for(f"{OBJECT}?{query}"), trusted, "Resource does not cover")


def test_an_address_outside_the_policys_network_is_refused(key, trusted):
    signed = wildcard_url(key, ip_address="198.51.100.0/24")
    refused(request_for(signed), trusted, "outside 198.51.100.0/24")


def test_the_signature_of_another_policy_is_refused(key, trusted):
    wide = wildcard_url(key, resource=f"{BASE}/*")
    narrow = wildcard_url(key)
    forged = narrow.split("Signature=")[0] + "Signature=" + wide.split("Signature=")[1]
    refused(request_for(forged), trusted, "signature does not match")


def test_a_policy_rewritten_to_reach_further_is_refused(key, trusted):
    signed = wildcard_url(key)
    wider = url_b64encode(custom_policy(f"{BASE}/*", LATER).encode())
    policy = signed.split("Policy=")[1].split("&")[0]
    refused(request_for(signed.replace(policy, wider)), trusted, "signature does not match")


@pytest.mark.parametrize("missing", ["Signature", "Key-Pair-Id"])
def test_a_missing_parameter_is_refused(key, trusted, missing):
    signed = wildcard_url(key)
    bare, query = signed.split("?")
    kept = "&".join(part for part in query.split("&") if not part.startswith(missing + "="))
    refused(request_for(f"{bare}?{kept}"), trusted, f"missing {missing}")


def test_no_signature_at_all_is_refused(trusted):
    refused(request_for(OBJECT), trusted, "missing Key-Pair-Id")


def test_both_expires_and_policy_are_refused(key, trusted):
    refused(request_for(wildcard_url(key) + f"&Expires={LATER}"), trusted, "exactly one")


def test_an_unknown_hash_algorithm_is_refused(key, trusted):
    refused(request_for(wildcard_url(key) + "&Hash-Algorithm=MD5"), trusted, "Hash-Algorithm")


def test_a_sha1_signature_claimed_as_sha256_is_refused(key, trusted):
    refused(request_for(wildcard_url(key) + "&Hash-Algorithm=SHA256"), trusted, "signature")


def test_a_canned_expiry_that_is_not_a_number_is_refused(key, trusted):
    signed = canned_url(OBJECT, LATER, Credentials("KGOOD", key))
    refused(request_for(signed.replace(f"Expires={LATER}", "Expires=soon")), trusted, "epoch")


def test_a_signed_policy_without_an_expiry_is_refused(key, trusted):
    policy = '{"Statement":[{"Resource":"*","Condition":{}}]}'
    signed = custom_url(OBJECT, policy, Credentials("KGOOD", key))
    refused(request_for(signed), trusted, "no DateLessThan")
