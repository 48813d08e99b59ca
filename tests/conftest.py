"""Fixtures shared by the whole suite: named actors, isolated storage, a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.factories import PetFactory, ShareFactory, UserFactory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Cheap password hashing, and a private media folder per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
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
    _wait_for_port(port)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listened on port {port} within {timeout} s")


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
