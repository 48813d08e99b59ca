"""Structured logs: one JSON object a line, and one line per request and per task, with ids.

Request lines carry the path without its query string: signed URLs must not end up in logs.
Secrets in paths (a share link's token, a password reset's) are redacted in every log line,
ours and Django's alike (``RedactSecretPaths`` on the handler).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import uuid

from celery.signals import task_failure, task_postrun, task_prerun
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import ResolverMatch
from django.utils.functional import LazyObject, empty

REQUEST_ID_HEADER = "X-Request-ID"
request_logger = logging.getLogger("pettracker.request")
task_logger = logging.getLogger("pettracker.task")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Extra fields never written: Django attaches the request (or the socket) itself, whose text
# holds the full path, secrets and all; the request line carries what is needed of it.
_UNLOGGED = _STANDARD | {"request", "server_time", "paths_redacted"}


# URL parameters that are secrets: a share link's token, a password reset's user and token.
SECRET_URL_PARAMETERS = frozenset({"token", "uidb64"})
REDACTED = "[redacted]"
_SECRET_PARAMETER = re.compile(rf"<(?:\w+:)?(?:{'|'.join(SECRET_URL_PARAMETERS)})>")
# A path within a log message: after a space, a quote or the start, up to a space or quote.
_PATH_IN_TEXT = re.compile(r"(?<![\w.:/])/[^\s\"'?#]*")


def redact_path(path: str, match: ResolverMatch | None = None) -> str:
    """``path`` with the values of its secret URL parameters replaced by ``[redacted]``; a
    path that resolves nowhere but starts like a route with a secret (``/s/<token>`` without
    its slash) keeps only that start."""
    if match is None:
        try:
            match = resolve(path)
        except Exception:  # Resolver404, or a URLconf that cannot load: logging goes on
            return _redact_by_prefix(path)
    for name, value in match.kwargs.items():
        if name in SECRET_URL_PARAMETERS and str(value):
            path = path.replace(f"/{value}/", f"/{REDACTED}/")
    return path


def _redact_by_prefix(path: str) -> str:
    try:
        prefixes = _secret_route_prefixes()
    except Exception:  # a URLconf that cannot load: logging goes on
        return path
    for prefix in prefixes:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + REDACTED
    return path


@functools.cache
def _secret_route_prefixes() -> tuple[str, ...]:
    """The literal starts of the routes whose parameters include a secret
    (``/s/``, ``/accounts/password/reset/``), longest first."""
    found = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                secret = _SECRET_PARAMETER.search(route)
                if secret:
                    found.add("/" + route[: secret.start()])

    walk(get_resolver().url_patterns, "")
    return tuple(sorted(found, key=len, reverse=True))


def redact_paths_in(text: str) -> str:
    """``text`` with every path in it redacted (Django's "Not Found: /s/<token>/", the
    development server's request lines)."""
    return _PATH_IN_TEXT.sub(lambda found: redact_path(found.group()), text)


class RedactSecretPaths(logging.Filter):
    """On the handler, so that it sees every record, whichever logger made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "paths_redacted", False):
            return True  # the request line: made from a redacted path, nothing to resolve again
        message = record.getMessage()
        redacted = redact_paths_in(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if isinstance(getattr(record, "path", None), str):
            record.path = redact_path(record.path)
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", ...extra fields}``, one object a line (UTC)."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _UNLOGGED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _request_id(request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    # A proxy's id is kept when it looks like one; anything else is replaced.
    if 8 <= len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex


def loaded_user_id(request) -> int | None:
    """The id of the request's user if something already loaded it (a page, the log-in view),
    else ``None``: loading it here would cost every request the session's and the user's
    queries, even those that never look at the user (the edge, ``/healthz``).

    ``AuthenticationMiddleware`` sets ``request.user`` to a lazy object that loads the user
    (and the session) on first use, and keeps it as ``request._cached_user``; ``login()`` and
    ``logout()`` replace ``request.user`` with the user itself."""
    attributes = vars(request)
    user = attributes.get("user")
    if isinstance(user, LazyObject):
        # Read without evaluating: ``_wrapped`` is ``empty`` until something used the user.
        user = user._wrapped if user._wrapped is not empty else None
    if user is None:
        user = attributes.get("_cached_user") or attributes.get("_acached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class RequestLogMiddleware:
    """One log line per request (method, path, status, duration, user, request id), and the
    id echoed in the response's ``X-Request-ID``. The user is named only when the request
    loaded it anyway (``loaded_user_id``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = _request_id(request)
        started = time.perf_counter()
        response = self.get_response(request)
        path = redact_path(request.path, getattr(request, "resolver_match", None))
        request_logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "paths_redacted": True,
                "request_id": request.id,
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": loaded_user_id(request),
            },
        )
        response[REQUEST_ID_HEADER] = request.id
        return response


_task_started: dict[str, float] = {}


@task_prerun.connect
def _task_started_at(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _log_task(task_id=None, task=None, args=None, state=None, retval=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    task_logger.info(
        "%s %s",
        task.name if task else "?",
        state,
        extra={
            "task_id": task_id,
            "task": task.name if task else None,
            "task_args": list(args or ()),
            "state": state,
            "result": retval if isinstance(retval, str | int | dict | type(None)) else str(retval),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )


@task_failure.connect
def _log_task_failure(task_id=None, sender=None, exception=None, **kwargs) -> None:
    task_logger.error(
        "%s failed: %s",
        sender.name if sender else "?",
        exception,
        extra={"task_id": task_id, "task": sender.name if sender else None},
    )
