"""The permit card (Reg. (EC) No 1931/2006 Art. 7): an ID-1 PDF, one front and one back page per permit.

Flask-free and database-free: the caller copies what is printed into ``CardData`` and the translated
fixed texts into ``CardLabels``; this module lays out and draws the two pages, with the text fitting in
``card_text``, the photo in ``card_photo``, the QR in ``card_qr`` and the measures in ``card_layout``.
Layout, fonts and the QR parameters are explained in docs/permit-card.md.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import partial
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lbt.core.dates import format_day
from lbt.core.pdf_document import describe
from lbt.core.pdf_fonts import BOLD, REGULAR, register_fonts
from lbt.permits.card_content import CardData, CardError, CardLabels
from lbt.permits.card_file import CardFile
from lbt.permits.card_layout import (
    BAND,
    CARD_HEIGHT,
    CARD_WIDTH,
    GREY,
    GUILLOCHE,
    MARGIN,
    PHOTO_HEIGHT,
    PHOTO_WIDTH,
    QR_BLOCK,
    TINT,
    WHITE,
)
from lbt.permits.card_photo import load_photo
from lbt.permits.card_qr import draw_qr, qr_matrix, scannable_qr
from lbt.permits.card_text import Column, FittedText, Value, draw_text, fit_text, laid_out, printable

__all__ = [
    "BOLD",
    "REGULAR",
    "CardBatch",
    "CardData",
    "CardError",
    "CardLabels",
    "FittedText",
    "fit_text",
    "printable",
    "qr_matrix",
    "render_cards",
    "shortened",
]


def _draw_background(canvas: Canvas) -> None:
    """A pale tint with fine wavy lines, so a photocopy or a plain-paper forgery is easy to tell (drawn
    once into a form, ``BACKGROUND``, that each page shows with ``_background``)."""
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


# What is kept of each name when the four names do not fit even at 70 %: the given names are cut first,
# then the surnames (as ICAO Doc 9303 truncates a name for its field), and a cut name ends in "…". The
# full name stays in the permit and in its QR, which the officer's check shows.
GIVEN_NAMES_KEPT = (90, 80, 70, 60, 50, 40, 30)
SURNAME_KEPT = (90, 80, 70, 60, 50, 40, 30)
SMALLEST = 0.7  # the scale a shortened name is set at: more of the name beats a larger size


def shortened(text: str, kept: int | None) -> str:
    """``text`` cut to ``kept`` characters with a visible "…", or whole when it is no longer."""
    text = " ".join(text.split())
    if kept is None or len(text) <= kept:
        return text
    return text[: kept - 1].rstrip(" -'") + "…"


Drawing = Callable[[Canvas], None]


def _background(canvas: Canvas) -> None:
    canvas.doForm(BACKGROUND)
    canvas.setLineWidth(0.25)  # the form's graphics state stays inside it; the frames use this width


def _front_column(card: CardData, labels: CardLabels, left: float, top: float) -> Column:
    def fmt(day: date) -> str:
        return format_day(day, labels.locale)

    def build(given_kept: int | None, surname_kept: int | None, column: Column) -> None:
        def name(text: str, kept: int | None) -> Value:  # up to 3 lines at 4 pt, then shortened
            return Value(shortened(text, kept), 7.5, 4, 3)

        column.field(
            labels.surname, name(card.surname_national, surname_kept), name(card.surname_latin, surname_kept)
        )
        column.field(
            labels.given_names,
            name(card.given_names_national, given_kept),
            name(card.given_names_latin, given_kept),
        )
        column.row(
            (0.36, labels.birth_date, Value(fmt(card.birth_date))),
            (0.2, labels.sex, Value(card.sex)),
            (0.44, labels.nationality, Value(card.nationality)),
        )
        column.row(
            (0.5, labels.valid_from, Value(fmt(card.valid_from))),
            (0.5, labels.valid_until, Value(fmt(card.valid_until))),
        )
        column.field(labels.max_stay_days, Value(str(card.max_stay_days)))

    width = CARD_WIDTH - MARGIN - left
    try:
        return laid_out(partial(build, None, None), left, top, MARGIN, width)
    except CardError as error:
        problem = error
    attempts = [(given, None) for given in GIVEN_NAMES_KEPT]
    attempts += [(GIVEN_NAMES_KEPT[-1], surname) for surname in SURNAME_KEPT]
    for given_kept, surname_kept in attempts:
        try:
            return laid_out(partial(build, given_kept, surname_kept), left, top, MARGIN, width, SMALLEST)
        except CardError as error:
            problem = error
    raise problem


def _prepare_front(card: CardData, labels: CardLabels) -> Drawing:
    band = 9.5 * mm
    width = CARD_WIDTH - 2 * MARGIN
    state = fit_text(card.issuing_state, REGULAR, width, 4.6, 3.4)
    title = fit_text(labels.title.upper(), BOLD, width, 6.4, 3.6, max_lines=2)
    top = CARD_HEIGHT - (band - state.height - title.height) / 2  # centred in the band

    photo, photo_width, photo_height = load_photo(card.photo)
    photo_top = CARD_HEIGHT - band - 1.4 * mm
    photo_x = MARGIN + (PHOTO_WIDTH - photo_width) / 2

    under_photo = Column(MARGIN, photo_top - PHOTO_HEIGHT - 0.8 * mm, MARGIN, PHOTO_WIDTH + 1.5 * mm, 1)
    under_photo.field(labels.permit_number, Value(card.number, size=8, min_size=4.5, max_lines=1))
    if not under_photo.fits:
        raise CardError("the permit number does not fit under the photo")
    column = _front_column(card, labels, MARGIN + PHOTO_WIDTH + 3 * mm, photo_top)

    def draw(canvas: Canvas) -> None:
        _background(canvas)
        canvas.setFillColorCMYK(*BAND)
        canvas.rect(0, CARD_HEIGHT - band, CARD_WIDTH, band, stroke=0, fill=1)
        draw_text(canvas, MARGIN, draw_text(canvas, MARGIN, top, state, WHITE), title, WHITE)
        canvas.drawImage(photo, photo_x, photo_top - photo_height, photo_width, photo_height)
        canvas.setStrokeColorCMYK(*GREY)  # line width as left by the background
        canvas.rect(photo_x, photo_top - photo_height, photo_width, photo_height, stroke=1, fill=0)
        under_photo.draw(canvas)
        column.draw(canvas)

    return draw


def _prepare_back(card: CardData, labels: CardLabels) -> Drawing:
    qr_x = CARD_WIDTH - MARGIN - QR_BLOCK + 1.2 * mm  # the quiet zone may reach into the margin
    matrix = scannable_qr(card.qr_text)

    def fmt(day: date) -> str:
        return format_day(day, labels.locale)

    def build(number_apart: bool, column: Column) -> None:
        statements = f"{labels.statement_border_area}\n{labels.statement_misuse}"
        column.footer(Value(statements, 5, 3.4, 8))
        issued_on = Value(fmt(card.issued_on), 6.5, max_lines=1)
        if number_apart:  # a long travel document number gets the column's width and two lines
            column.field(labels.document_number, Value(card.document_number, 6.5, 4.5, 2))
            column.field(labels.issued_on, issued_on)
        else:
            column.row(
                (0.55, labels.document_number, Value(card.document_number, 6.5, max_lines=1)),
                (0.45, labels.issued_on, issued_on),
            )
        column.field(
            labels.residence,
            Value(card.residence_national, 6, 4),
            Value(card.residence_latin, 6, 4),
            Value(card.district, 5.5, 3.8, font=REGULAR),
        )
        column.field(labels.border_area, Value(card.border_area, 5.5, 3.6, 4, REGULAR))
        column.field(labels.issuing_authority, Value(card.issuing_authority, 5.5, 3.6, 4, REGULAR))

    width = qr_x - MARGIN - 0.3 * mm
    try:
        column = laid_out(partial(build, False), MARGIN, CARD_HEIGHT - MARGIN, MARGIN, width)
    except CardError:
        column = laid_out(partial(build, True), MARGIN, CARD_HEIGHT - MARGIN, MARGIN, width)

    def draw(canvas: Canvas) -> None:
        _background(canvas)
        draw_qr(canvas, matrix, qr_x, (CARD_HEIGHT - QR_BLOCK) / 2)
        column.draw(canvas)

    return draw


def _metadata_title(numbers: Sequence[str]) -> str:
    """Permit numbers only: the file may travel by e-mail or sit in a print queue."""
    few = len(numbers) <= 10
    return ", ".join(numbers) if few else f"{numbers[0]} … {numbers[-1]} ({len(numbers)} permits)"


CARDS_PER_PART = 50  # cards drawn into one canvas before its pages go to the file (lbt/permits/card_file.py)
BACKGROUND = "card-background"  # the guilloche, drawn once per part as a form that every page shows


@contextmanager
def _binary_streams() -> Iterator[None]:
    """reportlab's streams compressed but not ASCII85-encoded while a part is drawn and saved: a PDF a
    quarter smaller, and no pure-Python encoder (it took a tenth of a card's time). ``useA85`` is
    read when an image is embedded and when a page is written; a PDF another thread makes meanwhile
    is valid either way."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


class CardBatch:
    """A print batch drawn one card at a time: ``add`` measures a card in full before it draws a
    line, so a card that cannot be printed raises ``CardError`` and leaves no page behind; ``save``
    finishes the PDF (per card a front and a back page, each exactly ID-1 size) on ``out``. The pages
    reach ``out`` every ``CARDS_PER_PART`` cards, so memory does not grow with the batch."""

    def __init__(self, out: BinaryIO, labels: CardLabels) -> None:
        self.labels = labels
        self.numbers: list[str] = []
        self._file = CardFile(out)
        self._created_at = datetime.now(UTC)
        self._part: tuple[io.BytesIO, Canvas] | None = None
        self._in_part = 0
        # DejaVu from the start: reportlab's default Helvetica would sit unused among the resources
        register_fonts()  # before the canvas, which sets its initial font at once

    def _canvas(self) -> Canvas:
        if self._part is None:
            buffer = io.BytesIO()
            canvas = Canvas(
                buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=1, initialFontName=REGULAR
            )
            describe(
                canvas, title="", subject="Local border traffic permit card", created_at=self._created_at
            )
            canvas.beginForm(BACKGROUND)
            _draw_background(canvas)
            canvas.endForm()
            self._part = buffer, canvas
        return self._part[1]

    def add(self, card: CardData) -> None:
        try:
            front, back = _prepare_front(card, self.labels), _prepare_back(card, self.labels)
        except CardError as exc:
            raise CardError(f"permit {card.number}: {exc}") from exc
        with _binary_streams():
            canvas = self._canvas()
            for side in (front, back):
                side(canvas)
                canvas.showPage()
        self.numbers.append(card.number)
        self._in_part += 1
        if self._in_part == CARDS_PER_PART:
            self._flush()

    def _flush(self) -> None:
        if self._part is None:
            return
        buffer, canvas = self._part
        with _binary_streams():
            canvas.save()
        self._part, self._in_part = None, 0
        part = buffer.getvalue()
        buffer.close()
        self._file.append(part)

    def save(self) -> None:
        if not self.numbers:
            raise CardError("no cards to print")
        self._flush()
        self._file.finish(_metadata_title(self.numbers))


def render_cards(cards: Iterable[CardData], labels: CardLabels) -> bytes:
    """One PDF for printing: per card a front page and a back page, each exactly ID-1 size; the
    first card that cannot be printed raises ``CardError`` naming its permit."""
    buffer = io.BytesIO()
    batch = CardBatch(buffer, labels)
    for card in cards:
        batch.add(card)
    batch.save()
    return buffer.getvalue()
