"""The QR on the back of the permit card: the highest error correction that keeps the symbol small, drawn
as vector runs in pure black."""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_H as H
from qrcode.constants import ERROR_CORRECT_M as M
from qrcode.constants import ERROR_CORRECT_Q as Q
from qrcode.exceptions import DataOverflowError
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lbt.permits.card_content import CardError
from lbt.permits.card_layout import BLACK, QR_BLOCK, QR_MIN_MODULE, QR_QUIET_MODULES, WHITE


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


def scannable_qr(text: str) -> list[list[bool]]:
    """The QR modules, refused (``CardError``) when they would print too small to scan from the card."""
    matrix = qr_matrix(text)
    module = QR_BLOCK / len(matrix)
    if module < QR_MIN_MODULE:
        raise CardError(
            f"the QR content ({len(text)} characters) needs {len(matrix)} modules: "
            f"{module / mm:.2f} mm each is too small to scan from the card"
        )
    return matrix


def draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float) -> None:
    """The QR (from ``scannable_qr``) as one vector path of dark runs (no seams, sharp at any
    printer resolution)."""
    module = QR_BLOCK / len(matrix)
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
