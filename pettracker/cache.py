"""The cache: Django's Redis back end, made harmless when Redis is down or hung.

The cache holds only copies (the sessions, whose rows stay in the database:
``SESSION_ENGINE = cached_db``), so a Redis that does not answer must cost a page nothing but
the queries the cache saves. Django's ``RedisCache`` raises instead, and its ``cached_db``
session store lets some of those errors through (Django 5.2,
``django/contrib/sessions/backends/cached_db.py``): ``load()`` catches an error of the cache's
``get`` but not of the ``set`` that follows a miss, ``exists()`` (asked when a session is
created, at every log-in) and ``delete()`` (at every log-out) catch nothing; only ``save()``
logs and carries on. Every page with a session cookie would answer 500 while Redis is down.

``ForgivingRedisCache`` turns Redis's errors into misses: a read answers "not cached", a write
is skipped, and a warning is logged. Each command waits at most the socket timeouts of
``CACHES`` (a fraction of a second). After a failure the cache stands aside for
``RETRY_AFTER`` seconds (each process finds out on its own): reads miss and writes are skipped
without asking Redis, so a hung Redis costs one timeout per process every few seconds instead
of one or two per request, and the log one line instead of one per request.

Deletions are the exception: always tried, since a copy left behind would keep a deleted
session (a log-out) alive. One that fails all the same is bounded by ``MAX_TIMEOUT``, the
longest any entry lives; so is a copy left stale by a skipped write (as Django's own
``cached_db`` leaves one when its write fails).
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ReusedClients(RedisCacheClient):
    """Django's Redis client, with one redis-py client per connection pool rather than one made
    for every cache call: making one builds its table of ~170 response callbacks, which was a
    tenth of a kept gallery page's time (three cache calls a page; benchmarks/load.sh). A
    redis-py client is safe to share between threads: it takes a connection from the pool for
    each command."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ForgivingRedisCache(RedisCache):
    """``RedisCache`` whose errors are misses (reads) and no-ops (writes), logged.

    ``OPTIONS`` are Django's (passed to redis-py's connection pool), plus ``RETRY_AFTER`` (how
    long the cache stands aside after a failure, in seconds; default 5) and ``MAX_TIMEOUT``
    (the longest any entry lives, in seconds; default: no bound)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        self.max_timeout = options.pop("MAX_TIMEOUT", None)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClients
        self._aside_until = 0.0

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        timeout = super().get_backend_timeout(timeout)
        if self.max_timeout is None:
            return timeout
        return self.max_timeout if timeout is None else min(timeout, self.max_timeout)

    def _answering(self) -> bool:
        """False while the cache stands aside after a failure."""
        return time.monotonic() >= self._aside_until

    def _failed(self, operation: str, error: RedisError) -> None:
        if self._answering():  # one line per failure, not one per request while aside
            logger.warning(
                "cache: Redis did not answer (%s: %s); using the database alone for %g s",
                operation,
                error,
                self.retry_after,
            )
        self._aside_until = time.monotonic() + self.retry_after

    def _try(self, operation: str, call, otherwise, *, always: bool = False):
        if not always and not self._answering():
            return otherwise
        try:
            return call()
        except RedisError as error:
            self._failed(operation, error)
            return otherwise

    # Reads: a failure is a miss.

    def get(self, key, default=None, version=None):
        get = super().get
        return self._try("get", lambda: get(key, default, version), default)

    def get_many(self, keys, version=None):
        get_many = super().get_many
        return self._try("get_many", lambda: get_many(keys, version), {})

    def has_key(self, key, version=None):
        has_key = super().has_key
        return self._try("has_key", lambda: has_key(key, version), False)

    # Writes: a failure is skipped.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        add = super().add
        return self._try("add", lambda: add(key, value, timeout, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        set_ = super().set
        self._try("set", lambda: set_(key, value, timeout, version), None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        set_many = super().set_many
        # What Django's set_many answers: the keys that were not set.
        return self._try("set_many", lambda: set_many(data, timeout, version), list(data))

    def incr(self, key, delta=1, version=None):
        # Counters (a share link's failed passwords): a failure is skipped, answered as if the
        # count started now. A missing key still raises ValueError, as Django's does.
        incr = super().incr
        return self._try("incr", lambda: incr(key, delta, version), delta)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        touch = super().touch
        return self._try("touch", lambda: touch(key, timeout, version), False)

    # Deletions: always tried (see the module's docstring), a failure skipped.

    def delete(self, key, version=None):
        delete = super().delete
        return self._try("delete", lambda: delete(key, version), False, always=True)

    def delete_many(self, keys, version=None):
        delete_many = super().delete_many
        self._try("delete_many", lambda: delete_many(keys, version), None, always=True)
