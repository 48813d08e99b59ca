"""Signing a 100-photo gallery (three renditions each, 300 URLs): ours against the seed's way
and against django-storages, in one run on this machine.

- seed: botocore's ``CloudFrontSigner`` with the pure-Python ``rsa`` package, one signature
  per URL (the seed's ``PetImageService``);
- django-storages: ``S3Storage.url()`` with ``AWS_CLOUDFRONT_KEY`` (``cryptography``), one
  signature per URL;
- ours: ``cdn.signer.Signer``, one wildcard policy per pet and window, cold (a new
  process's first page, including decrypting the key) and warm (every later page).

Targets (issue 4): at most one signature per pet per window (zero once warm), warm pages ≥ 20×
faster than django-storages and ≥ 1000× faster than the seed.

Run: ``.venv/bin/python benchmarks/gallery_signing.py [--runs N]``
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")

import django  # noqa: E402

django.setup()

from botocore.signers import CloudFrontSigner  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from cdn.encryption import decrypt_private_key, encrypt_private_key  # noqa: E402
from cdn.signer import Signer  # noqa: E402
from cdn.signing import Credentials, load_private_key  # noqa: E402
from images.pure.object_keys import rendition_key  # noqa: E402

CDN = "https://cdn.pets.example.com"
KEY_ID = "K2JCJMDEHXQW5F"
PHOTOS, NAMES = 100, ("thumb", "medium", "large")


def gallery_keys() -> list[str]:
    pet = uuid.uuid4()
    return [
        rendition_key(pet_id=pet, photo_id=uuid.uuid4(), name=name, content_hash="0123abcd")
        for _ in range(PHOTOS)
        for name in NAMES
    ]


def make_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pkcs1_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def timed(render, runs: int) -> tuple[float, int]:
    """Median milliseconds of ``render()`` over ``runs``, and signatures per page."""
    times, signatures = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        signatures = render()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), signatures


def seed_page(keys: list[str], pem: bytes):
    import rsa as pure_rsa  # the seed's signer: needed by its baseline only

    private_key = pure_rsa.PrivateKey.load_pkcs1(pem)
    signer = CloudFrontSigner(KEY_ID, lambda message: pure_rsa.sign(message, private_key, "SHA-1"))

    def render() -> int:
        when = datetime.datetime.fromtimestamp(time.time() + 600, tz=datetime.UTC)
        for key in keys:
            signer.generate_presigned_url(f"{CDN}/{key}", date_less_than=when)
        return len(keys)

    return render


def storages_page(keys: list[str], pem: bytes):
    from storages.backends.s3 import S3Storage

    storage = S3Storage(
        bucket_name="pets-photos",
        custom_domain="cdn.pets.example.com",
        cloudfront_key_id=KEY_ID,
        cloudfront_key=pem,
        querystring_auth=True,
    )

    def render() -> int:
        for key in keys:
            storage.url(key)
        return len(keys)

    return render


def ours(keys: list[str], pem: bytes) -> tuple:
    token = encrypt_private_key(pem)

    def load() -> Credentials:  # what a process does on its first page: decrypt the stored key
        return Credentials(KEY_ID, load_private_key(decrypt_private_key(token)))

    def page(signer: Signer) -> int:
        before = signer.signatures
        url = signer.url
        for key in keys:
            url(key)
        return signer.signatures - before

    def cold() -> int:
        return page(Signer(base_url=CDN, window=600, load_credentials=load))

    warm_signer = Signer(base_url=CDN, window=600, load_credentials=load)
    page(warm_signer)
    return cold, lambda: page(warm_signer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="pages timed per method")
    runs = parser.parse_args().runs
    keys, key = gallery_keys(), make_key()
    pem = pkcs1_pem(key)
    cold, warm = ours(keys, pem)
    results = {
        "seed (botocore + rsa)": timed(seed_page(keys, pem), max(1, runs // 10)),
        "django-storages url()": timed(storages_page(keys, pem), runs),
        "ours, cold process": timed(cold, runs),
        "ours, warm": timed(warm, runs * 50),
    }
    print(f"Gallery page: {PHOTOS} photos × {len(NAMES)} renditions = {len(keys)} signed URLs\n")
    print(f"{'method':<24}{'signatures':>11}{'ms/page':>12}{'µs/URL':>10}{'than warm':>16}")
    warm_ms = results["ours, warm"][0]
    for method, (ms, signatures) in results.items():
        ratio = f"{ms / warm_ms:,.0f}× slower" if method != "ours, warm" else "—"
        print(f"{method:<24}{signatures:>11}{ms:>12.3f}{ms * 1000 / len(keys):>10.2f}{ratio:>16}")
    checks = {
        "≤ 1 signature per pet per window": results["ours, cold process"][1] <= 1,
        "0 signatures once warm": results["ours, warm"][1] == 0,
        "≥ 20× django-storages": results["django-storages url()"][0] / warm_ms >= 20,
        "≥ 1000× the seed": results["seed (botocore + rsa)"][0] / warm_ms >= 1000,
    }
    print(
        "\ntargets: " + "; ".join(f"{k}: {'met' if ok else 'MISSED'}" for k, ok in checks.items())
    )


if __name__ == "__main__":
    main()
