"""The rendition step on a 12-megapixel JPEG: ours against the naive way and against pyvips.

    .venv/bin/python benchmarks/renditions.py [--runs 7]

Each method runs in its own process (so its peak memory is its own) on the same generated
JPEGs (4000×3000, EXIF orientation and GPS set), making the same three renditions: large
(2048 px), medium (1024 px), thumb (256 px square), as WebP quality 80.

- naive: Pillow ``thumbnail()`` for each size from a fresh decode, saved with Pillow's WebP
  defaults (the seed's way, and the baseline the targets are stated against);
- ours: ``images.pure.imaging.process_image`` (one decode, a cascade, WebP effort 2);
- pyvips: ``thumbnail_buffer`` per size (shrink-on-load, libvips' own threads), WebP at libvips'
  default effort (4) and at ours (2).

Targets (issue 3): ours ≥ 2× the naive throughput, no slower than pyvips, output bytes within
15% of the naive baseline's, peak memory under 250 MB per process.
"""

from __future__ import annotations

import argparse
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

SIZES = (("large", 2048, False), ("medium", 1024, False), ("thumb", 256, True))
METHODS = ("naive", "ours", "pyvips-effort4", "pyvips-effort2", "pyvips-effort2-1thread")
IMAGES = ("photo-like", "flat")


def make_jpeg(kind: str) -> bytes:
    """A 12-megapixel JPEG; 'photo-like' has a photo's fine texture, 'flat' is a drawing."""
    # Each method runs in a process of its own, which imports only what it measures.
    from PIL import Image, ImageFilter

    from images.pure.demo_images import demo_photo

    size = (4000, 3000)
    if kind == "flat":
        image = Image.open(io.BytesIO(demo_photo(seed=3, size=size))).convert("RGB")
    else:
        grain = Image.effect_noise(size, 48).convert("L")
        sky = Image.linear_gradient("L").resize(size)
        image = Image.merge("RGB", [grain, sky, grain.rotate(180)])
        image = Image.blend(image.filter(ImageFilter.GaussianBlur(1.5)), _scene(size), 0.6)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° to display
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def _scene(size):
    # Imported in the measuring process only (see make_jpeg).
    from PIL import Image

    from images.pure.demo_images import demo_photo

    return Image.open(io.BytesIO(demo_photo(seed=11, size=size))).convert("RGB")


def naive(data: bytes) -> int:
    from PIL import Image, ImageOps

    total = 0
    for _, side, square in SIZES:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        if square:
            image = ImageOps.fit(image, (side, side))
        else:
            image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, "WEBP")
        total += out.tell()
    return total


def ours(data: bytes) -> int:
    # Imported in the measuring process only (see make_jpeg).
    from images.pure.imaging import process_image

    result = process_image(io.BytesIO(data), max_pixels=50_000_000)
    return sum(len(r.data) for r in result.renditions)


def pyvips_with(effort: int):
    def run(data: bytes) -> int:
        # Imported in the measuring process only (see make_jpeg).
        import pyvips

        total = 0
        for _, side, square in SIZES:
            options = {"height": side, "crop": "centre"} if square else {"size": "down"}
            image = pyvips.Image.thumbnail_buffer(data, side, **options)
            total += len(image.webpsave_buffer(Q=80, effort=effort, keep="none"))
        return total

    return run


RUNNERS = {
    "naive": naive,
    "ours": ours,
    "pyvips-effort4": pyvips_with(4),
    "pyvips-effort2": pyvips_with(2),
    "pyvips-effort2-1thread": pyvips_with(2),  # run with VIPS_CONCURRENCY=1
}


def measure(method: str, source: Path, runs: int) -> dict:
    """Run in a child process: best-of and median ms per photo, output bytes, peak RSS."""
    data = source.read_bytes()
    runner = RUNNERS[method]
    out_bytes = runner(data)  # warm-up: imports, codec tables
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        runner(data)
        timings.append((time.perf_counter() - started) * 1000)
    peak_mb = _peak_rss_mb()
    return {
        "median_ms": statistics.median(timings),
        "best_ms": min(timings),
        "bytes": out_bytes,
        "peak_mb": peak_mb,
        "input_bytes": len(data),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries that over
    from the parent across exec, so every child would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def in_child(method: str, source: Path, runs: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--source",
        str(source),
        "--runs",
        str(runs),
    ]
    env = {**os.environ, "VIPS_CONCURRENCY": "1"} if method.endswith("1thread") else None
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return json.loads(output.stdout)


def report(runs: int) -> None:
    print(
        f"Rendition step, 12 MP JPEG (4000×3000) → large/medium/thumb WebP; {runs} runs each, "
        "one process per method\n"
    )
    for kind in IMAGES:
        with tempfile.NamedTemporaryFile(suffix=".jpg") as source:
            source.write(make_jpeg(kind))
            source.flush()
            results = {method: in_child(method, Path(source.name), runs) for method in METHODS}
        base = results["naive"]
        print(f"[{kind} image, {base['input_bytes'] / 1e6:.1f} MB JPEG]")
        print(
            f"{'method':<24}{'median ms':>10}{'best ms':>9}{'photos/s':>10}{'vs naive':>10}"
            f"{'out bytes':>11}{'vs naive':>10}{'peak MB':>9}"
        )
        for method, r in results.items():
            print(
                f"{method:<24}{r['median_ms']:>10.0f}{r['best_ms']:>9.0f}"
                f"{1000 / r['median_ms']:>10.2f}{base['median_ms'] / r['median_ms']:>9.2f}×"
                f"{r['bytes']:>11,}{(r['bytes'] / base['bytes'] - 1) * 100:>+9.1f}%"
                f"{r['peak_mb']:>9.0f}"
            )
        print(_verdicts(results) + "\n")


def _verdicts(results: dict) -> str:
    base, ours_r = results["naive"], results["ours"]
    fastest_vips = min(r["median_ms"] for m, r in results.items() if m.startswith("pyvips"))
    checks = {
        "throughput ≥ 2× naive": base["median_ms"] / ours_r["median_ms"] >= 2,
        "no slower than pyvips": ours_r["median_ms"] <= fastest_vips,
        "bytes within 15% of naive": abs(ours_r["bytes"] / base["bytes"] - 1) <= 0.15,
        "peak < 250 MB": ours_r["peak_mb"] < 250,
    }
    return "targets: " + "; ".join(f"{k}: {'met' if ok else 'MISSED'}" for k, ok in checks.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=METHODS)
    parser.add_argument("--source", type=Path, help="the JPEG a child process works on")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.source, args.runs)))
    else:
        report(args.runs)


if __name__ == "__main__":
    main()
