from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from lbt.core.errors import ValidationFailed
from lbt.storage.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    MAX_DOCUMENT_BYTES,
    FileStore,
    check_photo,
    check_upload,
)


def image_bytes(width: int = 360, height: int = 460, kind: str = "JPEG", exif: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 180, 160))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x0132] = "2026:01:01 10:00:00"
        image.save(out, kind, exif=data)
    else:
        image.save(out, kind)
    return out.getvalue()


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_a_photo_is_reencoded_without_its_exif():
    original = image_bytes(exif=True)
    assert b"SecretCam" in original
    checked = check_photo(original, "me.jpg")
    assert checked.content_type == "image/jpeg"
    assert b"SecretCam" not in checked.data
    assert Image.open(io.BytesIO(checked.data)).getexif() == {}


def test_a_file_named_jpg_that_is_not_an_image_is_refused():
    with pytest.raises(ValidationFailed, match="not a JPEG or PNG image"):
        check_photo(b"MZ\x90\x00 this is an executable", "photo.jpg")


def test_a_file_that_starts_like_a_jpeg_but_is_garbage_is_refused():
    with pytest.raises(ValidationFailed, match="not a readable image"):
        check_photo(b"\xff\xd8\xff\xe0" + b"\x00" * 500, "photo.jpg")


def test_a_fake_pdf_is_refused():
    with pytest.raises(ValidationFailed, match="not a complete PDF"):
        check_upload(b"%PDF-1.4 not really", "doc.pdf", allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES)


def test_a_pdf_with_javascript_is_refused():
    evil = MINIMAL_PDF.replace(
        b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"
    )
    with pytest.raises(ValidationFailed, match="scripts"):
        check_upload(evil, "doc.pdf", allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES)


def test_a_real_pdf_is_kept_as_it_is():
    checked = check_upload(
        MINIMAL_PDF, "../../etc/doc.pdf", allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES
    )
    assert checked.content_type == "application/pdf"
    assert checked.original_name == "doc.pdf"


def test_an_oversized_file_is_refused_with_the_limit():
    noise = Image.frombytes("RGB", (1200, 1600), os.urandom(1200 * 1600 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 1024 * 1024
    with pytest.raises(ValidationFailed, match="at most 1 MB"):
        check_upload(out.getvalue(), "x.jpg", allowed=IMAGE_TYPES, max_bytes=1024 * 1024)


@pytest.mark.parametrize(("width", "height", "message"), [(200, 260, "too small"), (800, 600, "portrait")])
def test_photo_size_and_shape_are_checked(width, height, message):
    with pytest.raises(ValidationFailed, match=message):
        check_photo(image_bytes(width, height), "me.jpg")


def test_a_png_photo_is_stored_as_a_jpeg_no_larger_than_needed():
    checked = check_photo(image_bytes(1200, 1540, "PNG"), "me.png")
    image = Image.open(io.BytesIO(checked.data))
    assert (image.format, image.width <= 600, image.height <= 771) == ("JPEG", True, True)


def test_the_store_uses_a_random_private_name(tmp_path):
    store = FileStore(tmp_path)
    stored = store.save(check_photo(image_bytes(), "../me.jpg"))
    assert stored.stored_name != "me.jpg" and len(stored.stored_name) == 32
    assert (tmp_path / stored.stored_name).stat().st_mode & 0o077 == 0
    assert store.read(stored)[:3] == b"\xff\xd8\xff"
