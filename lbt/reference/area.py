"""Who applies where (Reg. (EC) No 1931/2006 Art. 3 and 7): an instance issues the permits of its
home state to the border residents of the *partner* state of each agreement, and a permit is valid
only in the border area of the *home* state. This module answers both questions from the agreement's
listed localities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lbt.reference.models import Agreement, Locality, State


@dataclass(frozen=True)
class BorderArea:
    """One side's border area of an agreement: its name as the agreement gives it (or the districts of
    its listed localities) and the active localities it covers, by district."""

    agreement_code: str
    state: State
    name: str
    localities: tuple[Locality, ...]

    @property
    def districts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(locality.district for locality in self.localities))

    def by_district(self) -> list[tuple[str, list[Locality]]]:
        return [(d, [loc for loc in self.localities if loc.district == d]) for d in self.districts]


def _named(agreement: Agreement, state: State, localities: Iterable[Locality]) -> BorderArea:
    listed = tuple(sorted(localities, key=lambda loc: (loc.district, loc.name_latin)))
    name = agreement.border_area_name(state.code) or ", ".join(dict.fromkeys(loc.district for loc in listed))
    return BorderArea(agreement.code, state, name, listed)


def home_areas(session: Session, agreements: Iterable[Agreement], home_state: str) -> dict[int, BorderArea]:
    """The home state's border area of each agreement it is party to, keyed by agreement id (one query)."""
    parties = {a.id: a for a in agreements if a.party(home_state) is not None}
    if not parties:
        return {}
    localities = session.scalars(
        select(Locality)
        .join(Locality.state)
        .where(Locality.agreement_id.in_(parties), Locality.is_active, State.code == home_state)
    ).all()
    areas = {}
    for agreement_id, agreement in parties.items():
        state = agreement.party(home_state)
        assert state is not None
        areas[agreement_id] = _named(
            agreement, state, (x for x in localities if x.agreement_id == agreement_id)
        )
    return areas


def home_area(session: Session, agreement: Agreement, home_state: str) -> BorderArea | None:
    """The border area where a permit of ``agreement`` issued by ``home_state`` is valid."""
    return home_areas(session, [agreement], home_state).get(agreement.id)


def applicant_localities(
    session: Session, agreements: Iterable[Agreement], home_state: str
) -> list[Locality]:
    """The localities whose residents may apply here: the partner's side of each agreement of the home state."""
    partners = {a.id: p.id for a in agreements if (p := a.partner_of(home_state)) is not None}
    if not partners:
        return []
    found = session.scalars(
        select(Locality)
        .where(Locality.is_active, Locality.agreement_id.in_(partners))
        .options(joinedload(Locality.state), joinedload(Locality.agreement))
    ).all()
    return [locality for locality in found if partners[locality.agreement_id] == locality.state_id]
