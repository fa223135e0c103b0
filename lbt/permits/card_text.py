"""Text on the permit card: checked for glyphs, fitted to a width by shrinking and wrapping, and stacked
in captioned columns that are drawn only once every field fits."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from lbt.core.pdf_fonts import ASCENT, BOLD, REGULAR, missing_glyphs
from lbt.permits.card_content import CardError
from lbt.permits.card_layout import BLACK, GREY

LEADING = 1.18  # line advance, in em


@dataclass(frozen=True)
class FittedText:
    """Text broken into lines that fit a width at one font size."""

    lines: tuple[str, ...]
    font: str
    size: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


def printable(text: str, font: str = BOLD) -> str:
    """``text`` in NFC (reportlab does no shaping) on one line; ``CardError`` for a character the font
    lacks, since a document must not show an empty box."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    missing = missing_glyphs(text, font)
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


@lru_cache(maxsize=4096)  # the captions and statements are the same on every card of a batch
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


def draw_text(canvas: Canvas, x: float, top: float, text: FittedText, color: tuple[float, ...]) -> float:
    """Draws the lines below ``top``; returns where the next text may start."""
    canvas.setFillColorCMYK(*color)
    canvas.setFont(text.font, text.size)
    for index, line in enumerate(text.lines):
        canvas.drawString(x, top - text.size * (ASCENT + index * LEADING), line)
    return top - text.height


@dataclass(frozen=True)
class Value:
    """One value of a field, with its preferred size, legibility floor and line limit."""

    text: str
    size: float = 7.0
    min_size: float = 4.5
    max_lines: int = 2
    font: str = BOLD


class Column:
    """Stacks captioned fields top-down, shrinking every size by ``scale``; draws only once all fit."""

    CAPTION_SIZE = 4.3
    GAP = 0.9 * mm

    def __init__(self, x: float, top: float, bottom: float, width: float, scale: float) -> None:
        self.x, self.y, self.bottom, self.width, self.scale = x, top, bottom, width, scale
        self.placed: list[tuple[float, float, FittedText, tuple[float, ...]]] = []

    def _fit(self, value: Value, width: float) -> FittedText:
        """``min_size`` is the legibility floor, so only the preferred size is scaled."""
        size = max(value.size * self.scale, value.min_size)
        return fit_text(value.text, value.font, width, size, value.min_size, value.max_lines)

    def _stack(self, x: float, top: float, caption: str, values: Sequence[Value], width: float) -> float:
        y = top
        for index, value in enumerate((Value(caption, self.CAPTION_SIZE, 3.2, 2, REGULAR), *values)):
            text = self._fit(value, width)
            self.placed.append((x, y, text, BLACK if index else GREY))
            y -= text.height
        return top - y

    def field(self, caption: str, *values: Value) -> None:
        self.y -= self._stack(self.x, self.y, caption, values, self.width) + self.GAP

    def footer(self, value: Value) -> None:
        """Uncaptioned text set at the bottom of the column; the fields then stop above it."""
        text = self._fit(value, self.width)
        self.bottom += text.height
        self.placed.append((self.x, self.bottom, text, BLACK))
        self.bottom += self.GAP

    def row(self, *cells: tuple[float, str, Value]) -> None:
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
            draw_text(canvas, x, top, text, color)


def laid_out(
    build: Callable[[Column], None], x: float, top: float, bottom: float, width: float, largest: float = 1.0
) -> Column:
    """The column at the largest scale (``largest``, 100 % by default, down to 70 %) at which every
    field fits."""
    problem = "the card's text does not fit even at 70 % size"
    for percent in range(round(largest * 100), 65, -5):
        column = Column(x, top, bottom, width, percent / 100)
        try:
            build(column)
        except CardError as exc:  # one text too long at this scale: try smaller
            problem = str(exc)
            continue
        if column.fits:
            return column
    raise CardError(problem)
