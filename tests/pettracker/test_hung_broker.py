"""A broker that accepts connections but never answers (redis stopped with SIGSTOP, a wedged
server) must not hold web requests: each answers within its budget, and the pages that do not
need the broker are served as usual (issue 12, item 6). The socket timeouts that bound them
must not break an idle consumer on a healthy redis either.

Every request runs in a thread joined with a deadline, so a regression fails the test instead
of hanging the suite.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from django.db import connections
from django.test import Client
from kombu import Connection, Consumer, Queue

from images.models import Photo
from pettracker.celery import app
from tests.fixtures.workers import point_celery_at
from tests.images import corpus
from tests.images.helpers import ask_ticket, complete, post_file, settled, upload

# Each test waits out a budget of seconds, or idles past socket timeouts.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COMPLETE_BUDGET = 3.0  # seconds: POST /api/photos/<id>/complete
HEALTHZ_BUDGET = 2.0  # /healthz, as a load balancer's check waits
PAGE_BUDGET = 3.0  # /metrics, the admin dashboard
MARGIN = 3.0  # how much longer a thread is waited for, to report how late it was


class HungBroker:
    """A TCP server that accepts every connection, as the kernel does for a stopped redis,
    reads what is sent and never answers."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                peer, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            peer.settimeout(None)
            self.accepted.append(peer)
            threading.Thread(target=self._discard, args=(peer,), daemon=True).start()

    @staticmethod
    def _discard(peer: socket.socket) -> None:
        try:
            while peer.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        """Stop, and close every connection: a request still waiting is let go."""
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for peer in self.accepted:
            with contextlib.suppress(OSError):
                peer.shutdown(socket.SHUT_RDWR)
            peer.close()


@pytest.fixture
def hung_broker(settings):
    """The Celery app, the health check and the metrics counters pointed at a hung broker."""
    previous = app.conf.broker_url
    server = HungBroker()
    point_celery_at(server.url, settings)
    settings.METRICS_REDIS_URL = server.url
    yield server
    server.close()
    point_celery_at(previous, settings)


def in_thread(call, *, budget: float):
    """``call()`` in a thread, as a web worker serves a request: its result and the seconds it
    took. Fails when it is still running ``MARGIN`` seconds after its budget."""
    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(budget + MARGIN)
    seconds = time.monotonic() - started
    if thread.is_alive():
        pytest.fail(f"no answer after {seconds:.1f} s (budget {budget} s): hung on the broker")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], seconds


def uploaded_photo(client, pet) -> str:
    """A photo whose file is stored, ready to be completed: its id."""
    data = corpus.jpeg()
    ticket = ask_ticket(client, pet, data=data).json()
    assert post_file(client, ticket, data).status_code == 204
    return ticket["photo"]


def test_completing_an_upload_answers_202_within_its_budget(hung_broker, owner, pet):
    client = Client()
    client.force_login(owner)
    photo_id = uploaded_photo(client, pet)

    response, seconds = in_thread(lambda: complete(client, photo_id), budget=COMPLETE_BUDGET)

    assert response.status_code == 202, response.content
    assert seconds <= COMPLETE_BUDGET, f"complete took {seconds:.2f} s"
    # The upload is safe; processing is late (beat sends the task when the broker answers).
    assert Photo.objects.get(pk=photo_id).state == Photo.State.PROCESSING


def test_healthz_answers_503_naming_the_broker_within_2_s(hung_broker, client):
    response, seconds = in_thread(lambda: client.get("/healthz"), budget=HEALTHZ_BUDGET)

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unreachable"}
    assert seconds <= HEALTHZ_BUDGET, f"/healthz took {seconds:.2f} s"


def test_the_metrics_page_answers_with_nan_for_the_broker_figures(hung_broker, admin_client):
    response, seconds = in_thread(lambda: admin_client.get("/metrics"), budget=PAGE_BUDGET)

    assert response.status_code == 200
    text = response.content.decode()
    assert "pettracker_queue_depth NaN" in text
    assert "pettracker_uploads_completed_total NaN" in text  # the counters' redis is hung too
    assert seconds <= PAGE_BUDGET, f"/metrics took {seconds:.2f} s"


def test_the_admin_dashboard_says_the_queue_is_unavailable(hung_broker, admin_client):
    response, seconds = in_thread(lambda: admin_client.get("/admin/dashboard/"), budget=PAGE_BUDGET)

    assert response.status_code == 200
    assert 'data-figure="queue-depth">unavailable' in response.content.decode()
    assert seconds <= PAGE_BUDGET, f"the dashboard took {seconds:.2f} s"


def test_completions_do_not_take_every_web_worker_from_other_pages(hung_broker, owner, pet):
    """Two web workers, both given a completion: the gallery asked for next is served once
    they are free again, within the completions' budget and a second."""
    client = Client()
    client.force_login(owner)
    photo_ids = [uploaded_photo(client, pet) for _ in range(2)]

    def serve(request):
        try:
            return request()
        finally:
            connections.close_all()

    web_workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="web-worker")
    try:
        completions = [
            web_workers.submit(serve, lambda pk=pk: complete(client, pk)) for pk in photo_ids
        ]
        started = time.monotonic()
        gallery = web_workers.submit(serve, lambda: client.get(f"/pets/{pet.pk}/"))
        try:
            page = gallery.result(timeout=COMPLETE_BUDGET + 1 + MARGIN)
        except FutureTimeout:
            pytest.fail("the gallery got no web worker: the completions still hold them all")
        seconds = time.monotonic() - started
        assert page.status_code == 200
        assert seconds <= COMPLETE_BUDGET + 1, f"the gallery waited {seconds:.2f} s"
        assert [c.result(timeout=MARGIN).status_code for c in completions] == [202, 202]
    finally:
        web_workers.shutdown(wait=False, cancel_futures=True)


@pytest.mark.redis
def test_an_idle_consumer_outlives_the_socket_timeout_on_a_healthy_redis(settings, redis_url):
    """A worker waits for work with BRPOP; the socket timeout bounding every other command
    must not make that wait fail when no message comes for a while."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    idle = 3 * options["socket_timeout"]
    queue = Queue(f"idle-{uuid.uuid4().hex}")
    received = []

    def take(body, message):
        received.append(body)
        message.ack()

    with Connection(redis_url, transport_options=options) as connection:
        with Consumer(connection, [queue], callbacks=[take]):
            started = time.monotonic()
            with pytest.raises(socket.timeout):  # "no message in time", not a redis error
                connection.drain_events(timeout=idle)
            assert time.monotonic() - started >= idle - 0.1
            connection.Producer().publish({"after": "idling"}, routing_key=queue.name)
            connection.drain_events(timeout=5)
        queue(connection.default_channel).delete()
    assert received == [{"after": "idling"}]


@pytest.mark.redis
def test_an_idle_worker_still_takes_work_after_several_socket_timeouts(
    celery_worker, settings, owner, pet
):
    """A real worker (prefork, event loop), configured by settings.py as in production."""
    log_start = celery_worker.log_path.stat().st_size
    time.sleep(3 * settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"])  # idle

    assert celery_worker.alive()  # answers a ping: its pub/sub connection is fine
    client = Client()
    client.force_login(owner)
    photo_id = upload(client, pet, corpus.jpeg())
    assert settled([photo_id], timeout=30)[photo_id].state == Photo.State.READY
    log = celery_worker.log_path.read_bytes()[log_start:].decode(errors="replace")
    assert "Connection to broker lost" not in log
    assert "BRPOP got no reply" not in log
