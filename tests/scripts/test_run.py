"""scripts/run, the README's first command: the whole product on its embedded defaults."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.redis import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_demo_log_ins_are_printed_last_once_everything_is_up(tmp_path):
    """Listening on every address (as to try it from a phone), the hardest case: it is asked
    whether it is up on loopback, and the demo accounts get new passwords."""
    env = {
        **os.environ,
        "HOST": "0.0.0.0",  # noqa: S104 -- what the README suggests for a phone on the LAN
        "VAR_DIR": str(tmp_path),
        "PORT": str(free_port()),
        "REDIS_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("DATABASE_URL", None)
    run = subprocess.Popen(
        ["bash", "scripts/run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.strip().startswith("sam "):  # the last log-in line
                break
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=60)
    text = "\n".join(lines)
    assert "Log in as:" in text, text
    log_ins = next(i for i, line in enumerate(lines) if "Log in as:" in line)
    running = next(i for i, line in enumerate(lines) if "PetTracker is running at" in line)
    ready = next(i for i, line in enumerate(lines) if line.rstrip().endswith("ready."))
    assert ready < running < log_ins  # the worker's banner and "ready." come before
    assert "Still starting" not in text
