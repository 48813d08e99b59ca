"""Peak memory of a worker process on the worst photos the limits admit, before and after
issue 11 item 13 (the decoded-bytes bound, and no full-size copies past the decode).

    .venv/bin/python benchmarks/worker_memory.py [--runs 3] [--only NAME]

Each photo is processed by ``process_image`` in a fresh process that first imports what a
Celery worker imports (Django, the Celery app, the tasks), so its peak resident memory is what
one worker child needs for that photo. Runs are repeated and interleaved (case by case, before
then after), and the median is shown; the machine's noise moves the times, hardly the memory.

- before: ``images/processing.py`` as of ``BASELINE_COMMIT`` (read with ``git show``), limited
  by ``PHOTO_MAX_PIXELS`` alone;
- after: ``images.pure.imaging`` as it is, limited by ``PHOTO_MAX_PIXELS`` and
  ``PHOTO_MAX_DECODED_BYTES`` from the settings (so the environment can try other limits).

The cases are sized from those limits: the largest JPEGs (baseline and progressive) at the
pixel limit, an RGBA PNG, a 16-bit RGBA PNG, a WebP and a HEIC each as large as the
decoded-bytes bound (or the pixel limit) lets through, the tester's 7000×7000 16-bit RGBA PNG,
a typical 12-megapixel JPEG, and a 48-megapixel HEIC (over the bound: refused). The worst
"after" peak is what docs/deploy.md sizes workers by.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pettracker.settings")

# The last commit of images/processing.py before the decoded-bytes bound.
BASELINE_COMMIT = "3329a4bdb2c891cbeb17dfec854dbfc797fe8bd2"
METHODS = ("before", "after")


@dataclass(frozen=True)
class Case:
    name: str
    size: tuple[int, int]
    make: Callable[[tuple[int, int]], bytes]


def cases(max_pixels: int, max_decoded_bytes: int) -> list[Case]:
    """The worst files the limits admit, by the byte counts ``images.pure.imaging`` charges."""
    # Memory is measured per process: each imports only what its part needs.
    from images.pure.imaging import DECODER_BYTES_PER_PIXEL

    def at_bound(bytes_per_pixel: int) -> tuple[int, int]:
        return _three_by_two(min(max_pixels, max_decoded_bytes // bytes_per_pixel))

    webp = _three_by_two(
        min(max_pixels, max_decoded_bytes // (4 + DECODER_BYTES_PER_PIXEL["WEBP"]))
    )
    return [
        Case("12 MP JPEG (a phone's photo)", (4000, 3000), _jpeg),
        Case("JPEG at the pixel limit", _three_by_two(max_pixels), _jpeg),
        Case("progressive JPEG, pixel limit", _three_by_two(max_pixels), _progressive_jpeg),
        Case("RGBA PNG at the bound", at_bound(4), _png_rgba),
        Case("16-bit RGBA PNG at the bound", at_bound(4), _png_16bit_rgba),
        Case("tester's 16-bit RGBA PNG", (7000, 7000), _png_16bit_rgba),
        Case("WebP at the bound", (min(webp[0], 16383), webp[1]), _webp),
        Case("HEIC at the bound", at_bound(4 + DECODER_BYTES_PER_PIXEL["HEIF"]), _heic),
        Case("48 MP HEIC (iPhone HEIF Max)", (8064, 6048), _heic),
    ]


def _three_by_two(pixels: int) -> tuple[int, int]:
    width = math.isqrt(pixels * 3 // 2)
    return width, pixels // width


def _scene(size: tuple[int, int]):
    """Smooth gradients with a little coarse texture: photo-like to a codec, small on disk."""
    from PIL import Image

    grain = Image.effect_noise((max(1, size[0] // 16), max(1, size[1] // 16)), 30)
    grain = grain.convert("L").resize(size, Image.Resampling.BILINEAR)
    ramp = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", [grain, ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])


def _encoded(image, format: str, **options) -> bytes:
    import io  # (see cases: imports stay out of the measured processes until needed)

    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def _jpeg(size):
    return _encoded(_scene(size), "JPEG", quality=90)


def _progressive_jpeg(size):
    return _encoded(_scene(size), "JPEG", quality=90, progressive=True)


def _png_rgba(size):
    from PIL import Image

    ramp = Image.linear_gradient("L").resize(size)
    flipped = ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return _encoded(Image.merge("RGBA", [ramp, flipped, ramp, flipped]), "PNG", compress_level=1)


def _png_16bit_rgba(size):
    """Colour type 6 at 16 bits, written by hand (Pillow cannot): a horizontal ramp, repeated
    down the image with the Up filter, so the file is a few hundred KB whatever its size."""
    width, height = size
    first = bytearray(b"\x00")
    for x in range(width):
        value = x * 65535 // max(1, width - 1)
        first += struct.pack(">HHHH", value, 65535 - value, 30000, 40000 + value % 20000)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(bytes(first))]
    up = b"\x02" + bytes(width * 8)
    parts += [compressor.compress(up) for _ in range(height - 1)]
    parts.append(compressor.flush())

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    idat = chunk(b"IDAT", b"".join(parts))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


def _webp(size):
    return _encoded(_scene(size), "WEBP", quality=80, method=0)


def _heic(size):
    # (see cases: imports stay out of the measured processes until needed)
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return _encoded(_scene(size), "HEIF", quality=80, enc_params={"preset": "ultrafast"})


# --- In the child process ----------------------------------------------------------------


def measure(method: str, source: Path, baseline: Path) -> dict:
    """Import what a worker imports, then process one photo; memory and time of that."""
    # Imported here, in the measured process, so that its memory counts them.
    import django

    django.setup()
    from django.conf import settings

    import images.tasks  # noqa: F401 (a worker has the tasks, the pipeline and Pillow loaded)
    import pettracker.celery  # noqa: F401

    limits = {"max_pixels": settings.PHOTO_MAX_PIXELS}
    if method == "before":
        processing = _load_module(baseline)
    else:
        from images.pure import imaging as processing

        limits["max_decoded_bytes"] = settings.PHOTO_MAX_DECODED_BYTES
    base_mb = _status_mb("VmRSS")
    started = time.perf_counter()
    with source.open("rb") as stream:
        try:
            result = processing.process_image(stream, **limits)
            outcome = "processed" if len(result.renditions) >= 3 else "??"
            if hasattr(processing, "render_full"):
                # The worker then makes the download rendition from a decode of its own
                # (issue 16): its peak counts too.
                full = processing.render_full(stream, **limits).renditions[0]
                outcome += f", full {full.width}×{full.height}"
        except processing.ImageRejected as rejection:
            outcome = f"refused: {rejection}"
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": _status_mb("VmHWM"),
        "base_mb": base_mb,
        "outcome": outcome,
    }


def _load_module(path: Path):
    import importlib.util  # (see measure: imports belong to the measured process)

    spec = importlib.util.spec_from_file_location("baseline_processing", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _status_mb(field: str) -> float:
    """In MiB (Celery's --max-memory-per-child counts KiB), from /proc/self/status. Not
    ru_maxrss: Linux carries that over from the parent across exec, so every child would
    report at least the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


# --- In the parent -----------------------------------------------------------------------


def in_child(method: str, source: Path, baseline: Path) -> dict:
    command = [sys.executable, __file__, "--child", method, "--source", str(source)]
    command += ["--baseline", str(baseline)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout)


def report(runs: int, only: str | None) -> None:
    # Django is set up here, not at import: the measured child processes set up their own.
    import django

    django.setup()
    from django.conf import settings

    max_pixels, max_bytes = settings.PHOTO_MAX_PIXELS, settings.PHOTO_MAX_DECODED_BYTES
    selected = [c for c in cases(max_pixels, max_bytes) if not only or only in c.name]
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder, "baseline_processing.py")
        show = ["git", "show", f"{BASELINE_COMMIT}:images/processing.py"]
        baseline.write_bytes(subprocess.run(show, check=True, capture_output=True, cwd=ROOT).stdout)
        sources = {}
        for case in selected:
            sources[case.name] = Path(folder, f"case{len(sources)}")
            sources[case.name].write_bytes(case.make(case.size))
        results = {(c.name, m): [] for c in selected for m in METHODS}
        for _ in range(runs):
            for case in selected:
                for method in METHODS:
                    results[case.name, method].append(
                        in_child(method, sources[case.name], baseline)
                    )
        sizes = {name: path.stat().st_size for name, path in sources.items()}
    _print(selected, results, sizes, runs, max_pixels, max_bytes)


def _print(selected, results, sizes, runs, max_pixels, max_bytes) -> None:
    base = statistics.median(r["base_mb"] for rs in results.values() for r in rs)
    print(
        f"Worker memory per photo: PHOTO_MAX_PIXELS={max_pixels:,}, "
        f"PHOTO_MAX_DECODED_BYTES={max_bytes:,}; median of {runs} runs, each in a fresh "
        f"process (a worker's imports alone: {base:.0f} MiB); before = {BASELINE_COMMIT[:7]}\n"
    )
    print(
        f"{'case':<32}{'size':>12}{'file MB':>9}{'before MiB':>12}{'s':>6}"
        f"{'after MiB':>11}{'s':>6}  after"
    )
    worst = {method: (0.0, "") for method in METHODS}
    for case in selected:
        row = f"{case.name:<32}{'×'.join(map(str, case.size)):>12}{sizes[case.name] / 1e6:>9.1f}"
        for method, width in zip(METHODS, (12, 11), strict=True):
            peak = statistics.median(r["peak_mb"] for r in results[case.name, method])
            seconds = statistics.median(r["seconds"] for r in results[case.name, method])
            row += f"{peak:>{width}.0f}{seconds:>6.2f}"
            if results[case.name, method][0]["outcome"].startswith("processed"):
                worst[method] = max(worst[method], (peak, case.name))
        print(f"{row}  {results[case.name, 'after'][0]['outcome']}")
    print()
    for method in METHODS:
        peak, name = worst[method]
        print(f"worst processed, {method}: {peak:.0f} MiB = {peak * 1024:,.0f} KiB ({name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="only the cases whose name contains this")
    parser.add_argument("--child", choices=METHODS)
    parser.add_argument("--source", type=Path, help="the photo a child process works on")
    parser.add_argument("--baseline", type=Path, help="the baseline processing.py")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.source, args.baseline)))
    else:
        report(args.runs, args.only)


if __name__ == "__main__":
    main()
