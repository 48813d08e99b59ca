import datetime
import io
import json
import logging

import pytest

from images.models import ShareLink
from images.services.sharing import share_link_create
from images.tasks import requeue_stuck_photos
from pettracker.logs import JsonFormatter
from tests.factories import PASSWORD, PetFactory

pytestmark = pytest.mark.django_db


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "pettracker.request"]


def test_a_log_record_is_one_json_object_with_its_extra_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    record.request_id = "abc123"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "hello there"
    assert entry["request_id"] == "abc123"
    assert entry["level"] == "INFO"
    assert "\n" not in line


def test_each_request_is_one_line_with_its_id_and_no_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger="pettracker.request")
    response = client.get("/cdn/renditions/x/y.webp?Signature=secret&Key-Pair-Id=K")
    (line,) = request_lines(caplog)
    assert line.path == "/cdn/renditions/x/y.webp"
    assert "secret" not in line.getMessage()
    assert line.status == response.status_code
    assert line.request_id == response["X-Request-ID"]
    assert line.duration_ms >= 0


def test_a_proxys_request_id_is_kept_and_nonsense_replaced(client, caplog):
    assert (
        client.get("/", headers={"X-Request-ID": "req-0123456789"})["X-Request-ID"]
        == "req-0123456789"
    )
    replaced = client.get("/", headers={"X-Request-ID": "<script>"})["X-Request-ID"]
    assert len(replaced) == 32


def test_the_logged_in_user_is_named_by_id(client, owner, caplog):
    caplog.set_level(logging.INFO, logger="pettracker.request")
    client.force_login(owner)
    client.get("/pets/")
    assert request_lines(caplog)[-1].user_id == owner.pk


def test_a_request_that_needs_no_user_loads_neither_the_session_nor_the_user(
    client, owner, caplog, django_assert_num_queries
):
    caplog.set_level(logging.INFO, logger="pettracker.request")
    client.force_login(owner)
    with django_assert_num_queries(0):
        response = client.get("/cdn/renditions/not-a-key!")  # the edge refuses it unread
    assert response.status_code == 404
    request = response.wsgi_request
    assert not request.session.accessed
    assert "_cached_user" not in vars(request)
    assert request_lines(caplog)[-1].user_id is None


def test_a_user_logging_in_is_named_on_the_log_in_line(client, owner, caplog):
    caplog.set_level(logging.INFO, logger="pettracker.request")
    response = client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert request_lines(caplog)[-1].user_id == owner.pk


def test_each_task_is_one_line_with_its_id_and_state(caplog, eager_celery):
    caplog.set_level(logging.INFO, logger="pettracker.task")
    result = requeue_stuck_photos.apply()
    (line,) = [r for r in caplog.records if r.name == "pettracker.task"]
    assert line.task == "images.tasks.requeue_stuck_photos"
    assert line.task_id == result.id
    assert line.state == "SUCCESS"


# --- Secrets in paths never reach a log line -----------------------------------------------


@pytest.fixture
def console():
    """What the configured console handler writes, as text."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def link_token(owner):
    _, token = share_link_create(
        pet=PetFactory(owner=owner), created_by=owner, lifetime=datetime.timedelta(days=1)
    )
    return token


def test_a_share_links_token_is_not_logged_when_it_opens(client, console, link_token, signing_key):
    assert client.get(f"/s/{link_token}/").status_code == 200
    assert link_token not in console.getvalue()
    assert "/s/[redacted]/" in console.getvalue()


def test_a_share_links_token_is_not_logged_when_refused(client, console, link_token):
    ShareLink.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get(f"/s/{link_token}/").status_code == 410  # Django logs "Gone: ..."
    assert client.get(f"/s/{link_token}x/").status_code == 404
    assert link_token not in console.getvalue()


def test_a_password_reset_token_is_not_logged(client, console):
    client.get("/accounts/password/reset/MQ/cgx1b2-0123456789abcdef0123456789abcdef/")
    assert "0123456789abcdef0123456789abcdef" not in console.getvalue()


def test_the_development_servers_request_line_is_redacted(console):
    logging.getLogger("django.server").warning(
        '"%s" %s %s', "GET /s/c2VjcmV0LXRva2VuLXZhbHVl/ HTTP/1.1", "404", "179"
    )
    assert "c2VjcmV0LXRva2VuLXZhbHVl" not in console.getvalue()
    assert '"GET /s/[redacted]/ HTTP/1.1" 404 179' in console.getvalue()


def test_paths_without_secrets_are_logged_as_they_are(client, console):
    client.get("/pets/")
    assert "GET /pets/ 302" in console.getvalue()


def test_a_urlconf_that_cannot_load_does_not_stop_logging(console, monkeypatch):
    def broken(path):
        raise ImportError("a view module failed to import")

    monkeypatch.setattr("pettracker.logs.resolve", broken)
    logging.getLogger("django.request").warning("Not Found: %s", "/s/some-token/")
    assert "Not Found: /s/" in console.getvalue()
    assert "some-token" not in console.getvalue()


def test_a_token_in_a_path_that_resolves_nowhere_is_redacted(client, console, link_token):
    client.get(f"/s/{link_token}")  # no trailing slash: a redirect
    client.get(f"/s/{link_token}/more")
    client.get("/accounts/password/reset/MQ/0123456789abcdef0123456789abcdef/more")
    assert link_token not in console.getvalue()
    assert "0123456789abcdef0123456789abcdef" not in console.getvalue()


def test_json_lines_carry_no_request_object(client, link_token, signing_key):
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream, formatter = io.StringIO(), handler.formatter
    previous = handler.setStream(stream)
    handler.setFormatter(JsonFormatter())
    try:
        # 405 (POST is the password form now): Django's logger attaches the request
        client.put(f"/s/{link_token}/")
    finally:
        handler.setStream(previous)
        handler.setFormatter(formatter)
    assert "Method Not Allowed" in stream.getvalue()
    assert link_token not in stream.getvalue()
