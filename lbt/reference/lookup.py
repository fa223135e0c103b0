"""Finding reference records by their codes. A lookup remembers what it found and what was created
through it, so a CSV import of thousands of rows loads each kind once instead of asking per row."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State

T = TypeVar("T")
LocalityKey = tuple[int | None, int | None, str, str]


def locality_key(agreement: Agreement, state: State, district: str, name_latin: str) -> LocalityKey:
    return (agreement.id, state.id, district, name_latin)


def _key_of(locality: Locality) -> LocalityKey:
    return (locality.agreement_id, locality.state_id, locality.district, locality.name_latin)


class Lookup:
    """Records by natural key. After ``preload(kind)`` a miss means "no such record" without a query."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._found: dict[tuple[str, Hashable], Any] = {}
        self._preloaded: set[str] = set()

    def _get(
        self, kind: str, key: Hashable, query: Callable[[], T | None], current: Callable[[T], Hashable]
    ) -> T | None:
        record = self._found.get((kind, key))
        if record is None and kind not in self._preloaded:
            record = query()
        # a record whose key was changed since it was remembered no longer answers to the old key
        if record is not None and current(record) == key:
            self._found[(kind, key)] = record
            return record  # type: ignore[no-any-return]
        return None

    def state(self, code: str) -> State | None:
        return self._get(
            "state",
            code,
            lambda: self.session.scalar(select(State).where(State.code == code)),
            lambda s: s.code,
        )

    def state_with_alpha3(self, alpha3: str) -> State | None:
        return self._get(
            "alpha3",
            alpha3,
            lambda: self.session.scalar(select(State).where(State.alpha3 == alpha3)),
            lambda s: s.alpha3,
        )

    def agreement(self, code: str) -> Agreement | None:
        return self._get(
            "agreement",
            code,
            lambda: self.session.scalar(select(Agreement).where(Agreement.code == code)),
            lambda a: a.code,
        )

    def crossing_point(self, code: str) -> CrossingPoint | None:
        return self._get(
            "crossing_point",
            code,
            lambda: self.session.scalar(select(CrossingPoint).where(CrossingPoint.code == code)),
            lambda c: c.code,
        )

    def border_section(self, code: str) -> BorderSection | None:
        return self._get(
            "border_section",
            code,
            lambda: self.session.scalar(select(BorderSection).where(BorderSection.code == code)),
            lambda b: b.code,
        )

    def locality(self, agreement: Agreement, state: State, district: str, name_latin: str) -> Locality | None:
        def query() -> Locality | None:
            if agreement.id is None or state.id is None:
                return None
            return self.session.scalar(
                select(Locality).where(
                    Locality.agreement_id == agreement.id,
                    Locality.state_id == state.id,
                    Locality.district == district,
                    Locality.name_latin == name_latin,
                )
            )

        return self._get(
            "locality",
            locality_key(agreement, state, district, name_latin),
            query,
            _key_of,
        )

    def remember(self, record: State | Agreement | CrossingPoint | BorderSection | Locality) -> None:
        """Index a record under its current keys (called for every record created or changed)."""
        if isinstance(record, State):
            self._found[("state", record.code)] = record
            self._found[("alpha3", record.alpha3)] = record
        elif isinstance(record, Agreement):
            self._found[("agreement", record.code)] = record
        elif isinstance(record, CrossingPoint):
            self._found[("crossing_point", record.code)] = record
        elif isinstance(record, BorderSection):
            self._found[("border_section", record.code)] = record
        else:
            self._found[("locality", _key_of(record))] = record

    def preload(self, *kinds: str) -> None:
        """Load every record of these kinds ("state", "agreement", "crossing_point", "border_section",
        "locality") in one query each."""
        models: dict[str, type[Any]] = {
            "state": State,
            "agreement": Agreement,
            "crossing_point": CrossingPoint,
            "border_section": BorderSection,
            "locality": Locality,
        }
        for kind in kinds:
            for record in self.session.scalars(select(models[kind])):
                self.remember(record)
            self._preloaded.add(kind)
            if kind == "state":
                self._preloaded.add("alpha3")
