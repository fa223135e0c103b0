"""The holder's photo on the permit card: decoded safely, flattened onto white, fitted into 25 x 32 mm."""

from __future__ import annotations

import io
import warnings

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader

from lbt.permits.card_content import CardError
from lbt.permits.card_layout import PHOTO_DPI, PHOTO_HEIGHT, PHOTO_WIDTH

# EXIF orientations that turn the stored picture a quarter turn (ImageOps.exif_transpose)
QUARTER_TURNS = (5, 6, 7, 8)


def load_photo(photo: bytes) -> tuple[ImageReader, float, float]:
    """The photo as an embeddable JPEG with its drawn size: aspect kept, fitted into 25 x 32 mm, at
    most 300 dpi. A JPEG is decoded straight at the nearest scale above that (libjpeg's DCT scaling,
    ``Image.draft``: a stored photo of 600 x 771 is decoded at half size), and only a photo with
    transparency is flattened onto white: the two took half of a card's drawing time."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(photo)) as image:
                image_format = image.format
                if image_format in ("JPEG", "PNG"):
                    turned = image.getexif().get(ExifTags.Base.Orientation) in QUARTER_TURNS
                    upright = image.size[::-1] if turned else image.size
                    scale = min(PHOTO_WIDTH / upright[0], PHOTO_HEIGHT / upright[1])
                    width, height = upright[0] * scale, upright[1] * scale
                    pixels = (round(width / mm / 25.4 * PHOTO_DPI), round(height / mm / 25.4 * PHOTO_DPI))
                    if image_format == "JPEG" and pixels[0] < upright[0]:
                        image.draft("RGB", pixels[::-1] if turned else pixels)
                    picture = _flattened(ImageOps.exif_transpose(image))
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
    if pixels[0] < picture.width:
        picture = picture.resize(pixels, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return EncodedJpeg(buffer), width, height


class EncodedJpeg(ImageReader):
    """The photo as reportlab embeds it: the JPEG's own bytes (DCTDecode). ``Canvas.drawImage`` calls
    ``getRGBData`` only to name the image (a digest, to find it if drawn before); the JPEG's bytes name
    it as well, where reportlab's own would decode the photo a second time and keep its 330 KB of
    pixels for as long as the canvas."""

    def __init__(self, jpeg: io.BytesIO) -> None:
        super().__init__(jpeg)
        # ImageReader sets its own bound method as an attribute (a cycle, freed only by the cycle
        # collector, holding the photo): the method below reads the same file
        self.__dict__.pop("jpeg_fh", None)

    def jpeg_fh(self) -> io.BytesIO:
        self.fp.seek(0)
        return self.fp

    def getRGBData(self) -> bytes:
        self._dataA = None  # no soft mask: a JPEG has no transparency
        return self.fp.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """The picture in RGB, any transparency laid onto white."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        picture = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture).convert("RGB")
    return image.convert("RGB")
