"""Pictures for the demo data, drawn in code so that nothing is downloaded."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def demo_photo(*, seed: int, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A JPEG of a cartoon pet face on a gradient; the same seed gives the same bytes."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible pictures, not secrets
    width, height = size
    sky, ground, fur = (tuple(rng.randrange(40, 230) for _ in range(3)) for _ in range(3))
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.composite(
        Image.new("RGB", size, sky),
        Image.new("RGB", size, ground),
        image.point(lambda v: 255 - v).convert("L"),
    )
    _draw_face(ImageDraw.Draw(image), width, height, fur, rng)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _draw_face(draw: ImageDraw.ImageDraw, width: int, height: int, fur, rng: random.Random) -> None:
    cx, cy, r = width // 2, height // 2 + height // 10, min(width, height) // 3
    ear = r // 2
    for side in (-1, 1):  # ears first, so the head overlaps them
        ex = cx + side * int(r * 0.7)
        draw.polygon(
            [(ex - ear, cy - r // 2), (ex + ear, cy - r // 2), (ex, cy - r - ear)], fill=fur
        )
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fur)
    eye = max(4, r // 8)
    for side in (-1, 1):
        ex, ey = cx + side * r // 3, cy - r // 5
        draw.ellipse([ex - eye, ey - eye, ex + eye, ey + eye], fill=(20, 20, 20))
    nose = max(3, r // 10)
    draw.ellipse([cx - nose, cy + r // 6 - nose, cx + nose, cy + r // 6 + nose], fill=(60, 30, 30))
    tilt = rng.randrange(-r // 8, r // 8 + 1)
    draw.arc(
        [cx - r // 3, cy + tilt, cx + r // 3, cy + r // 2 + tilt],
        20,
        160,
        fill=(30, 30, 30),
        width=max(2, r // 30),
    )
