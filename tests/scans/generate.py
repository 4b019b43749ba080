"""Scans of our own born-digital PDFs, degraded the way office scanners and copiers do.

Every source is a born-digital PDF whose parse is the truth: the seed PDFs
(``tests/fixtures/seeds/NNN.pdf``, the 2019 and legacy forms) and, when present, the real
Huai'an reports in ``../shared/realworld/reports`` (2021 form). A page is rendered in colour,
then, seeded by (source, page, level):

- printed at ``dpi`` (150–300) and turned by a random skew (up to ±2°),
- given a photocopy look: a dark shadow band along one edge, toner specks, a slight blur,
- stamped with a red seal (ring, star and lettering, multiplied over the ink) across part of
  a table,
- compressed as JPEG (quality 40–80) and wrapped in an image-only PDF (no text layer).

:data:`LEVELS` names the degradations the tests and ``make bench`` report on; ``office`` is
the issue's "photocopy-quality" scan: 200 dpi, ±1.5°, specks, slight blur, JPEG 55.

Nothing is written to the repository: ``scan_pdf`` returns the bytes.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
REALWORLD = ROOT.parent / "shared" / "realworld" / "reports"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FIXED_DATE = time.gmtime(1577836800)


@dataclass(frozen=True)
class Level:
    """One degradation level (skew is drawn in ±``max_skew``, its sign alternating by page)."""

    name: str
    dpi: int
    max_skew: float  # degrees
    specks: float  # share of pixels that get a toner speck
    blur: float  # Gaussian radius in pixels at 200 dpi
    quality: int  # JPEG quality
    seal: bool = False  # a red seal over part of a table
    shadow: bool = False  # a photocopier's dark edge and grey cast
    color: bool = False  # scanned in colour (a seal needs it to be told from ink)
    rules: str = "all"  # the tables' ruling lines: "all", "faint" (light, broken), "horizontal", "none"


LEVELS = {
    "clean": Level("clean", 300, 0.5, 0.0, 0.3, 80),
    "office": Level("office", 200, 1.5, 0.0005, 0.6, 55),
    "photocopy": Level("photocopy", 200, 1.5, 0.001, 0.7, 55, seal=True, shadow=True, color=True),
    "poor": Level("poor", 150, 2.0, 0.0015, 0.8, 40, seal=True, shadow=True, color=True),
    # the office scan of tables whose rules are (partly) missing: faint and broken, only
    # the horizontal ones (a three-line table), or none at all (a borderless table)
    "faint": Level("faint", 200, 1.5, 0.0005, 0.6, 55, rules="faint"),
    "hrules": Level("hrules", 200, 1.5, 0.0005, 0.6, 55, rules="horizontal"),
    "borderless": Level("borderless", 200, 1.5, 0.0005, 0.6, 55, rules="none"),
}
# a level's seed comes from its place here: new levels go at the end, so the scans of the
# older ones (and their measured numbers) stay the same
_SEED_ORDER = ("clean", "office", "photocopy", "poor", "faint", "hrules", "borderless")


@dataclass(frozen=True)
class Source:
    name: str
    path: Path


def sources(realworld: bool = True) -> list[Source]:
    """Born-digital PDFs with statutory tables: seeds 001 (2019 form), 000 and 002 (legacy),
    then the real 2021-form reports if present."""
    out = [Source(f"seed_{n}", SEEDS / f"{n}.pdf") for n in ("001", "000", "002")]
    if realworld and REALWORLD.is_dir():
        out += [Source(p.stem, p) for p in sorted(REALWORLD.glob("*.pdf"))]
    return out


def render(data: bytes, dpi: int) -> list[Image.Image]:
    """Every page of a PDF as RGB pixels."""
    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            pages.append(page.render(scale=dpi / 72).to_pil().convert("RGB"))
            page.close()
        return pages
    finally:
        pdf.close()


def degrade(page: Image.Image, level: Level, seed: int) -> Image.Image:
    """One rendered page as the scanner (or copier) would give it back."""
    rng = np.random.default_rng(seed)
    sign = 1 if seed % 2 else -1
    skew = sign * rng.uniform(0.6, 1.0) * level.max_skew
    if level.rules != "all":
        page = strip_rules(page, level.rules, rng)
    if level.seal:
        page = stamp_seal(page, rng)
    pixels = np.asarray(page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=(255,) * 3))
    pixels = 25 + pixels.astype(np.float32) * (225 / 255)  # ink is not black, paper not white
    height, width = pixels.shape[:2]
    coarse = rng.normal(0.0, 5.0, (height // 8 + 1, width // 8 + 1)).astype(np.float32)
    blotches = np.asarray(Image.fromarray(coarse, "F").resize((width, height), Image.Resampling.BILINEAR))
    pixels += (blotches + rng.normal(0.0, 3.0, (height, width)).astype(np.float32))[..., None]
    if level.shadow:
        pixels *= _shadow(width, height, rng)[..., None]
    specks = rng.random((height, width)) < level.specks
    pixels[specks] = rng.uniform(30, 140, (int(specks.sum()), 1))
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    out = out.filter(ImageFilter.GaussianBlur(level.blur * level.dpi / 200))
    return out if level.color else out.convert("L")


def _shadow(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A copier's shadow: one edge darkened over ~6% of the page, the rest a little grey."""
    side = int(rng.integers(4))
    n = width if side < 2 else height
    t = np.arange(n, dtype=np.float32) / n
    if side % 2:
        t = t[::-1]
    band = 0.45 + 0.55 * np.clip(t / 0.06, 0, 1) ** 0.6  # darkest at the edge
    band *= 0.93  # the grey cast of a copy
    return np.tile(band, (height, 1)) if side < 2 else np.tile(band[:, None], (1, width))


def strip_rules(page: Image.Image, mode: str, rng: np.random.Generator) -> Image.Image:
    """The page with its ruling lines changed: ``none`` removes them, ``horizontal`` keeps
    only the horizontal ones, ``faint`` makes them light gray and broken every few mm.

    A rule is ink that stays after an opening by a line a quarter inch long (longer than
    any stroke of body text), widened by a pixel each side for its anti-aliased edge.
    """
    import cv2

    dpi = page.width / 8.27
    gray = np.asarray(page.convert("L"))
    ink = (gray < 200).astype(np.uint8)
    length = max(10, round(dpi / 4))
    masks = {}
    for name, shape in (("h", (length, 1)), ("v", (1, length))):
        lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
        masks[name] = cv2.dilate(lines, np.ones((3, 3), np.uint8)).astype(bool)
    pixels = np.asarray(page, dtype=np.uint8).copy()
    if mode == "none":
        pixels[masks["h"] | masks["v"]] = 255
    elif mode == "horizontal":
        pixels[masks["v"] & ~masks["h"]] = 255
    elif mode == "faint":
        both = masks["h"] | masks["v"]
        light = np.maximum(pixels, 175)  # light gray toner
        pixels[both] = light[both]
        step = max(4, round(dpi / 25))  # ~1 mm pieces, a third of them gone
        ys, xs = np.nonzero(both)
        gone = rng.random((pixels.shape[0] // step + 1, pixels.shape[1] // step + 1)) < 0.33
        drop = gone[ys // step, xs // step]
        pixels[ys[drop], xs[drop]] = 255
    return Image.fromarray(pixels, "RGB")


def _table_box(page: Image.Image) -> tuple[int, int, int, int] | None:
    """The extent of the page's longest ruled rows (a table), or None."""
    ink = np.asarray(page.convert("L")) < 128
    long_rows = np.flatnonzero(ink.sum(axis=1) > 0.4 * page.width)
    if len(long_rows) < 3:
        return None
    cols = np.flatnonzero(ink[long_rows].any(axis=0))
    return int(cols[0]), int(long_rows[0]), int(cols[-1]), int(long_rows[-1])


def stamp_seal(page: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A round red seal (ring, star, lettering) multiplied over part of the page's table."""
    box = _table_box(page)
    dpi = page.width / 8.27
    radius = int(0.8 * dpi)  # a 40 mm official seal
    if box is None:
        cx, cy = int(page.width * 0.65), int(page.height * 0.8)
    else:
        x0, y0, x1, y1 = box
        cx = int(rng.uniform(x0 + 0.4 * (x1 - x0), x1 - 0.2 * (x1 - x0)))
        cy = int(rng.uniform(y0 + radius * 0.5, max(y0 + radius * 0.6, y1 - radius * 0.5)))
    size = 2 * radius + 4
    seal = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(seal)
    width = max(3, radius // 14)
    draw.ellipse([2, 2, size - 3, size - 3], outline=255, width=width)
    star = [
        (
            size / 2 + (0.28 if k % 2 == 0 else 0.11) * radius * math.sin(k * math.pi / 5),
            size / 2 - (0.28 if k % 2 == 0 else 0.11) * radius * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=255)
    if FONT.exists():
        font = ImageFont.truetype(str(FONT), max(10, radius // 5))
        text = "政府信息公开办公室"
        for k, ch in enumerate(text):
            angle = math.radians(-120 + 240 * k / (len(text) - 1))
            x = size / 2 + 0.72 * radius * math.sin(angle)
            y = size / 2 - 0.72 * radius * math.cos(angle)
            glyph = Image.new("L", (radius // 4, radius // 4), 0)
            ImageDraw.Draw(glyph).text((0, 0), ch, fill=255, font=font)
            glyph = glyph.rotate(-math.degrees(angle), expand=True)
            seal.paste(255, (int(x - glyph.width / 2), int(y - glyph.height / 2)), glyph)
        draw.text((size / 2, size * 0.78), "专用章", fill=255, font=font, anchor="mm")
    # ink is uneven: some of the seal is faint
    strength = np.asarray(seal, dtype=np.float32) / 255 * rng.uniform(0.55, 0.95, (size, size))
    red = np.array([205, 30, 40], dtype=np.float32) / 255  # seal ink, multiplied over the print
    pixels = np.asarray(page, dtype=np.float32).copy()
    x0, y0 = cx - size // 2, cy - size // 2
    sx0, sy0 = max(0, -x0), max(0, -y0)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(page.width, x0 + size - sx0), min(page.height, y0 + size - sy0)
    s = strength[sy0 : sy0 + y1 - y0, sx0 : sx0 + x1 - x0, None]
    pixels[y0:y1, x0:x1] *= 1 - s * (1 - red)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def to_pdf(pages: list[Image.Image], level: Level) -> bytes:
    """An image-only PDF (JPEG pages, no text layer), as a scanner writes it."""
    buf = io.BytesIO()
    first, *rest = pages
    first.save(
        buf,
        format="PDF",
        save_all=True,
        append_images=rest,
        resolution=level.dpi,
        quality=level.quality,
        title="scan",
        producer="tests/scans/generate.py",
        creationDate=FIXED_DATE,
        modDate=FIXED_DATE,
    )
    return buf.getvalue()


@cache
def scan_pdf(path: Path, level_name: str, pages: tuple[int, ...] | None = None, draw: int = 0) -> bytes:
    """The born-digital PDF at ``path`` scanned at ``level_name`` (only ``pages`` if given, 1-based).

    ``draw`` picks another random scan of the same level (another skew, other specks, the seal
    elsewhere): draw 0 is the scan the README's numbers were measured on.
    """
    level = LEVELS[level_name]
    rendered = render(path.read_bytes(), level.dpi)
    chosen = pages or tuple(range(1, len(rendered) + 1))
    base = sum(path.name.encode()) * 1000 + _SEED_ORDER.index(level_name) * 100 + draw * 1_000_003
    return to_pdf([degrade(rendered[n - 1], level, base + n) for n in chosen], level)


def main() -> None:
    """Write every source at every level to DIR, to look at: ``python -m tests.scans.generate DIR``."""
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/nianbao-scans")
    out.mkdir(parents=True, exist_ok=True)
    for src in sources():
        for name in LEVELS:
            (out / f"{src.name}.{name}.pdf").write_bytes(scan_pdf(src.path, name))
            print(out / f"{src.name}.{name}.pdf")


if __name__ == "__main__":
    main()
