"""What every PDF the project makes shares (the protocol, the standard forms, the permit card, the
report): only the vendored fonts (embedded; no Helvetica resource that reportlab's canvas would set up
by default and never use), real title/subject/creator metadata and the creation date of the document
(not reportlab's invariant 2000-01-01), and page numbers "n / N" at the foot of multi-page documents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from lbt.core.pdf_fonts import REGULAR, register_fonts

CREATOR = "LBT: local border traffic and border representatives"


def stamp(canvas: Canvas, created_at: datetime) -> None:
    """The document's CreationDate and ModDate: ``created_at`` in UTC (the producer's clock is not the
    document's date; the same document made twice is the same bytes)."""
    moment = created_at.astimezone(UTC)
    stamp_ = canvas._doc._timeStamp  # reportlab keeps the date there; it has no setter
    stamp_.t = moment.timestamp()
    stamp_.YMDhms = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    stamp_.dhh = stamp_.dmm = 0
    stamp_.tzname = "UTC"


def describe(canvas: Canvas, *, title: str, subject: str, created_at: datetime, author: str = "") -> None:
    """Title, subject, creator and date for a canvas drawn directly (the permit card)."""
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setCreator(CREATOR)
    canvas.setAuthor(author)
    stamp(canvas, created_at)


def canvas_maker(created_at: datetime, *, numbered: bool = True) -> type[Canvas]:
    """A canvas class for platypus documents: DejaVu as the initial font, the creation date, and
    "n / N" centred at the foot of every page when ``numbered``."""
    register_fonts()

    class DocumentCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = REGULAR
            super().__init__(*args, **kwargs)
            stamp(self, created_at)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            if not numbered:
                super().showPage()
                return
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            if numbered:
                total = len(self._pages)
                for number, page in enumerate(self._pages, start=1):
                    self.__dict__.update(page)
                    self.setFont(REGULAR, 8)
                    width = self._pagesize[0]
                    self.drawCentredString(width / 2, 10 * 2.83465, f"{number} / {total}")
                    Canvas.showPage(self)
            super().save()

    return DocumentCanvas


def document_options(*, title: str, subject: str) -> dict[str, Any]:
    """Keyword arguments for a platypus ``SimpleDocTemplate`` (with ``canvasmaker`` at ``build``)."""
    return {"title": title, "subject": subject, "creator": CREATOR, "author": "", "invariant": 1}
