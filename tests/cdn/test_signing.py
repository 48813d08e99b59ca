import datetime

import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from cdn.signer import Signer
from cdn.signing import (
    Credentials,
    HashAlgorithm,
    canned_url,
    custom_policy,
    custom_url,
    load_private_key,
    signed_cookies,
    url_b64decode,
    url_b64encode,
)
from tests.fixtures.keys import private_key_pem

URL = "https://d111111abcdef8.cloudfront.net/renditions/pet/photo/thumb-abc.webp"
EXPIRES = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def rsa_key():
    return load_private_key(private_key_pem())


def botocore_signer(private_key):
    return CloudFrontSigner(
        "K2JCJMDEHXQW5F",
        # CloudFront's default hash is SHA-1.
        lambda message: private_key.sign(message, padding.PKCS1v15(), hashes.SHA1()),  # noqa: S303
    )


def test_canned_urls_equal_botocores_byte_for_byte(rsa_key):
    ours = canned_url(URL, int(EXPIRES.timestamp()), Credentials("K2JCJMDEHXQW5F", rsa_key))
    theirs = botocore_signer(rsa_key).generate_presigned_url(URL, date_less_than=EXPIRES)
    assert ours == theirs


def test_canned_urls_keep_an_existing_query_string_as_botocore_does(rsa_key):
    url = URL + "?v=2"
    ours = canned_url(url, int(EXPIRES.timestamp()), Credentials("K2JCJMDEHXQW5F", rsa_key))
    assert ours == botocore_signer(rsa_key).generate_presigned_url(url, date_less_than=EXPIRES)


def test_custom_policies_equal_botocores_with_every_condition(rsa_key):
    start = datetime.datetime(2029, 12, 31, tzinfo=datetime.UTC)
    signer = botocore_signer(rsa_key)
    theirs_policy = signer.build_policy(
        "https://d111111abcdef8.cloudfront.net/renditions/pet/*",
        EXPIRES,
        date_greater_than=start,
        ip_address="192.0.2.10",
    )
    ours_policy = custom_policy(
        "https://d111111abcdef8.cloudfront.net/renditions/pet/*",
        int(EXPIRES.timestamp()),
        date_greater_than=int(start.timestamp()),
        ip_address="192.0.2.10",
    )
    assert ours_policy == theirs_policy
    assert '"AWS:SourceIp":"192.0.2.10/32"' in ours_policy
    ours = custom_url(URL, ours_policy, Credentials("K2JCJMDEHXQW5F", rsa_key))
    assert ours == signer.generate_presigned_url(URL, policy=theirs_policy)


def test_url_safe_base64_replaces_the_three_characters_cloudfront_forbids():
    data = bytes([0xFB, 0xFF, 0xBF, 0x3E, 0x00])  # base64 "+/+/PgA=" has all three
    assert url_b64encode(data) == "-~-~PgA_"
    assert url_b64decode("-~-~PgA_") == data


def test_url_safe_base64_refuses_what_is_not_base64():
    with pytest.raises(ValueError, match="URL-safe base64"):
        url_b64decode("not base64!")


def test_sha256_urls_say_so_and_verify_with_sha256(rsa_key):
    policy = custom_policy(URL, 1893456000)
    url = custom_url(URL, policy, Credentials("KID", rsa_key, HashAlgorithm.SHA256))
    assert url.endswith("&Key-Pair-Id=KID&Hash-Algorithm=SHA256")
    signature = url_b64decode(url.split("Signature=")[1].split("&")[0])
    rsa_key.public_key().verify(signature, policy.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_ecdsa_keys_sign_cloudfronts_policies():
    key = load_private_key(private_key_pem("ecdsa-p256-sha256"))
    policy = custom_policy(URL, 1893456000)
    url = custom_url(URL, policy, Credentials("KEC", key, HashAlgorithm.SHA256))
    signature = url_b64decode(url.split("Signature=")[1].split("&")[0])
    key.public_key().verify(signature, policy.encode(), ec.ECDSA(hashes.SHA256()))


def test_signed_cookies_carry_the_policy_signature_and_key_id(rsa_key):
    policy = custom_policy("https://cdn.example.com/renditions/pet/*", 1893456000)
    cookies = signed_cookies(policy, Credentials("KID", rsa_key))
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert url_b64decode(cookies["CloudFront-Policy"]).decode() == policy
    assert cookies["CloudFront-Key-Pair-Id"] == "KID"


def test_canned_cookies_carry_expires_and_sha256_cookies_say_so(rsa_key):
    cookies = signed_cookies(
        custom_policy(URL, 1893456000),
        Credentials("KID", rsa_key, HashAlgorithm.SHA256),
        canned_expires=1893456000,
    )
    assert cookies["CloudFront-Expires"] == "1893456000"
    assert "CloudFront-Policy" not in cookies
    assert cookies["CloudFront-Hash-Algorithm"] == "SHA256"


def test_the_apps_signer_makes_botocores_urls_too(rsa_key):
    """What galleries and downloads really use, not only the building blocks above."""
    now = 1_899_999_600.0
    signer = Signer(
        base_url="https://d111111abcdef8.cloudfront.net",
        window=600,
        load_credentials=lambda: Credentials("K2JCJMDEHXQW5F", rsa_key),
        clock=lambda: now,
    )
    expires = datetime.datetime.fromtimestamp(signer.expiry(), tz=datetime.UTC)
    botocore = botocore_signer(rsa_key)
    original = "originals/7/2026/03/a.jpg"
    assert signer.original_url(original) == botocore.generate_presigned_url(
        f"{signer.base_url}/{original}", date_less_than=expires
    )
    rendition = "renditions/11111111-1111-4111-8111-111111111111/p/thumb-ab.webp"
    start = datetime.datetime.fromtimestamp(now - 120, tz=datetime.UTC)  # now: a window start
    policy = botocore.build_policy(
        f"{signer.base_url}/renditions/11111111-1111-4111-8111-111111111111/*",
        expires,
        date_greater_than=start,
    )
    assert signer.url(rendition) == botocore.generate_presigned_url(
        f"{signer.base_url}/{rendition}", policy=policy
    )
