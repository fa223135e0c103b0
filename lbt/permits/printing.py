"""Permit cards for printing: the card data from a permit, the card texts in the national language
beside English, and print batches. Flask-free (used by views and by ``lbt permits print``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from lbt.core.catalogs import translate
from lbt.core.errors import N_
from lbt.core.settings import Settings
from lbt.permits.card import CardBatch, CardData, CardError, CardLabels, render_cards
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.signing import qr_url
from lbt.reference.area import home_area
from lbt.reference.models import Agreement, State
from lbt.reference.names import STATE_LANGUAGE, state_name
from lbt.storage.uploads import FileStore


def card_labels(locale: str, home: State | None = None) -> CardLabels:
    """The card's captions in ``locale`` beside English; with ``home``, the border-area caption names the
    issuing state ("Valid in the border area of Tajikistan": Art. 7)."""
    english = CardLabels.english()
    if home is not None:
        english = replace(english, border_area=f"Valid in the border area of {home.name_en}")
    if locale == "en":
        return english
    t = lambda message, **params: translate(locale, message, **params)  # noqa: E731 - a local shorthand
    national = CardLabels(
        title=t(N_("Local border traffic permit")),
        surname=t(N_("Surname")),
        given_names=t(N_("Given names")),
        birth_date=t(N_("Date of birth")),
        sex=t(N_("Sex")),
        nationality=t(N_("Nationality")),
        permit_number=t(N_("Permit No.")),
        valid_from=t(N_("Valid from")),
        valid_until=t(N_("Valid until")),
        max_stay_days=t(N_("Max. stay (days)")),
        document_number=t(N_("Travel document No.")),
        residence=t(N_("Place of residence")),
        border_area=t(N_("Valid in the border area of %(state)s"), state=state_name(home, locale))
        if home is not None
        else t(N_("Valid in the border area")),
        issuing_authority=t(N_("Issuing authority")),
        issued_on=t(N_("Date of issue")),
        statement_border_area=t(N_("The holder may not leave the border area.")),
        statement_misuse=t(N_("Misuse is penalised.")),
        locale=locale,
    )
    return CardLabels.bilingual(national, english)


def _both(national: str, english: str) -> str:
    return english if national == english else f"{national} / {english}"


def card_data(
    permit: Permit, *, state: State, authority: str, public_url: str, files: FileStore, area: str = ""
) -> CardData:
    """What one card prints; ``area`` is the border area's name as the agreement gives it (or its districts)."""
    agreement: Agreement = permit.agreement
    locality = permit.locality
    return CardData(
        number=permit.number,
        surname_national=permit.surname_national,
        given_names_national=permit.given_names_national,
        surname_latin=permit.surname_latin,
        given_names_latin=permit.given_names_latin,
        birth_date=permit.birth_date,
        sex=permit.sex.value,
        nationality=permit.nationality,
        residence_national=locality.name_national,
        residence_latin=locality.name_latin,
        district=locality.district,
        issuing_state=_both(state.name_national, state.name_en),
        issuing_authority=authority or f"Border service of {state.name_en}",
        issued_on=permit.issued_at.date(),
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        border_area=f"{area} ({agreement.code})"
        if area
        else f"{_both(state.name_national, state.name_en)} ({agreement.code})",
        document_number=permit.document_number,
        max_stay_days=permit.max_stay_days,
        photo=files.read(permit.photo),
        qr_text=qr_url(public_url, permit.token),
    )


class _AreaNames:
    """The border area's name of each agreement in a print batch, looked up once per agreement."""

    def __init__(self, home_state: str) -> None:
        self.home_state = home_state
        self.names: dict[int, str] = {}

    def of(self, session: Session, permit: Permit) -> str:
        if permit.agreement_id not in self.names:
            area = home_area(session, permit.agreement, self.home_state)
            self.names[permit.agreement_id] = area.name if area else ""
        return self.names[permit.agreement_id]


def _state_of(session: Session, permit: Permit) -> State:
    state = session.scalar(select(State).where(State.code == permit.issuing_state))
    if state is None:
        raise CardError(f"the issuing state {permit.issuing_state} is not in the reference data")
    return state


def render_permits(
    session: Session,
    permits: Sequence[Permit],
    *,
    home_state: str,
    authority: str,
    public_url: str,
    files: FileStore,
) -> bytes:
    """The cards of ``permits`` as one PDF; the first that cannot be printed raises ``CardError``."""
    if not permits:
        raise ValueError("no permits to print")
    state = _state_of(session, permits[0])
    labels = card_labels(STATE_LANGUAGE.get(home_state, "ru"), state)
    areas = _AreaNames(home_state)
    cards = (
        card_data(
            p, state=state, authority=authority, public_url=public_url, files=files, area=areas.of(session, p)
        )
        for p in permits
    )
    return render_cards(cards, labels)


@dataclass(frozen=True)
class Skipped:
    """A permit left out of a print batch, and why (``code``: the status, ``photo_missing`` or
    ``card_error``, for pages that say it in the reader's language)."""

    number: str
    reason: str
    code: str = ""


@dataclass(frozen=True)
class PrintReport:
    printed: tuple[str, ...]
    skipped: tuple[Skipped, ...]


# what each status other than "active" means for printing (the permit page refuses them alike)
NOT_PRINTABLE = {
    PermitStatus.SUSPENDED: "the permit is suspended",
    PermitStatus.REVOKED: "the permit is revoked",
    PermitStatus.ANNULLED: "the permit is annulled",
    PermitStatus.REPLACED: "the permit was replaced by a new one",
    PermitStatus.EXPIRED: "the permit has expired",
}


class BatchPrinter:
    """A print batch written to ``out`` one card at a time (one photo read at a time); permits may come
    from several sessions (a job reads them in short transactions). Every valid permit whose card can
    be printed goes in, the others are skipped with the reason; ``finish`` writes the PDF, or nothing
    when no card could be printed."""

    def __init__(
        self,
        session: Session,
        out: BinaryIO,
        *,
        today: date,
        home_state: str,
        authority: str,
        public_url: str,
        files: FileStore,
    ) -> None:
        home = session.scalar(select(State).where(State.code == home_state))
        self.batch = CardBatch(out, card_labels(STATE_LANGUAGE.get(home_state, "ru"), home))
        self.today, self.authority, self.public_url, self.files = today, authority, public_url, files
        self.areas = _AreaNames(home_state)
        self.states: dict[str, State] = {}
        self.skipped: list[Skipped] = []

    def add(self, session: Session, permit: Permit) -> None:
        status = permit.effective_status(self.today)
        if status is not PermitStatus.ACTIVE:
            reason = NOT_PRINTABLE.get(status, f"the permit is {status.value}")
            self.skipped.append(Skipped(permit.number, reason, status.value))
            return
        try:
            state = self.states.get(permit.issuing_state) or _state_of(session, permit)
            self.states[permit.issuing_state] = state
            card = card_data(
                permit,
                state=state,
                authority=self.authority,
                public_url=self.public_url,
                files=self.files,
                area=self.areas.of(session, permit),
            )
            self.batch.add(card)
        except FileNotFoundError:
            self.skipped.append(
                Skipped(permit.number, "the holder's photo is missing from the file store", "photo_missing")
            )
        except CardError as error:
            reason = str(error).removeprefix(f"permit {permit.number}: ")
            self.skipped.append(Skipped(permit.number, f"the card cannot be printed: {reason}", "card_error"))

    def finish(self) -> PrintReport:
        if self.batch.numbers:
            self.batch.save()
        return PrintReport(tuple(self.batch.numbers), tuple(self.skipped))


PART = 50  # permits read, drawn and let go at a time: memory stays flat in the batch's size


def print_batch(
    session: Session,
    ids: Sequence[int],
    out: BinaryIO,
    *,
    today: date,
    now: datetime,
    home_state: str,
    authority: str,
    public_url: str,
    files: FileStore,
) -> PrintReport:
    """A print batch of the permits ``ids`` in one session (``lbt permits print``; see ``BatchPrinter``):
    read ``PART`` at a time, each part's printed cards marked and the part let go of the session once
    drawn, so a batch of any size holds one part in memory. The marks go with the session's transaction
    (none is kept when the batch fails)."""
    printer = BatchPrinter(
        session,
        out,
        today=today,
        home_state=home_state,
        authority=authority,
        public_url=public_url,
        files=files,
    )
    for start in range(0, len(ids), PART):
        part = permits_to_print(session, since=None, ids=ids[start : start + PART])
        for permit in part:
            printer.add(session, permit)
        mark_printed(part, set(printer.batch.numbers[-len(part) :]), now)
        session.flush()
        for drawn in [*part, *(permit.photo for permit in part if permit.photo is not None)]:
            if drawn in session:
                session.expunge(drawn)
    return printer.finish()


def mark_printed(permits: Iterable[Permit], printed: Collection[str], now: datetime) -> None:
    """Cards written into a batch are printed: off the officers' "permits to print" (lbt/home/counts.py)."""
    for permit in permits:
        if permit.number in printed and permit.card_printed_at is None:
            permit.card_printed_at = now


def _chosen(
    query: Select[Any],
    *,
    since: date | None,
    numbers: Sequence[str],
    agreement_ids: Collection[int] | None,
    unprinted: bool,
    ids: Collection[int] | None,
) -> Select[Any]:
    if numbers:
        query = query.where(Permit.number.in_([n.strip().upper() for n in numbers]))
    if since is not None:
        query = query.where(Permit.issued_at >= datetime.combine(since, time.min, tzinfo=UTC))
    if agreement_ids is not None:
        query = query.where(Permit.agreement_id.in_(list(agreement_ids)))
    if unprinted:
        query = query.where(Permit.card_printed_at.is_(None))
    if ids is not None:
        query = query.where(Permit.id.in_(list(ids)))
    return query.order_by(Permit.issued_at, Permit.id)


def permits_to_print(
    session: Session,
    *,
    since: date | None,
    numbers: Sequence[str] = (),
    agreement_ids: Collection[int] | None = None,
    unprinted: bool = False,
    ids: Collection[int] | None = None,
) -> Sequence[Permit]:
    """A print batch: the given numbers, or everything issued since a day (oldest first); within
    ``agreement_ids`` (an officer's scope), only cards never printed with ``unprinted``, or the permits
    ``ids`` (a job reading its batch a part at a time)."""
    query = select(Permit).options(
        joinedload(Permit.agreement), joinedload(Permit.locality), joinedload(Permit.photo)
    )
    query = _chosen(
        query, since=since, numbers=numbers, agreement_ids=agreement_ids, unprinted=unprinted, ids=ids
    )
    return session.scalars(query).unique().all()


def permit_ids_to_print(
    session: Session,
    *,
    since: date | None,
    numbers: Sequence[str] = (),
    agreement_ids: Collection[int] | None = None,
    unprinted: bool = False,
) -> list[tuple[int, str]]:
    """The same choice as ``permits_to_print``, as (id, number) only: a batch's list before its parts."""
    query = _chosen(
        select(Permit.id, Permit.number),
        since=since,
        numbers=numbers,
        agreement_ids=agreement_ids,
        unprinted=unprinted,
        ids=None,
    )
    return [(permit_id, number) for permit_id, number in session.execute(query)]


def card_pdf(session: Session, permit: Permit, *, settings: Settings, files: FileStore) -> bytes:
    """One permit's card (front and back) as printed for the officer and copied for the holder."""
    return render_permits(
        session,
        [permit],
        home_state=settings.home_state,
        authority=settings.issuing_authority,
        public_url=settings.public_url,
        files=files,
    )
