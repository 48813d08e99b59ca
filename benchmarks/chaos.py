"""Chaos: N uploads through the real product while its parts are killed under them.

    .venv/bin/python benchmarks/chaos.py [--uploads 100] [--seed 1] [--duration 60] [--keep]

Sets up a throwaway product in a temporary folder (SQLite, files under its media/, its own
redis-server on a free port; DEBUG=false), then starts gunicorn (3 workers), a Celery worker
(concurrency 2) and Celery beat, with the sweeps' periods shortened (``SHORT_PERIODS``) so that
a run takes a few minutes. Each upload is what a browser does, over HTTP: log in (once per
client thread), ask a ticket, POST the file to the ticket's URL, complete; a step is tried again
on a dropped connection or a 5xx (the web is restarted under it) and those retries are counted.
The uploads of a phase are spread evenly over ``--duration`` seconds.

Two phases, one after the other, in the same environment:

- calm (the baseline): N uploads, nothing injected;
- chaos: N more uploads while a thread injects, at seeded random times, each kind ``--rounds``
  times: SIGKILL of the worker's processes (the main one and the pool's children), then a new
  worker; redis-server killed and started again (empty: it keeps nothing on disk); FLUSHALL on
  the running redis; the web killed (gunicorn's master and workers) and started again. The
  faults on the worker and redis wait a few seconds for photos in processing, to hit work.

A part that exits on its own is started again a second later, as a process manager would in
production, and the exit is reported (``--no-supervise`` leaves it down).

Then it waits (at most ``--settle`` seconds) until every sent photo is ready or failed, gives
beat's sweeps time (at most ``--sweep-wait`` seconds) and reads the SQLite database and the
media folder: sent, ready, failed (with reasons), lost (sent, but neither ready nor failed at
the end, or without a row), stuck rows (processing, or pending though completed), orphan files
(under originals/ and renditions/, referenced by no Photo.original_key or Rendition.key and not
waiting for a deletion scheduled later), empty folders, missing files (referenced, absent),
time to the last ready, and the timeline. The bar: 0 lost, 0 orphans, 0 stuck (exit status 1
otherwise). Abandoned tickets (pending rows the client never completed, e.g. a ticket whose
answer was lost in a web restart) are listed but not counted: beat expires them.

Every process it starts carries a marker in its environment, and all of them are stopped at the
end, also on Ctrl-C or an error; the temporary folder goes too, unless ``--keep``.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import io
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable

# Shortened so a run ends in minutes; names not read by settings.py are reported at the start.
SHORT_PERIODS = {
    "PHOTO_STUCK_AFTER_SECONDS": "20",
    "PHOTO_REQUEUE_EVERY_SECONDS": "5",
    "PHOTO_RESEND_EVERY_SECONDS": "2",
    "PHOTO_RETRY_EVERY_SECONDS": "5",
    "OBJECT_DELETE_EVERY_SECONDS": "5",
    "TASK_RETRY_BACKOFF_SECONDS": "1",
}
FAULT_KINDS = ("worker-kill", "redis-restart", "redis-flushall", "web-restart")
WEB_WORKERS = 3
PHOTO_SIZE = (3000, 2000)  # about 0.4 s of a worker's time each
PICTURES = 8  # different pictures; every upload is one of them with a comment of its own
MAX_TRIES = 30  # per step; with the backoff below, about a minute of outage
RETRY_STATUSES = {500, 502, 503, 504}
TIMEOUT = (5, 60)
EPOCH = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - EPOCH:7.1f}s] {message}", flush=True)


# --- Processes ---------------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    tree: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree[ppid].append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = children_of(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Proc:
    """One long-running part of the product, started in a session of its own."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path):
        self.name, self.argv, self.env, self.logs = name, argv, env, logs
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.logs / f"{self.name}.log"

    def start(self) -> Proc:
        self.starts += 1
        with self.log_path.open("ab") as out:
            out.write(f"\n===== start {self.starts} at {time.ctime()} =====\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def tree(self) -> list[int]:
        return [self.pid, *descendants(self.pid)] if self.process else []

    def kill(self) -> list[int]:
        """SIGKILL the main process and every descendant; their pids."""
        pids = self.tree()
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pids

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def wait_log(self, text: str, since: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.log_path.open("rb") as stream:
                stream.seek(since)
                if text.encode() in stream.read():
                    return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False


def redis_command(port: int, *words: str) -> str:
    """One RESP command on a fresh connection; the first line of the answer."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with closing(socket.create_connection(("127.0.0.1", port), timeout=5)) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).split(b"\r\n", 1)[0].decode()


def our_processes(marker: str) -> list[int]:
    """Pids of every live process whose environment carries this run's marker."""
    found = []
    needle = f"PETTRACKER_CHAOS_RUN={marker}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class Product:
    """redis-server, gunicorn, a Celery worker and beat over one temporary folder."""

    def __init__(self, work: Path, extra_env: dict[str, str]):
        self.work, self.logs = work, work / "logs"
        self.logs.mkdir(parents=True)
        self.redis_port, self.web_port = free_port(), free_port()
        self.marker = uuid.uuid4().hex
        self.lock = threading.RLock()  # one fault or restart at a time
        self.events: list[Event] = []
        self.clock = ("set-up", time.monotonic())  # the phase under way and its start
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
        env.update(
            {
                "PETTRACKER_CHAOS_RUN": self.marker,
                "PYTHONUNBUFFERED": "1",
                "VAR_DIR": str(work),
                "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "METRICS_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "false",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "SIGNING_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "UPLOAD_TICKETS_PER_MINUTE": "100000",
                "LOG_LEVEL": "INFO",
                **SHORT_PERIODS,
                **extra_env,
            }
        )
        for name in ("AWS_STORAGE_BUCKET_NAME", "PROXIES", "ORIGIN_SECRET", "CDN_BASE_URL"):
            env.pop(name, None)
        self.env = env
        redis = shutil.which("redis-server")
        if not redis:
            raise SystemExit("redis-server is not installed (scripts/run installs it)")
        self.redis = Proc(
            "redis",
            [
                *(redis, "--port", str(self.redis_port), "--bind", "127.0.0.1"),
                *("--dir", str(work), "--save", "", "--appendonly", "no", "--loglevel", "warning"),
            ],
            env,
            self.logs,
        )
        self.web = Proc(
            "web",
            [
                *(str(BIN / "gunicorn"), "pettracker.wsgi", "-w", str(WEB_WORKERS)),
                *("-b", f"127.0.0.1:{self.web_port}", "--timeout", "60", "--graceful-timeout", "5"),
            ],
            env,
            self.logs,
        )
        celery = [str(BIN / "celery"), "-A", "pettracker"]
        self.worker = Proc(
            "worker",
            [*celery, "worker", "--concurrency", "2", "--loglevel", "INFO"],
            env,
            self.logs,
        )
        self.beat = Proc("beat", [*celery, "beat", "--loglevel", "INFO"], env, self.logs)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def parts(self) -> list[Proc]:
        return [self.redis, self.web, self.worker, self.beat]

    def record(self, kind: str, detail: str, started: float) -> None:
        phase, start = self.clock
        took = time.monotonic() - started
        self.events.append(Event(phase, started - start, kind, detail, took))

    def restart(self, proc: Proc) -> str:
        """Start ``proc`` again and wait until it serves; how that went."""
        if proc is self.redis:
            self.start_redis()
        elif proc is self.web:
            self.start_web()
        else:
            since = proc.log_size()
            proc.start()
            if proc is self.worker and not proc.wait_log(" ready.", since, 60):
                return f"new {proc.name} {proc.pid} NOT READY after 60s"
        return f"new {proc.name} {proc.pid}"

    @property
    def media(self) -> Path:
        return self.work / "media"

    @property
    def database(self) -> Path:
        return self.work / "db.sqlite3"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def setup(self) -> dict:
        self.start_redis()
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.manage("rotate_signing_key", "--if-due")
        password = secrets.token_urlsafe(16)
        code = (
            "import json\n"
            "from accounts.services import user_create\n"
            "from images.services.pets import pet_create\n"
            f"user = user_create(username='chaos', email='', password={password!r})\n"
            "pets = {name: str(pet_create(owner=user, name=name.title()).pk)"
            " for name in ('calm', 'chaos')}\n"
            "print('CHAOS-SETUP ' + json.dumps(pets))\n"
        )
        out = self.manage("shell", "-c", code)
        line = next(x for x in out.splitlines() if x.startswith("CHAOS-SETUP "))
        self.worker.start()
        self.beat.start()
        self.start_web()
        if not self.worker.wait_log(" ready.", 0, 60):
            raise SystemExit(f"the worker did not start; see {self.worker.log_path}")
        return {
            "username": "chaos",
            "password": password,
            "pets": json.loads(line.split(" ", 1)[1]),
        }

    def start_redis(self) -> None:
        self.redis.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with suppress(OSError):
                if redis_command(self.redis_port, "PING") == "+PONG":
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def start_web(self, timeout: float = 90) -> None:
        self.web.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with suppress(requests.RequestException):
                requests.get(f"{self.base}/healthz", timeout=5)  # any answer: it serves
                return
            if self.web.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.web.log_path}")
            time.sleep(0.1)
        raise RuntimeError("the web did not answer")

    def stop_all(self) -> None:
        for proc in (self.web, self.beat, self.worker, self.redis):
            if proc.process and proc.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while our_processes(self.marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in our_processes(self.marker):  # also pool children a killed main left behind
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in (self.web, self.beat, self.worker, self.redis):
            if proc.process:
                with suppress(subprocess.TimeoutExpired):
                    proc.process.wait(timeout=5)


# --- Faults ------------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str
    at: float  # seconds from the start of the phase
    down: float  # seconds the part stays down


@dataclass
class Event:
    phase: str
    at: float  # seconds from the start of the phase
    kind: str
    detail: str
    took: float


def fault_plan(rng: random.Random, rounds: int, duration: float) -> list[Fault]:
    """Each kind ``rounds`` times, in a seeded order at seeded times spread over the
    uploads (they run one after the other: one that comes due while another is under way
    waits for it)."""
    kinds = [kind for kind in FAULT_KINDS for _ in range(rounds)]
    rng.shuffle(kinds)
    times = sorted(rng.uniform(0.03, 0.85) * duration for _ in kinds)
    return [Fault(kind, at, rng.uniform(0.5, 3.0)) for kind, at in zip(kinds, times, strict=True)]


def busy(database: Path, pet: str) -> int:
    """Photos of ``pet`` in processing now (queued or running)."""
    with closing(sqlite3.connect(database, timeout=30)) as db:
        query = "SELECT count(*) FROM images_photo WHERE state = 'processing' AND pet_id = ?"
        return db.execute(query, (hex_id(pet),)).fetchone()[0]


def inject(product: Product, fault: Fault) -> str:
    """Do one fault and bring the part back; what was done."""
    if fault.kind == "redis-flushall":
        queued = redis_command(product.redis_port, "LLEN", "celery").lstrip(":")
        answer = redis_command(product.redis_port, "FLUSHALL")
        return f"FLUSHALL ({queued} messages queued): {answer}"
    proc = {"worker-kill": product.worker, "redis-restart": product.redis}.get(fault.kind)
    proc = proc or product.web
    queued = ""
    if proc is product.redis:
        queued = f" ({redis_command(product.redis_port, 'LLEN', 'celery').lstrip(':')} queued)"
    pids = proc.kill() if proc.process.poll() is None else []
    time.sleep(fault.down)
    started = product.restart(proc)
    return (
        f"SIGKILL {proc.name} pids {','.join(map(str, pids)) or '(none: it was down)'}"
        f"{queued}; down {fault.down:.1f}s; {started}"
    )


class Chaos(threading.Thread):
    """Injects the plan's faults into the product while ``phase`` runs. The faults on the
    worker and redis wait (at most ``AIM_SECONDS``) for photos in processing, so that they
    hit work under way."""

    AIM_SECONDS = 5.0

    def __init__(self, product: Product, plan: list[Fault], phase: Phase, stop: threading.Event):
        super().__init__(daemon=True, name="chaos")
        self.product, self.plan, self.phase, self.stop = product, plan, phase, stop
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for fault in self.plan:
                due = self.phase.started_mono + fault.at
                if self.stop.wait(max(0.0, due - time.monotonic())):
                    return
                processing = busy(self.product.database, self.phase.pet)
                if fault.kind != "web-restart":
                    aim_until = time.monotonic() + self.AIM_SECONDS
                    while not processing and time.monotonic() < aim_until:
                        if self.stop.wait(0.1):
                            return
                        processing = busy(self.product.database, self.phase.pet)
                with self.product.lock:
                    started = time.monotonic()
                    where = f"{len(self.phase.sent)} sent, {processing} processing"
                    log(f"fault: {fault.kind} ({where})")
                    detail = inject(self.product, fault)
                    self.product.record(fault.kind, f"[{where}] {detail}", started)
        except BaseException as exc:  # reported by the main thread
            self.error = exc


class Supervisor(threading.Thread):
    """What a process manager does in production (systemd's Restart=, a container's restart
    policy): a part that exits on its own is started again after ``DELAY`` (unless not
    ``restart``), and the exit is recorded with the last critical line of its log."""

    DELAY = 1.0

    def __init__(self, product: Product, stop: threading.Event, restart: bool):
        super().__init__(daemon=True, name="supervisor")
        self.product, self.stop, self.restart = product, stop, restart
        self.seen: set[int] = set()  # pids of exits already recorded
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.wait(0.5):
                with self.product.lock:
                    if self.stop.is_set():
                        return
                    for proc in self.product.parts:
                        exited = proc.process and proc.process.poll() is not None
                        if exited and proc.pid not in self.seen:
                            self.revive(proc)
        except BaseException as exc:  # reported by the main thread
            self.error = exc

    def revive(self, proc: Proc) -> None:
        started = time.monotonic()
        code = proc.process.returncode
        why = last_critical(proc.log_path)
        log(f"{proc.name} exited on its own (exit status {code}): {why}")
        self.seen.add(proc.pid)
        detail = "left down (--no-supervise)"
        if self.restart:
            time.sleep(self.DELAY)
            detail = f"restarted: {self.product.restart(proc)}"
        self.product.record(f"{proc.name} exited", f"exit status {code}: {why}; {detail}", started)


def last_critical(path: Path) -> str:
    """Why a part stopped, from its log (JSON lines) since it last started: the last CRITICAL
    message, else the last ERROR one, shortened."""
    found = {}
    with suppress(OSError):
        text = path.read_text(errors="replace")
        for line in text[text.rfind("===== start") :].splitlines():
            for level in ("CRITICAL", "ERROR"):
                if f'"level": "{level}"' in line:
                    with suppress(ValueError):
                        found[level] = json.loads(line)["message"].splitlines()[0][:160]
    return found.get("CRITICAL") or found.get("ERROR") or "no error logged"


# --- Uploads -----------------------------------------------------------------------------


class GaveUp(Exception):
    pass


class Refused(Exception):
    pass


@dataclass
class Phase:
    name: str
    pet: str
    count: int
    started_mono: float = 0.0
    started_at: datetime.datetime | None = None
    duration: float = 0.0
    uploads_took: float = 0.0
    sent: list[str] = field(default_factory=list)
    sent_at: dict[str, datetime.datetime] = field(default_factory=dict)
    tickets: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    retries: collections.Counter = field(default_factory=collections.Counter)
    uploads_done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def due(self, n: int) -> float:
        """When upload ``n`` may start: the uploads are spread evenly over ``duration``."""
        return self.started_mono + n * self.duration / self.count


def _retry_reason(exc_or_status) -> str:
    if isinstance(exc_or_status, int):
        return str(exc_or_status)
    return type(exc_or_status).__name__


class Browser:
    """A logged-in session calling the API as the upload page's script does. Cookies are
    Secure (DEBUG=false), so they go in an explicit header over plain HTTP on the loopback."""

    def __init__(self, base: str, username: str, password: str, phase: Phase, stop):
        self.base, self.username, self.password = base, username, password
        self.phase, self.stop = phase, stop
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _keep_cookies(self, response: requests.Response) -> None:
        self.cookies.update({c.name: c.value for c in response.cookies})

    def _try(self, step: str, send) -> requests.Response:
        """``send()`` until it answers something other than a dropped connection or a 5xx."""
        for attempt in range(MAX_TRIES):
            if self.stop.is_set():
                raise GaveUp(f"{step}: stopped")
            try:
                response = send()
            except requests.RequestException as exc:
                problem = exc
            else:
                if response.status_code == 429:
                    with self.phase.lock:
                        self.phase.retries[step, "429"] += 1
                    time.sleep(float(response.headers.get("Retry-After", "1")))
                    continue
                if response.status_code not in RETRY_STATUSES:
                    return response
                problem = response.status_code
            with self.phase.lock:
                self.phase.retries[step, _retry_reason(problem)] += 1
            time.sleep(min(2.0, 0.2 * 2**attempt))
        raise GaveUp(f"{step}: {MAX_TRIES} tries, last {_retry_reason(problem)}")

    def log_in(self) -> None:
        self.cookies = {}
        url = f"{self.base}/accounts/login/"
        page = self._try("log in", lambda: self.http.get(url, timeout=TIMEOUT))
        self._keep_cookies(page)

        def post():
            data = {
                "username": self.username,
                "password": self.password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            }
            headers = {"Cookie": self._cookie_header()}
            return self.http.post(
                url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
            )

        answer = self._try("log in", post)
        self._keep_cookies(answer)
        if answer.status_code != 302 or "sessionid" not in self.cookies:
            raise Refused(f"log in answered {answer.status_code}: {answer.text[:200]}")

    def api(self, step: str, path: str, **kwargs) -> requests.Response:
        def send():
            headers = {
                "Cookie": self._cookie_header(),
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            }
            return self.http.post(f"{self.base}{path}", headers=headers, timeout=TIMEOUT, **kwargs)

        response = self._try(step, send)
        if response.status_code == 401 or (response.status_code == 403 and "CSRF" in response.text):
            with self.phase.lock:
                self.phase.retries[step, f"{response.status_code} (log in again)"] += 1
            self.log_in()
            response = self._try(step, send)
        return response

    def upload(self, n: int, data: bytes) -> None:
        name = f"{self.phase.name}-{n}.jpg"
        ticket = self.api(
            "ticket",
            f"/api/pets/{self.phase.pet}/uploads",
            json={"filename": name, "content_type": "image/jpeg", "size": len(data)},
        )
        if ticket.status_code != 201:
            raise Refused(f"ticket {ticket.status_code}: {ticket.text[:200]}")
        body = ticket.json()
        photo = body["photo"]
        with self.phase.lock:
            self.phase.tickets.append(photo)
        url, fields = body["upload"]["url"], body["upload"]["fields"]
        stored = self._try(
            "file",
            lambda: self.http.post(
                url, data=fields, files={"file": (name, data, "image/jpeg")}, timeout=TIMEOUT
            ),
        )
        if stored.status_code not in (200, 201, 204):
            raise Refused(f"file {stored.status_code} for {photo}: {stored.text[:200]}")
        done = self.api("complete", f"/api/photos/{photo}/complete")
        if not 200 <= done.status_code < 300:
            raise Refused(f"complete {done.status_code} for {photo}: {done.text[:200]}")
        with self.phase.lock:
            self.phase.sent.append(photo)
            self.phase.sent_at[photo] = datetime.datetime.now(datetime.UTC)


def run_uploads(product, account, phase: Phase, photos, clients: int, stop) -> None:
    counter = itertools.count()
    counter_lock = threading.Lock()

    def client() -> None:
        browser = Browser(product.base, account["username"], account["password"], phase, stop)
        try:
            browser.log_in()
        except (GaveUp, Refused) as exc:
            with phase.lock:
                phase.gave_up.append(f"log in: {exc}")
            return
        while not stop.is_set():
            with counter_lock:
                n = next(counter)
            if n >= phase.count:
                return
            if stop.wait(max(0.0, phase.due(n) - time.monotonic())):
                return
            try:
                browser.upload(n, unique(photos[n % len(photos)], f"{phase.name} {n}"))
            except GaveUp as exc:
                with phase.lock:
                    phase.gave_up.append(f"upload {n}: {exc}")
            except Refused as exc:
                with phase.lock:
                    phase.refused.append(f"upload {n}: {exc}")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)
    phase.uploads_took = time.monotonic() - phase.started_mono
    phase.uploads_done.set()


def make_photo(seed: int) -> bytes:
    """A valid JPEG (a gradient, a tint and a few shapes), different for each seed."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    tint = tuple(rng.randrange(256) for _ in range(3))
    image = Image.blend(image, Image.new("RGB", PHOTO_SIZE, tint), 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(PHOTO_SIZE[0]), rng.randrange(PHOTO_SIZE[1])
        r = rng.randrange(20, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in "rgb"))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def unique(jpeg: bytes, label: str) -> bytes:
    """The same picture with a comment (COM segment) of its own: its own bytes and hash."""
    text = f"pettracker chaos: {label}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


# --- What the database and the folder say ------------------------------------------------


def hex_id(photo_id: str) -> str:
    return uuid.UUID(photo_id).hex  # Django keeps UUIDs as 32 hex digits in SQLite


def parse_time(value) -> datetime.datetime | None:
    if not value:
        return None
    parsed = datetime.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class State:
    """One reading of the database: photos, renditions, deletions waiting."""

    def __init__(self, database: Path):
        with closing(sqlite3.connect(database, timeout=30)) as db:
            db.row_factory = sqlite3.Row
            self.photos = {row["id"]: dict(row) for row in db.execute("SELECT * FROM images_photo")}
            self.renditions = {
                row["key"]: row["photo_id"]
                for row in db.execute('SELECT "key", photo_id FROM images_rendition')
            }
            self.deletions = [
                dict(row) for row in db.execute("SELECT * FROM images_pendingobjectdeletion")
            ]
        self.at = datetime.datetime.now(datetime.UTC)

    @staticmethod
    def final(row: dict | None) -> bool:
        """Ready, or failed (for good, or with a retry scheduled hours ahead)."""
        return row is not None and row["state"] in ("ready", "failed")

    def referenced(self) -> set[str]:
        return {p["original_key"] for p in self.photos.values()} | set(self.renditions)

    def deletion_for(self, key: str) -> dict | None:
        for row in self.deletions:
            if row["key"] == key or (row["key"].endswith("/") and key.startswith(row["key"])):
                return row
        return None

    def scheduled_later(self, row: dict | None) -> bool:
        """A deletion waiting for its time (e.g. an upload ticket still valid): not an orphan."""
        if row is None or row.get("set_aside_at"):
            return False
        not_before = parse_time(row.get("not_before"))
        return bool(not_before and not_before > self.at)

    def due_deletions(self) -> int:
        return sum(1 for row in self.deletions if not row.get("set_aside_at")) - sum(
            1 for row in self.deletions if self.scheduled_later(row)
        )


def stored_files(media: Path) -> list[str]:
    found = []
    for top in ("originals", "renditions"):
        for directory, _dirs, files in os.walk(media / top):
            found += [Path(directory, name).relative_to(media).as_posix() for name in files]
    return found


def empty_folders(media: Path) -> list[str]:
    empty = []
    for top in ("originals", "renditions"):
        has_files: dict[str, bool] = {}
        for directory, dirs, files in os.walk(media / top, topdown=False):
            full = bool(files) or any(has_files.get(os.path.join(directory, d)) for d in dirs)
            has_files[directory] = full
            if not full and Path(directory) != media / top:
                empty.append(Path(directory).relative_to(media).as_posix())
    return empty


def photo_of_key(key: str) -> str | None:
    """The photo id (hex) in an original's or a rendition's key."""
    parts = key.split("/")
    candidate = parts[-1].split(".")[0] if parts[0] == "originals" else None
    if parts[0] == "renditions" and len(parts) >= 3:
        candidate = parts[2]
    try:
        return uuid.UUID(candidate).hex if candidate else None
    except ValueError:
        return None


def describe(row: dict | None) -> str:
    if row is None:
        return "no row"
    text = f"{row['state']}, attempts {row.get('attempts')}, updated {row.get('updated_at')}"
    for name in ("error", "retry_at", "unqueued_since", "transient_failures"):
        if row.get(name):
            text += f", {name} {row[name]!r}"
    return text


@dataclass
class Findings:
    lost: dict[str, list[tuple[str, str]]]
    stuck: list[tuple[str, str]]
    abandoned: list[tuple[str, str]]
    orphans: list[tuple[str, str]]
    waiting_deletion: list[str]
    missing: list[tuple[str, str]]
    empty: list[str]


def examine(state: State, phases: list[Phase], media: Path) -> Findings:
    sent = {hex_id(p) for phase in phases for p in phase.sent}
    lost = {
        phase.name: [(p, describe(state.photos.get(hex_id(p)))) for p in phase.sent]
        for phase in phases
    }
    lost = {
        name: [(p, d) for p, d in rows if not State.final(state.photos.get(hex_id(p)))]
        for name, rows in lost.items()
    }
    stuck, abandoned = [], []
    for photo_id, row in state.photos.items():
        if State.final(row):
            continue
        if row["state"] == "pending" and photo_id not in sent:
            abandoned.append((str(uuid.UUID(photo_id)), describe(row)))
        else:
            stuck.append((str(uuid.UUID(photo_id)), describe(row)))
    referenced = state.referenced()
    orphans, waiting = [], []
    for key in stored_files(media):
        if key in referenced:
            continue
        deletion = state.deletion_for(key)
        if state.scheduled_later(deletion):
            waiting.append(key)
            continue
        owner = photo_of_key(key)
        note = f"photo {describe(state.photos.get(owner)) if owner else '?'}"
        if deletion:
            note += (
                f"; queued for deletion ({deletion.get('attempts', 0)} attempts"
                f"{', set aside' if deletion.get('set_aside_at') else ''}"
                f"{', ' + deletion['last_error'] if deletion.get('last_error') else ''})"
            )
        orphans.append((key, note))
    missing = []
    for photo_id, row in state.photos.items():
        if row["state"] == "ready" and not (media / row["original_key"]).exists():
            missing.append((row["original_key"], f"original of ready photo {photo_id}"))
    for key, photo_id in state.renditions.items():
        if not (media / key).exists():
            missing.append((key, f"rendition of photo {photo_id}"))
    return Findings(lost, stuck, abandoned, orphans, waiting, missing, empty_folders(media))


# --- Waiting -----------------------------------------------------------------------------


def settle(product: Product, phase: Phase, timeout: float) -> State:
    """Until every sent photo of ``phase`` is ready or failed for good (or ``timeout``)."""
    deadline = time.monotonic() + timeout
    shown = 0.0
    while True:
        state = State(product.database)
        rows = [state.photos.get(hex_id(p)) for p in phase.sent]
        waiting = sum(1 for row in rows if not State.final(row))
        if not waiting or time.monotonic() > deadline:
            return state
        if time.monotonic() - shown > 10:
            states = collections.Counter(row["state"] if row else "no row" for row in rows)
            log(f"{phase.name}: waiting for {waiting} photos ({dict(states)})")
            shown = time.monotonic()
        time.sleep(1)


def quiet(product: Product, phases: list[Phase], timeout: float) -> State:
    """Give beat's sweeps time: until nothing is processing or due for deletion and no file
    is unreferenced (or ``timeout``)."""
    deadline = time.monotonic() + timeout
    shown = time.monotonic()
    while True:
        state = State(product.database)
        found = examine(state, phases, product.media)
        due = state.due_deletions()
        if (not found.stuck and not due and not found.orphans) or time.monotonic() > deadline:
            return state
        if time.monotonic() - shown > 10:
            log(
                f"sweeps: {len(found.stuck)} stuck, {due} deletions due, "
                f"{len(found.orphans)} unreferenced files"
            )
            shown = time.monotonic()
        time.sleep(1)


# --- Report ------------------------------------------------------------------------------


def phase_figures(state: State, phase: Phase, found: Findings) -> dict[str, str]:
    rows = [state.photos.get(hex_id(p)) for p in phase.sent]
    ready = [row for row in rows if row and row["state"] == "ready"]
    failed = [row for row in rows if row and row["state"] == "failed"]
    last = max((parse_time(row["processed_at"]) for row in ready), default=None)
    mine = {str(uuid.UUID(hex_id(p))) for p in [*phase.sent, *phase.tickets]}
    since_start = (last - phase.started_at).total_seconds() if last else 0.0
    return {
        "uploads asked": str(phase.count),
        "sent (complete answered 2xx)": str(len(phase.sent)),
        "refused (4xx) / gave up": f"{len(phase.refused)} / {len(phase.gave_up)}",
        "client retries": str(sum(phase.retries.values())),
        "ready": str(len(ready)),
        "failed": str(len(failed)),
        "  … with a retry scheduled": str(sum(1 for row in failed if row.get("retry_at"))),
        "lost": str(len(found.lost[phase.name])),
        "stuck rows (of its photos)": str(sum(1 for p, _ in found.stuck if p in mine)),
        "all sent after (s)": f"{phase.uploads_took:.1f}",
        "last ready after (s)": f"{since_start:.1f}" if last else "-",
        "  … after all were sent (s)": (f"{since_start - phase.uploads_took:.1f}" if last else "-"),
        "complete → ready p50 / max (s)": latencies(state, phase),
    }


def latencies(state: State, phase: Phase) -> str:
    """Seconds from the completion's answer to ready, over the phase's ready photos."""
    waits = sorted(
        (parse_time(row["processed_at"]) - phase.sent_at[photo]).total_seconds()
        for photo in phase.sent
        if (row := state.photos.get(hex_id(photo))) and row["state"] == "ready"
    )
    return f"{statistics.median(waits):.1f} / {waits[-1]:.1f}" if waits else "-"


def report(state: State, phases: list[Phase], found: Findings, events: list[Event]) -> bool:
    exits = [event for event in events if event.kind.endswith(" exited")]
    figures = [phase_figures(state, phase, found) for phase in phases]
    names = [phase.name for phase in phases]
    print()
    print(f"{'':<32}" + "".join(f"{name:>12}" for name in names))
    for label in figures[0]:
        print(f"{label:<32}" + "".join(f"{f[label]:>12}" for f in figures))
    print()
    print(f"{'stuck rows (all)':<32}{len(found.stuck):>12}")
    print(f"{'orphan files':<32}{len(found.orphans):>12}")
    print(f"{'files awaiting a later deletion':<32}{len(found.waiting_deletion):>12}")
    print(f"{'missing files (referenced)':<32}{len(found.missing):>12}")
    print(f"{'empty folders left':<32}{len(found.empty):>12}")
    print(f"{'abandoned tickets (pending)':<32}{len(found.abandoned):>12}")
    print(f"{'parts that exited on their own':<32}{len(exits):>12}")

    for phase in phases:
        rows = [state.photos.get(hex_id(p)) for p in phase.sent]
        reasons = collections.Counter(
            row["error"] for row in rows if row and row["state"] == "failed"
        )
        if reasons:
            print(f"\n{phase.name}: failed photos by reason")
            for reason, count in reasons.most_common():
                print(f"  {count:>4}  {reason}")
        if phase.retries:
            print(f"\n{phase.name}: client retries by step and cause")
            for (step, cause), count in sorted(phase.retries.items()):
                print(f"  {count:>4}  {step}: {cause}")
        for label, items in (("refused", phase.refused), ("gave up", phase.gave_up)):
            for item in items[:20]:
                print(f"  {label}: {item}")
    if events:
        print("\ntimeline: faults, and parts that exited on their own (s from the phase's start)")
        for event in events:
            print(
                f"  {event.phase:<6}{event.at:7.1f}  {event.kind:<15} took {event.took:5.1f}s  "
                f"{event.detail}"
            )
    for title, items in (
        ("lost photos", [item for rows in found.lost.values() for item in rows]),
        ("stuck rows", found.stuck),
        ("orphan files", found.orphans),
        ("missing files", found.missing),
        ("abandoned tickets (the client never completed them)", found.abandoned),
    ):
        if items:
            print(f"\n{title}:")
            for key, note in items[:50]:
                print(f"  {key}  ({note})")
            if len(items) > 50:
                print(f"  … and {len(items) - 50} more")
    if found.empty:
        more = " …" if len(found.empty) > 10 else ""
        print(f"\nempty folders: {', '.join(found.empty[:10])}{more}")
    lost = sum(len(rows) for rows in found.lost.values())
    passed = not lost and not found.orphans and not found.stuck
    print(
        f"\n{'PASS' if passed else 'FAIL'}: {lost} lost, {len(found.orphans)} orphan files, "
        f"{len(found.stuck)} stuck rows (the bar: 0, 0, 0)"
    )
    return passed


# --- Main --------------------------------------------------------------------------------


def unread_settings(names) -> list[str]:
    text = (ROOT / "pettracker" / "settings.py").read_text()
    return [name for name in names if f'"{name}"' not in text]


def run_phase(product, account, phase, photos, clients, stop, plan=None) -> None:
    phase.started_mono = time.monotonic()
    phase.started_at = datetime.datetime.now(datetime.UTC)
    product.clock = (phase.name, phase.started_mono)
    chaos = Chaos(product, plan, phase, stop) if plan else None
    if chaos:
        chaos.start()
    run_uploads(product, account, phase, photos, clients, stop)
    log(
        f"{phase.name}: {len(phase.sent)} of {phase.count} sent in {phase.uploads_took:.1f}s "
        f"({sum(phase.retries.values())} client retries)"
    )
    if chaos:
        while chaos.is_alive():
            chaos.join(0.2)
        if chaos.error:
            raise chaos.error


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=100, help="uploads per phase")
    parser.add_argument("--seed", type=int, default=1, help="seeds the faults' plan and photos")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--rounds", type=int, default=2, help="times each fault is injected")
    parser.add_argument(
        "--duration", type=float, default=60, help="seconds the uploads of a phase are spread over"
    )
    parser.add_argument("--no-calm", action="store_true", help="skip the calm baseline phase")
    parser.add_argument("--settle", type=float, default=600, help="max wait for the photos (s)")
    parser.add_argument("--sweep-wait", type=float, default=90, help="max wait for sweeps (s)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="extra settings"
    )
    parser.add_argument(
        "--no-supervise",
        action="store_true",
        help="leave a part that exits on its own down (by default it is started again)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, interrupted)
    work = Path(tempfile.mkdtemp(prefix="pettracker-chaos-"))
    product = None
    try:
        product = Product(work, extra)
        periods = {**SHORT_PERIODS, **extra}
        log(f"folder {work}; settings: {' '.join(f'{k}={v}' for k, v in periods.items())}")
        if unread := unread_settings(periods):
            log(f"note: settings.py does not read {', '.join(unread)}")
        account = product.setup()
        log(
            f"running: redis :{product.redis_port}, gunicorn ({WEB_WORKERS} workers) "
            f":{product.web_port}, worker (concurrency 2), beat"
        )
        rng = random.Random(args.seed)
        plan = fault_plan(rng, args.rounds, args.duration)
        photos = [make_photo(rng.randrange(2**32)) for _ in range(PICTURES)]
        size = sum(map(len, photos)) / len(photos) / 1024
        width, height = PHOTO_SIZE
        log(f"photos of {width}×{height}, ~{size:.0f} KB each")
        supervisor = Supervisor(product, stop, restart=not args.no_supervise)
        supervisor.start()
        phases = []
        for name in ["chaos"] if args.no_calm else ["calm", "chaos"]:
            phase = Phase(name, account["pets"][name], args.uploads, duration=args.duration)
            phases.append(phase)
            log(
                f"{name}: {args.uploads} uploads from {args.clients} clients over "
                f"{args.duration:.0f}s"
            )
            chaos_plan = plan if name == "chaos" else None
            run_phase(product, account, phase, photos, args.clients, stop, chaos_plan)
            settle(product, phase, args.settle)
            log(f"{name}: settled after {time.monotonic() - phase.started_mono:.1f}s")
        log(f"giving beat's sweeps up to {args.sweep_wait:.0f}s")
        state = quiet(product, phases, args.sweep_wait)
        findings = examine(state, phases, product.media)
        print(
            f"\nChaos run: {args.uploads} uploads per phase over {args.duration:.0f}s, seed "
            f"{args.seed}, {args.clients} clients, each fault {args.rounds}×; calm = the same "
            "uploads with no fault"
        )
        passed = report(state, phases, findings, product.events)
        if supervisor.error:
            raise supervisor.error
        if args.keep:
            print(f"\nkept: {work} (logs in {product.logs}, database {product.database})")
        return 0 if passed else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop.set()
        if product:
            with product.lock:  # no fault or restart under way, none after
                product.stop_all()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
