"""Printable standard forms in each working language of the section, each with the signature blocks
of both sides: the act handing persons, livestock or property over to the other side, and the record
of a damaged border sign and its repair (filled in from an incident of that type; the repair's lines
are left to be written on the spot)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_
from lbt.reference.models import BorderSection, State
from lbt.representatives.models import HandOverAct, HandOverKind, Incident
from lbt.representatives.pdf_parts import (
    HEADING,
    SMALL,
    TITLE,
    build,
    facts,
    language_name,
    long_moment,
    p,
    signature_blocks,
    state_name,
    t,
)

HAND_OVER_TITLES = {
    HandOverKind.PERSONS: N_("Act of hand-over of persons"),
    HandOverKind.LIVESTOCK: N_("Act of hand-over of livestock"),
    HandOverKind.PROPERTY: N_("Act of hand-over of property"),
}
BORDER_SIGN_TITLE = N_("Record of a damaged border sign and its repair")
COPIES = N_("Drawn up in two copies, one for each side, in %(languages)s; each text is equally authentic.")


def _languages(section: BorderSection) -> list[str]:
    return list(section.working_languages) or ["en"]


def _copies(section: BorderSection, language: str) -> Any:
    names = ", ".join(language_name(lang) for lang in _languages(section))
    return p(t(language, COPIES, languages=names), SMALL)


def _confirmation(
    session: Session, user_id: int | None, at: datetime | None, language: str, zone_name: str
) -> str:
    if user_id is None or at is None:
        return t(language, N_("Not confirmed in the system yet"))
    user = session.get(User, user_id)
    who = (user.full_name or user.username) if user else ""
    return t(
        language,
        N_("Confirmed in the system by %(name)s on %(when)s"),
        name=who,
        when=long_moment(at, language, zone_name),
    )


def hand_over_pdf(session: Session, act: HandOverAct, *, created_at: datetime) -> bytes:
    """The act of hand-over, one page per working language."""
    section = session.get(BorderSection, act.section_id)
    assert section is not None
    handing, receiving = session.get(State, act.handing_state_id), session.get(State, act.receiving_state_id)
    assert handing is not None and receiving is not None
    zone_name = section.zone_name
    story: list[Any] = []
    for index, language in enumerate(_languages(section)):
        if index:
            story.append(PageBreak())
        incident = act.incident
        place = ""
        if incident is not None:
            place = incident.landmark
            if incident.border_sign:
                place = f"{place} · {t(language, N_('border sign %(n)s'), n=incident.border_sign)}".strip(
                    " ·"
                )
        story += [
            p(t(language, HAND_OVER_TITLES[act.kind]) + f" № {act.id}", TITLE),
            p(t(language, N_("Authentic text in %(language)s"), language=language_name(language)), SMALL),
            Spacer(1, 3 * mm),
            facts(
                [
                    (t(language, N_("Border section")), f"{section.code} {section.name}"),
                    (t(language, N_("Handed over at")), long_moment(act.handed_over_at, language, zone_name)),
                    (t(language, N_("Place")), place or "_" * 40),
                    (t(language, N_("Handing side")), state_name(handing, language)),
                    (t(language, N_("Receiving side")), state_name(receiving, language)),
                    (t(language, N_("How many")), str(act.count)),
                    (t(language, N_("Description")), act.description or "_" * 40),
                ]
            ),
            Spacer(1, 6 * mm),
            p(t(language, N_("Signatures of the representatives of both sides")), HEADING),
            signature_blocks(
                language,
                [
                    (
                        handing,
                        t(language, N_("Handed over by")),
                        "",
                        _confirmation(
                            session,
                            act.handing_confirmed_by_id,
                            act.handing_confirmed_at,
                            language,
                            zone_name,
                        ),
                    ),
                    (
                        receiving,
                        t(language, N_("Received by")),
                        "",
                        _confirmation(
                            session,
                            act.receiving_confirmed_by_id,
                            act.receiving_confirmed_at,
                            language,
                            zone_name,
                        ),
                    ),
                ],
            ),
            Spacer(1, 4 * mm),
            _copies(section, language),
        ]
    first = _languages(section)[0]
    return build(
        story,
        title=f"{t(first, HAND_OVER_TITLES[act.kind])} № {act.id}: {section.code}",
        subject=t(first, HAND_OVER_TITLES[act.kind]),
        created_at=created_at,
    )


def border_sign_pdf(incident: Incident, *, created_at: datetime) -> bytes:
    """The joint record of a damaged border sign: what was found (from the incident), then the repair,
    its date and both sides' signatures, one page per working language."""
    section = incident.section
    zone_name = section.zone_name
    coordinates = f"{incident.latitude}, {incident.longitude}" if incident.latitude is not None else "_" * 30
    story: list[Any] = []
    for index, language in enumerate(_languages(section)):
        if index:
            story.append(PageBreak())
        blank = "_" * 60
        story += [
            p(t(language, BORDER_SIGN_TITLE), TITLE),
            p(t(language, N_("Authentic text in %(language)s"), language=language_name(language)), SMALL),
            Spacer(1, 3 * mm),
            facts(
                [
                    (t(language, N_("Border section")), f"{section.code} {section.name}"),
                    (t(language, N_("Border sign number")), incident.border_sign or "_" * 20),
                    (t(language, N_("Landmark")), incident.landmark or "_" * 40),
                    (t(language, N_("Coordinates")), coordinates),
                    (
                        t(language, N_("Damage found on")),
                        long_moment(incident.occurred_at, language, zone_name),
                    ),
                    (t(language, N_("Reported by")), state_name(incident.reported_by_state, language)),
                    (t(language, N_("Damage found")), incident.description),
                ]
            ),
            p(t(language, N_("Repair carried out")), HEADING),
            p(f"{blank}\n{blank}\n{blank}"),
            facts(
                [
                    (t(language, N_("Date of the repair")), "_" * 30),
                    (t(language, N_("Repaired by")), "_" * 40),
                ]
            ),
            Spacer(1, 6 * mm),
            p(t(language, N_("Signatures of the representatives of both sides")), HEADING),
            signature_blocks(
                language,
                [
                    (state, t(language, N_("Border representative")), "", "")
                    for state in (section.state_a, section.state_b)
                ],
            ),
            Spacer(1, 4 * mm),
            _copies(section, language),
        ]
    first = _languages(section)[0]
    return build(
        story,
        title=f"{t(first, BORDER_SIGN_TITLE)}: {section.code} {incident.border_sign}".strip(),
        subject=t(first, BORDER_SIGN_TITLE),
        created_at=created_at,
    )
