"""Every upload goes through here: a size cap, the type decided from the content (never the name or
the browser's word), images decoded and re-encoded (which drops EXIF and anything hidden), PDFs
parsed and refused when they hold active content or HTML, and a random name in the instance folder."""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import os
import re
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    read_object,
)
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

# PDF names (decoded: /J#61vaScript is /JavaScript) that make a document act rather than show itself.
# Keys: scripts, actions run on opening or on events (/AA), attachments, XFA forms, Flash/3D media.
PDF_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent", "/RichMediaSettings"}
)
# action types (/S) that run code, start programs, send data out or open another or an embedded file
PDF_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/Rendition",
        "/RichMediaExecute",
    }
)
# object types (/Type, /Subtype) of attachments and embedded media
PDF_ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/FileAttachment", "/RichMedia"})
# a 500-page scan has a few thousand objects; parsing takes about 0.02 ms an object, so more is only
# a way to make the check slow (500,000 tiny objects in 10 MB would keep the parser busy for 10 s)
MAX_PDF_OBJECTS = 20_000
# what makes a browser take a file for a web page (a PDF + HTML polyglot); only in a PDF by design
PDF_HTML_MARKERS = re.compile(rb"<(?:!doctype|html|script|body|iframe)[\s/>]", re.IGNORECASE)
# an object as written in the file, "12 0 obj": found by its keyword, then the numbers before it (a
# pattern that starts at every digit would take seconds on a file of digits)
_PDF_OBJ_KEYWORD = re.compile(rb"obj(?![A-Za-z0-9])[\0\t\n\f\r ]*")
_PDF_OBJECT_NUMBERS = re.compile(rb"(?<![0-9])[0-9]{1,10}[\0\t\n\f\r ]+[0-9]{1,5}[\0\t\n\f\r ]+\Z")
# what makes the parser read cross-reference entries: a table's lines, a table stream's /Size and /Index
_PDF_TABLE_LINE = re.compile(rb"[0-9]{10} [0-9]{5} [nf]")
_PDF_NAME = re.compile(rb"/((?:[^\0\t\n\f\r ()<>\[\]{}/%#]|#[0-9A-Fa-f]{2})+)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_NAME_VALUE = re.compile(
    rb"[\0\t\n\f\r ]*(?:(?P<reference>[0-9]+[\0\t\n\f\r ]+[0-9]+[\0\t\n\f\r ]+R)"
    rb"|\[?(?P<numbers>[0-9\0\t\n\f\r ]*[0-9]))"
)
# For a file without a usable cross-reference table (common in simple generators): pointing startxref
# at the header makes the parser rebuild the table from the objects themselves, as viewers do.
_REBUILD_TABLE = b"\nstartxref\n0\n%%EOF\n"
# the parser logs each repair it makes as a warning; for hostile uploads those are expected, not news
logging.getLogger("pypdf").setLevel(logging.ERROR)

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


class _ActiveContent(Exception):
    """A PDF object that makes the document act."""


def _name(dictionary: DictionaryObject, key: str) -> str | None:
    """The name under ``key`` (followed through references), or None."""
    value = _resolved(dictionary.get(key))
    return str(value) if isinstance(value, NameObject) else None


def _resolved(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _is_active(dictionary: DictionaryObject) -> bool:
    if any(key in PDF_ACTIVE_KEYS for key in dictionary):
        return True
    if _name(dictionary, "/S") in PDF_ACTIVE_ACTIONS:
        return True
    if {_name(dictionary, "/Type"), _name(dictionary, "/Subtype")} & PDF_ACTIVE_TYPES:
        return True
    # an opening destination (an array) only shows a page; an opening action dictionary does something
    return isinstance(_resolved(dictionary.get("/OpenAction")), DictionaryObject)


def _walk(value: PdfObject | None) -> None:
    """Every dictionary nested in one object, without a call stack (nesting may be deep); references
    are not followed, since every object is walked on its own."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, DictionaryObject):
            if _is_active(item):
                raise _ActiveContent
            pending.extend(item.raw_get(key) for key in item)
        elif isinstance(item, ArrayObject):
            pending.extend(item)


def _reader(data: bytes) -> PdfReader | None:
    """The parser on the file, or None when it finds no cross-reference table in it."""
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except Exception:  # the parser raises many kinds of error: each means "no table here"
        return None


def _objects_in_stream(stream: StreamObject, reader: PdfReader) -> Iterator[PdfObject]:
    """The objects packed in an object stream (PDF 1.5 /ObjStm): a header of number-offset pairs."""
    content = stream.get_data()
    first, count = int(stream["/First"]), int(stream["/N"])
    offsets = content[:first].split()[1::2][:count]
    for offset in offsets:
        packed = io.BytesIO(content)
        packed.seek(first + int(offset))
        yield read_object(packed, reader)


def _object_starts(data: bytes) -> Iterator[int]:
    """Where each object written in the file begins (just after its "n g obj")."""
    for keyword in _PDF_OBJ_KEYWORD.finditer(data):
        if _PDF_OBJECT_NUMBERS.search(data, max(0, keyword.start() - 40), keyword.start()):
            yield keyword.end()


def _count_objects(data: bytes) -> int:
    """How many objects are written in the file, counting no further than one past the limit."""
    return sum(1 for _ in itertools.islice(_object_starts(data), MAX_PDF_OBJECTS + 1))


def _declared_entries(data: bytes) -> int:
    """The most cross-reference entries the file asks the parser to read: the lines of its tables, or
    what a table stream's /Size or /Index declares (a 15 kB stream can declare millions). Names are
    decoded as the parser decodes them."""
    declared = sum(1 for _ in itertools.islice(_PDF_TABLE_LINE.finditer(data), MAX_PDF_OBJECTS + 1))
    for name in _PDF_NAME.finditer(data):
        key = _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), name.group(1))
        if key not in (b"Size", b"Index"):
            continue
        value = _PDF_NAME_VALUE.match(data, name.end())
        if value is None:
            continue
        if value.group("reference"):  # resolved by the parser to anything: not allowed here
            return MAX_PDF_OBJECTS + 1
        numbers = [int(number) for number in value.group("numbers").split()]
        declared = max(declared, numbers[0] if key == b"Size" else sum(numbers[1::2]))
    return declared


def _written_objects(data: bytes, reader: PdfReader) -> Iterator[PdfObject]:
    """Every object written in the file, whether the table lists it or not (an older version of an
    object, an object no table names), and the objects inside every object stream."""
    scanned = io.BytesIO(data)
    for start in _object_starts(data):
        scanned.seek(start)
        found = read_object(scanned, reader)
        yield found
        if isinstance(found, StreamObject) and _name(found, "/Type") == "/ObjStm":
            yield from _objects_in_stream(found, reader)


def _listed_objects(reader: PdfReader) -> Iterator[PdfObject | None]:
    """The trailer and every object of the cross-reference table, as the parser reads them."""
    references = [
        IndirectObject(number, generation, reader)
        for generation, table in reader.xref.items()
        for number in table
    ] + [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    if len(references) > MAX_PDF_OBJECTS:
        raise ValidationFailed(N_("The PDF document is too complex to check."))
    yield reader.trailer
    for reference in references:
        yield reader.get_object(reference)


def _check_pdf(data: bytes) -> None:
    """Parsed with a real PDF parser: what its cross-reference table lists and every object written in
    the file (a viewer may read either), with names decoded (/J#61vaScript is /JavaScript)."""
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed(N_("The file does not start like a PDF document."))
    if b"%%EOF" not in data[-2048:]:
        raise ValidationFailed(N_("The file is not a complete PDF document."))
    if PDF_HTML_MARKERS.search(data):
        raise ValidationFailed(N_("The file is a PDF and a web page at once and is not accepted."))
    # counted before the parser reads any: its work grows with the objects and table entries
    if max(_count_objects(data), _declared_entries(data)) > MAX_PDF_OBJECTS:
        raise ValidationFailed(N_("The PDF document is too complex to check."))
    reader = _reader(data) or _reader(data + _REBUILD_TABLE)
    if reader is None:
        raise ValidationFailed(N_("The file is not a readable PDF document."))
    if reader.is_encrypted:  # what is encrypted cannot be checked
        raise ValidationFailed(N_("Encrypted or password-protected PDF files are not accepted."))
    try:
        if not isinstance(reader.root_object, DictionaryObject):  # no document catalog, no document
            raise ValueError("no catalog")
        for found in itertools.chain(_listed_objects(reader), _written_objects(data, reader)):
            _walk(found)
    except _ActiveContent:
        raise ValidationFailed(N_("PDF files with scripts, attachments or forms are not accepted.")) from None
    except ValidationFailed:
        raise
    except Exception:  # an object the parser cannot read may be one a viewer reads: refuse it
        raise ValidationFailed(N_("The file is not a readable PDF document.")) from None


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
        # personal documents: the folder and its files are for the app's user only, like the keys
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.directory.stat().st_mode & 0o077:
            self.directory.chmod(0o700)  # a folder made before (or by mkdir -p) with wider rights
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
