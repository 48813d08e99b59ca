"""Steps of benchmarks/load.sh: seeding the product, a logged-in session, the edge's
credentials, 50 uploads at once through the real HTTP endpoints, and the report of the wrk
runs. Not run on its own."""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")

import django

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from accounts.services import user_create  # noqa: E402
from cdn.rotation import signing_key_rotate  # noqa: E402
from cdn.signer import get_signer  # noqa: E402
from images.models import Pet, Photo  # noqa: E402
from images.pure.demo_images import demo_photo  # noqa: E402
from images.services.pets import pet_create  # noqa: E402
from images.services.uploads import photo_import  # noqa: E402

PHOTOS = 50


@dataclass(frozen=True)
class Refused:
    """An upload step that did not answer as it should."""

    reason: str


def session_cookie(user) -> str:
    """A logged-in session for ``user``, as the log-in view would make it (in the configured
    session store)."""
    session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def wait_ready(photo_ids, timeout: float = 600) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(Photo.objects.filter(pk__in=photo_ids).values_list("state", flat=True))
        if all(state in ("ready", "failed") for state in states):
            return states.count("ready"), states.count("failed")
        time.sleep(0.5)
    raise SystemExit(f"photos not processed within {timeout} s")


def setup() -> None:
    """A user with a 50-photo gallery, processed by the running worker; prints the targets."""
    signing_key_rotate()
    user = user_create(username="loader", email="loader@example.com", password=None)
    pet = pet_create(owner=user, name="Loadie")
    photos = [
        photo_import(pet=pet, uploader=user, content=demo_photo(seed=n), content_type="image/jpeg")
        for n in range(PHOTOS)
    ]
    ready, failed = wait_ready([photo.pk for photo in photos])
    photo = Photo.objects.filter(pet=pet).first()
    thumb = photo.renditions.get(name="thumb")
    cookie = session_cookie(user)
    edge_url, edge_cookie = edge_request(thumb.key, pet, cookie)
    print(
        json.dumps(
            {
                "cookie": cookie,
                "gallery": f"/pets/{pet.pk}/",
                "api": f"/api/photos/{photo.pk}",
                "edge": edge_url,
                "edge_cookie": edge_cookie,
                "file": thumb.key,
                "ready": ready,
                "failed": failed,
            }
        )
    )


def edge_request(key: str, pet: Pet, cookie: str) -> tuple[str, str]:
    """The path and the Cookie header of a browser's request for ``key`` at the edge, with
    the credentials ``EDGE_CREDENTIALS`` names: ``cookies`` (the default), CloudFront's signed
    cookies of the pet (what pages set), or ``url``, a signed query string (what the API hands
    out)."""
    signer = get_signer()
    how = os.environ.get("EDGE_CREDENTIALS", "cookies")
    origin = f"http://127.0.0.1:{os.environ['WEB_PORT']}"  # the host wrk names
    if how == "url":
        return signer.url(key, origin=origin), cookie
    if how == "cookies":
        grant = signer.pet_grant(pet.pk, origin=origin)
        signed = "; ".join(f"{name}={value}" for name, value in grant.cookies.items())
        return signer.object_url(key), f"{cookie}; {signed}"
    raise SystemExit(f"EDGE_CREDENTIALS={how!r}: url or cookies")


def uploads(base: str, count: int) -> None:
    """``count`` uploads at once, each ticket → POST → complete; then wait until processed."""
    owner = user_create(username=f"uploader{time.time_ns()}", email="", password=None)
    pet = pet_create(owner=owner, name="Burst")
    cookie = session_cookie(owner)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(lambda n: _upload(base, cookie, pet, n), range(count)))
    uploaded = time.monotonic() - started
    errors = [result for result in results if isinstance(result, Refused)]
    ready, failed = wait_ready([r for r in results if not isinstance(r, Refused)])
    total = time.monotonic() - started
    print(
        f"{count} uploads at once: all sent in {uploaded:.1f} s, processed in {total:.1f} s; "
        f"ready {ready}, failed {failed}, HTTP errors {len(errors)}"
    )
    for error in errors[:5]:
        print("  error:", error.reason)
    if errors or failed or ready != count:
        raise SystemExit(1)


def _upload(base: str, cookie: str, pet: Pet, n: int):
    session = requests.Session()
    page = session.get(f"{base}/pets/{pet.pk}/upload/", headers={"Cookie": cookie}, timeout=60)
    # Production cookies are Secure: requests would not send them back over plain HTTP on
    # the loopback, so the session and CSRF cookies go in an explicit header.
    token = page.cookies.get("csrftoken", "")
    headers = {"Cookie": f"{cookie}; csrftoken={token}", "X-CSRFToken": token}
    data = demo_photo(seed=1000 + n)
    ticket = session.post(
        f"{base}/api/pets/{pet.pk}/uploads",
        json={"filename": f"burst-{n}.jpg", "content_type": "image/jpeg", "size": len(data)},
        headers=headers,
        timeout=60,
    )
    if ticket.status_code != 201:
        return Refused(f"ticket {ticket.status_code}: {ticket.text[:200]}")
    body = ticket.json()
    stored = requests.post(
        body["upload"]["url"],
        data=body["upload"]["fields"],
        files={"file": (f"burst-{n}.jpg", data, "image/jpeg")},
        timeout=60,
    )
    if stored.status_code not in (200, 201, 204):
        return Refused(f"upload {stored.status_code}: {stored.text[:200]}")
    done = session.post(f"{base}/api/photos/{body['photo']}/complete", headers=headers, timeout=60)
    if done.status_code != 202:
        return Refused(f"complete {done.status_code}: {done.text[:200]}")
    return body["photo"]


# --- The report --------------------------------------------------------------------------

_LATENCY = re.compile(r"^\s*(50|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Run:
    """One wrk run's figures."""

    rps: float
    p50: float  # ms
    p90: float
    p99: float
    bad: int  # non-2xx/3xx answers and socket errors

    @classmethod
    def parse(cls, text: str) -> Run:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        latency = {q: float(v) * _UNIT_MS[unit] for q, v, unit in _LATENCY.findall(text)}
        bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", text)) + sum(
            int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text)
        )
        return cls(rps, latency["50"], latency["90"], latency["99"], bad)


def report(folder: str, ratios: list[str]) -> None:
    """The median of each target's rounds, then each ratio ``A/B:TARGET`` (target A's req/s
    over target B's, at least TARGET) with its verdict. Exits 1 when a ratio is missed.

    A ratio's value is the median of its rounds' ratios: each round measures A and B back to
    back, so a round's ratio is taken on the same machine at the same moment, whatever else the
    machine was doing then (on a shared machine both swing by a third between rounds). The ratio
    of the two medians is shown beside it."""
    root = Path(folder)
    names = root.joinpath("names").read_text().splitlines()
    medians, rounds = [], []
    print(
        f"{'target':<40}{'rounds':>7}{'req/s':>9}{'(min-max)':>16}"
        f"{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    for index, name in enumerate(names):
        paths = sorted(root.glob(f"{index}.*"), key=lambda path: int(path.suffix[1:]))
        runs = [Run.parse(path.read_text()) for path in paths]
        rps = [run.rps for run in runs]
        rounds.append(rps)
        median = statistics.median(rps)
        medians.append(median)
        spread = f"({min(rps):.0f}-{max(rps):.0f})"
        print(
            f"{name:<40}{len(runs):>7}{median:>9.0f}{spread:>16}"
            f"{statistics.median(r.p50 for r in runs):>9.2f}"
            f"{statistics.median(r.p90 for r in runs):>9.2f}"
            f"{statistics.median(r.p99 for r in runs):>9.2f}{sum(r.bad for r in runs):>8}"
        )
    print(
        f"\n{'ratio (median of the rounds; its range; ratio of the medians)':<64}"
        f"{'value':>8}{'target':>9}  verdict"
    )
    missed = 0
    for ratio in ratios:
        pair, target = ratio.split(":")
        measured, ceiling = (int(i) for i in pair.split("/"))
        each = [a / b for a, b in zip(rounds[measured], rounds[ceiling], strict=True)]
        value = statistics.median(each)
        passed = value >= float(target)
        missed += not passed
        print(
            f"{names[measured] + ' / ' + names[ceiling]:<64}{value:>7.0%}"
            f"{'>= ' + format(float(target), '.0%'):>10}  {'pass' if passed else 'FAIL'}"
        )
        of_medians = medians[measured] / medians[ceiling]
        spread = f"rounds {min(each):.0%}-{max(each):.0%}"
        print(f"    {spread}; ratio of the medians {of_medians:.0%}")
    if missed:
        raise SystemExit(1)


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup()
    elif sys.argv[1] == "uploads":
        uploads(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit(
            "usage: load_helper.py setup | uploads BASE_URL COUNT | report FOLDER A/B:TARGET..."
        )
