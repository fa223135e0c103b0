"""The permit card (Reg. (EC) No 1931/2006 Art. 7): an ID-1 PDF, one front and one back page per permit.

Flask-free and database-free: the caller copies what is printed into ``CardData`` and the translated
fixed texts into ``CardLabels``; this module lays out and draws the two pages, with the text fitting in
``card_text``, the photo in ``card_photo``, the QR in ``card_qr`` and the measures in ``card_layout``.
Layout, fonts and the QR parameters are explained in docs/permit-card.md.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lbt.core.pdf_fonts import BOLD, REGULAR
from lbt.permits.card_content import CardData, CardError, CardLabels
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
from lbt.permits.card_qr import draw_qr, qr_matrix
from lbt.permits.card_text import Column, FittedText, Value, draw_text, fit_text, laid_out, printable

__all__ = [
    "BOLD",
    "REGULAR",
    "CardData",
    "CardError",
    "CardLabels",
    "FittedText",
    "fit_text",
    "printable",
    "qr_matrix",
    "render_cards",
]


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
    draw_text(canvas, MARGIN, draw_text(canvas, MARGIN, top, state, WHITE), title, WHITE)

    photo, photo_width, photo_height = load_photo(card.photo)
    photo_top = CARD_HEIGHT - band - 1.4 * mm
    photo_x = MARGIN + (PHOTO_WIDTH - photo_width) / 2
    canvas.drawImage(photo, photo_x, photo_top - photo_height, photo_width, photo_height)
    canvas.setStrokeColorCMYK(*GREY)  # line width as left by the background
    canvas.rect(photo_x, photo_top - photo_height, photo_width, photo_height, stroke=1, fill=0)

    under_photo = Column(MARGIN, photo_top - PHOTO_HEIGHT - 0.8 * mm, MARGIN, PHOTO_WIDTH + 1.5 * mm, 1)
    under_photo.field(labels.permit_number, Value(card.number, size=8, min_size=4.5, max_lines=1))
    if not under_photo.fits:
        raise CardError("the permit number does not fit under the photo")
    under_photo.draw(canvas)

    fmt = labels.date_format

    def name(text: str) -> Value:  # at most 100 characters (the permit's columns): 3 lines at 4 pt
        return Value(text, 7.5, 4, 3)

    def build(column: Column) -> None:
        column.field(labels.surname, name(card.surname_national), name(card.surname_latin))
        column.field(labels.given_names, name(card.given_names_national), name(card.given_names_latin))
        column.row(
            (0.36, labels.birth_date, Value(card.birth_date.strftime(fmt))),
            (0.2, labels.sex, Value(card.sex)),
            (0.44, labels.nationality, Value(card.nationality)),
        )
        column.row(
            (0.5, labels.valid_from, Value(card.valid_from.strftime(fmt))),
            (0.5, labels.valid_until, Value(card.valid_until.strftime(fmt))),
        )
        column.field(labels.max_stay_days, Value(str(card.max_stay_days)))

    left = MARGIN + PHOTO_WIDTH + 3 * mm
    laid_out(build, left, photo_top, MARGIN, CARD_WIDTH - MARGIN - left).draw(canvas)


def _draw_back(canvas: Canvas, card: CardData, labels: CardLabels) -> None:
    _draw_background(canvas)
    qr_x = CARD_WIDTH - MARGIN - QR_BLOCK + 1.2 * mm  # the quiet zone may reach into the margin
    draw_qr(canvas, card.qr_text, qr_x, (CARD_HEIGHT - QR_BLOCK) / 2)
    fmt = labels.date_format

    def build(column: Column) -> None:
        statements = f"{labels.statement_border_area}\n{labels.statement_misuse}"
        column.footer(Value(statements, 5, 3.4, 8))
        column.row(
            (0.55, labels.document_number, Value(card.document_number, 6.5, max_lines=1)),
            (0.45, labels.issued_on, Value(card.issued_on.strftime(fmt), 6.5, max_lines=1)),
        )
        column.field(
            labels.residence,
            Value(card.residence_national, 6, 4),
            Value(card.residence_latin, 6, 4),
            Value(card.district, 5.5, 3.8, font=REGULAR),
        )
        column.field(labels.border_area, Value(card.border_area, 5.5, 3.6, 4, REGULAR))
        column.field(labels.issuing_authority, Value(card.issuing_authority, 5.5, 3.6, 4, REGULAR))

    laid_out(build, MARGIN, CARD_HEIGHT - MARGIN, MARGIN, qr_x - MARGIN - 0.3 * mm).draw(canvas)


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
