"""A print batch streams its cards to the file (issue 11): the memory it needs does not grow with the
batch, the file it writes is a well-formed PDF across the parts it was drawn in, and every card of it
still prints its number and a QR that decodes. The QR's codewords and version are computed apart
from qrcode's own (faster), so they are compared with qrcode's. Nothing here is timed:
bench/print_cards.py measures the time."""

from __future__ import annotations

import io
import random
import re
import secrets
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter
from qrcode import QRCode, util
from qrcode.exceptions import DataOverflowError

from lbt.permits.card import CARDS_PER_PART, CardBatch, CardData, CardError, CardLabels
from lbt.permits.card_codewords import codewords
from lbt.permits.card_photo import load_photo
from lbt.permits.card_qr import smallest_version
from tests.permits.test_card import make_card, signed_url

GRAIN = Image.effect_noise((600, 771), 24).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))


def portrait(index: int) -> bytes:
    """A photo of its own per card, as large as the upload check stores one (reportlab would embed
    identical photos once, which would hide what a real batch weighs)."""
    image = Image.blend(GRAIN, Image.new("RGB", GRAIN.size, (170 + index % 80, 200, 225 - index % 50)), 0.7)
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 120, 420, 420), fill=(190, 155 + index % 90, 125))
    draw.text((280, 260), f"{index:04d}", fill=(40, 30, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def cards(count: int, start: int = 0) -> list[CardData]:
    base = make_card()
    return [
        replace(
            base,
            number=f"TJ-KG-2026-{index:06d}",
            photo=portrait(index),
            qr_text=signed_url(700)[:-12] + f"{index:012d}",
        )
        for index in range(start, start + count)
    ]


def write_batch(path: Path, batch: list[CardData]) -> None:
    with path.open("wb") as out:
        printer = CardBatch(out, CardLabels.english())
        for card in batch:
            printer.add(card)
        printer.save()


def traced_peak(path: Path, batch: list[CardData]) -> int:
    """The peak of Python's allocations while the batch is drawn and written (the cards' own data
    made before)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        write_batch(path, batch)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_the_memory_of_a_batch_does_not_grow_with_its_size(tmp_path: Path) -> None:
    small, large = cards(CARDS_PER_PART), cards(3 * CARDS_PER_PART, start=CARDS_PER_PART)
    write_batch(tmp_path / "warm.pdf", cards(2))  # fonts and caches loaded once, before either
    small_peak = traced_peak(tmp_path / "small.pdf", small)
    large_peak = traced_peak(tmp_path / "large.pdf", large)

    assert len(pypdf.PdfReader(tmp_path / "large.pdf").pages) == 2 * len(large)
    # the whole batch held until the end took ~0.13 MB more per card: 3 times the cards, twice the peak
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


def test_every_card_of_a_batch_drawn_in_several_parts_prints_its_number_and_decodes(tmp_path: Path) -> None:
    batch = cards(2 * CARDS_PER_PART + 7)
    path = tmp_path / "batch.pdf"
    write_batch(path, batch)
    data = path.read_bytes()

    _assert_well_formed(data)
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 2 * len(batch)
    assert reader.metadata is not None and reader.metadata.title == (
        f"{batch[0].number} … {batch[-1].number} ({len(batch)} permits)"
    )
    document = pypdfium2.PdfDocument(data)
    try:
        for index, card in enumerate(batch):
            assert card.number in reader.pages[2 * index].extract_text()
            back = document[2 * index + 1].render(scale=200 / 72).to_pil().convert("L")
            decoded = zxingcpp.read_barcodes(back, formats=zxingcpp.BarcodeFormat.QRCode)
            assert [barcode.text for barcode in decoded] == [card.qr_text], card.number
    finally:
        document.close()


def _assert_well_formed(data: bytes) -> None:
    """Each object where the cross-reference table says, every reference to an object that exists,
    and the trailer's start of the table exact: no reader has to repair the file."""
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))  # type: ignore[union-attr]
    header = re.match(rb"xref\n0 (\d+)\n", data[start:])
    assert header is not None
    size = int(header.group(1))
    table = data[start + header.end() : start + header.end() + 20 * size]
    entries = [table[20 * n : 20 * n + 20] for n in range(size)]
    assert entries[0] == b"0000000000 65535 f \n"
    for number in range(1, size):
        offset = int(entries[number][:10])
        assert data[offset:].startswith(b"%d 0 obj\n" % number), number
    outside_streams = re.sub(rb"\nstream\n.*?\nendstream\n", b"", data, flags=re.DOTALL)
    assert {int(n) for n in re.findall(rb"(\d+) 0 R", outside_streams)} <= set(range(1, size))
    assert re.search(rb"/Size %d\b" % size, data[start:])


def test_a_batch_that_prints_no_card_writes_nothing() -> None:
    out = io.BytesIO()
    printer = CardBatch(out, CardLabels.english())
    with pytest.raises(CardError, match="photo"):
        printer.add(make_card(photo=b"not a photo"))
    with pytest.raises(CardError, match="no cards"):
        printer.save()
    assert out.getvalue() == b""


def test_a_photo_turned_by_its_exif_orientation_is_drawn_upright_at_300_dpi() -> None:
    image = Image.new("RGB", (800, 600), (200, 210, 220))  # stored landscape, shown portrait
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())

    reader, width, height = load_photo(out.getvalue())

    assert width / height == pytest.approx(600 / 800)
    assert reader.getSize() == (round(width / 72 * 300), round(height / 72 * 300))


def test_qr_codewords_and_version_are_those_qrcode_computes() -> None:
    rng = random.Random(11)
    texts = [f"https://lbt.border.example.tj/v#{secrets.token_urlsafe(n)}" for n in (10, 300, 600, 850)]
    texts += ["".join(rng.choice("0123456789") for _ in range(n)) for n in (5, 700)]  # numeric chunks
    texts += ["HTTPS://LBT.EXAMPLE/V#" + "".join(rng.choice("ABC123 $%*+-./:") for _ in range(400))]
    for text in texts:
        chunks = list(util.optimal_data_chunks(text, minimum=20))
        for level in range(4):
            code = QRCode(error_correction=level)
            code.add_data(text, optimize=20)
            try:
                expected = code.best_fit()
            except (DataOverflowError, ValueError):
                expected = 41
            assert smallest_version(chunks, level) == expected, (len(text), level)
            if expected <= 40:
                assert codewords(chunks, expected, level) == util.create_data(expected, level, chunks)
