"""Draw the app's icons into static/icons/ (run again after changing the design).

One design, two renderings: ``icon.svg`` (the favicon for browsers that take SVG) and PNGs drawn
with Pillow at the sizes a favicon, a home-screen icon (``apple-touch-icon``) and the web app
manifest need, plus a maskable icon whose bolt stays inside the safe zone (the middle 80 %).

    .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
GREEN = "#0a6b47"
SUN = "#f2c200"
# A lightning bolt on a 64 x 64 grid: the neighbourhood's electricity, both ways.
BOLT = [(37, 6), (15, 36), (29, 36), (25, 58), (49, 26), (35, 26), (40, 6)]

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect width="64" height="64" rx="14" fill="{GREEN}"/>
  <circle cx="50" cy="14" r="7" fill="{SUN}"/>
  <polygon points="{" ".join(f"{x},{y}" for x, y in BOLT)}" fill="#fff"/>
</svg>
"""


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # drawn large and scaled down, for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = big / 64
    if maskable:
        pen.rectangle((0, 0, big, big), fill=GREEN)
        shrink, offset = 0.72, big * 0.14
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=14 * unit, fill=GREEN)
        shrink, offset = 1.0, 0.0

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x * unit * shrink, offset + y * unit * shrink)

    cx, cy = at(50, 14)
    r = 7 * unit * shrink
    pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=SUN)
    pen.polygon([at(x, y) for x, y in BOLT], fill="#ffffff")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(SVG, encoding="utf-8")
    for name, size in [
        ("favicon-32.png", 32),
        ("apple-touch-icon.png", 180),
        ("icon-192.png", 192),
        ("icon-512.png", 512),
    ]:
        draw(size).save(OUT / name, optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
