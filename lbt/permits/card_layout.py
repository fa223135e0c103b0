"""The permit card's fixed measures and inks (docs/permit-card.md explains them)."""

from __future__ import annotations

from reportlab.lib.units import mm

CARD_WIDTH = 85.60 * mm  # ISO/IEC 7810 ID-1
CARD_HEIGHT = 53.98 * mm
MARGIN = 2.6 * mm  # clear of the 3.18 mm rounded corners and of the cutter's tolerance

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
