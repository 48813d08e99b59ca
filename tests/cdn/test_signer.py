import datetime
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from cdn import signer as signer_module
from cdn.signer import (
    ACTIVE_KEY_CACHE_SECONDS,
    NoSigningKey,
    Signer,
    get_signer,
    grant_start,
    load_active_credentials,
    longest_url_life,
    retiring_trust,
    window_expiry,
)
from cdn.signing import Credentials, load_private_key, url_b64decode
from images.pure.object_keys import rendition_key
from tests.fixtures.keys import private_key_pem

PET = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER_PET = uuid.UUID("99999999-9999-4999-8999-999999999999")
WINDOW = 600


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def key_of(pet, name="thumb", photo=None) -> str:
    photo = photo or uuid.uuid4()
    return rendition_key(pet_id=pet, photo_id=photo, name=name, content_hash="abc123")


@pytest.fixture
def clock():
    return Clock(3_166_666 * WINDOW)  # the start of a window


class Database:
    """What the signer reads: the active key's id, and how often it was read."""

    def __init__(self):
        self.active, self.reads = "KEY1", 0


@pytest.fixture
def database():
    return Database()


@pytest.fixture
def signer(clock, database):
    private_key = load_private_key(private_key_pem())

    def load():
        database.reads += 1
        return Credentials(database.active, private_key)

    return Signer(
        base_url="https://cdn.example.com", window=WINDOW, load_credentials=load, clock=clock
    )


def test_urls_expire_at_the_end_of_the_next_window():
    assert window_expiry(1200, 600) == 2400
    assert window_expiry(1799, 600) == 2400
    assert window_expiry(1800, 600) == 3000


def test_a_gallery_of_a_hundred_photos_costs_one_signature_per_pet(signer):
    urls = [
        signer.url(key_of(PET, name)) for _ in range(100) for name in ("thumb", "medium", "large")
    ]
    assert signer.signatures == 1
    assert len(set(urls)) == 300
    signer.url(key_of(OTHER_PET))
    assert signer.signatures == 2


def test_a_warm_page_costs_no_signature_and_its_urls_are_byte_identical(signer, clock):
    keys = [key_of(PET) for _ in range(10)]
    first = [signer.url(key) for key in keys]
    clock.now += WINDOW - 1  # still inside the same window (it started at a boundary)
    before = signer.signatures
    assert [signer.url(key) for key in keys] == first
    assert signer.signatures == before


def test_the_next_window_signs_again_with_a_later_expiry(signer, clock):
    first = signer.url(key_of(PET, photo=PET))
    clock.now += WINDOW
    second = signer.url(key_of(PET, photo=PET))
    assert first != second
    assert signer.signatures == 2


def test_a_renditions_policy_covers_only_its_pets_prefix(signer):
    url = signer.url(key_of(PET))
    policy = url_b64decode(url.split("Policy=")[1].split("&")[0]).decode()
    assert f'"Resource":"https://cdn.example.com/renditions/{PET}/*"' in policy


def test_originals_are_signed_one_url_at_a_time_with_a_canned_policy(signer):
    first = signer.original_url("originals/7/2026/03/a.jpg")
    second = signer.original_url("originals/7/2026/03/b.jpg")
    assert "Expires=" in first
    assert "Policy=" not in first
    assert signer.signatures == 2
    assert signer.original_url("originals/7/2026/03/a.jpg") == first  # cached within the window
    assert signer.signatures == 2
    assert second.startswith("https://cdn.example.com/originals/7/2026/03/b.jpg?Expires=")


def test_an_original_is_never_signed_with_a_pets_policy(signer):
    with pytest.raises(ValueError, match="original_url"):
        signer.url("originals/7/2026/03/a.jpg")


def test_an_original_under_a_cdn_path_is_signed_for_the_sites_absolute_url(clock):
    signer = path_signer(clock)
    url = signer.original_url("originals/7/2026/03/a.jpg", origin="https://example.com")
    assert url.startswith("https://example.com/cdn/originals/7/2026/03/a.jpg?Expires=")
    with pytest.raises(ValueError, match="origin"):
        signer.original_url("originals/7/2026/03/a.jpg")


def test_under_a_cdn_path_a_pets_policy_names_the_sites_origin(clock):
    url = path_signer(clock).url(key_of(PET), origin="https://example.com")
    policy = url_b64decode(url.split("Policy=")[1].split("&")[0]).decode()
    assert f'"Resource":"https://example.com/cdn/renditions/{PET}/*"' in policy
    with pytest.raises(ValueError, match="origin"):
        path_signer(clock).url(key_of(PET))


def test_a_pet_with_an_access_floor_is_signed_with_it_as_date_greater_than(signer):
    url = signer.url(key_of(PET), floor=1_234_567)
    policy = url_b64decode(url.split("Policy=")[1].split("&")[0]).decode()
    assert '"DateGreaterThan":{"AWS:EpochTime":1234567}' not in policy  # older than the window
    floor = int(signer.now()) - 30  # a revocation half a minute ago
    url = signer.url(key_of(PET), floor=floor)
    policy = url_b64decode(url.split("Policy=")[1].split("&")[0]).decode()
    assert f'"DateGreaterThan":{{"AWS:EpochTime":{floor}}}' in policy
    assert signer.signatures == 2  # a floor older than the window changes nothing


def test_every_grant_starts_two_minutes_before_its_window(signer, clock):
    url = signer.url(key_of(PET))
    policy = url_b64decode(url.split("Policy=")[1].split("&")[0]).decode()
    window_start = int(clock.now) // WINDOW * WINDOW
    assert f'"DateGreaterThan":{{"AWS:EpochTime":{window_start - 120}}}' in policy
    assert grant_start(window_start + 2 * WINDOW, WINDOW, None) == window_start - 120


def test_the_active_key_is_read_again_only_after_its_cache_time(signer, clock, database):
    signer.url(key_of(PET))
    database.active = "KEY2"  # rotated by another process
    clock.now += ACTIVE_KEY_CACHE_SECONDS - 1
    assert signer.url(key_of(PET)).endswith("Key-Pair-Id=KEY1")
    assert database.reads == 1
    clock.now += 1
    assert signer.url(key_of(PET)).endswith("Key-Pair-Id=KEY2")


def test_forgetting_the_key_makes_the_next_url_use_the_new_one(signer, database):
    assert signer.url(key_of(PET)).endswith("KEY1")
    database.active = "KEY2"
    signer.forget_key()
    assert signer.url(key_of(PET)).endswith("KEY2")


def path_signer(clock) -> Signer:
    """A signer for a CDN that is a path of the site, as the local edge is."""
    return Signer(
        base_url="/cdn",
        window=WINDOW,
        load_credentials=lambda: Credentials("K", load_private_key(private_key_pem())),
        clock=clock,
    )


def test_pet_cookies_cover_the_pets_renditions_under_the_cdn_path(clock):
    grant = path_signer(clock).pet_grant(PET, origin="https://example.com")
    assert grant.path == f"/cdn/renditions/{PET}/"
    assert set(grant.cookies) == {
        "CloudFront-Policy",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
    }
    assert grant.expires == window_expiry(clock.now, WINDOW)


def test_a_grants_marker_changes_with_the_window_the_floor_and_the_key(signer, clock, database):
    first = signer.pet_grant(PET).marker
    assert signer.pet_grant(PET).marker == first
    assert signer.pet_grant(PET, floor=5).marker == first  # a floor older than the window
    assert signer.pet_grant(PET, floor=int(clock.now) - 30).marker != first
    database.active = "KEY2"
    signer.forget_key()
    assert signer.pet_grant(PET).marker != first
    clock.now += WINDOW
    assert len({first, signer.pet_grant(PET).marker}) == 2


def test_a_retiring_key_stays_trusted_for_the_key_cache_two_windows_and_clock_skew():
    assert retiring_trust(600) == datetime.timedelta(seconds=ACTIVE_KEY_CACHE_SECONDS + 1200 + 60)


@pytest.mark.django_db
def test_without_an_active_key_signing_says_how_to_make_one():
    get_signer().forget_key()
    with pytest.raises(NoSigningKey, match="rotate_signing_key"):
        get_signer().url(key_of(PET))


def test_the_process_signer_follows_the_settings(settings):
    settings.CDN_BASE_URL = "https://cdn.example.com"
    assert get_signer().base_url == "https://cdn.example.com"
    settings.CDN_SIGNING_WINDOW_SECONDS = 120
    assert get_signer().window == 120


def test_the_process_signer_signs_with_the_databases_active_key(signing_key):
    url = get_signer().url(key_of(PET), origin="http://testserver")
    assert url.startswith(f"/cdn/renditions/{PET}/")
    assert url.endswith(f"Key-Pair-Id={signing_key.public_key_id}")


def test_pet_cookies_are_signed_once_per_window(signer, clock):
    first = signer.pet_grant(PET)
    assert signer.pet_grant(PET) == first
    assert signer.signatures == 1
    clock.now += WINDOW
    assert signer.pet_grant(PET) != first
    assert signer.signatures == 2


def test_a_keys_private_half_is_parsed_once_however_often_it_is_read(signing_key, monkeypatch):
    parsed = []
    real = signer_module.load_private_key
    monkeypatch.setattr(
        signer_module, "load_private_key", lambda pem: parsed.append(1) or real(pem)
    )
    signer_module._parsed_keys.clear()
    for _ in range(3):
        assert load_active_credentials().key_pair_id == signing_key.public_key_id
    assert len(parsed) == 1


def test_a_missing_key_is_asked_for_once_per_cache_time(clock):
    asked = []

    def none_active():
        asked.append(1)
        raise NoSigningKey()

    signer = Signer(base_url="/cdn", window=WINDOW, load_credentials=none_active, clock=clock)
    for _ in range(5):
        with pytest.raises(NoSigningKey):
            signer.url(key_of(PET))
    assert len(asked) == 1
    signer.forget_key()  # a key was activated in this process
    with pytest.raises(NoSigningKey):
        signer.url(key_of(PET))
    assert len(asked) == 2


def test_no_url_outlives_the_longest_url_life():
    for now in (1200, 1201, 1799):
        assert window_expiry(now, 600) - now <= longest_url_life(600).total_seconds()
    assert window_expiry(1200, 600) - 1200 == longest_url_life(600).total_seconds()


def _expires_of(url: str) -> int:
    policy = parse_qs(urlsplit(url).query)["Policy"][0]
    (statement,) = json.loads(url_b64decode(policy))["Statement"]
    return statement["Condition"]["DateLessThan"]["AWS:EpochTime"]


def test_a_url_signed_until_a_moment_expires_then_but_never_later_than_the_window(signer, clock):
    soon = int(clock.now) + 90
    assert _expires_of(signer.url(key_of(PET), until=soon)) == soon
    far = int(clock.now) + 10 * WINDOW
    assert _expires_of(signer.url(key_of(PET), until=far)) == signer.expiry()
    assert _expires_of(signer.url(key_of(PET))) == signer.expiry()
