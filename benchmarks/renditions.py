"""The rendition step on a 12-megapixel JPEG: ours against the naive way and against pyvips;
then our current rendition set against the previous one.

    .venv/bin/python benchmarks/renditions.py [--runs 7] [--rounds 15] [--part methods|sets]

Methods. Each runs in its own process (so its peak memory is its own) on the same generated
JPEGs (4000×3000, EXIF orientation and GPS set), making the same four renditions: large
(2048 px), medium (1024 px), square (512 px) and thumb (256 px square), as WebP quality 80.

- naive: Pillow ``thumbnail()`` for each size from a fresh decode, saved with Pillow's WebP
  defaults (the seed's way, and the baseline the targets are stated against);
- ours: ``images.pure.imaging.process_image`` (one decode, a cascade, WebP effort 2);
- pyvips: ``thumbnail_buffer`` per size (shrink-on-load, libvips' own threads), WebP at libvips'
  default effort (4) and at ours (2).

Targets (issue 3): ours ≥ 2× the naive throughput, no slower than pyvips, output bytes within
15% of the naive baseline's, peak memory under 250 MB per process.

Sets (issue 14). In one process, on the same JPEGs, ``process_image`` with the previous set
(large, medium, thumb), with the current one (the 512 px square added) and making only the
square (what ``manage.py renditions_backfill`` has a worker do for an older photo), in
``--rounds`` rounds each running the three in a rotated order (interleaved, so drift and
warm-up fall on all alike). Printed: time per photo and bytes of each, the current / previous
ratio of each round (median and range), and what a grid tile costs a 2× screen: the srcset's
smallest candidate at least 480 px wide (a tile is up to 240 CSS px), medium before, the square
now.
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

SIZES = (
    ("large", 2048, False),
    ("medium", 1024, False),
    ("square", 512, True),
    ("thumb", 256, True),
)
METHODS = ("naive", "ours", "pyvips-effort4", "pyvips-effort2", "pyvips-effort2-1thread")
IMAGES = ("photo-like", "flat")
SETS = ("previous", "current", "square only")
PREVIOUS_SET = ("large", "medium", "thumb")
# A grid tile is up to 240 CSS px wide: on a 2× screen the browser takes the smallest srcset
# candidate at least this wide.
TILE_DEVICE_PX = 480


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
    env = {**os.environ, "VIPS_CONCURRENCY": "1"} if method.endswith("1thread") else None
    arguments = ["--child", method, "--source", str(source), "--runs", str(runs)]
    return json.loads(_child(arguments, env))


def measure_sets(source: Path, rounds: int) -> dict:
    """Run in a child process: the previous set, the current one and the square alone,
    interleaved in rotated order, ``rounds`` times; each one's ms per photo and bytes by
    rendition, and the current / previous ratio of each round."""
    from images.pure import imaging

    data = source.read_bytes()
    current_specs = imaging.RENDITION_SPECS
    previous_specs = tuple(s for s in current_specs if s.name in PREVIOUS_SET)

    def run(variant: str):
        imaging.RENDITION_SPECS = previous_specs if variant == "previous" else current_specs
        try:
            names = ["square"] if variant == "square only" else None
            return imaging.process_image(io.BytesIO(data), max_pixels=50_000_000, names=names)
        finally:
            imaging.RENDITION_SPECS = current_specs

    made = {variant: run(variant) for variant in SETS}  # warm-up, and the bytes
    timings: dict[str, list[float]] = {variant: [] for variant in SETS}
    cpu: dict[str, list[float]] = {variant: [] for variant in SETS}
    for round_ in range(rounds):
        shift = round_ % len(SETS)
        for variant in SETS[shift:] + SETS[:shift]:
            started, cpu_started = time.perf_counter(), time.process_time()
            run(variant)
            timings[variant].append((time.perf_counter() - started) * 1000)
            cpu[variant].append((time.process_time() - cpu_started) * 1000)
    return {
        variant: {
            "timings": timings[variant],
            "cpu": cpu[variant],
            "renditions": {r.name: [len(r.data), r.width] for r in made[variant].renditions},
        }
        for variant in SETS
    }


def report_sets(rounds: int) -> None:
    print(
        "Rendition sets, 12 MP JPEG → previous (large/medium/thumb) vs current "
        f"(+ square 512 px); {rounds} rounds, interleaved in one process\n"
    )
    for kind in IMAGES:
        with tempfile.NamedTemporaryFile(suffix=".jpg") as source:
            source.write(make_jpeg(kind))
            source.flush()
            arguments = ["--child-sets", "--source", source.name, "--rounds", str(rounds)]
            results = json.loads(_child(arguments))
        print(f"[{kind} image]")
        print(
            f"{'set':<14}{'median ms':>10}{'best ms':>9}{'CPU ms':>8}{'bytes':>10}   by rendition"
        )
        for variant, r in results.items():
            by_name = r["renditions"]
            print(
                f"{variant:<14}{statistics.median(r['timings']):>10.0f}{min(r['timings']):>9.0f}"
                f"{statistics.median(r['cpu']):>8.0f}"
                f"{sum(size for size, _ in by_name.values()):>10,}   "
                + ", ".join(f"{name} {size:,}" for name, (size, _) in by_name.items())
            )
        print(_set_ratios(results) + "\n")


def _set_ratios(results: dict) -> str:
    previous, current = results["previous"], results["current"]

    def ratios(kind: str) -> list[float]:
        return [c / p for c, p in zip(current[kind], previous[kind], strict=True)]

    def added(kind: str) -> float:
        return statistics.median(current[kind]) - statistics.median(previous[kind])

    def ratio_line(kind: str, title: str) -> str:
        each = ratios(kind)
        return (
            f"{title} current / previous: median ×{statistics.median(each):.3f} (rounds "
            f"×{min(each):.3f}-×{max(each):.3f}), {added(kind):+.0f} ms per photo"
        )

    square = results["square only"]
    before = sum(size for size, _ in previous["renditions"].values())
    after = sum(size for size, _ in current["renditions"].values())
    tile_before = _tile_bytes(previous["renditions"])
    tile_now = _tile_bytes(current["renditions"])
    return "\n".join(
        [
            ratio_line("timings", "time"),
            ratio_line("cpu", "CPU time (all threads)"),
            f"the square alone (a backfill run): {statistics.median(square['timings']):.0f} ms, "
            f"CPU {statistics.median(square['cpu']):.0f} ms",
            f"bytes stored current / previous: ×{after / before:.3f} ({after - before:+,} B)",
            f"a grid tile on a 2× screen: {tile_before:,} B → {tile_now:,} B "
            f"({(tile_now / tile_before - 1) * 100:+.0f}%)",
        ]
    )


def _tile_bytes(renditions: dict) -> int:
    """The bytes of the srcset candidate a 2× screen takes for a tile: the narrowest at least
    TILE_DEVICE_PX wide (or the widest, if none is)."""
    by_width = sorted(renditions.values(), key=lambda item: item[1])
    wide_enough = [size for size, width in by_width if width >= TILE_DEVICE_PX]
    return wide_enough[0] if wide_enough else by_width[-1][0]


def _child(arguments: list[str], env: dict | None = None) -> str:
    command = [sys.executable, __file__, *arguments]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return output.stdout


def report(runs: int) -> None:
    print(
        f"Rendition step, 12 MP JPEG (4000×3000) → large/medium/square/thumb WebP; {runs} runs "
        "each, one process per method\n"
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
    parser.add_argument("--runs", type=int, default=7, help="runs of each method")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds of the sets")
    parser.add_argument("--part", choices=("methods", "sets"), help="only this part")
    parser.add_argument("--child", choices=METHODS)
    parser.add_argument("--child-sets", action="store_true")
    parser.add_argument("--source", type=Path, help="the JPEG a child process works on")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.source, args.runs)))
    elif args.child_sets:
        print(json.dumps(measure_sets(args.source, args.rounds)))
    else:
        if args.part in (None, "methods"):
            report(args.runs)
        if args.part in (None, "sets"):
            report_sets(args.rounds)


if __name__ == "__main__":
    main()
