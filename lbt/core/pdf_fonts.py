"""The vendored DejaVu Sans fonts (``lbt/fonts/``) for reportlab, shared by every PDF the project makes
(the permit card, the representatives' protocols): they cover Cyrillic with the Tajik and Kyrgyz letters.

reportlab does no shaping and draws an empty box for a character the font lacks, so callers check text
with ``missing_glyphs`` before printing it.
"""

from __future__ import annotations

import functools

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from lbt.core.resources import PACKAGE_DIR

FONT_DIR = PACKAGE_DIR / "fonts"
REGULAR = "LBT-DejaVuSans"
BOLD = "LBT-DejaVuSans-Bold"
ASCENT = 0.93  # DejaVu Sans ascender, in em: a line's top sits this far above its baseline


@functools.cache
def register_fonts() -> dict[str, TTFont]:
    """Register the vendored fonts with reportlab once per process."""
    files = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
    registered = {name: TTFont(name, str(FONT_DIR / file)) for name, file in files.items()}
    for font in registered.values():
        pdfmetrics.registerFont(font)
    return registered


def missing_glyphs(text: str, font: str) -> list[str]:
    """The characters of ``text`` that ``font`` has no glyph for, each once, sorted."""
    glyphs = register_fonts()[font].face.charToGlyph
    return sorted({char for char in text if ord(char) not in glyphs})
