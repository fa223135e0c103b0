"""The QR on the back of the permit card: the highest error correction that keeps the symbol small, drawn
as vector runs in pure black."""

from __future__ import annotations

import re

import qrcode
from qrcode import util
from qrcode.constants import ERROR_CORRECT_H as H
from qrcode.constants import ERROR_CORRECT_M as M
from qrcode.constants import ERROR_CORRECT_Q as Q
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lbt.permits.card_codewords import codewords
from lbt.permits.card_content import CardError
from lbt.permits.card_layout import BLACK, QR_BLOCK, QR_MIN_MODULE, QR_QUIET_MODULES, WHITE

# The mask is fixed, not chosen per symbol: ISO/IEC 18004 lets the encoder pick any of the 8 (the symbol
# names it, every reader undoes it), and scoring all 8 by its penalty rules took 80 % of a card's time in
# pure-Python qrcode. Mask 4 had the lowest penalty for 16 of 40 random JWS-like URLs of 300-800
# characters, never more than 10 % above the best, and the lowest mean (docs/permit-card.md).
MASK = 4
DARK_RUN = re.compile(b"\x01+")  # in a row of modules as bytes


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules (True = dark) with the 4-module quiet zone, at level M or, when the symbol
    stays the same size, at Q or H: more damage tolerated at no cost in module size."""
    if not text.isascii():
        raise CardError("the QR content must be ASCII (a URL with a percent-encoded or punycode host)")
    chunks = list(util.optimal_data_chunks(text, minimum=20))  # as ``QRCode.add_data`` splits it
    smallest = smallest_version(chunks, M)
    if smallest > 40:
        raise CardError(f"the QR content is too long ({len(text)} characters)")
    level = next(level for level in (H, Q, M) if smallest_version(chunks, level) <= smallest)
    code = qrcode.QRCode(version=smallest, error_correction=level, border=QR_QUIET_MODULES, mask_pattern=MASK)
    code.data_list = chunks
    code.data_cache = codewords(chunks, smallest, level)  # what ``make`` would compute, faster
    code.make(fit=False)
    return code.get_matrix()


def _data_bits(chunk: util.QRData) -> int:
    """The bits of a chunk's data, as ``QRData.write`` puts them (counted, not written bit by bit)."""
    count = len(chunk.data)
    if chunk.mode == util.MODE_NUMBER:
        return 10 * (count // 3) + (0, 4, 7)[count % 3]
    if chunk.mode == util.MODE_ALPHA_NUM:
        return 11 * (count // 2) + 6 * (count % 2)
    return 8 * count


def smallest_version(chunks: list[util.QRData], level: int) -> int:
    """The smallest version (1-40) that holds ``chunks`` at ``level``, 41 when none does: what
    ``QRCode.best_fit`` finds, without writing the data into a bit buffer bit by bit."""
    data = [(chunk.mode, _data_bits(chunk)) for chunk in chunks]
    for version in range(1, 41):
        sizes = util.mode_sizes_for_version(version)
        needed = sum(4 + sizes[mode] + bits for mode, bits in data)
        if needed <= util.BIT_LIMIT_TABLE[level][version]:
            return version
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
        for run in DARK_RUN.finditer(bytes(row)):
            runs.append(f"{run.start()} {-row_index - 1} {run.end() - run.start()} 1 re")
    canvas.saveState()
    canvas.translate(x, y + QR_BLOCK)
    canvas.scale(module, module)
    canvas.setFillColorCMYK(*BLACK)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()
