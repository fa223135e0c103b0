"""The protocol PDF carries both working languages' text and both approval hashes (read back with pypdf)."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from lbt.representatives import protocols
from lbt.representatives.pdf import protocol_pdf

LABELS = {
    key: key.replace("_", " ").title()
    for key in [
        "title",
        "addendum",
        "section",
        "date",
        "venue",
        "host",
        "participants",
        "agenda",
        "summary",
        "decision",
        "responsible",
        "due",
        "signatures",
        "head",
        "approved",
        "not_approved",
        "content_hash",
        "version",
    ]
}
TAJIK = "Ҳайати ҷонибҳо қарор қабул карданд: чарогоҳ барои ҳамсояҳо"
KYRGYZ = "Тараптар өрүш боюнча чечим кабыл алышты: үңкүр жана жайыт"


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def test_the_protocol_pdf_has_both_languages_and_both_approval_hashes(db, ref, reps, clock, held_meeting):
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

    text = _text(protocol_pdf(protocol, LABELS))

    assert TAJIK in text and KYRGYZ in text
    assert first.content_sha256 in text and second.content_sha256 in text
    assert "Repair sign 114" in text and (clock.now.date() + timedelta(days=30)).strftime("%d/%m/%Y") in text
    assert "Rahimov R." in text and "Asanov A." in text  # both heads of delegation sign
    # times on the section's clock, the zone named (SEC-1: Asia/Dushanbe, UTC+5)
    assert f"{second.approved_at + timedelta(hours=5):%d/%m/%Y %H:%M} (Asia/Dushanbe, UTC+5)" in text


def test_the_pdf_route_serves_a_frozen_protocol_to_both_sides_only(app, db, ref, reps, clock, held_meeting):
    from tests.fixtures.representatives import write_both_languages

    write_both_languages(db, reps, clock, held_meeting)
    protocol = protocols.freeze_protocol(db, reps.tj, held_meeting, now=clock.now)
    for username, status in (("rep-tj", 200), ("rep-kg", 200), ("rep-tj-uz", 403)):
        client = app.test_client()
        client.login(username)
        response = client.get(f"/representatives/protocols/{protocol.id}.pdf")
        assert response.status_code == status, username
    assert "Муҳокима 1" in _text(response.get_data() if status == 200 else protocol_pdf(protocol, LABELS))
