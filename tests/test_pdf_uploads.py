"""PDF uploads are decided by a real parser: active content is found whatever its spelling (hex-escaped
names), wherever it sits (an object stream, an object the cross-reference table hides), and a PDF that is
also a web page is refused; an ordinary multi-page document still passes."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select

from lbt.applications.models import Application
from lbt.core.errors import ValidationFailed
from lbt.storage.models import StoredFile
from lbt.storage.uploads import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, MAX_PDF_OBJECTS, check_upload
from tests.applications.test_public_views import error_beside, form_data, jpeg, send

ACTIVE = "PDF files with scripts, attachments or forms are not accepted."
POLYGLOT = "The file is a PDF and a web page at once and is not accepted."
UNREADABLE = "The file is not a readable PDF document."


def build_pdf(*objects: bytes, trailer: bytes = b"/Root 1 0 R", header: bytes = b"%PDF-1.7\n") -> bytes:
    """A well-formed PDF (cross-reference table with exact offsets) of the given object bodies,
    numbered from 1; so a refusal is about what the objects say, not about a broken file."""
    out = bytearray(header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<<%s/Length %d>>\nstream\n%s\nendstream" % (extra, len(data), data)


def document(
    catalog: bytes = b"", page: bytes = b"", extra: Sequence[bytes] = (), header: bytes = b"%PDF-1.7\n"
) -> bytes:
    """One page with a line of text; ``catalog`` and ``page`` add entries, ``extra`` objects from 5 on."""
    content = b"BT /F1 12 Tf 20 50 Td (Residence certificate) Tj ET"
    return build_pdf(
        b"<</Type/Catalog/Pages 2 0 R%s>>" % catalog,
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>%s>>" % page,
        stream(content),
        *extra,
        header=header,
    )


def check(data: bytes):  # type: ignore[no-untyped-def]
    return check_upload(data, "certificate.pdf", allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES)


def refused(data: bytes) -> str:
    with pytest.raises(ValidationFailed) as error:
        check(data)
    return str(error.value)


def test_the_hostile_documents_are_read_by_the_parser_as_intended():
    """The test files themselves are sound: a viewer would run what they hold."""
    reader = PdfReader(io.BytesIO(document(catalog=b"/OpenAction<</S/J#61vaScript/JS(app.alert(1))>>")))
    assert reader.trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"
    assert len(reader.pages) == 1


@pytest.mark.parametrize(
    ("catalog", "page", "extra"),
    [
        (b"/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>", b"", ()),
        (b"/OpenAction 5 0 R", b"", (b"<</S/JavaScript/JS 6 0 R>>", stream(b"app.alert(document.cookie)"))),
        (b"/Names<</J#61vaScript<</Names[(a) 5 0 R]>>>>", b"", (b"<</S/JavaScript/JS(app.alert(1))>>",)),
        (
            b"",
            b"/Annots[5 0 R]",
            (b"<</Type/Annot/Subtype/Link/Rect[0 0 50 20]/A<</S/L#61unch/F(cmd.exe)>>>>",),
        ),
        (b"", b"/AA<</O<</S/GoTo/D[3 0 R/Fit]>>>>", ()),
        (b"/AA<</WC<</S/JavaScript/JS(x)>>>>", b"", ()),
        (
            b"/Names<</EmbeddedFiles<</Names[(a.exe) 5 0 R]>>>>",
            b"",
            (b"<</Type/Filespec/F(a.exe)/EF<</F 6 0 R>>>>", stream(b"MZ", b"/Type/EmbeddedFile")),
        ),
        (
            b"",
            b"/Annots[5 0 R]",
            (b"<</Type/Annot/Subtype/FileAttachment/Rect[0 0 9 9]/FS 6 0 R>>", b"<</Type/Filespec/F(x.js)>>"),
        ),
        (b"/AcroForm<</Fields[]/XFA 5 0 R>>", b"", (stream(b"<xdp:xdp/>"),)),
        (b"", b"/Annots[5 0 R]", (b"<</Type/Annot/Subtype/RichMedia/Rect[0 0 9 9]>>",)),
        (
            b"",
            b"/Annots[5 0 R]",
            (b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A<</S/SubmitForm/F(http://x)>>>>",),
        ),
        (
            b"",
            b"/Annots[5 0 R]",
            (b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A 6 0 R>>", b"<</S 7 0 R>>", b"/Launch"),
        ),
    ],
    ids=[
        "hex-escaped-javascript-on-opening",
        "open-action-javascript-by-reference",
        "hex-escaped-document-javascript",
        "hex-escaped-launch-link",
        "page-additional-action",
        "document-additional-action",
        "embedded-files",
        "file-attachment-annotation",
        "xfa-form",
        "rich-media",
        "submit-form",
        "launch-through-references",
    ],
)
def test_active_content_is_refused_whatever_its_spelling(catalog, page, extra):
    assert refused(document(catalog=catalog, page=page, extra=extra)) == ACTIVE


def test_javascript_packed_in_a_compressed_object_stream_is_refused():
    packed = b"<</S/JavaScript/JS(app.alert(1))>>"
    header = b"6 0 "
    objstm = zlib.compress(header + packed)
    data = build_pdf(
        b"<</Type/Catalog/Pages 2 0 R/OpenAction 6 0 R>>",
        b"<</Type/Pages/Kids[]/Count 0>>",
        stream(objstm, b"/Type/ObjStm/N 1/First %d/Filter/FlateDecode" % len(header)),
    )
    assert b"JavaScript" not in data  # not found by looking at the bytes
    assert refused(data) == ACTIVE


def test_javascript_in_an_object_the_cross_reference_table_hides_is_refused():
    """An older version of object 1 (an incremental update replaced it) still carries JavaScript: a
    viewer that rebuilds the table (a damaged file) may read it."""
    clean = document()
    hidden = b"1 0 obj\n<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>\nendobj\n"
    position = clean.index(b"2 0 obj")
    shifted = clean[:position] + hidden + clean[position:]
    # the table still points at the clean object 1; the later offsets move by the inserted length
    start = shifted.index(b"xref\n")
    table = shifted[start:].split(b"\n")
    for index, line in enumerate(table):
        if line.endswith(b" 00000 n ") and int(line[:10]) > position:
            table[index] = b"%010d 00000 n " % (int(line[:10]) + len(hidden))
    rebuilt = shifted[:start] + b"\n".join(table)
    rebuilt = rebuilt.replace(b"startxref\n%d" % (start - len(hidden)), b"startxref\n%d" % start)
    reader = PdfReader(io.BytesIO(rebuilt))
    assert "/OpenAction" not in reader.trailer["/Root"]  # the parser's own view is clean
    assert refused(rebuilt) == ACTIVE


@pytest.mark.parametrize(
    "marker",
    [b"<html><body>", b"<script>alert(1)</script>", b"<!DOCTYPE html>", b"<HTML>", b"<ScRiPt src=x>"],
)
def test_a_pdf_that_is_also_a_web_page_is_refused(marker):
    polyglot = document(extra=(stream(b"%s<p>Hello officer</p>" % marker),))
    assert refused(polyglot) == POLYGLOT
    in_a_comment = document(header=b"%PDF-1.7\n%" + marker + b"\n")
    assert refused(in_a_comment) == POLYGLOT


def test_a_pdf_must_start_with_its_header():
    assert refused(b"\n \t" + document()) == "The file does not start like a PDF document."
    assert refused(b"<html>" + document()).startswith("The file is not a PDF")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n garbage ((( \n%%EOF\n",
        b"%PDF-1.7\nnothing but words here\n%%EOF\n",
        build_pdf(b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R] /Count 1 (((unclosed"),
    ],
    ids=["no-trailer-and-junk", "no-objects", "broken-object"],
)
def test_what_the_parser_cannot_read_is_refused(data):
    assert refused(data) == UNREADABLE


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()) == "Encrypted or password-protected PDF files are not accepted."


def clean_multipage_pdf() -> bytes:
    """What a scanner app or an office suite makes: several pages of text and images, links to a web
    address and between pages, an outline, metadata, compressed streams."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1)
    canvas.setTitle("Residence certificate")
    scan = Image.new("RGB", (400, 300), (230, 225, 210))
    for number in range(1, 4):
        canvas.bookmarkPage(f"page{number}")
        canvas.addOutlineEntry(f"Page {number}", f"page{number}")
        canvas.drawString(72, 760, f"Certificate of residence, page {number} of 3")
        canvas.drawImage(ImageReader(scan), 72, 400, 300, 225)
        canvas.linkURL("https://example.org/registry", (72, 700, 300, 720))
        canvas.linkAbsolute("back to the first page", "page1", (72, 650, 300, 670))
        canvas.showPage()
    canvas.save()
    # an opening destination (show page 1, whole) is no action
    writer = PdfWriter(clone_from=io.BytesIO(buffer.getvalue()))
    writer.open_destination = writer.pages[0]
    writer.add_metadata({"/Author": "Village administration"})
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_clean_multipage_pdf_is_kept_as_it_is():
    data = clean_multipage_pdf()
    assert len(PdfReader(io.BytesIO(data)).pages) == 3
    checked = check(data)
    assert checked.content_type == "application/pdf"
    assert checked.data == data


def test_a_hostile_pdf_sent_with_an_application_is_refused_beside_its_field(client, ref, db):
    hostile = document(catalog=b"/OpenAction<</S/J#61vaScript/JS(app.alert(1))>>")
    response = send(
        client, form_data(ref), photo=jpeg(), documents=(("residence_proof", hostile, "residence.pdf"),)
    )
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "documents-0-file") == ACTIVE
    assert db.scalar(select(func.count()).select_from(Application)) == 0
    kept = db.scalars(select(StoredFile.content_type)).all()
    assert "application/pdf" not in kept


def test_a_clean_pdf_sent_with_an_application_is_accepted(client, ref, db):
    response = send(
        client,
        form_data(ref),
        photo=jpeg(),
        documents=(("residence_proof", clean_multipage_pdf(), "residence.pdf"),),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.scalar(select(func.count()).select_from(Application)) == 1


@pytest.mark.parametrize(
    "size", [b"/Size 2000000", b"/S#69ze 2000000", b"/Size 5/Index[0 2000000]", b"/Size 3 0 R"]
)
def test_a_small_pdf_that_declares_millions_of_objects_is_refused_before_it_is_parsed(size):
    """15 kB of compressed cross-reference stream would keep the parser busy for seconds."""
    entries = zlib.compress(b"\x01\x00\x00\x09\x00" * 2_000_000, 9)
    head = b"%PDF-1.5\n1 0 obj<</Type/Catalog>>endobj\n"
    table = stream(entries, b"/Type/XRef%s/W[1 3 1]/Root 1 0 R/Filter/FlateDecode" % size)
    data = head + b"2 0 obj" + table + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % len(head)
    assert len(data) < 20_000
    assert refused(data) == "The PDF document is too complex to check."


def test_a_pdf_of_more_objects_than_a_document_needs_is_refused():
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"]
    data = build_pdf(*objects, *([b"1"] * MAX_PDF_OBJECTS))
    assert refused(data) == "The PDF document is too complex to check."
    assert check(build_pdf(*objects, *([b"1"] * 1000))).content_type == "application/pdf"
