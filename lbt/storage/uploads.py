"""Every upload goes through here: a size cap, the type decided from the content (never the name or
the browser's word), images decoded and re-encoded (which drops EXIF and anything hidden), PDFs
checked for structure and active content, and a random name in the instance folder."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Column, Table, select, union
from sqlalchemy.orm import Session

from lbt.core.errors import N_, ValidationFailed
from lbt.storage.models import StoredFile

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG})
DOCUMENT_TYPES = frozenset({JPEG, PNG, PDF})
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")

# ICAO photo: 35 x 45 mm portrait; we accept a little either side and at least this many pixels
PHOTO_MIN_WIDTH, PHOTO_MIN_HEIGHT = 300, 385
PHOTO_MIN_ASPECT, PHOTO_MAX_ASPECT = 0.65, 0.90
PHOTO_STORED_MAX = (600, 771)


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    data: bytes
    original_name: str


def sniff(data: bytes) -> str | None:
    """The type of a file from its first bytes (magic numbers)."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.lstrip(b"\r\n\t ").startswith(b"%PDF-"):
        return PDF
    return None


def _open_image(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationFailed(N_("The image is too large in pixels."))
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise ValidationFailed(N_("The file is not a readable image.")) from error
    return ImageOps.exif_transpose(image)


def _reencode(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == JPEG:
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    else:
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
        image.convert(mode).save(out, "PNG", optimize=True)
    return out.getvalue()


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationFailed(N_("The file is not a complete PDF document."))
    if any(marker in data for marker in PDF_ACTIVE_CONTENT):
        raise ValidationFailed(N_("PDF files with scripts, attachments or forms are not accepted."))


def check_upload(data: bytes, original_name: str, *, allowed: frozenset[str], max_bytes: int) -> CheckedFile:
    """Decide what a file really is and return a clean copy, or refuse it with a readable reason."""
    if not data:
        raise ValidationFailed(N_("The file is empty."))
    if len(data) > max_bytes:
        raise ValidationFailed(
            N_("The file is too large: at most %(megabytes)s MB."), megabytes=f"{max_bytes / 1024 / 1024:g}"
        )
    content_type = sniff(data)
    if content_type is None or content_type not in allowed:
        if allowed == IMAGE_TYPES:
            raise ValidationFailed(N_("The file is not a JPEG or PNG image."))
        raise ValidationFailed(N_("The file is not a PDF, JPEG or PNG file."))
    name = Path(original_name or "").name[:255]
    if content_type == PDF:
        _check_pdf(data)
        return CheckedFile(PDF, data, name)
    image = _open_image(data)
    return CheckedFile(content_type, _reencode(image, content_type), name)


def check_photo(data: bytes, original_name: str) -> CheckedFile:
    """A passport-style photo: JPEG or PNG, portrait about 35 x 45 mm, at least 300 x 385 pixels;
    stored as a JPEG no larger than it needs to be."""
    checked = check_upload(data, original_name, allowed=IMAGE_TYPES, max_bytes=MAX_PHOTO_BYTES)
    image = _open_image(checked.data)
    if image.width < PHOTO_MIN_WIDTH or image.height < PHOTO_MIN_HEIGHT:
        raise ValidationFailed(
            N_("The photo is too small: at least %(width)d × %(height)d pixels."),
            width=PHOTO_MIN_WIDTH,
            height=PHOTO_MIN_HEIGHT,
        )
    aspect = image.width / image.height
    if not PHOTO_MIN_ASPECT <= aspect <= PHOTO_MAX_ASPECT:
        raise ValidationFailed(N_("The photo must be portrait, about 35 × 45 mm (like a passport photo)."))
    image.thumbnail(PHOTO_STORED_MAX)
    return CheckedFile(JPEG, _reencode(image, JPEG), checked.original_name)


class FileStore:
    """Files under the instance folder, by random name; never served from static/."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, checked: CheckedFile) -> StoredFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        stored_name = secrets.token_hex(16)
        fd = os.open(self.directory / stored_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(checked.data)
        return StoredFile(
            stored_name=stored_name,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size_bytes=len(checked.data),
            sha256=hashlib.sha256(checked.data).hexdigest(),
        )

    def read(self, stored: StoredFile) -> bytes:
        return (self.directory / stored.stored_name).read_bytes()


def _columns_pointing_at(table: Table) -> list[Column[Any]]:
    """Every column of every table in the metadata with a foreign key to ``table``: a new table that
    keeps a file is counted without anyone remembering to list it here."""
    return [
        key.parent
        for other in table.metadata.tables.values()
        for key in other.foreign_keys
        if key.column.table is table
    ]


def unused_files(session: Session, older_than: datetime) -> list[StoredFile]:
    """Uploads kept for a form that was never sent again: referenced by nothing, older than the cut-off."""
    used = union(*(select(column) for column in _columns_pointing_at(StoredFile.__table__))).subquery()
    query = select(StoredFile).where(
        StoredFile.created_at < older_than, StoredFile.id.not_in(select(used.c[0]))
    )
    return list(session.scalars(query))


def prune_unused(session: Session, store: FileStore, older_than: datetime) -> int:
    """Delete unused uploads (rows and files); returns how many went."""
    files = unused_files(session, older_than)
    for stored in files:
        session.delete(stored)
    session.flush()
    for stored in files:
        (store.directory / stored.stored_name).unlink(missing_ok=True)
    return len(files)
