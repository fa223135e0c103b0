"""The holder's photo on the permit card: decoded safely, flattened onto white, fitted into 25 x 32 mm."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader

from lbt.permits.card_content import CardError
from lbt.permits.card_layout import PHOTO_DPI, PHOTO_HEIGHT, PHOTO_WIDTH


def load_photo(photo: bytes) -> tuple[ImageReader, float, float]:
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
