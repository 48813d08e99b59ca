"""Peak memory of streaming a ZIP download of 200 photos vs. 20, and vs. building it in memory
(issue 16).

    .venv/bin/python benchmarks/zip_memory.py [--runs 3] [--photos 200] [--baseline 20]

Real JPEGs of a few hundred KB to a few MB (full renditions' sizes: 1.5 to 12 megapixels, 20
different ones stored under as many names as needed) in local storage
(``images.storage.PhotoFileSystemStorage``). Each measurement is a fresh process that imports
Django and the download code, then sends a whole archive to nowhere:

- stream N: ``images.pure.zips.zip_chunks`` over members read by ``read_chunks``, as the
  download views send them (``StreamingHttpResponse``): what the process holds should not grow
  with N, so stream 200 / stream 20 ≈ 1;
- in memory N: the naive way, ``zipfile`` writing each file read whole into a ``BytesIO``,
  then the archive sent: it grows with the archive.

Runs are interleaved (each run measures every method once, in turn) and the median is shown.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.worker_memory import _status_mb  # noqa: E402  (peak memory, as measured there)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")

DISTINCT = 20
TAKEN = datetime.datetime(2024, 6, 1, 10, 0)


def _photo(index: int) -> bytes:
    """A photo-like JPEG: gradients under coarse grain, 1.5 to 12 megapixels."""
    from PIL import Image

    width = 1500 + (index * 2500) // (DISTINCT - 1)
    size = (width, width * 3 // 4)
    grain = Image.effect_noise((size[0] // 4, size[1] // 4), 40).resize(size)
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", [grain, ramp, ramp.transpose(Image.Transpose.ROTATE_180)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _store(folder: Path, count: int) -> list[str]:
    """``count`` keys in ``folder``, each of the ``DISTINCT`` photos under several names."""
    photos = [_photo(index) for index in range(DISTINCT)]
    keys = []
    for index in range(count):
        key = f"renditions/bench/{index:04d}/full-{index:016x}.jpg"
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(photos[index % DISTINCT])
        keys.append(key)
    return keys


# --- In the child process ----------------------------------------------------------------


def measure(method: str, folder: Path, count: int) -> dict:
    import django

    django.setup()
    from images.pure.zips import Member, zip_chunks
    from images.storage import PhotoFileSystemStorage

    storage = PhotoFileSystemStorage(location=str(folder))
    keys = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.jpg"))[:count]
    base = _status_mb("VmRSS")
    started = time.perf_counter()
    sent = 0
    if method == "stream":
        members = [
            Member(
                name=f"2024-06-01 Biscuit ({index + 1}).jpg",
                modified=TAKEN,
                size=storage.size(key),
                chunks=lambda key=key: storage.read_chunks(key),
            )
            for index, key in enumerate(keys)
        ]
        for chunk in zip_chunks(members):
            sent += len(chunk)
    else:
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for index, key in enumerate(keys):
                with storage.open(key, "rb") as stored:
                    archive.writestr(f"2024-06-01 Biscuit ({index + 1}).jpg", stored.read())
        sent = len(buffer.getvalue())
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": _status_mb("VmHWM"),
        "base_mb": base,
        "archive_mb": sent / 2**20,
    }


# --- In the parent -----------------------------------------------------------------------


def in_child(method: str, folder: Path, count: int) -> dict:
    command = [sys.executable, __file__, "--child", method, "--folder", str(folder)]
    command += ["--count", str(count)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout)


def report(runs: int, photos: int, baseline: int) -> None:
    targets = [("stream", photos), ("stream", baseline), ("in memory", photos)]
    with tempfile.TemporaryDirectory() as folder:
        _store(Path(folder), photos)
        results = {target: [] for target in targets}
        for _ in range(runs):
            for method, count in targets:
                results[method, count].append(in_child(method, Path(folder), count))
    median = {
        t: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for t, rs in results.items()
    }
    base = statistics.median(r["base_mb"] for rs in results.values() for r in rs)
    print(
        f"ZIP download memory: median of {runs} interleaved runs, each a fresh process "
        f"(Django and the download code imported: {base:.0f} MiB)\n"
    )
    print(f"{'method':<22}{'archive MiB':>12}{'peak MiB':>10}{'above base':>12}{'s':>7}")
    for method, count in targets:
        m = median[method, count]
        label = f"{method} {count}"
        print(
            f"{label:<22}{m['archive_mb']:>12.0f}{m['peak_mb']:>10.0f}"
            f"{m['peak_mb'] - m['base_mb']:>12.1f}{m['seconds']:>7.2f}"
        )
    stream, small, naive = (median[t]["peak_mb"] for t in targets)
    print()
    print(f"stream {photos} / stream {baseline} (peak): {stream / small:.2f}  (target ≈ 1)")
    print(f"in memory {photos} / stream {photos} (peak): {naive / stream:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--child", choices=("stream", "in memory"))
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.folder, args.count)))
    else:
        report(args.runs, args.photos, args.baseline)


if __name__ == "__main__":
    main()
