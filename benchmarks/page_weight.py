"""Page weight (issue 14, delivery): what a gallery costs a browser, before and after.

    .venv/bin/python benchmarks/page_weight.py [--baseline ee448ad] [--photos 24] [--window 60]

Both trees in one run: the baseline commit, checked out in a temporary ``git worktree`` outside
the repository, and the working tree as it is, each run with this checkout's .venv. Each gets a
throwaway product in a temporary folder (its own VAR_DIR, SQLite database, redis-server on a free
port, ``DEBUG=false``, generated SECRET_KEY and SIGNING_KEY_ENCRYPTION_KEYS,
``CDN_SIGNING_WINDOW_SECONDS=--window``, a signing key from ``manage.py rotate_signing_key``,
gunicorn with 2 workers serving the pages and the local edge, /cdn/). A user gets a pet with
``--photos`` photos and a pet with one (same-length names), imported by that tree's
``photo_import`` and processed inline (Celery's eager mode, in that tree's code: no worker).
The photos are the same for both trees (from run to run they vary a little: Pillow's noise
is not seeded): 3000×2000 JPEGs of gradients under noise at several
scales, whose renditions weigh what a phone photo's do (about 350 KB large, 95 KB medium,
35 KB square, 9 KB thumb).

Debian's Chromium (driven by Playwright, nothing downloaded) logs in through the form and
measures, for each tree:

1. the gallery's HTML over HTTP as a browser asks for it (``Accept-Encoding: gzip, deflate, br,
   zstd``, the browser's session cookie): body bytes as sent and decoded (median of 5), and the
   decoded bytes per photo, (N-photo page - 1-photo page) / (N - 1);
2. image bytes of the gallery in a fresh browser context at 1280×900 @1×, 390×844 @3× (and
   @2×): the page scrolled to its end so lazy images load, then the body bytes of every answer
   of the edge (/cdn/) in gunicorn's access log (``%(B)s``: what was sent over the wire);
3. bytes downloaded again on a revisit: the 1280×900 context's first visit, then, once two
   signing windows have passed, the gallery again in the same context, scrolled to its end; the
   edge's answers in the access log are what came over the network (the browser's cache
   answers without reaching the server). Both trees wait at the same time.

The access log is read from an offset taken before each visit; nothing else visits a product
meanwhile. Every image must have loaded (a refusal by the edge stops the run). Exit status 1
when something failed to run, never for a missed target. Processes, the worktree and the
temporary folder are removed at the end, also on an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import gzip
import http.client
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the tests' own browser)

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
GIT = shutil.which("git") or "git"
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chromium sends
PHOTO_SIZE = (3000, 2000)
USERNAME = "weigher"
GALLERY_PET, SINGLE_PET = "Pebble", "Pepper"  # same length: the pages differ by their tiles
ACCESS_LOG_FORMAT = '%(s)s %(B)s %(m)s "%(U)s"'
HTML_FETCHES = 5
SCREENS = {
    "1280×900 @1×": {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1},
    "390×844 @3×": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
    "390×844 @2×": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
REVISIT_SCREEN = "1280×900 @1×"

# Run by the tree's Python in the tree's folder (its code first on sys.path): a user, the two
# pets and their photos, processed inline by the tree's own task (Celery's eager mode).
SEED = r"""
import json, os, pathlib, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")
import django
django.setup()
import pettracker
from pettracker.celery import app
app.conf.task_always_eager = True
app.conf.task_eager_propagates = True
from accounts.services import user_create
from images.models import Photo
from images.services.pets import pet_create
from images.services.uploads import photo_import
spec = json.loads(sys.argv[1])
user = user_create(username=spec["username"], email="weigher@example.com",
                   password=spec["password"])
out = {"module": pettracker.__file__}
for label, name, paths in (("gallery", spec["gallery_name"], spec["gallery"]),
                           ("single", spec["single_name"], spec["single"])):
    pet = pet_create(owner=user, name=name)
    for path in paths:
        photo_import(pet=pet, uploader=user, content=pathlib.Path(path).read_bytes(),
                     content_type="image/jpeg")
    states = list(Photo.objects.filter(pet=pet).values_list("state", flat=True))
    out[label] = {"pet": str(pet.pk), "ready": states.count("ready"), "photos": len(states)}
print("PAGE_WEIGHT_SEEDED " + json.dumps(out))
"""


class Failed(Exception):
    """A step of the benchmark did not run as it must."""


# --- Processes and folders ------------------------------------------------------------------


class Processes:
    """Every process this script starts, each in its own session (Ctrl-C in the terminal
    reaches this script only), stopped by its id at the end; none starts once that began."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._closed = False

    def start(self, args: list[str], *, log: Path, **options) -> subprocess.Popen:
        with self._lock, log.open("ab") as out:
            if self._closed:
                raise Failed("stopping: no new process")
            process = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **options,
            )
            self._started.append(process)
        return process

    def run(self, args: list[str], *, log: Path, timeout: float, **options) -> tuple[int, str]:
        """Run a step to its end; returns its exit status and what it printed."""
        offset = log.stat().st_size if log.exists() else 0
        process = self.start(args, log=log, **options)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._stop([process])
            raise Failed(f"{' '.join(args[:3])} took over {timeout} s") from None
        with self._lock:
            if process in self._started:
                self._started.remove(process)
        with log.open("rb") as out:
            out.seek(offset)
            return process.returncode, out.read().decode(errors="replace")

    def stop_all(self) -> None:
        with self._lock:
            self._closed = True
            started, self._started = self._started, []
        self._stop(started)

    @staticmethod
    def _stop(processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)  # its group: gunicorn's workers
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"{process.args[0]} exited ({process.returncode}):\n{tail(log)}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise Failed(f"nothing listened on port {port} within {timeout} s:\n{tail(log)}")


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def git(*args: str) -> str:
    done = subprocess.run(
        [GIT, "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise Failed(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


# --- Photos ---------------------------------------------------------------------------------


def make_photo(seed: int) -> bytes:
    """A photo-like JPEG: a tinted gradient under noise from broad blotches to fine grain, so
    that its renditions weigh what a phone photo's do (a drawing's would be a tenth of it)."""
    from PIL import Image  # only this process draws (the trees' processes decode)

    rng = random.Random(seed)
    width, height = PHOTO_SIZE
    ramp = Image.linear_gradient("L").resize(PHOTO_SIZE).rotate(rng.randrange(360))
    tint = Image.new("RGB", PHOTO_SIZE, tuple(rng.randrange(40, 220) for _ in range(3)))
    image = Image.blend(ramp.convert("RGB"), tint, 0.5)
    for cells, alpha in ((6, 0.35), (40, 0.25), (300, 0.2), (1500, 0.18)):
        noise = (cells, max(2, cells * height // width))
        channels = [
            Image.effect_noise(noise, 64).resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
            for _ in range(3)
        ]
        image = Image.blend(image, Image.merge("RGB", channels), alpha)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def write_photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir()

    def write(n: int) -> Path:
        path = folder / f"photo-{n:03}.jpg"
        path.write_bytes(make_photo(seed=n))
        return path

    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    try:
        return list(pool.map(write, range(count)))
    finally:  # on Ctrl-C, only the photos being drawn are finished
        pool.shutdown(wait=True, cancel_futures=True)


# --- A throwaway product ----------------------------------------------------------------------


@dataclass
class Product:
    label: str
    tree: Path
    folder: Path
    window: int
    processes: Processes
    env: dict = field(default_factory=dict)
    port: int = 0
    gallery: str = ""  # the N-photo pet's gallery path
    single: str = ""  # the 1-photo pet's
    seeded: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # seconds a set-up step took

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def manage(self, *args: str, timeout: float = 300) -> str:
        return self.run([PYTHON, "manage.py", *args], timeout=timeout)

    def run(self, args: list[str], timeout: float = 300) -> str:
        status, output = self.processes.run(
            args, log=self.folder / "steps.log", timeout=timeout, cwd=self.tree, env=self.env
        )
        if status != 0:
            shown = " ".join(args[:3]) if args[1] != "-c" else "the seeding script"
            lines = output.strip().splitlines()[-20:]
            raise Failed(f"{self.label}: {shown} exited {status}:\n" + "\n".join(lines))
        return output

    def set_up(self, photos: list[Path], password: str) -> None:
        from cryptography.fernet import Fernet

        var = self.folder / "var"
        var.mkdir(parents=True)
        redis_port = free_port()
        redis_log = self.folder / "redis.log"
        redis = self.processes.start(
            [REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            log=redis_log,
        )  # fmt: skip
        wait_port(redis_port, redis, redis_log)
        # Only what the product needs from this environment: no DATABASE_URL, CACHE_URL,
        # CDN_BASE_URL... of the developer's own run leaks in.
        kept = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
        self.env = {name: os.environ[name] for name in kept if name in os.environ}
        self.env.update(
            VAR_DIR=str(var),
            DJANGO_SETTINGS_MODULE="pettracker.settings",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            SECRET_KEY=secrets.token_urlsafe(64),
            SIGNING_KEY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            CDN_SIGNING_WINDOW_SECONDS=str(self.window),
            PYTHONDONTWRITEBYTECODE="1",
        )
        clock = time.monotonic()
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.manage("rotate_signing_key")
        self.timings["migrate, static, key"] = time.monotonic() - clock
        spec = {
            "username": USERNAME,
            "password": password,
            "gallery_name": GALLERY_PET,
            "gallery": [str(path) for path in photos[:-1]],
            "single_name": SINGLE_PET,
            "single": [str(photos[-1])],
        }
        clock = time.monotonic()
        output = self.run([PYTHON, "-c", SEED, json.dumps(spec)], timeout=900)
        self.timings["photos processed"] = time.monotonic() - clock
        line = next(
            (line for line in output.splitlines() if line.startswith("PAGE_WEIGHT_SEEDED ")), None
        )
        if line is None:
            raise Failed(f"{self.label}: the seeding script printed no result:\n{output[-2000:]}")
        self.seeded = json.loads(line.split(" ", 1)[1])
        if not Path(self.seeded["module"]).resolve().is_relative_to(self.tree.resolve()):
            raise Failed(f"{self.label}: ran {self.seeded['module']}, not the tree's code")
        for label in ("gallery", "single"):
            pet = self.seeded[label]
            if pet["ready"] != pet["photos"]:
                raise Failed(f"{self.label}: {pet['photos'] - pet['ready']} photos not ready")
        self.gallery = f"/pets/{self.seeded['gallery']['pet']}/"
        self.single = f"/pets/{self.seeded['single']['pet']}/"
        self.port = free_port()
        web_log = self.folder / "web.log"
        web = self.processes.start(
            [str(VENV_BIN / "gunicorn"), "pettracker.wsgi", "--chdir", str(self.tree),
             "-w", "2", "-b", f"127.0.0.1:{self.port}", "--timeout", "60",
             "--access-logfile", str(self.access_log),
             "--access-logformat", ACCESS_LOG_FORMAT],
            log=web_log,
            cwd=self.tree,
            env=self.env,
        )  # fmt: skip
        wait_port(self.port, web, web_log)

    # The edge's answers, from gunicorn's access log.

    def log_offset(self) -> int:
        try:
            return self.access_log.stat().st_size
        except FileNotFoundError:
            return 0

    def edge_answers(self, offset: int) -> list[tuple[int, int, str]]:
        """(status, body bytes sent, path) of each /cdn/ answer logged after ``offset``."""
        with self.access_log.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        answers = []
        for line in text.splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[3].strip('"').startswith("/cdn/"):
                sent = int(parts[1]) if parts[1].isdigit() else 0
                answers.append((int(parts[0]), sent, parts[3].strip('"')))
        return answers


# --- Measurements ---------------------------------------------------------------------------


@dataclass
class Images:
    """The edge's answers during one visit."""

    bytes: int = 0
    requests: int = 0
    not_modified: int = 0
    shown: int = 0
    renditions: collections.Counter = field(default_factory=collections.Counter)

    @classmethod
    def of(cls, answers: list[tuple[int, int, str]], shown: int, label: str) -> Images:
        refused = [(status, path) for status, _, path in answers if status >= 400]
        if refused:
            raise Failed(f"{label}: the edge refused {len(refused)} images, e.g. {refused[0]}")
        result = cls(shown=shown)
        for status, sent, path in answers:
            result.requests += 1
            result.not_modified += status == 304
            result.bytes += sent
            if status != 304:
                result.renditions[path.rsplit("/", 1)[-1].split("-", 1)[0]] += 1
        return result

    def describe(self) -> str:
        names = ", ".join(f"{n} {name}" for name, n in self.renditions.most_common())
        extra = f", {self.not_modified} answered 304" if self.not_modified else ""
        return f"{self.requests} from the edge ({names or 'none'}{extra}); {self.shown} shown"


def scroll_to_end(page, label: str) -> int:
    """Scroll down half a screen at a time to the end (lazy images load as a person scrolls),
    wait until every image is loaded and the network is quiet; returns how many images show."""
    page.evaluate(
        """async () => {
            const step = Math.max(200, Math.floor(window.innerHeight / 2));
            for (let y = 0; y < document.documentElement.scrollHeight; y += step) {
                window.scrollTo(0, y);
                await new Promise(resolve => setTimeout(resolve, 150));
            }
            window.scrollTo(0, document.documentElement.scrollHeight);
        }"""
    )
    page.wait_for_function(
        "() => Array.from(document.images).every(image => image.complete)", timeout=60_000
    )
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)  # gunicorn writes an access line once the body is sent
    widths = page.eval_on_selector_all("main img", "images => images.map(i => i.naturalWidth)")
    if not widths or not all(widths):
        broken = sum(1 for width in widths if not width)
        raise Failed(f"{label}: {broken} of {len(widths)} images did not load")
    return len(widths)


def log_in_to_gallery(browser, product: Product, screen: str, password: str):
    """A fresh context (cookies and cache of its own) logged in through the form, landing on
    the gallery; returns the context, its page and the edge's answers to this first visit."""
    context = browser.new_context(base_url=product.base, **SCREENS[screen])
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"/accounts/login/?next={product.gallery}")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", password)
    offset = product.log_offset()  # the login page shows no image
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**{product.gallery}")
    label = f"{product.label} {screen}"
    shown = scroll_to_end(page, label)
    return context, page, Images.of(product.edge_answers(offset), shown, label)


def fetch_html(product: Product, path: str, cookie: str) -> tuple[int, int, str]:
    """(bytes as sent, decoded bytes, Content-Encoding) of a page, asked for as a browser."""
    connection = http.client.HTTPConnection("127.0.0.1", product.port, timeout=30)
    try:
        connection.request(
            "GET",
            path,
            headers={
                "Cookie": cookie,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )
        response = connection.getresponse()
        body = response.read()  # http.client decodes nothing: these are the bytes sent
        encoding = response.getheader("Content-Encoding", "") or ""
    finally:
        connection.close()
    if response.status != 200:
        raise Failed(f"{product.label}: {path} answered {response.status}")
    if encoding == "gzip":
        decoded = gzip.decompress(body)
    elif encoding in ("", "identity"):
        decoded = body
    else:
        raise Failed(f"{product.label}: {path} came as {encoding}, which this does not decode")
    if b'id="gallery"' not in decoded:
        raise Failed(f"{product.label}: {path} is not a gallery (a log-in page?)")
    return len(body), len(decoded), encoding or "none"


@dataclass
class Html:
    sent: int
    decoded: int
    single_decoded: int
    encoding: str
    photos: int

    @property
    def per_photo(self) -> float:
        return (self.decoded - self.single_decoded) / (self.photos - 1)


def measure_html(product: Product, context, photos: int) -> Html:
    cookies = [c for c in context.cookies(product.base) if c["path"] == "/"]
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    gallery = [fetch_html(product, product.gallery, cookie) for _ in range(HTML_FETCHES)]
    single = [fetch_html(product, product.single, cookie) for _ in range(HTML_FETCHES)]
    return Html(
        sent=round(statistics.median(sent for sent, _, _ in gallery)),
        decoded=round(statistics.median(decoded for _, decoded, _ in gallery)),
        single_decoded=round(statistics.median(decoded for _, decoded, _ in single)),
        encoding=gallery[0][2],
        photos=photos,
    )


# --- The run ----------------------------------------------------------------------------------


@dataclass
class Figures:
    html: Html | None = None
    screens: dict = field(default_factory=dict)
    revisit: Images | None = None


def measure(products: list[Product], photos: int, window: int, password: str) -> dict:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise Failed(f"{CHROMIUM} is missing (Debian's chromium package; nothing is downloaded)")
    figures = {product.label: Figures() for product in products}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # First visits of the revisit's contexts first: the two windows run from there,
            # while the other figures are taken.
            kept, first_seen = {}, {}
            for product in products:
                context, page, images = log_in_to_gallery(
                    browser, product, REVISIT_SCREEN, password
                )
                kept[product.label] = (context, page)
                first_seen[product.label] = time.monotonic()
                figures[product.label].screens[REVISIT_SCREEN] = images
            for screen in SCREENS:
                if screen == REVISIT_SCREEN:
                    continue
                for product in products:
                    context, _, images = log_in_to_gallery(browser, product, screen, password)
                    figures[product.label].screens[screen] = images
                    if figures[product.label].html is None:
                        figures[product.label].html = measure_html(product, context, photos)
                    context.close()
            wake = max(first_seen.values()) + 2 * window + 2
            print(f"Waiting {max(0, wake - time.monotonic()):.0f} s: two signing windows pass")
            time.sleep(max(0.0, wake - time.monotonic()))
            for product in products:
                _, page = kept[product.label]
                offset = product.log_offset()
                page.goto(product.gallery)
                label = f"{product.label} revisit"
                shown = scroll_to_end(page, label)
                figures[product.label].revisit = Images.of(
                    product.edge_answers(offset), shown, label
                )
        finally:
            with contextlib.suppress(Exception):
                browser.close()
    return figures


def report(products: list[Product], figures: dict, photos: int, window: int) -> None:
    before, after = (figures[product.label] for product in products)

    def ratio(a: float, b: float) -> str:
        return f"{b / a:.2f}" if a else "—"

    rows = [
        (
            f"gallery HTML, decoded ({photos} photos), B",
            before.html.decoded,
            after.html.decoded,
            "",
        ),
        (
            "gallery HTML, as sent (gzip accepted), B",
            before.html.sent,
            after.html.sent,
            "77 KB → ~4 KB",
        ),
        (
            "HTML per photo, decoded, B",
            round(before.html.per_photo),
            round(after.html.per_photo),
            "≤ 1,200 B",
        ),
    ]
    for screen in SCREENS:
        target = "" if screen.endswith("@1×") else "-64 % (0.36)"
        rows.append(
            (
                f"images, {screen}, B",
                before.screens[screen].bytes,
                after.screens[screen].bytes,
                target,
            )
        )
    rows.append(
        (
            f"re-downloaded on revisit after {2 * window} s, B",
            before.revisit.bytes,
            after.revisit.bytes,
            "0 B",
        )
    )
    base_label, current_label = (product.label for product in products)
    print()
    print(f"{'figure':<50}{base_label:>18}{current_label:>14}{'current/base':>14}  issue target")
    for name, a, b, target in rows:
        print(f"{name:<50}{a:>18,}{b:>14,}{ratio(a, b):>14}  {target}")
    print()
    print(
        f"HTML: median of {HTML_FETCHES} fetches with Accept-Encoding: {ACCEPT_ENCODING}; "
        f"Content-Encoding {before.html.encoding} / {after.html.encoding}; per photo = (decoded "
        f"{photos}-photo page - decoded 1-photo page ({before.html.single_decoded:,} / "
        f"{after.html.single_decoded:,} B)) / {photos - 1}."
    )
    print("Images: body bytes of the edge's (/cdn/) answers in gunicorn's access log.")
    for product in products:
        result = figures[product.label]
        for screen in SCREENS:
            print(f"  {product.label}, {screen}: {result.screens[screen].describe()}")
        print(f"  {product.label}, revisit {REVISIT_SCREEN}: {result.revisit.describe()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", default="ee448ad", help="commit before (default ee448ad)")
    parser.add_argument("--photos", type=int, default=24, help="photos in the gallery (≥ 2)")
    parser.add_argument(
        "--window", type=int, default=60, help="CDN_SIGNING_WINDOW_SECONDS (≥ 60, default 60)"
    )
    args = parser.parse_args()
    if args.photos < 2 or args.window < 60:
        parser.error("--photos must be at least 2 and --window at least 60 (the setting's bound)")
    for tool in ("git", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing", file=sys.stderr)
            return 1

    # SIGTERM stops the run as Ctrl-C does: through the finally below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    processes = Processes()
    temp = Path(tempfile.mkdtemp(prefix="pettracker-page-weight."))
    worktree = temp / "baseline-tree"
    worktree_added = False
    status = 1
    try:
        commit = git("rev-parse", "--verify", f"{args.baseline}^{{commit}}")
        git("worktree", "add", "--detach", "--quiet", str(worktree), commit)
        worktree_added = True
        password = secrets.token_urlsafe(16)
        started = time.monotonic()
        print(f"Drawing {args.photos + 1} photos of {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} px")
        photos = write_photos(temp / "photos", args.photos + 1)
        print(f"  drawn in {time.monotonic() - started:.0f} s")
        products = [
            Product(f"base {commit[:7]}", worktree, temp / "baseline", args.window, processes),
            Product("current", ROOT, temp / "current", args.window, processes),
        ]
        print("Setting up both products (migrate, signing key, photos processed inline)")
        pool = ThreadPoolExecutor(max_workers=2)
        try:
            for done in [pool.submit(p.set_up, photos, password) for p in products]:
                done.result()
        finally:  # on Ctrl-C, stop_all below ends the steps these threads wait for
            pool.shutdown(wait=False, cancel_futures=True)
        for product in products:
            steps = ", ".join(f"{step} {took:.0f} s" for step, took in product.timings.items())
            print(f"  {product.label}: {steps}")
        print(f"Measuring in Chromium (set up in {time.monotonic() - started:.0f} s)")
        figures = measure(products, args.photos, args.window, password)
        report(products, figures, args.photos, args.window)
        print(f"\nTotal {time.monotonic() - started:.0f} s.")
        status = 0
    except KeyboardInterrupt:
        print("\nInterrupted; cleaning up", file=sys.stderr)
        status = 130
    except Failed as failure:
        print(f"\nFailed: {failure}", file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip cleaning
        processes.stop_all()
        if worktree_added:
            try:
                git("worktree", "remove", "--force", str(worktree))
            except Failed as failure:
                print(f"worktree: {failure}", file=sys.stderr)
                shutil.rmtree(worktree, ignore_errors=True)
                with contextlib.suppress(Failed):
                    git("worktree", "prune")
        shutil.rmtree(temp, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
