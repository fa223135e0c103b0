"""The permit card (Reg. (EC) No 1931/2006 Art. 7): an ID-1 PDF, one front and one back page per permit.

Flask-free and database-free: the caller copies what is printed into ``CardData`` and the translated
fixed texts into ``CardLabels``; this module only lays out and draws. Layout, fonts and the QR
parameters are explained in docs/permit-card.md.
"""

from __future__ import annotations

import functools
import io
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

import qrcode
from PIL import Image, ImageOps, UnidentifiedImageError
from qrcode.constants import ERROR_CORRECT_H as H
from qrcode.constants import ERROR_CORRECT_M as M
from qrcode.constants import ERROR_CORRECT_Q as Q
from qrcode.exceptions import DataOverflowError
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

CARD_WIDTH = 85.60 * mm  # ISO/IEC 7810 ID-1
CARD_HEIGHT = 53.98 * mm
MARGIN = 2.6 * mm  # clear of the 3.18 mm rounded corners and of the cutter's tolerance

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = "LBT-DejaVuSans"
BOLD = "LBT-DejaVuSans-Bold"
ASCENT = 0.93  # DejaVu Sans ascender, in em: a line's top sits this far above its baseline
LEADING = 1.18  # line advance, in em

QR_BLOCK = 46 * mm  # side of the QR symbol including its quiet zone
QR_QUIET_MODULES = 4  # ISO/IEC 18004 minimum quiet zone
QR_MIN_MODULE = 0.33 * mm  # smaller modules stop scanning reliably from a card print
PHOTO_WIDTH = 25 * mm
PHOTO_HEIGHT = 32 * mm
PHOTO_DPI = 300  # card printers print at 300 dpi; more only makes a print batch heavier

# CMYK: text and the QR in pure K, which card printers lay down as one sharp resin black panel
BLACK = (0, 0, 0, 1)
GREY = (0, 0, 0, 0.62)
WHITE = (0, 0, 0, 0)
BAND = (0.9, 0.45, 0, 0.35)
TINT = (0.07, 0.02, 0, 0)
GUILLOCHE = (0.16, 0.05, 0, 0)


class CardError(ValueError):
    """A card cannot be printed as asked: a bad photo, a character the font lacks, text or QR too long."""


@dataclass(frozen=True)
class CardLabels:
    """The fixed texts of the card; ``bilingual`` puts two languages into one set."""

    title: str
    surname: str
    given_names: str
    birth_date: str
    sex: str
    nationality: str
    permit_number: str
    valid_from: str
    valid_until: str
    max_stay_days: str
    document_number: str
    residence: str
    border_area: str
    issuing_authority: str
    issued_on: str
    statement_border_area: str
    statement_misuse: str
    date_format: str = "%d.%m.%Y"

    @classmethod
    def english(cls) -> CardLabels:
        return cls(
            title="Local border traffic permit",
            surname="Surname",
            given_names="Given names",
            birth_date="Date of birth",
            sex="Sex",
            nationality="Nationality",
            permit_number="Permit No.",
            valid_from="Valid from",
            valid_until="Valid until",
            max_stay_days="Max. stay (days)",
            document_number="Travel document No.",
            residence="Place of residence",
            border_area="Valid in the border area",
            issuing_authority="Issuing authority",
            issued_on="Date of issue",
            statement_border_area="The holder may not leave the border area.",
            statement_misuse="Misuse is penalised.",
        )

    @classmethod
    def bilingual(cls, first: CardLabels, second: CardLabels) -> CardLabels:
        """Captions read "first / second"; the title and statements get one line per language."""
        joined = {}
        for name in (f.name for f in fields(cls) if f.name != "date_format"):
            separator = "\n" if name in ("title", "statement_border_area", "statement_misuse") else " / "
            joined[name] = f"{getattr(first, name)}{separator}{getattr(second, name)}"
        return cls(**joined, date_format=first.date_format)


@dataclass(frozen=True)
class CardData:
    """Everything printed on one card, as plain values (copied from the permit by the caller)."""

    number: str
    surname_national: str
    given_names_national: str
    surname_latin: str
    given_names_latin: str
    birth_date: date
    sex: str
    nationality: str
    residence_national: str
    residence_latin: str
    district: str
    issuing_state: str
    issuing_authority: str
    issued_on: date
    valid_from: date
    valid_until: date
    border_area: str
    document_number: str
    max_stay_days: int
    photo: bytes = field(repr=False)
    qr_text: str = field(repr=False)  # <public_url>/v#<JWS>


@dataclass(frozen=True)
class FittedText:
    """Text broken into lines that fit a width at one font size."""

    lines: tuple[str, ...]
    font: str
    size: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


@functools.cache
def _fonts() -> dict[str, TTFont]:
    """Register the vendored fonts with reportlab once per process."""
    files = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
    registered = {name: TTFont(name, str(FONT_DIR / file)) for name, file in files.items()}
    for font in registered.values():
        pdfmetrics.registerFont(font)
    return registered


def printable(text: str, font: str = BOLD) -> str:
    """``text`` in NFC (reportlab does no shaping) on one line; ``CardError`` for a character the font
    lacks, since a document must not show an empty box."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    glyphs = _fonts()[font].face.charToGlyph
    missing = sorted({char for char in text if ord(char) not in glyphs})
    if missing:
        shown = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in missing)
        raise CardError(f"cannot print {shown} in {text[:40]!r}: the card font has no glyph for it")
    return text


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; "\\n" starts a new line, and a word wider than ``width`` is broken."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if pdfmetrics.stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while pdfmetrics.stringWidth(word, font, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def fit_text(
    text: str, font: str, width: float, max_size: float, min_size: float, max_lines: int = 1
) -> FittedText:
    """The largest size (0.25 pt steps, ``max_size`` down to ``min_size``) at which ``text`` fits
    ``width`` on one line; failing that on two lines, and so on up to ``max_lines``."""
    paragraphs = [printable(part, font) for part in text.split("\n")]
    text = "\n".join(paragraphs)
    for line_count in range(max(len(paragraphs), 1), max_lines + 1):
        size = max_size
        while size >= min_size - 1e-9:
            lines = _wrap(text, font, size, width)
            widest = max(pdfmetrics.stringWidth(line, font, size) for line in lines)
            if len(lines) <= line_count and widest <= width:  # wider only if one letter is
                return FittedText(tuple(lines), font, size)
            size -= 0.25
    raise CardError(f"{text[:40]!r}... is too long for the card ({max_lines} line(s) of {width / mm:.1f} mm)")


@dataclass(frozen=True)
class _Value:
    text: str
    size: float = 7.0
    min_size: float = 4.5
    max_lines: int = 2
    font: str = BOLD


class _Column:
    """Stacks captioned fields top-down, shrinking every size by ``scale``; draws only once all fit."""

    CAPTION_SIZE = 4.3
    GAP = 0.9 * mm

    def __init__(self, x: float, top: float, bottom: float, width: float, scale: float) -> None:
        self.x, self.y, self.bottom, self.width, self.scale = x, top, bottom, width, scale
        self.placed: list[tuple[float, float, FittedText, tuple[float, ...]]] = []

    def _fit(self, value: _Value, width: float) -> FittedText:
        """``min_size`` is the legibility floor, so only the preferred size is scaled."""
        size = max(value.size * self.scale, value.min_size)
        return fit_text(value.text, value.font, width, size, value.min_size, value.max_lines)

    def _stack(self, x: float, top: float, caption: str, values: Sequence[_Value], width: float) -> float:
        y = top
        for index, value in enumerate((_Value(caption, self.CAPTION_SIZE, 3.2, 2, REGULAR), *values)):
            text = self._fit(value, width)
            self.placed.append((x, y, text, BLACK if index else GREY))
            y -= text.height
        return top - y

    def field(self, caption: str, *values: _Value) -> None:
        self.y -= self._stack(self.x, self.y, caption, values, self.width) + self.GAP

    def footer(self, value: _Value) -> None:
        """Uncaptioned text set at the bottom of the column; the fields then stop above it."""
        text = self._fit(value, self.width)
        self.bottom += text.height
        self.placed.append((self.x, self.bottom, text, BLACK))
        self.bottom += self.GAP

    def row(self, *cells: tuple[float, str, _Value]) -> None:
        """Fields side by side; each cell is (share of the width, caption, value)."""
        gap, x, height = 1.2 * mm, self.x, 0.0
        usable = self.width - gap * (len(cells) - 1)
        for share, caption, value in cells:
            height = max(height, self._stack(x, self.y, caption, [value], usable * share))
            x += usable * share + gap
        self.y -= height + self.GAP

    @property
    def fits(self) -> bool:
        return self.y + self.GAP >= self.bottom

    def draw(self, canvas: Canvas) -> None:
        for x, top, text, color in self.placed:
            _draw_text(canvas, x, top, text, color)


def _draw_text(canvas: Canvas, x: float, top: float, text: FittedText, color: tuple[float, ...]) -> float:
    """Draws the lines below ``top``; returns where the next text may start."""
    canvas.setFillColorCMYK(*color)
    canvas.setFont(text.font, text.size)
    for index, line in enumerate(text.lines):
        canvas.drawString(x, top - text.size * (ASCENT + index * LEADING), line)
    return top - text.height


def _laid_out(build: Callable[[_Column], None], x: float, top: float, bottom: float, width: float) -> _Column:
    """The column at the largest scale (100 % down to 70 %) at which every field fits."""
    problem = "the card's text does not fit even at 70 % size"
    for percent in range(100, 65, -5):
        column = _Column(x, top, bottom, width, percent / 100)
        try:
            build(column)
        except CardError as exc:  # one text too long at this scale: try smaller
            problem = str(exc)
            continue
        if column.fits:
            return column
    raise CardError(problem)


def _load_photo(photo: bytes) -> tuple[ImageReader, float, float]:
    """The photo as an embeddable JPEG with its drawn size: aspect kept, fitted into 25 x 32 mm."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(photo)) as image:
                image_format = image.format
                picture = ImageOps.exif_transpose(image).convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise CardError("the photo is not a readable JPEG or PNG image") from exc
    if image_format not in ("JPEG", "PNG"):
        raise CardError(f"the photo must be a JPEG or PNG image, not {image_format}")
    picture = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture).convert("RGB")
    scale = min(PHOTO_WIDTH / picture.width, PHOTO_HEIGHT / picture.height)
    width, height = picture.width * scale, picture.height * scale
    pixels = (round(width / mm / 25.4 * PHOTO_DPI), round(height / mm / 25.4 * PHOTO_DPI))
    if pixels[0] < picture.width:
        picture = picture.resize(pixels, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return ImageReader(buffer), width, height


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules (True = dark) with the 4-module quiet zone, at level M or, when the symbol
    stays the same size, at Q or H: more damage tolerated at no cost in module size."""
    if not text.isascii():
        raise CardError("the QR content must be ASCII (a URL with a percent-encoded or punycode host)")
    codes = [qrcode.QRCode(error_correction=level, border=QR_QUIET_MODULES) for level in (H, Q, M)]
    for code in codes:
        code.add_data(text)
    versions = [_smallest_version(code) for code in codes]
    if versions[-1] > 40:
        raise CardError(f"the QR content is too long ({len(text)} characters)")
    code = next(code for code, version in zip(codes, versions, strict=True) if version <= versions[-1])
    code.make(fit=False)
    return code.get_matrix()


def _smallest_version(code: qrcode.QRCode) -> int:
    try:
        return code.best_fit()
    except (DataOverflowError, ValueError):  # past version 40 qrcode 8 may raise either
        return 41


def _draw_qr(canvas: Canvas, text: str, x: float, y: float) -> None:
    """The QR as one vector path of dark runs (no seams, sharp at any printer resolution)."""
    matrix = qr_matrix(text)
    module = QR_BLOCK / len(matrix)
    if module < QR_MIN_MODULE:
        raise CardError(
            f"the QR content ({len(text)} characters) needs {len(matrix)} modules: "
            f"{module / mm:.2f} mm each is too small to scan from the card"
        )
    canvas.setFillColorCMYK(*WHITE)
    canvas.rect(x, y, QR_BLOCK, QR_BLOCK, stroke=0, fill=1)
    runs = []  # in module units, origin at the top left: integers keep the content stream small
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            start = column
            while column < len(row) and row[column] == row[start]:
                column += 1
            if row[start]:
                runs.append(f"{start} {-row_index - 1} {column - start} 1 re")
    canvas.saveState()
    canvas.translate(x, y + QR_BLOCK)
    canvas.scale(module, module)
    canvas.setFillColorCMYK(*BLACK)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()


def _draw_background(canvas: Canvas) -> None:
    """A pale tint with fine wavy lines, so a photocopy or a plain-paper forgery is easy to tell."""
    canvas.setFillColorCMYK(*TINT)
    canvas.rect(0, 0, CARD_WIDTH, CARD_HEIGHT, stroke=0, fill=1)
    canvas.setStrokeColorCMYK(*GUILLOCHE)
    canvas.setLineWidth(0.25)
    step = CARD_WIDTH / 16
    for index in range(-2, 15):
        path = canvas.beginPath()
        base = index * 4 * mm
        path.moveTo(0, base)
        for segment in range(16):
            x0, swing = segment * step, (3 if segment % 2 else -3) * mm
            path.curveTo(x0 + step / 3, base + swing, x0 + 2 * step / 3, base + swing, x0 + step, base)
        canvas.drawPath(path, stroke=1, fill=0)


def _draw_front(canvas: Canvas, card: CardData, labels: CardLabels) -> None:
    _draw_background(canvas)
    band = 9.5 * mm
    canvas.setFillColorCMYK(*BAND)
    canvas.rect(0, CARD_HEIGHT - band, CARD_WIDTH, band, stroke=0, fill=1)
    width = CARD_WIDTH - 2 * MARGIN
    state = fit_text(card.issuing_state, REGULAR, width, 4.6, 3.4)
    title = fit_text(labels.title.upper(), BOLD, width, 6.4, 3.6, max_lines=2)
    top = CARD_HEIGHT - (band - state.height - title.height) / 2  # centred in the band
    _draw_text(canvas, MARGIN, _draw_text(canvas, MARGIN, top, state, WHITE), title, WHITE)

    photo, photo_width, photo_height = _load_photo(card.photo)
    photo_top = CARD_HEIGHT - band - 1.4 * mm
    photo_x = MARGIN + (PHOTO_WIDTH - photo_width) / 2
    canvas.drawImage(photo, photo_x, photo_top - photo_height, photo_width, photo_height)
    canvas.setStrokeColorCMYK(*GREY)  # line width as left by the background
    canvas.rect(photo_x, photo_top - photo_height, photo_width, photo_height, stroke=1, fill=0)

    under_photo = _Column(MARGIN, photo_top - PHOTO_HEIGHT - 0.8 * mm, MARGIN, PHOTO_WIDTH + 1.5 * mm, 1)
    under_photo.field(labels.permit_number, _Value(card.number, size=8, min_size=4.5, max_lines=1))
    if not under_photo.fits:
        raise CardError("the permit number does not fit under the photo")
    under_photo.draw(canvas)

    fmt = labels.date_format

    def name(text: str) -> _Value:  # at most 100 characters (the permit's columns): 3 lines at 4 pt
        return _Value(text, 7.5, 4, 3)

    def build(column: _Column) -> None:
        column.field(labels.surname, name(card.surname_national), name(card.surname_latin))
        column.field(labels.given_names, name(card.given_names_national), name(card.given_names_latin))
        column.row(
            (0.36, labels.birth_date, _Value(card.birth_date.strftime(fmt))),
            (0.2, labels.sex, _Value(card.sex)),
            (0.44, labels.nationality, _Value(card.nationality)),
        )
        column.row(
            (0.5, labels.valid_from, _Value(card.valid_from.strftime(fmt))),
            (0.5, labels.valid_until, _Value(card.valid_until.strftime(fmt))),
        )
        column.field(labels.max_stay_days, _Value(str(card.max_stay_days)))

    left = MARGIN + PHOTO_WIDTH + 3 * mm
    _laid_out(build, left, photo_top, MARGIN, CARD_WIDTH - MARGIN - left).draw(canvas)


def _draw_back(canvas: Canvas, card: CardData, labels: CardLabels) -> None:
    _draw_background(canvas)
    qr_x = CARD_WIDTH - MARGIN - QR_BLOCK + 1.2 * mm  # the quiet zone may reach into the margin
    _draw_qr(canvas, card.qr_text, qr_x, (CARD_HEIGHT - QR_BLOCK) / 2)
    fmt = labels.date_format

    def build(column: _Column) -> None:
        statements = f"{labels.statement_border_area}\n{labels.statement_misuse}"
        column.footer(_Value(statements, 5, 3.4, 8))
        column.row(
            (0.55, labels.document_number, _Value(card.document_number, 6.5, max_lines=1)),
            (0.45, labels.issued_on, _Value(card.issued_on.strftime(fmt), 6.5, max_lines=1)),
        )
        column.field(
            labels.residence,
            _Value(card.residence_national, 6, 4),
            _Value(card.residence_latin, 6, 4),
            _Value(card.district, 5.5, 3.8, font=REGULAR),
        )
        column.field(labels.border_area, _Value(card.border_area, 5.5, 3.6, 4, REGULAR))
        column.field(labels.issuing_authority, _Value(card.issuing_authority, 5.5, 3.6, 4, REGULAR))

    _laid_out(build, MARGIN, CARD_HEIGHT - MARGIN, MARGIN, qr_x - MARGIN - 0.3 * mm).draw(canvas)


def _metadata_title(cards: Sequence[CardData]) -> str:
    """Permit numbers only: the file may travel by e-mail or sit in a print queue."""
    numbers = [card.number for card in cards]
    few = len(numbers) <= 10
    return ", ".join(numbers) if few else f"{numbers[0]} … {numbers[-1]} ({len(numbers)} permits)"


def render_cards(cards: Sequence[CardData], labels: CardLabels) -> bytes:
    """One PDF for printing: per card a front page and a back page, each exactly ID-1 size."""
    if not cards:
        raise CardError("no cards to print")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=1)
    canvas.setTitle(_metadata_title(cards))
    canvas.setAuthor("")  # reportlab would write "anonymous" and "unspecified"
    canvas.setSubject("")
    canvas.setCreator("lbt")
    for card in cards:
        try:
            _draw_front(canvas, card, labels)
            canvas.showPage()
            _draw_back(canvas, card, labels)
            canvas.showPage()
        except CardError as exc:
            raise CardError(f"permit {card.number}: {exc}") from exc
    canvas.save()
    return buffer.getvalue()
