"""The pages at scale: 100,000 photos over 1,000 pets, 10,000 shares, and the activity's
20,000 comments and 20,000 likes of the last 60 days.

Seeds a fresh database (SQLite in a temporary folder, or the PostgreSQL of DATABASE_URL —
its tables are emptied first), then renders the home, shared-with-me and gallery pages (first
and a later page) for random users through Django's full request stack, and reports each
page's SQL queries and server time (p50, p95), beside the same pages over a tiny data set as
the baseline: the number of queries must be the same, and p95 under 50 ms.

Run: ``.venv/bin/python benchmarks/scale.py [--pets 1000 --photos-per-pet 100 --shares 10000]``;
``--explain`` also prints, for each page at scale, its slowest query with the database's plan,
and the plans of the activity's queries (``social.models.activity_of``).
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The SQLite database of 100,000 photos (about 200 MB) and the static files go with the run.
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="pettracker-scale-")
atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)
# As production runs (DEBUG off: templates without debugging information, static files by their
# manifest), with throwaway secrets; DEBUG=true measures the development set-up instead.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
os.environ.setdefault("SIGNING_KEY_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")
os.environ["METRICS_REDIS_URL"] = ""  # measure the pages, not a missing Redis
os.environ["CACHE_URL"] = "locmem://"  # sessions cached in the process, as a warm Redis would
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from cdn.rotation import signing_key_rotate  # noqa: E402
from images.models import Pet, Photo, Rendition, Share  # noqa: E402
from social.models import Comment, Like, activity_of  # noqa: E402

BATCH = 5000
# Photos turned ready over the last 60 days, twice the activity's window; as many comments and
# likes, by people the pet is shared with.
READY_DAYS = 60
COMMENTS = LIKES = 20_000
RENDITIONS = (("thumb", 256, 256), ("medium", 1024, 768), ("large", 2048, 1536))


def seed(*, pets: int, photos_per_pet: int, shares: int, seed_value: int = 7) -> list[User]:
    rng = random.Random(seed_value)
    password = make_password("benchmark-password")
    users = User.objects.bulk_create(
        User(username=f"user{i}", email=f"user{i}@example.com", password=password)
        for i in range(pets)
    )
    pet_rows = Pet.objects.bulk_create(
        Pet(owner=users[i], name=f"Pet {i}", species="dog") for i in range(pets)
    )
    _seed_photos(pet_rows, photos_per_pet)
    pairs = set()
    while len(pairs) < shares:
        pet, grantee = rng.choice(pet_rows), rng.choice(users)
        if grantee.pk != pet.owner_id:
            pairs.add((pet.pk, grantee.pk))
    Share.objects.bulk_create(
        (
            Share(pet_id=pet, grantee_id=grantee, role=rng.choice(["viewer", "contributor"]))
            for pet, grantee in pairs
        ),
        batch_size=BATCH,
    )
    _seed_social(rng, pairs, scale=len(pet_rows) / 1000)
    return users


def _seed_social(rng: random.Random, pairs: set, *, scale: float) -> None:
    """Comments and likes by the people each pet is shared with, on its photos."""
    photos: dict = {}
    for pet_id, photo_id in Photo.objects.values_list("pet_id", "pk"):
        photos.setdefault(pet_id, []).append(photo_id)
    pairs = sorted(pairs)
    now = time.time()

    def when():
        return datetime.datetime.fromtimestamp(
            now - rng.uniform(0, READY_DAYS * 86400), tz=datetime.UTC
        )

    comments, likes = [], {}
    for _ in range(int(COMMENTS * scale)):
        pet, grantee = rng.choice(pairs)
        photo = rng.choice(photos[pet])
        comments.append(
            Comment(photo_id=photo, author_id=grantee, text="Lovely", created_at=when())
        )
    for _ in range(int(LIKES * scale)):
        pet, grantee = rng.choice(pairs)
        photo = rng.choice(photos[pet])
        likes[(photo, grantee)] = Like(photo_id=photo, user_id=grantee, created_at=when())
    Comment.objects.bulk_create(comments, batch_size=BATCH)
    Like.objects.bulk_create(likes.values(), batch_size=BATCH)


def _seed_photos(pets: list[Pet], per_pet: int) -> None:
    photos, renditions = [], []
    rng, now = random.Random(3), time.time()
    for pet in pets:
        for _ in range(per_pet):
            photo_id = uuid.uuid4()
            photos.append(
                Photo(
                    id=photo_id,
                    pet=pet,
                    uploader_id=pet.owner_id,
                    original_key=f"originals/{pet.owner_id}/2026/01/{photo_id}.jpg",
                    content_type="image/jpeg",
                    size=2_000_000,
                    width=4000,
                    height=3000,
                    state=Photo.State.READY,
                    placeholder_color="#808080",
                    processed_at=datetime.datetime.fromtimestamp(
                        now - rng.uniform(0, READY_DAYS * 86400), tz=datetime.UTC
                    ),
                )
            )
            for name, width, height in RENDITIONS:
                key = f"renditions/{pet.pk}/{photo_id}/{name}-{photo_id.hex[:12]}.webp"
                renditions.append(
                    Rendition(
                        photo_id=photo_id, name=name, key=key, width=width, height=height, bytes=1
                    )
                )
        if len(photos) >= BATCH:
            _flush(photos, renditions)
    _flush(photos, renditions)


def _flush(photos: list, renditions: list) -> None:
    with transaction.atomic():
        Photo.objects.bulk_create(photos, batch_size=BATCH)
        Rendition.objects.bulk_create(renditions, batch_size=BATCH)
    photos.clear()
    renditions.clear()


def measure(users: list[User], *, samples: int, rng: random.Random) -> dict[str, dict]:
    """Per page: server times (ms), query counts and the slowest query seen, over ``samples``
    random users."""
    pages: dict[str, dict] = {}
    for user in rng.sample(users, samples):
        client = Client()
        client.force_login(user)
        shared = Share.objects.filter(grantee=user).values_list("pet_id", flat=True).first()
        own = Pet.objects.filter(owner=user).values_list("pk", flat=True).first()
        paths = {
            "home": "/",
            "activity": "/activity/",
            "shared with me": "/shared/",
            "gallery (own), page 1": f"/pets/{own}/",
            "gallery (own), page 3": f"/pets/{own}/?page=3",
        }
        if shared:
            paths["gallery (shared)"] = f"/pets/{shared}/"
        for name, path in paths.items():
            client.get(path)  # warm: caches, the signer's key, the connection
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code)
            entry = pages.setdefault(name, {"ms": [], "queries": set(), "slowest": (0.0, "")})
            entry["ms"].append(elapsed)
            entry["queries"].add(len(queries))
            slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
            entry["slowest"] = max(
                entry["slowest"], (float(slowest["time"]) * 1000, slowest["sql"])
            )
    return pages


def explain(pages: dict[str, dict]) -> None:
    """Each page's slowest query, its time and the database's plan for it."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    for name, entry in pages.items():
        ms, sql = entry["slowest"]
        print(
            f"\n{name}: slowest query {ms:.1f} ms\n  {sql[:600]}{'...' if len(sql) > 600 else ''}"
        )
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("    " + " ".join(str(part) for part in row))


def p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )


def run(pets: int, photos_per_pet: int, shares: int, samples: int) -> dict[str, dict]:
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    users = seed(pets=pets, photos_per_pet=photos_per_pet, shares=shares)
    seeded = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load, at once
    signing_key_rotate()
    print(
        f"  seeded {pets:,} pets, {pets * photos_per_pet:,} photos, "
        f"{pets * photos_per_pet * 3:,} renditions, {shares:,} shares in {seeded:.1f} s"
    )
    return measure(users, samples=min(samples, len(users)), rng=random.Random(11))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pets", type=int, default=1000)
    parser.add_argument("--photos-per-pet", type=int, default=100)
    parser.add_argument("--shares", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=40, help="users whose pages are timed")
    parser.add_argument(
        "--explain", action="store_true", help="print each page's slowest query and its plan"
    )
    options = parser.parse_args()
    possible = options.pets * (options.pets - 1)  # each pet shared once with each other user
    if options.shares > possible:
        parser.error(f"--shares: {options.pets} pets allow at most {possible:,} shares")
    call_command("migrate", verbosity=0)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}, DEBUG {settings.DEBUG}")
    print("baseline (tiny): 10 pets × 30 photos, 20 shares")
    tiny = run(10, 30, 20, 10)
    size = f"{options.pets:,} pets × {options.photos_per_pet} photos"
    print(f"at scale: {size}, {options.shares:,} shares")
    big = run(options.pets, options.photos_per_pet, options.shares, options.samples)
    print(f"\n{'page':<24}{'queries':>9}{'(tiny)':>8}{'p50 ms':>9}{'p95 ms':>9}{'(tiny p95)':>12}")
    verdicts, slow = [], []
    for name, entry in big.items():
        queries = "/".join(str(q) for q in sorted(entry["queries"]))
        tiny_queries = "/".join(str(q) for q in sorted(tiny[name]["queries"]))
        print(
            f"{name:<24}{queries:>9}{tiny_queries:>8}{statistics.median(entry['ms']):>9.1f}"
            f"{p95(entry['ms']):>9.1f}{p95(tiny[name]['ms']):>12.1f}"
        )
        # Empty lists skip a query: what matters is that no page needs more at scale.
        verdicts.append(max(entry["queries"]) <= max(tiny[name]["queries"]))
        verdicts.append(p95(entry["ms"]) < 50)
        if not verdicts[-1]:
            slow.append(name)
    print(
        "\ntargets: constant queries (no more at scale than tiny): "
        f"{'met' if all(verdicts[::2]) else 'MISSED'}; p95 < 50 ms: "
        f"{'met' if not slow else 'MISSED by ' + ', '.join(slow)}"
    )
    if options.explain:
        explain(big)
        explain_activity(User.objects.order_by("?")[:3])


def explain_activity(users) -> None:
    """The plans of the activity's queries, for a few users."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    for user in users:
        with CaptureQueriesContext(connection) as queries:
            events = activity_of(user)
        print(f"\nactivity of {user.username}: {len(events)} events")
        for query in queries.captured_queries:
            print(f"  {float(query['time']) * 1000:.1f} ms: {query['sql'][:300]}...")
            with connection.cursor() as cursor:
                cursor.execute(prefix + query["sql"])
                for row in cursor.fetchall():
                    print("    " + " ".join(str(part) for part in row))


if __name__ == "__main__":
    main()
