import json
import logging

import pytest

from pettracker.logs import JsonFormatter

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


def test_each_task_is_one_line_with_its_id_and_state(caplog, eager_celery):
    from images.tasks import requeue_stuck_photos

    caplog.set_level(logging.INFO, logger="pettracker.task")
    result = requeue_stuck_photos.apply()
    (line,) = [r for r in caplog.records if r.name == "pettracker.task"]
    assert line.task == "images.tasks.requeue_stuck_photos"
    assert line.task_id == result.id
    assert line.state == "SUCCESS"
