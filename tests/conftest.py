"""Fixtures shared by the whole suite: named actors, isolated storage, a real redis-server."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import PetFactory, ShareFactory, UserFactory

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Cheap password hashing, a private media folder per test, and a signer that reads the
    active key afresh (it caches it, or its absence, for a while)."""
    from cdn.signer import forget_active_key

    forget_active_key()
    settings.METRICS_REDIS_URL = (
        ""  # counted only where a test asks (tests/pettracker/test_metrics.py)
    )
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "images.storage.PhotoFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "allow_overwrite": True},
        },
    }


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real redis-server on a free port, for the whole session."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; scripts/test installs it")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listened on port {port} within {timeout} s")


# --- AWS, as moto's server mode ----------------------------------------------------------

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's server (S3, CloudFront) on a free port, spoken to over HTTP like AWS."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


# --- CDN signing keys ----------------------------------------------------------------------


@functools.cache
def private_key_pem(algorithm: str = "rsa-2048-sha1", index: int = 0) -> bytes:
    """A private key in PEM, made once per session (RSA generation takes a while)."""
    from cdn import keypairs

    return keypairs.private_pem(keypairs.generate_private_key(algorithm))


@pytest.fixture
def make_signing_key(db):
    """A stored signing key in any state, its private key encrypted as the services store it."""
    from django.utils import timezone

    from cdn import keypairs
    from cdn.encryption import encrypt_private_key
    from cdn.models import SigningKey
    from cdn.signing import load_private_key

    counter = iter(range(1000))

    def make(state="active", algorithm="rsa-2048-sha1", **fields) -> SigningKey:
        index = next(counter)
        pem = private_key_pem(algorithm, index)
        now = timezone.now()
        defaults = {
            "public_key_id": f"KTEST{index:09d}" if state != "created" else None,
            "published_at": now if state != "created" else None,
            "activated_at": now if state in ("active", "retiring", "retired") else None,
        }
        return SigningKey.objects.create(
            algorithm=algorithm,
            state=state,
            public_key_pem=keypairs.public_pem(load_private_key(pem)),
            encrypted_private_key=encrypt_private_key(pem),
            **{**defaults, **fields},
        )

    return make


@pytest.fixture
def signing_key(make_signing_key):
    """The active key that signs CDN URLs."""
    from cdn.signer import forget_active_key

    forget_active_key()
    key = make_signing_key()
    yield key
    forget_active_key()


# --- Named actors -------------------------------------------------------------------------


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def friend(db):
    return UserFactory(username="friend")


@pytest.fixture
def contributor(db):
    return UserFactory(username="contributor")


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger")


@pytest.fixture
def pet(owner, friend, contributor):
    """The owner's pet, shared with the friend as viewer and the contributor as contributor."""
    pet = PetFactory(owner=owner, name="Biscuit")
    ShareFactory(pet=pet, grantee=friend, role="viewer")
    ShareFactory(pet=pet, grantee=contributor, role="contributor")
    return pet


@pytest.fixture
def eager_celery():
    """Run queued tasks inline: for unit tests of one step only (the worker tests use a real
    worker on a real redis-server)."""
    from pettracker.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


# --- A real Celery worker -----------------------------------------------------------------


@pytest.fixture(scope="session")
def test_var_dir(tmp_path_factory) -> Path:
    """VAR_DIR shared with processes the tests start (workers): media and the database."""
    return tmp_path_factory.mktemp("var")


def using_sqlite() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, test_var_dir):
    """With SQLite, a test database in a file, so that a worker process can share it."""
    from django.conf import settings

    if using_sqlite():
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
            test_var_dir / "test.sqlite3"
        )


def database_url_for_workers() -> str:
    """The URL of the test database, for processes the tests start (workers)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if using_sqlite():
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture(scope="session")
def broker(redis_url):
    """Point this process's Celery app at the test redis-server."""
    from django.conf import settings

    from pettracker.celery import app

    settings.CELERY_BROKER_URL = redis_url
    app.conf.broker_url = redis_url
    app._pool = None  # drop any connection pool made for another broker
    app.amqp._producer_pool = None
    return app


class WorkerProcess:
    """``celery worker`` in a subprocess, with this test session's database and media."""

    def __init__(self, app, env: dict[str, str], log_path: Path):
        self.app, self.env, self.log_path = app, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pettracker",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--without-mingle",
            "--without-gossip",
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=log, cwd=ROOT, start_new_session=True
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited early; see {self.log_path}")
            if self.app.control.ping(timeout=0.5):
                return
        pytest.fail(f"the worker did not answer a ping in {timeout} s; see {self.log_path}")

    def alive(self) -> bool:
        return self.process.poll() is None and bool(self.app.control.ping(timeout=1.0))

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool children."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def worker_env(broker, redis_url, test_var_dir, settings) -> dict[str, str]:
    """Environment for worker processes; this test's own storage uses the same media folder."""
    media = test_var_dir / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "images.storage.PhotoFileSystemStorage",
            "OPTIONS": {"location": str(media), "allow_overwrite": True},
        },
    }
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pettracker.settings",
        "DATABASE_URL": database_url_for_workers(),
        "CELERY_BROKER_URL": redis_url,
        "VAR_DIR": str(test_var_dir),
        # This process's secrets: the worker's VAR_DIR would otherwise make its own.
        "SECRET_KEY": settings.SECRET_KEY,
        "SIGNING_KEY_ENCRYPTION_KEYS": ",".join(settings.SIGNING_KEY_ENCRYPTION_KEYS),
        "PHOTO_MAX_ATTEMPTS": "5",
    }


@pytest.fixture
def celery_worker(broker, worker_env, test_var_dir, transactional_db):
    """A real worker for this test; its log is kept in the session's var folder."""
    worker = WorkerProcess(broker, worker_env, test_var_dir / "worker.log").start()
    yield worker
    worker.stop()
    broker.control.purge()
