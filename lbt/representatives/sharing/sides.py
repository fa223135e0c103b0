"""Which link a border section's work goes on, and who acts where once it has one: each side's
representatives on their own state's instance, the partner's register and incidents read-only here,
a meeting of the pilot still finished on the instance that holds it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lbt.core.errors import N_, AccessDenied
from lbt.exchange.models import ExchangeLink
from lbt.reference.models import Agreement, BorderSection, State
from lbt.reference.names import StateName
from lbt.representatives.models import Action, Meeting, RefusedChange, Representative


def link_for_section(session: Session, section: BorderSection) -> ExchangeLink | None:
    """The active link of an agreement between the section's two states (the oldest agreement's, when
    several are linked); None on a single instance."""
    a, b = section.state_a_id, section.state_b_id
    return session.scalar(
        select(ExchangeLink)
        .join(Agreement, Agreement.id == ExchangeLink.agreement_id)
        .where(
            ExchangeLink.is_active,
            or_(
                and_(Agreement.state_a_id == a, Agreement.state_b_id == b),
                and_(Agreement.state_a_id == b, Agreement.state_b_id == a),
            ),
        )
        .order_by(Agreement.id)
        .limit(1)
    )


def _state(section: BorderSection, state_id: int) -> State:
    return section.state_a if state_id == section.state_a_id else section.state_b


def check_side(session: Session, section: BorderSection, side: int, meeting: Meeting | None = None) -> None:
    """Linked instances: each side's representatives act on their own state's instance only (a meeting
    of the pilot, never sent, is still finished by both sides on the instance that holds it)."""
    if meeting is not None and not meeting.is_exchanged:
        return
    link = link_for_section(session, section)
    state = _state(section, side)
    if link is not None and state.code == link.partner_state:
        raise AccessDenied(
            N_(
                "%(state)s's representatives work on their own state's instance, which this one is linked to."
            ),
            state=StateName.of(state),
        )


def check_register_side(
    session: Session, section: BorderSection, state: State, entry: Representative | None = None
) -> None:
    """Linked instances keep only their own state's register; the partner's entries came from it and
    are read-only here (a copy kept from the pilot, never sent by the partner, may still be ended)."""
    link = link_for_section(session, section)
    if link is None or state.code != link.partner_state:
        return
    if entry is None or entry.received_in:
        raise AccessDenied(
            N_("%(state)s keeps its own register on its own instance; its entries here are as it sent them."),
            state=StateName.of(state),
        )


def shareable_actions(session: Session, section: BorderSection, actions: Sequence[Action]) -> list[Action]:
    """Linked instances put on a new agenda only the decisions both know (of meetings they shared)."""
    if link_for_section(session, section) is None:
        return list(actions)
    return [action for action in actions if action.agenda_item.meeting.is_exchanged]


def refused_changes(session: Session, meeting: Meeting) -> Sequence[RefusedChange]:
    """The changes of either side that did not become part of this meeting's shared record, oldest first."""
    return session.scalars(
        select(RefusedChange)
        .where(RefusedChange.meeting_id == meeting.id)
        .order_by(RefusedChange.at, RefusedChange.id)
    ).all()


def is_partner_state(session: Session, section: BorderSection, state_id: int) -> bool:
    """The partner's side of a linked section: its representatives act on their own instance."""
    link = link_for_section(session, section)
    return link is not None and _state(section, state_id).code == link.partner_state
