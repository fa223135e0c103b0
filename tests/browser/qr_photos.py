"""Photos of the back of a permit card as a cheap phone camera takes them: the app's own card (its
layout and QR code, rendered from the PDF) seen at low resolution, turned and tilted, out of focus,
with glare, dim light, sensor noise and strong JPEG compression. Every photo comes from a fixed seed,
so the set is the same on every run: a decoder's rate over it is a number, not a sample.

Used by tests/browser/test_qr_decoding.py (the rate the guard page's decoder must keep) and by
bench/qr_decoders.py (the comparison that chose the decoder, docs/performance.md)."""

from __future__ import annotations

import base64
import hashlib
import io
import math
import random
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from lbt.permits.card import CardLabels, qr_matrix, render_cards
from lbt.permits.card_layout import CARD_WIDTH, QR_BLOCK

FRAME = (640, 480)  # a phone camera's default preview size in the browser (getUserMedia)
SUPERSAMPLE = 3  # drawn this much larger, then shrunk: a sensor averages the light on each pixel
SEED = 11
PIXELS_PER_MODULE = (1.7, 4.5)  # the QR's module in the final frame: far away (or a poor lens) to close
MOST_PIXELS_PER_MODULE = PIXELS_PER_MODULE[1] * SUPERSAMPLE


@dataclass(frozen=True)
class Photo:
    name: str
    text: str  # what the QR holds
    jpeg: bytes
    conditions: str  # how the photo was spoiled, for a reader of the results

    def data_url(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode()


def _base64url(length: int, seed: str) -> str:
    raw = hashlib.shake_256(seed.encode()).digest(length)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()[:length]


def qr_text(index: int) -> str:
    """A permit QR as issued: ``<site>/v#<JWS>``, the lengths of a real one (header 118, claims
    250 to 310, ES256 signature 86 characters: 480 to 550 in all, QR version 17 or 18)."""
    claims = 250 + (index * 20) % 61
    return (
        "https://lbt.border.example.tj/v#"
        f"{_base64url(118, f'h{index}')}.{_base64url(claims, f'c{index}')}.{_base64url(86, f's{index}')}"
    )


@cache
def _modules(index: int) -> int:
    """Modules across card ``index``'s QR, quiet zone included."""
    return len(qr_matrix(qr_text(index)))


@cache
def _card_back_pdf(index: int) -> bytes:
    from tests.permits.test_card import make_card  # the card tests' holder, photo and texts

    return render_cards([make_card(qr_text=qr_text(index))], CardLabels.english())


@cache
def _card_back_sharp(index: int) -> Image.Image:
    """The back of card ``index`` at the most pixels per module any photo needs."""
    import pypdfium2

    width = CARD_WIDTH / (QR_BLOCK / _modules(index)) * MOST_PIXELS_PER_MODULE
    document = pypdfium2.PdfDocument(_card_back_pdf(index))
    try:
        page = document[1]
        return page.render(scale=width / page.get_width()).to_pil().convert("RGB")
    finally:
        document.close()


def card_back(index: int, pixels_per_module: float) -> Image.Image:
    """The back of card ``index`` so that one QR module is ``pixels_per_module`` wide."""
    sharp = _card_back_sharp(index)
    scale = pixels_per_module / MOST_PIXELS_PER_MODULE
    return sharp.resize((round(sharp.width * scale), round(sharp.height * scale)), Image.Resampling.LANCZOS)


def _solve(matrix: list[list[float]], values: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (8 unknowns: no numpy needed)."""
    size = len(values)
    rows = [[*row, value] for row, value in zip(matrix, values, strict=True)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for r in range(size):
            if r != column:
                factor = rows[r][column] / rows[column][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column], strict=True)]
    return [rows[r][size] / rows[r][r] for r in range(size)]


def _perspective(seen: list[tuple[float, float]], source: list[tuple[float, float]]) -> tuple[float, ...]:
    """Pillow's PERSPECTIVE coefficients: for each point of the photo, where it is on the card."""
    matrix, values = [], []
    for (x, y), (u, v) in zip(seen, source, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        values.append(u)
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values.append(v)
    return tuple(_solve(matrix, values))


def _placed(card: Image.Image, rng: random.Random, qr_centre: tuple[float, float]) -> tuple[Image.Image, str]:
    """The card on a desk, turned and tilted, the QR near the middle of the (supersampled) frame."""
    width, height = FRAME[0] * SUPERSAMPLE, FRAME[1] * SUPERSAMPLE
    angle = math.radians(rng.uniform(-25, 25))
    tilt = rng.uniform(0, 0.3)  # how much shorter the far edge looks
    tilt_axis = rng.choice(("x", "y"))
    offset = (rng.uniform(-0.08, 0.08) * width, rng.uniform(-0.08, 0.08) * height)
    w, h = card.size
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    centre_x, centre_y = qr_centre

    def seen(point: tuple[float, float]) -> tuple[float, float]:
        x, y = point[0] - centre_x, point[1] - centre_y
        # the far edge (left, or top) looks shorter, and the card narrower towards it
        near = point[0] / w if tilt_axis == "x" else point[1] / h
        shrink = 1 - tilt * (1 - near)
        x, y = x * shrink, y * shrink
        turned = (x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle))
        return (width / 2 + offset[0] + turned[0], height / 2 + offset[1] + turned[1])

    coefficients = _perspective([seen(c) for c in corners], corners)
    desk = Image.new("RGB", (width, height), tuple(rng.randint(60, 150) for _ in range(3)))
    shape = Image.new("L", card.size, 255)
    transform = Image.Transform.PERSPECTIVE
    mask = shape.transform((width, height), transform, coefficients, Image.Resampling.BILINEAR)
    card_seen = card.transform((width, height), transform, coefficients, Image.Resampling.BILINEAR)
    desk.paste(card_seen, (0, 0), mask)
    return desk, f"turn {math.degrees(angle):+.0f}° tilt {tilt:.2f}{tilt_axis}"


def _glare(frame: Image.Image, rng: random.Random) -> str:
    """A lamp or the sky reflected on the laminate: a bright spot, white at its centre."""
    if rng.random() < 0.35:
        return "no glare"
    size = int(rng.uniform(0.15, 0.45) * frame.height)
    strength = rng.uniform(0.5, 0.95)
    spot = ImageChops.invert(Image.radial_gradient("L")).resize((size * 2, size))
    spot = spot.point(lambda value: int(value * strength))
    spot = spot.rotate(rng.uniform(0, 180), expand=True)
    x = int(frame.width / 2 + rng.uniform(-0.3, 0.3) * frame.height - spot.width / 2)
    y = int(frame.height / 2 + rng.uniform(-0.3, 0.3) * frame.height - spot.height / 2)
    frame.paste(Image.new("RGB", spot.size, (255, 255, 250)), (x, y), spot)
    return f"glare {strength:.2f}"


def _shaded(frame: Image.Image, rng: random.Random) -> str:
    """Dim, uneven light: contrast lowered and a shadow across the frame."""
    contrast = rng.uniform(0.45, 1.0)
    floor = int(rng.uniform(10, 70))
    frame = frame.point(lambda value: int(floor + value * contrast * (255 - floor) / 255))
    shadow = Image.linear_gradient("L").resize(frame.size).rotate(rng.uniform(0, 360))
    darkness = rng.uniform(0, 0.5)
    shadow = shadow.point(lambda value: int(255 - value * darkness))
    return ImageChops.multiply(frame, Image.merge("RGB", (shadow, shadow, shadow))), (
        f"contrast {contrast:.2f} shadow {darkness:.2f}"
    )


def photograph(index: int, rng: random.Random) -> Photo:
    pixels_per_module = rng.uniform(*PIXELS_PER_MODULE)
    card_index = index % 4
    card = card_back(card_index, pixels_per_module * SUPERSAMPLE)
    modules = _modules(card_index)
    module = card.width / (CARD_WIDTH / (QR_BLOCK / modules))
    # the QR is on the right of the back, centred vertically (lbt/permits/card.py, _prepare_back)
    qr_centre = (card.width - module * modules / 2, card.height / 2)
    frame, placement = _placed(card, rng, qr_centre)
    frame = frame.resize(FRAME, Image.Resampling.BOX)
    blur = rng.uniform(0, 1.8)  # out of focus (a fixed-focus lens held too close) or shaken
    frame = frame.filter(ImageFilter.GaussianBlur(blur))
    glare = _glare(frame, rng)
    frame, light = _shaded(frame, rng)
    noise_level = rng.uniform(0.03, 0.14)
    noise = Image.frombytes("RGB", FRAME, rng.randbytes(FRAME[0] * FRAME[1] * 3))
    frame = Image.blend(frame, noise, noise_level)
    quality = rng.randint(20, 70)
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=quality)
    conditions = (
        f"{pixels_per_module:.1f} px/module, {placement}, blur {blur:.1f}, {glare}, {light}, "
        f"noise {noise_level:.2f}, JPEG q{quality}"
    )
    return Photo(f"photo-{index:02d}", qr_text(card_index), out.getvalue(), conditions)


@cache
def degraded_set(count: int = 60, seed: int = SEED) -> tuple[Photo, ...]:
    """``count`` photos; each has its own seeded random source, so one photo never changes another."""
    return tuple(photograph(index, random.Random(f"{seed}-{index}")) for index in range(count))


def contact_sheet(photos: tuple[Photo, ...], columns: int = 6) -> Image.Image:
    """All photos at half size on one image, to look at the set."""
    cell = (FRAME[0] // 2, FRAME[1] // 2)
    rows = math.ceil(len(photos) / columns)
    sheet = Image.new("RGB", (cell[0] * columns, cell[1] * rows), "white")
    draw = ImageDraw.Draw(sheet)
    for position, photo in enumerate(photos):
        x, y = (position % columns) * cell[0], (position // columns) * cell[1]
        sheet.paste(Image.open(io.BytesIO(photo.jpeg)).resize(cell), (x, y))
        draw.text((x + 4, y + 4), photo.name, fill="red")
    return sheet
