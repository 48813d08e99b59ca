"""A key rotation while browsers keep loading images: not one request may fail."""

import json
import threading
import uuid
from collections import Counter

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from cdn.models import SigningKey
from cdn.rotation import signing_key_rotate, signing_keys_maintain
from cdn.signer import get_signer
from cdn.signing import url_b64decode
from images.pure.object_keys import rendition_key

pytestmark = pytest.mark.django_db(transaction=True)


def stored_renditions(count: int) -> list[str]:
    keys = []
    for _ in range(count):
        key = rendition_key(
            pet_id=uuid.uuid4(), photo_id=uuid.uuid4(), name="thumb", content_hash="a1"
        )
        default_storage.save(key, ContentFile(b"RIFF....WEBP"))
        keys.append(key)
    return keys


class Browsers:
    """Threads that fetch the current URLs over and over until stopped."""

    def __init__(self, base: str, urls: list[str], threads: int = 4):
        self.base, self.urls = base, urls
        self.statuses: Counter = Counter()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.browse) for _ in range(threads)]

    def browse(self) -> None:
        with requests.Session() as session:
            while not self.stop.is_set():
                for url in list(self.urls):
                    status = session.get(self.base + url, timeout=10).status_code
                    with self.lock:
                        self.statuses[status] += 1
        connection.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def wait_for(self, requests_more: int) -> None:
        target = sum(self.statuses.values()) + requests_more
        while sum(self.statuses.values()) < target:
            self.stop.wait(0.02)


def expiry_of(url: str) -> int:
    policy = json.loads(url_b64decode(url.split("Policy=")[1].split("&")[0]))
    return policy["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"]


def test_a_rotation_under_load_breaks_no_url(live_server, signing_key):
    keys = stored_renditions(6)
    old_urls = [get_signer().url(key, origin=live_server.url) for key in keys]
    with Browsers(live_server.url, list(old_urls)) as browsers:
        browsers.wait_for(100)
        new_key = signing_key_rotate()
        new_urls = [get_signer().url(key, origin=live_server.url) for key in keys]
        browsers.urls.extend(new_urls)  # pages rendered after the rotation
        browsers.wait_for(200)
    assert browsers.statuses == Counter({200: sum(browsers.statuses.values())})
    assert all(url.endswith(f"Key-Pair-Id={new_key.public_key_id}") for url in new_urls)

    old = SigningKey.objects.get(pk=signing_key.pk)
    assert old.state == SigningKey.State.RETIRING
    # It stays trusted until every URL it signed has expired...
    assert old.trusted_until.timestamp() >= max(expiry_of(url) for url in old_urls)
    # ...and only then leaves the key group: its URLs stop working, the new ones go on.
    SigningKey.objects.filter(pk=old.pk).update(trusted_until=timezone.now())
    assert signing_keys_maintain()["retired"] == 1
    assert {requests.get(live_server.url + url, timeout=10).status_code for url in old_urls} == {
        403
    }
    assert {requests.get(live_server.url + url, timeout=10).status_code for url in new_urls} == {
        200
    }
