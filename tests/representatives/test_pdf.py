"""The protocol PDF is the document both sides sign: each working language's text complete in itself
(its own headings, dates written out, names of states), both delegations, signature blocks, the SHA-256
and both approvals, numbered pages; the hand-over act and the border-sign record are standard forms in
both languages; every PDF embeds every font it uses and nothing else, and carries real metadata."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from lbt.core.pdf_document import CREATOR
from lbt.representatives import incidents, protocols
from lbt.representatives.models import HandOverKind, IncidentType
from lbt.representatives.pdf import protocol_pdf
from lbt.representatives.standard_forms import border_sign_pdf, hand_over_pdf

TAJIK = "Ҳайати ҷонибҳо қарор қабул карданд: чарогоҳ барои ҳамсояҳо"
KYRGYZ = "Тараптар өрүш боюнча чечим кабыл алышты: үңкүр жана жайыт"
MADE_AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def _pages(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def assert_hygienic(pdf: bytes, title_part: str) -> None:
    """Every font embedded (a FontFile2 under each descriptor), no Helvetica or other unused standard
    font among the resources, title, subject, creator and the creation date in the metadata."""
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            assert "Helvetica" not in str(font["/BaseFont"]), font
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]
    meta = reader.metadata
    assert title_part in meta.title and meta.subject and meta.creator == CREATOR
    assert meta.creation_date.year == MADE_AT.year and meta.creation_date.month == MADE_AT.month


def _signed(db, ref, reps, clock, held_meeting):  # type: ignore[no-untyped-def]
    item = held_meeting.agenda[0]
    protocols.write_item_text(
        db, reps.tj, item, language="tg", summary=TAJIK, decision="Қарор", now=clock.now
    )
    protocols.write_item_text(
        db, reps.kg, item, language="ky", summary=KYRGYZ, decision="Чечим", now=clock.now
    )
    protocols.add_action(
        db,
        reps.kg,
        item,
        responsible_state_id=ref.kg.id,
        description="Repair sign 114",
        due_on=clock.now.date() + timedelta(days=30),
        now=clock.now,
    )
    protocol = protocols.freeze_protocol(db, reps.tj, held_meeting, now=clock.now)
    first = protocols.approve_protocol(db, reps.tj, protocol, now=clock.now)
    clock.advance(hours=1)
    second = protocols.approve_protocol(db, reps.kg, protocol, now=clock.now)
    return protocol, first, second


def test_each_language_has_its_complete_authentic_text_with_signatures_hash_and_approvals(
    db, ref, reps, clock, held_meeting
):
    protocol, first, second = _signed(db, ref, reps, clock, held_meeting)

    pdf = protocol_pdf(protocol, MADE_AT, "tg")
    pages = _pages(pdf)
    tajik = next(i for i, page in enumerate(pages) if TAJIK in page)
    kyrgyz = next(i for i, page in enumerate(pages) if KYRGYZ in page)
    assert tajik < kyrgyz  # the reader's language first, then the other text after a page break
    tajik_text, kyrgyz_text = " ".join(pages[:kyrgyz]), " ".join(pages[kyrgyz:])
    assert KYRGYZ not in tajik_text and TAJIK not in kyrgyz_text  # not mixed line by line
    for text in (tajik_text, kyrgyz_text):
        assert first.content_sha256 in text and second.content_sha256 in text
        assert "Rahimov R." in text and "Asanov A." in text and "Bekova B." in text
        assert "Isfara-Batken" in text and "Repair sign 114" in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no raw ISO dates or moments
    assert f"Тажикстан — {ref.kg.name_national}" in kyrgyz_text  # the states named (CLDR's in Kyrgyz)
    assert f"1 / {len(pages)}" in pages[0] and f"{len(pages)} / {len(pages)}" in pages[-1]
    assert_hygienic(pdf, "SEC-1")


def test_the_pdf_route_serves_a_frozen_protocol_to_both_sides_only(app, db, ref, reps, clock, held_meeting):
    from tests.fixtures.representatives import write_both_languages

    write_both_languages(db, reps, clock, held_meeting)
    protocol = protocols.freeze_protocol(db, reps.tj, held_meeting, now=clock.now)
    for username, status in (("rep-tj", 200), ("rep-kg", 200), ("rep-tj-uz", 403)):
        client = app.test_client()
        client.login(username)
        response = client.get(f"/representatives/protocols/{protocol.id}.pdf")
        assert response.status_code == status, username
    assert "Муҳокима 1" in " ".join(_pages(protocol_pdf(protocol, MADE_AT)))


def test_a_hand_over_act_and_a_border_sign_record_are_forms_in_both_languages(app, db, ref, reps, clock):
    incident = incidents.report_incident(
        db,
        reps.tj,
        ref.section,
        incidents.IncidentInput(
            type=IncidentType.BORDER_SIGN,
            occurred_at=clock.now - timedelta(hours=3),
            border_sign="114",
            description="Sign 114 knocked over by a truck",
        ),
        now=clock.now,
    )
    act = incidents.record_hand_over(
        db,
        reps.tj,
        section=ref.section,
        incident=incident,
        kind=HandOverKind.LIVESTOCK,
        count=12,
        handing_state_id=ref.tj.id,
        handed_over_at=clock.now - timedelta(hours=1),
        description="12 sheep",
        now=clock.now,
    )
    act_pdf = hand_over_pdf(db, act, created_at=MADE_AT)
    pages = _pages(act_pdf)
    assert len(pages) == 2 and all("12 sheep" in page for page in pages)
    assert pages[0] != pages[1]  # one text per language
    assert_hygienic(act_pdf, "SEC-1")
    record = border_sign_pdf(incident, created_at=MADE_AT)
    assert len(_pages(record)) == 2 and all("114" in page for page in _pages(record))
    assert_hygienic(record, "SEC-1")
    client = app.test_client()
    client.login("rep-tj")
    assert client.get(f"/representatives/hand-overs/{act.id}.pdf").status_code == 200
    assert client.get(f"/representatives/incidents/{incident.id}/border-sign-record.pdf").status_code == 200
