"""The permit card PDF: ID-1 pages, every printed field in the text layer, a QR that a real decoder reads
back from a rendered page, text that never leaves the card, and clear errors for what cannot print."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import unicodedata
from dataclasses import replace
from datetime import date

import pypdf
import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
import zxingcpp
from PIL import Image, ImageDraw
from reportlab.pdfbase.pdfmetrics import stringWidth

from lbt.permits.card import (
    BOLD,
    REGULAR,
    CardData,
    CardError,
    CardLabels,
    fit_text,
    qr_matrix,
    render_cards,
)

MM = 72 / 25.4  # PDF points per millimetre
TAJIK_LETTERS = "ғӣқӯҳҷ"
KYRGYZ_LETTERS = "ңөү"


def photo(width: int = 350, height: int = 450, image_format: str = "JPEG", mode: str = "RGB") -> bytes:
    """A passport-style stand-in: a face and shoulders on a pale background."""
    image = Image.new("RGB", (width, height), (200, 215, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.3, height * 0.18, width * 0.7, height * 0.58), fill=(225, 190, 160))
    draw.rectangle((width * 0.15, height * 0.65, width * 0.85, height), fill=(50, 60, 90))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, image_format)
    return buffer.getvalue()


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_url(length: int = 800) -> str:
    """A realistic ``<public_url>/v#<JWS>`` of exactly ``length`` characters."""
    header = base64url(json.dumps({"alg": "ES256", "kid": "tj-2026-01", "typ": "lbt-permit+jwt"}).encode())
    claims = {
        "num": "TJ-KG-2026-000123",
        "sur": "Раҳимов",
        "giv": "Ҷамшед",
        "sur_lat": "RAKHIMOV",
        "giv_lat": "DZHAMSHED",
        "dob": "1984-03-07",
        "doc": "A1234567",
        "from": "2026-05-01",
        "until": "2028-04-30",
        "agr": "TJ-KG-LBT-2024",
        "stay": 30,
        "photo": hashlib.sha256(b"photo").hexdigest(),
    }
    payload = base64url(json.dumps(claims, ensure_ascii=False).encode())
    signature = base64url(hashlib.sha512(b"signature").digest())  # ES256: 64 bytes
    url = f"https://lbt.border.example.tj/v#{header}.{payload}.{signature}"
    assert len(url) <= length
    padding = base64url(hashlib.shake_256(b"pad").digest(length))[: length - len(url)]
    return f"https://lbt.border.example.tj/v#{header}.{payload}{padding}.{signature}"


def labels_tajik_english() -> CardLabels:
    tajik = CardLabels(
        title="Иҷозатнома барои ҳаракати маҳаллии сарҳадӣ",
        surname="Насаб",
        given_names="Ном",
        birth_date="Санаи таваллуд",
        sex="Ҷинс",
        nationality="Шаҳрвандӣ",
        permit_number="Рақами иҷозатнома",
        valid_from="Эътибор аз",
        valid_until="Эътибор то",
        max_stay_days="Ҳадди будубош (рӯз)",
        document_number="Рақами ҳуҷҷати сафар",
        residence="Ҷои истиқомат",
        border_area="Минтақаи сарҳадии эътибор",
        issuing_authority="Мақоми додашуда",
        issued_on="Санаи додан",
        statement_border_area="Дорандаи иҷозатнома ҳаққи тарк кардани минтақаи сарҳадиро надорад.",
        statement_misuse="Сӯиистифода ҷазо дода мешавад.",
        locale="tg",  # dates as Tajik writes them (CLDR: 07/03/1984)
    )
    return CardLabels.bilingual(tajik, CardLabels.english())


def make_card(**changes: object) -> CardData:
    card = CardData(
        number="TJ-KG-2026-000123",
        surname_national="Раҳимов",
        given_names_national="Ҷамшед Ғуломович",
        surname_latin="RAKHIMOV",
        given_names_latin="DZHAMSHED GULOMOVICH",
        birth_date=date(1984, 3, 7),
        sex="M",
        nationality="TJK",
        residence_national="Исфара",
        residence_latin="Isfara",
        district="Isfara district, Sughd region",
        issuing_state="Republic of Tajikistan / Ҷумҳурии Тоҷикистон",
        issuing_authority="Border Troops of the State Committee for National Security, Isfara detachment",
        issued_on=date(2026, 4, 20),
        valid_from=date(2026, 5, 1),
        valid_until=date(2028, 4, 30),
        border_area="TJ-KG agreement: border area of the Kyrgyz Republic (Batken region, Leilek district)",
        document_number="A1234567",
        max_stay_days=30,
        photo=photo(),
        qr_text=signed_url(),
    )
    return replace(card, **changes)


def render_page(pdf: bytes, index: int, dpi: int) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[index].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()


def page_text(pdf: bytes, index: int) -> str:
    """The page's text layer with line breaks (wrapped lines) read as spaces."""
    return " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[index].extract_text().split())


def decode_qr(image: Image.Image) -> zxingcpp.Barcode:
    barcodes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(barcodes) == 1, "exactly one QR code is on the back"
    return barcodes[0]


def test_each_page_is_exactly_id1_size() -> None:
    pdf = render_cards([make_card()], CardLabels.english())

    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    for page in pages:
        assert float(page.mediabox.width) / MM == pytest.approx(85.60, abs=0.1)
        assert float(page.mediabox.height) / MM == pytest.approx(53.98, abs=0.1)


def test_a_batch_of_three_cards_prints_six_pages_in_order() -> None:
    numbers = ["TJ-KG-2026-000001", "TJ-KG-2026-000002", "TJ-KG-2026-000003"]
    pdf = render_cards([make_card(number=number) for number in numbers], CardLabels.english())

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 6
    assert [number in reader.pages[2 * index].extract_text() for index, number in enumerate(numbers)] == [
        True
    ] * 3


def test_metadata_names_the_permit_numbers_and_no_personal_data() -> None:
    pdf = render_cards([make_card(), make_card(number="TJ-KG-2026-000124")], CardLabels.english())

    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title == "TJ-KG-2026-000123, TJ-KG-2026-000124"
    everything = " ".join(str(value) for value in metadata.values())
    for personal in ("Раҳимов", "RAKHIMOV", "A1234567", "1984", "Isfara"):
        assert personal not in everything


FRONT = (
    "Раҳимов",
    "Ҷамшед Ғуломович",
    "RAKHIMOV",
    "DZHAMSHED GULOMOVICH",
    "07/03/1984",
    "TJK",
    "TJ-KG-2026-000123",
    "01/05/2026",
    "30/04/2028",
    "Ҳадди будубош (рӯз) / Max. stay (days) 30",
    "Republic of Tajikistan",
    "ИҶОЗАТНОМА БАРОИ ҲАРАКАТИ МАҲАЛЛИИ САРҲАДӢ",
    "LOCAL BORDER TRAFFIC PERMIT",
    "Насаб / Surname",
    "Санаи таваллуд / Date of birth",
)
BACK = (
    "A1234567",
    "20/04/2026",
    "Исфара",
    "Isfara",
    "Isfara district, Sughd region",
    "border area of the Kyrgyz Republic (Batken region, Leilek district)",
    "Border Troops of the State Committee for National Security, Isfara detachment",
    "Дорандаи иҷозатнома ҳаққи тарк кардани минтақаи сарҳадиро надорад.",
    "The holder may not leave the border area.",
    "Сӯиистифода ҷазо дода мешавад.",
    "Misuse is penalised.",
)


@pytest.mark.parametrize(("page", "printed"), [(0, FRONT), (1, BACK)], ids=["front", "back"])
def test_every_field_is_printed_in_the_text_layer(page: int, printed: tuple[str, ...]) -> None:
    text = page_text(render_cards([make_card()], labels_tajik_english()), page)

    assert [value for value in printed if value not in text] == []


def test_tajik_and_kyrgyz_letters_print_and_decomposed_letters_are_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Йўлдошев")
    card = make_card(surname_national=TAJIK_LETTERS + KYRGYZ_LETTERS, given_names_national=decomposed)
    front = page_text(render_cards([card], CardLabels.english()), 0)

    assert TAJIK_LETTERS + KYRGYZ_LETTERS in front
    assert "Йўлдошев" in front


def test_a_character_the_font_lacks_is_refused_by_name() -> None:
    with pytest.raises(CardError, match=r"U\+738B"):
        render_cards([make_card(given_names_national="王")], CardLabels.english())


def test_qr_on_the_back_decodes_to_the_signed_url_exactly() -> None:
    card = make_card(qr_text=signed_url(800))
    pdf = render_cards([card], CardLabels.english())

    barcode = decode_qr(render_page(pdf, 1, dpi=300))

    assert barcode.text == card.qr_text
    assert barcode.ec_level in ("M", "Q", "H")
    modules = 17 + 4 * int(barcode.extra["Version"])
    symbol_mm = (barcode.position.top_right.x - barcode.position.top_left.x) / 300 * 25.4
    assert symbol_mm >= 40
    assert symbol_mm / modules >= 0.33


def test_qr_still_decodes_from_a_coarse_150_dpi_scan() -> None:
    card = make_card(qr_text=signed_url(900))
    pdf = render_cards([card], CardLabels.english())
    sharp = render_page(pdf, 1, dpi=300)

    coarse = sharp.resize((sharp.width // 2, sharp.height // 2), Image.Resampling.BILINEAR)

    assert decode_qr(coarse).text == card.qr_text


def test_qr_has_a_white_quiet_zone_of_four_modules() -> None:
    card = make_card()
    image = render_page(render_cards([card], CardLabels.english()), 1, dpi=300)
    barcode = decode_qr(image)
    position = barcode.position
    module = (position.top_right.x - position.top_left.x + 1) / (17 + 4 * int(barcode.extra["Version"]))

    quiet = round(4 * module) - 1  # stay clear of the anti-aliased edge of the outer modules
    left, top = position.top_left.x - quiet, position.top_left.y - quiet
    right, bottom = position.bottom_right.x + quiet, position.bottom_right.y + quiet
    assert left > 0 and top > 0 and right < image.width and bottom < image.height
    for box in (
        (left, top, right, position.top_left.y - 2),  # above
        (left, position.bottom_left.y + 2, right, bottom),  # below
        (left, top, position.top_left.x - 2, bottom),  # left
        (position.top_right.x + 2, top, right, bottom),  # right
    ):
        darkest, _ = image.crop(box).getextrema()
        assert darkest > 200, f"dark pixels in the quiet zone {box}"


def test_qr_matrix_has_a_four_module_border_and_a_version_that_fits_the_card() -> None:
    matrix = qr_matrix(signed_url(700))

    assert not any(any(row) for row in matrix[:4] + matrix[-4:])
    assert not any(any(row[:4]) or any(row[-4:]) for row in matrix)
    version, remainder = divmod(len(matrix) - 8 - 17, 4)
    assert remainder == 0 and 20 <= version <= 23  # ~700 bytes at level M


def test_qr_error_correction_rises_above_m_when_the_symbol_keeps_its_size() -> None:
    card = make_card(qr_text="https://lbt.example.tj/v#short")
    image = render_page(render_cards([card], CardLabels.english()), 1, dpi=300)

    barcode = decode_qr(image)

    assert barcode.text == card.qr_text and barcode.ec_level in ("Q", "H")


def test_qr_content_that_cannot_scan_from_the_card_is_refused() -> None:
    with pytest.raises(CardError, match="too small to scan"):
        render_cards([make_card(qr_text=signed_url(1800))], CardLabels.english())
    with pytest.raises(CardError, match="ASCII"):
        render_cards([make_card(qr_text="https://лбт.тҷ/v#x")], CardLabels.english())


def text_chunks(pdf: bytes, index: int) -> list[tuple[str, float, float, float, str]]:
    """(text, x, baseline y, size, font) of every text run on a page."""
    chunks: list[tuple[str, float, float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float) -> None:
        if text.strip() and font is not None:
            scale = tm[0] * cm[0]
            chunks.append((text.strip(), tm[4] + cm[4], tm[5] + cm[5], size * scale, str(font["/BaseFont"])))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[index].extract_text(visitor_text=visit)
    return chunks


def assert_inside_the_card(pdf: bytes) -> None:
    width, height = 85.60 * MM, 53.98 * MM
    for index in (0, 1):
        chunks = text_chunks(pdf, index)
        assert len(chunks) > 10
        for text, x, y, size, font in chunks:
            font_name = BOLD if font.endswith("-Bold") else REGULAR
            right = x + stringWidth(text, font_name, size)
            assert x >= 2 * MM and right <= width - 2 * MM, f"{text!r} crosses a side edge"
            assert y - 0.25 * size >= 2 * MM and y + size <= height - 0.5 * MM, (
                f"{text!r} crosses top or bottom"
            )


def test_very_long_names_shrink_and_wrap_but_stay_in_full_on_the_card() -> None:
    # 100 characters: the most the permit's name columns hold
    surname = ("Абдурахмонзода Ҷамшедхони Ғуломқодири Шамсиддинов " * 2)[:100]
    surname_latin = ("ABDURAKHMONZODA DZHAMSHEDKHONI GULOMKODIRI SHAMSIDDINOV " * 2)[:100]
    card = make_card(
        surname_national=surname,
        surname_latin=surname_latin,
        given_names_national=surname,
        given_names_latin=surname_latin,
        nationality="STATELESS PERSON",
        border_area=("border area of the Kyrgyz Republic " * 5)[:160],
        issuing_authority=("State Committee for National Security " * 5)[:160],
        residence_national=("Қишлоқи Ҳисори Шодмон " * 3)[:60],
        residence_latin=("Qishloqi Hisori Shodmon " * 3)[:60],
        district=("Jabbor Rasulov district, Sughd region " * 2)[:60],
    )
    pdf = render_cards([card], labels_tajik_english())

    front = page_text(pdf, 0)
    assert surname in front and surname_latin in front
    assert_inside_the_card(pdf)
    sizes = {text: size for text, _, _, size, _ in text_chunks(pdf, 0)}
    normal_sizes = {
        text: size
        for text, _, _, size, _ in text_chunks(render_cards([make_card()], CardLabels.english()), 0)
    }
    assert max(size for text, size in sizes.items() if text in surname) < normal_sizes["Раҳимов"]


def test_an_ordinary_card_stays_inside_the_card() -> None:
    assert_inside_the_card(render_cards([make_card()], labels_tajik_english()))


def test_fit_text_keeps_short_text_at_full_size_on_one_line() -> None:
    fitted = fit_text("RAKHIMOV", BOLD, 50 * MM, 7.5, 4)

    assert fitted.lines == ("RAKHIMOV",) and fitted.size == 7.5


def test_fit_text_shrinks_before_it_wraps_and_wraps_before_it_gives_up() -> None:
    name = "DZHAMSHED GULOMOVICH ABDULLOZODA"
    full_width = stringWidth(name, BOLD, 7.5)

    shrunk = fit_text(name, BOLD, full_width * 0.8, 7.5, 4, max_lines=2)
    assert len(shrunk.lines) == 1 and 4 <= shrunk.size < 7.5
    assert stringWidth(shrunk.lines[0], BOLD, shrunk.size) <= full_width * 0.8

    wrapped = fit_text(name, BOLD, full_width * 0.4, 7.5, 4, max_lines=2)
    assert " ".join(wrapped.lines) == name and len(wrapped.lines) == 2

    with pytest.raises(CardError, match="too long"):
        fit_text(name, BOLD, full_width * 0.1, 7.5, 4, max_lines=2)


def test_fit_text_breaks_a_word_longer_than_the_line() -> None:
    fitted = fit_text("A" * 40, BOLD, 20 * MM, 6, 6, max_lines=4)

    assert len(fitted.lines) > 1 and "".join(fitted.lines) == "A" * 40
    assert all(stringWidth(line, BOLD, 6) <= 20 * MM for line in fitted.lines)


def photo_bounds_mm(pdf: bytes) -> tuple[float, float]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        (image,) = document[0].get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE])
        left, bottom, right, top = image.get_bounds()
    finally:
        document.close()
    return (right - left) / MM, (top - bottom) / MM


@pytest.mark.parametrize(
    ("width", "height", "image_format", "mode"),
    [
        (350, 450, "JPEG", "RGB"),  # passport photo, 35 x 45
        (800, 400, "JPEG", "RGB"),  # landscape
        (200, 800, "PNG", "RGB"),  # very tall
        (300, 300, "PNG", "RGBA"),  # transparent background
        (350, 450, "JPEG", "L"),  # greyscale
        (3500, 4500, "JPEG", "CMYK"),  # a large scan in CMYK
    ],
)
def test_photos_of_any_shape_keep_their_aspect_inside_25_by_32_mm(
    width: int, height: int, image_format: str, mode: str
) -> None:
    pdf = render_cards([make_card(photo=photo(width, height, image_format, mode))], CardLabels.english())

    drawn_width, drawn_height = photo_bounds_mm(pdf)
    assert drawn_width <= 25.01 and drawn_height <= 32.01
    assert max(drawn_width / 25, drawn_height / 32) == pytest.approx(1, abs=0.01)
    assert drawn_width / drawn_height == pytest.approx(width / height, rel=0.01)


def test_a_photo_that_is_not_an_image_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="photo is not a readable JPEG or PNG image"):
        render_cards([make_card(photo=b"%PDF-1.7 not a photo")], CardLabels.english())


def test_a_photo_in_another_format_is_refused() -> None:
    with pytest.raises(CardError, match="JPEG or PNG image, not GIF"):
        render_cards([make_card(photo=photo(image_format="GIF"))], CardLabels.english())


def test_a_card_that_cannot_print_names_its_permit() -> None:
    with pytest.raises(CardError, match=r"^permit TJ-KG-2026-000999: "):
        render_cards([make_card(), make_card(number="TJ-KG-2026-000999", photo=b"")], CardLabels.english())


def test_no_cards_is_an_error() -> None:
    with pytest.raises(CardError, match="no cards"):
        render_cards([], CardLabels.english())
