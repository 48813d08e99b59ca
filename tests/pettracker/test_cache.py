"""Sessions cached in Redis (``cached_db``, ``pettracker.cache.ForgivingRedisCache``): a warm
session costs no query, and a Redis that is down or hung costs pages nothing but that query.
The rest of the suite keeps the cache in memory (tests/fixtures/isolation.py)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from images.services.downloads import download_slot_take
from images.services.sharing import share_link_create
from pettracker.settings import _cache, _cache_url
from tests.factories import PASSWORD, PetFactory
from tests.fixtures.redis import RedisServer
from tests.fixtures.workers import another_database

pytestmark = pytest.mark.django_db

PAGE = "/accounts/password/change/"  # a page for logged-in users only (else a redirect)
CACHE_DATABASE = 3  # of the session's redis-server: not the broker's (0), nor own workers' (1)


def session_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def copies(client: redis.Redis) -> list[bytes]:
    return client.keys("pettracker:*django.contrib.sessions.cached_db*")


@pytest.fixture
def redis_sessions(settings, redis_url):
    """The production cache (pettracker.settings._cache) on the session's redis-server."""
    url = another_database(redis_url, CACHE_DATABASE)
    settings.CACHES = {"default": _cache(url)}
    client = redis.Redis.from_url(url)
    yield client
    client.flushdb()


@pytest.fixture
def own_redis(tmp_path, settings):
    """The production cache on a redis-server of the test's own, to stop."""
    server = RedisServer(tmp_path).start()
    settings.CACHES = {"default": _cache(server.url)}
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def hung_redis(settings):
    """The production cache on a server that accepts connections and never answers; yields
    the connections it accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    settings.CACHES = {"default": _cache(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")}
    yield accepted
    listener.close()
    for conn in accepted:
        conn.close()


def test_a_warm_session_is_read_from_redis_without_a_query(client, owner, redis_sessions):
    client.force_login(owner)
    assert client.get(PAGE).status_code == 200
    assert len(copies(redis_sessions)) == 1
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    assert session_queries(queries) == []


def test_a_session_outlives_a_flushed_redis(client, owner, redis_sessions):
    client.force_login(owner)
    client.get(PAGE)
    redis_sessions.flushdb()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200  # read from the database
    assert len(session_queries(queries)) == 1
    assert len(copies(redis_sessions)) == 1  # and cached again


def test_no_copy_lives_longer_than_ten_minutes(client, owner, redis_sessions):
    client.force_login(owner)  # a session of two weeks
    (copy,) = copies(redis_sessions)
    assert 0 < redis_sessions.ttl(copy) <= 600


@pytest.mark.slow  # a redis-server of its own
def test_with_redis_down_pages_log_in_and_log_out_carry_on(client, owner, own_redis, caplog):
    client.force_login(owner)
    client.get(PAGE)
    own_redis.stop()
    assert client.get(PAGE).status_code == 200  # the session from the database
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get(PAGE).status_code == 302  # logged out
    logged_in = client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})
    assert logged_in.status_code == 302
    assert client.get(PAGE).status_code == 200
    assert "Redis did not answer" in caplog.text


@pytest.mark.slow  # a redis-server of its own
def test_a_log_out_deletes_the_copy_even_while_the_cache_stands_aside(client, owner, own_redis):
    client.force_login(owner)
    client.get(PAGE)
    cache, store = caches["default"], redis.Redis.from_url(own_redis.url)
    assert len(copies(store)) == 1
    cache._failed("get", RedisConnectionError("a blip"))  # as after a failed read
    assert cache.get("anything") is None  # standing aside: Redis is not asked
    client.post("/accounts/logout/")
    assert copies(store) == []


def test_a_hung_redis_costs_one_timeout_then_nothing(client, owner, hung_redis):
    client.force_login(owner)
    started = time.monotonic()
    assert client.get(PAGE).status_code == 200
    assert time.monotonic() - started < 2  # 0.25 s socket timeouts, not a hang
    tried = len(hung_redis)
    assert tried >= 1
    assert client.get(PAGE).status_code == 200
    assert len(hung_redis) == tried  # standing aside: no new connection


@pytest.mark.parametrize(
    ("broker", "cache"),
    [
        ("redis://127.0.0.1:6390/0", "redis://127.0.0.1:6390/1"),
        ("rediss://:secret@broker.internal:6379/0", "rediss://:secret@broker.internal:6379/1"),
        ("redis://broker.internal:6379", "redis://broker.internal:6379/1"),
        (
            "redis://broker.internal:6379/4?ssl_cert_reqs=none",
            "redis://broker.internal:6379/5?ssl_cert_reqs=none",
        ),
    ],
)
def test_the_cache_is_the_brokers_redis_in_the_next_database(broker, cache):
    assert _cache_url(broker) == cache


def test_a_cache_url_that_is_no_redis_is_refused():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be set"):
        _cache_url("amqp://broker.internal//")
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be a redis"):
        _cache("memcached://cache.internal:11211")
    assert _cache("locmem://")["BACKEND"].endswith("LocMemCache")


@pytest.mark.slow  # a redis-server of its own
def test_with_redis_down_a_wrong_link_password_is_still_refused_not_an_error(
    client, owner, own_redis
):
    """A share link's failed passwords are counted in the cache (add, then INCR): with Redis
    down the count is lost, but the holder still gets the password page's answer."""
    _, token = share_link_create(
        pet=PetFactory(owner=owner), created_by=owner, lifetime=None, password="right one"
    )
    own_redis.stop()
    for _ in range(2):  # the first fails at Redis, the second finds the cache standing aside
        assert client.post(f"/s/{token}/", {"password": "wrong one"}).status_code == 403


def test_failed_link_passwords_are_counted_in_the_shared_redis(client, owner, redis_sessions):
    """The throttle holds across processes: its count lives in Redis, not in a worker."""
    _, token = share_link_create(
        pet=PetFactory(owner=owner), created_by=owner, lifetime=None, password="right one"
    )
    statuses = [client.post(f"/s/{token}/", {"password": "wrong"}).status_code for _ in range(5)]
    assert statuses == [403] * 4 + [429]
    keys = redis_sessions.keys("pettracker:*share-link-password*")
    assert len(keys) == 2  # the guesser's count, and the link's from everywhere
    assert all(0 < redis_sessions.ttl(key) <= 600 for key in keys)


def test_downloads_under_way_are_counted_in_the_shared_redis_for_ten_minutes_at_most(
    redis_sessions,
):
    slots = [download_slot_take(holder="user:7") for _ in range(3)]
    assert download_slot_take(holder="user:7") is None
    (key,) = redis_sessions.keys("pettracker:*downloads-under-way*")
    assert 0 < redis_sessions.ttl(key) <= 600
    slots[0]()
    assert download_slot_take(holder="user:7") is not None


def test_each_connection_pool_has_one_client_reused_by_every_call():
    from pettracker.cache import ForgivingRedisCache

    cache = ForgivingRedisCache("redis://127.0.0.1:1/1", {})
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client("a key") is client
