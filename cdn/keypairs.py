"""Key pairs for CloudFront signing: generated with ``cryptography``, exchanged as PEM.

The algorithms (``SigningKey.Algorithm``) are listed in docs/architecture.md, "Key algorithms".
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cdn.signing import HashAlgorithm, PrivateKey

RSA_BITS = 2048  # the size CloudFront accepts
# SigningKey.Algorithm value → the hash its signatures use.
HASH_OF = {
    "rsa-2048-sha1": HashAlgorithm.SHA1,
    "rsa-2048-sha256": HashAlgorithm.SHA256,
    "ecdsa-p256-sha256": HashAlgorithm.SHA256,
}


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm not in HASH_OF:
        raise ValueError(f"unknown signing key algorithm {algorithm!r}")
    if algorithm.startswith("ecdsa"):
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: PrivateKey) -> str:
    """The public half as CloudFront's ``EncodedKey`` takes it (SubjectPublicKeyInfo PEM)."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
