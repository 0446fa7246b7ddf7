"""Pictures for the demo's photo evidence, drawn at load time so that the repository holds
no binary files: a field seen from its bund (young rice with the soil drained between the
rows and an AWD tube in front, or ripe rice at harvest) or bags of urea in a shop, with the
stamp a timestamp-camera app prints along the bottom. Drawn from a seed, so the same photo
comes out byte for byte on every load (evidence is stored by its SHA-256)."""

from __future__ import annotations

import random
from collections.abc import Callable
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from registry.labels.layout import FONT_FILES

WIDTH, HEIGHT = 800, 600
HORIZON = 210
SKY_TOP, SKY_LOW = (96, 150, 214), (196, 222, 240)
GREEN, RIPE, SOIL = (72, 150, 52), (214, 178, 64), (122, 96, 66)
PIPE, WALL, BAG = (226, 226, 220), (206, 192, 160), (240, 240, 236)


def jpeg(scene: str, stamp: tuple[str, str], seed: int, exif: bytes) -> bytes:
    """A photo of `scene` ("awd", "harvest" or "urea") with two stamp lines, as a phone's
    JPEG with `exif` (GPS and time taken) attached."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    SCENES[scene](draw, random.Random(seed))
    _stamp(image, stamp)
    out = BytesIO()
    image.save(out, "JPEG", quality=82, exif=exif)
    return out.getvalue()


def _sky(draw: ImageDraw.ImageDraw) -> None:
    for y in range(HORIZON):
        t = y / HORIZON
        draw.line([(0, y), (WIDTH, y)], fill=_mix(SKY_TOP, SKY_LOW, t))
    draw.rectangle([0, HORIZON - 14, WIDTH, HORIZON], fill=(70, 110, 70))  # tree line


def _rows(
    draw: ImageDraw.ImageDraw, rng: random.Random, ground: tuple[int, ...], crop: tuple[int, ...]
) -> None:
    """Rice rows converging on a point on the horizon, on bare or flooded ground."""
    draw.rectangle([0, HORIZON, WIDTH, HEIGHT], fill=ground)
    vanish = WIDTH / 2 + rng.randint(-80, 80)
    for i in range(-30, 31):
        foot = WIDTH / 2 + i * 46
        for step in range(40):
            t = step / 40
            y = HORIZON + (HEIGHT - HORIZON) * t**1.6
            x = vanish + (foot - vanish) * t**1.6
            size = 1 + 9 * t**1.6
            tone = _mix(crop, (30, 70, 20), rng.random() * 0.25)
            draw.ellipse([x - size, y - size * 1.6, x + size, y + size * 0.4], fill=tone)


def _awd(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _sky(draw)
    _rows(draw, rng, SOIL, GREEN)
    for _ in range(60):  # cracks in the drying mud
        x, y = rng.randint(0, WIDTH), rng.randint(HORIZON + 60, HEIGHT)
        draw.line([(x, y), (x + rng.randint(-30, 30), y + rng.randint(-8, 8))], (92, 70, 48), 2)
    left, top, bottom = 560, 250, 500  # the field water tube, water 15 cm below the soil
    draw.rectangle([left, top, left + 70, bottom], fill=PIPE, outline=(150, 150, 140), width=3)
    draw.rectangle([left + 8, 420, left + 62, bottom - 4], fill=(90, 120, 140))
    for row in range(8):
        for col in range(3):
            draw.ellipse(
                [left + 12 + col * 18, 280 + row * 26, left + 20 + col * 18, 288 + row * 26],
                fill=(60, 60, 60),
            )


def _harvest(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _sky(draw)
    _rows(draw, rng, (150, 130, 70), RIPE)
    for i in range(4):  # sacks of paddy on the bund
        x = 90 + i * 70
        draw.rounded_rectangle(
            [x, 420, x + 60, 505], 14, fill=BAG, outline=(170, 170, 160), width=2
        )


def _urea(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    draw.rectangle([0, 0, WIDTH, HEIGHT], fill=WALL)
    draw.rectangle([0, 470, WIDTH, HEIGHT], fill=(150, 140, 120))  # the shop floor
    font = _font(22, bold=True)
    for layer in range(4):
        for i in range(5):
            x = 40 + i * 150 + (layer % 2) * 40 + rng.randint(-6, 6)
            y = 480 - (layer + 1) * 95
            draw.rounded_rectangle(
                [x, y, x + 140, y + 90], 10, fill=BAG, outline=(180, 180, 170), width=2
            )
            draw.rectangle([x, y + 56, x + 140, y + 70], fill=(32, 120, 60))
            draw.text((x + 70, y + 30), "URÊ 46%N", fill=(32, 120, 60), font=font, anchor="mm")


SCENES: dict[str, Callable[[ImageDraw.ImageDraw, random.Random], None]] = {
    "awd": _awd,
    "harvest": _harvest,
    "urea": _urea,
}


def _stamp(image: Image.Image, lines: tuple[str, str]) -> None:
    """A dark band with white text, as timestamp-camera apps print."""
    band = Image.new("RGBA", (WIDTH, 74), (0, 0, 0, 150))
    image.paste(band, (0, HEIGHT - 74), band)
    draw = ImageDraw.Draw(image)
    draw.text((16, HEIGHT - 64), lines[0], fill="white", font=_font(24, bold=True))
    draw.text((16, HEIGHT - 32), lines[1], fill="white", font=_font(20))


def _font(pixels: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES[bold]), pixels)


def _mix(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
