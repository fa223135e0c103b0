"""A print batch's PDF written as it is drawn: reportlab keeps every page of a canvas in memory until
``save``, so the cards are drawn in parts of a few dozen, each part a small PDF of its own, and each
part's pages are copied into the one output file as soon as the part is complete. Only the part being
drawn, the byte offsets of the objects written and the list of pages stay in memory.

The copy renumbers each part's objects after those already written (read with pypdf, written back
byte for byte: streams keep their compressed data). Each part embeds its own font subsets and its
own background form, a few dozen kilobytes per part."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any, BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

Numbering = Callable[[IndirectObject], int]  # a part's object number -> its number in the file
CATALOG, PAGES = 1, 2  # numbers kept for the objects written last, when every page is known


class CardFile:
    """One PDF on ``out``, written part by part (``append``) and closed by ``finish``; nothing is
    written before the first part, so a batch that prints no card leaves ``out`` empty."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.position = 0
        self.digest = hashlib.md5(usedforsecurity=False)  # the file's /ID, as reportlab makes one
        self.offsets: dict[int, int] = {}
        self.next_number = PAGES + 1
        self.pages: list[int] = []
        self.info: dict[Any, Any] | None = None

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.position += len(data)

    def append(self, part: bytes) -> None:
        """The pages of ``part`` (a PDF from reportlab) added after those appended before."""
        # closed, the reader lets go of its objects, which refer back to it: freed at once, not when
        # the cycle collector next runs (2 MB per part piled up meanwhile)
        with PdfReader(io.BytesIO(part)) as reader:
            self._append(reader, part)

    def _append(self, reader: PdfReader, part: bytes) -> None:
        if not self.offsets:
            self._write(part[: part.index(b"\n") + 1] + b"%\x93\x8c\x8b\x9e\n")  # %PDF-1.x, binary
            self.info = dict(
                reader.trailer["/Info"].get_object().items()
            )  # not the object: it holds the reader
        numbers: dict[int, int] = {}
        waiting: list[int] = []

        def number(reference: IndirectObject) -> int:
            if reference.idnum not in numbers:
                numbers[reference.idnum] = self.next_number
                self.next_number += 1
                waiting.append(reference.idnum)
            return numbers[reference.idnum]

        pages_root = reader.trailer["/Root"].get_object()["/Pages"].get_object()
        kids = [number(kid) for kid in dict.__getitem__(pages_root, "/Kids")]
        while waiting:
            old = waiting.pop()
            self._object(numbers[old], reader.get_object(old), number)
        self.pages.extend(kids)

    def _object(self, new: int, value: PdfObject | None, number: Numbering) -> None:
        buffer = io.BytesIO()
        buffer.write(b"%d 0 obj\n" % new)
        if isinstance(value, StreamObject):
            data = value._data  # the stream as stored (compressed): pypdf has no public getter for it
            entries = {key: item for key, item in value.items() if key != "/Length"}
            entries[NameObject("/Length")] = PdfObjectNumber(len(data))
            _write_dictionary(buffer, entries, number)
            buffer.write(b"\nstream\n")
            buffer.write(data)
            buffer.write(b"\nendstream")
        elif isinstance(value, DictionaryObject) and value.get("/Type") == "/Page":
            entries = dict(value.items())
            entries[NameObject("/Parent")] = PdfObjectNumber(PAGES, reference=True)
            _write_dictionary(buffer, entries, number)
        else:
            _write_value(buffer, value, number)
        buffer.write(b"\nendobj\n")
        self.offsets[new] = self.position
        self._write(buffer.getvalue())

    def finish(self, title: str) -> None:
        """The page tree, catalog, metadata (the first part's, with ``title``), cross-reference table
        and trailer."""
        if not self.pages or self.info is None:
            raise ValueError("no pages to write")
        info = self.next_number
        self.next_number += 1
        metadata = dict(self.info)
        metadata[NameObject("/Title")] = TextStringObject(title)
        tail = {
            PAGES: b"<< /Count %d /Kids [%s] /Type /Pages >>"
            % (len(self.pages), b" ".join(b"%d 0 R" % page for page in self.pages)),
            CATALOG: b"<< /PageMode /UseNone /Pages %d 0 R /Type /Catalog >>" % PAGES,
        }
        buffer = io.BytesIO()
        _write_dictionary(buffer, metadata, _no_references)
        tail[info] = buffer.getvalue()
        for new, body in tail.items():
            self.offsets[new] = self.position
            self._write(b"%d 0 obj\n%s\nendobj\n" % (new, body))
        start = self.position
        size = self.next_number
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        rows += [b"%010d 00000 n \n" % self.offsets[n] for n in range(1, size)]
        self._write(b"".join(rows))
        file_id = self.digest.hexdigest().encode()
        self._write(
            b"trailer\n<< /ID [<%s> <%s>] /Info %d 0 R /Root %d 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (file_id, file_id, info, CATALOG, size, start)
        )


class PdfObjectNumber:
    """A number or an ``n 0 R`` written as is (the stream length, the new parent)."""

    def __init__(self, value: int, *, reference: bool = False) -> None:
        self.value, self.reference = value, reference

    def write_to_stream(self, stream: BinaryIO) -> None:
        stream.write(b"%d 0 R" % self.value if self.reference else b"%d" % self.value)


def _no_references(reference: IndirectObject) -> int:
    raise ValueError("the document information refers to another object")


def _write_dictionary(stream: io.BytesIO, entries: dict[Any, Any], number: Numbering) -> None:
    stream.write(b"<<")
    for key, item in entries.items():
        stream.write(b" ")
        NameObject(key).write_to_stream(stream)
        stream.write(b" ")
        _write_value(stream, item, number)
    stream.write(b" >>")


def _write_value(stream: io.BytesIO, value: object, number: Numbering) -> None:
    """A PDF value with its references renumbered; dictionary and array entries are read as stored
    (``dict.items``, ``list`` iteration: pypdf would otherwise resolve the references)."""
    if isinstance(value, IndirectObject):
        stream.write(b"%d 0 R" % number(value))
    elif isinstance(value, StreamObject):
        raise ValueError("a stream inside another object")
    elif isinstance(value, DictionaryObject):
        _write_dictionary(stream, dict(value.items()), number)
    elif isinstance(value, ArrayObject):
        stream.write(b"[")
        for index, item in enumerate(value):
            if index:
                stream.write(b" ")
            _write_value(stream, item, number)
        stream.write(b"]")
    elif isinstance(value, PdfObject | PdfObjectNumber):
        value.write_to_stream(stream)
    else:
        raise ValueError(f"cannot write {type(value).__name__} into the PDF")
