"""The guard at exit: a permit of the partner state, scanned on this side, is checked against the
partner's trust list (its permit-signing keys, received over the exchange). It is "a genuine permit
of <partner>" when one of those keys signed it; it is then judged by its dates and, when the exchange
carried it, by the partner's withdrawal of it. Its exit is recorded on this side too when the
agreement asks both sides to record (``Agreement.both_sides_record``), and sent to the issuer over the
exchange (kind ``crossings.recorded``), which keeps it against the holder's permit as a crossing the
partner recorded (not one of its own: it counts in no stay)."""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lbt.core.dates import local_day, parse_instant
from lbt.core.errors import N_, DomainError
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import STATUS_REASONS, Reason
from lbt.exchange.kinds import BodyRefused, Received, enqueue, handles
from lbt.exchange.models import PartnerCrossing, PartnerRecordedCrossing
from lbt.exchange.trust import partner_key
from lbt.exchange.withdrawals import withdrawal_of
from lbt.permits.models import Permit, PermitStatus
from lbt.permits.signing import PERMIT_TYP, PermitClaims, TokenRejected, token_from_qr, verify
from lbt.reference.models import Agreement, CrossingPoint, State
from lbt.reference.names import StateName

log = logging.getLogger(__name__)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"[!-~]{1,20}")
RECORDED_KIND = "crossings.recorded"


@dataclass(frozen=True)
class PartnerPermit:
    """A scanned permit that one of the partner's current keys signed."""

    token: str
    claims: PermitClaims
    state: State
    withdrawn: str | None  # suspended, revoked, annulled, replaced: as the exchange last said
    agreement: Agreement | None  # this instance's agreement the permit names
    records: bool  # this side records its holders' crossings (the agreement's setting)

    def status(self, today: date) -> str:
        """Its status as far as this side knows: withdrawn (the exchange said so), expired, or active."""
        if self.withdrawn:
            return self.withdrawn
        return PermitStatus.EXPIRED.value if today > self.claims.valid_until else PermitStatus.ACTIVE.value


def _kid(token: str) -> str | None:
    header = token.split(".")[0]
    try:
        value = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = value.get("kid") if isinstance(value, dict) else None
    return kid if isinstance(kid, str) else None


def partner_permit(session: Session, text: str) -> PartnerPermit | None:
    """The permit a scanned text holds when a current key of a partner's trust list signed it (and
    it names that partner as its issuer); None otherwise (the caller's own verdict stands)."""
    try:
        token = token_from_qr(text)
    except TokenRejected:
        return None
    kid = _kid(token)
    key = partner_key(session, kid) if kid else None
    if key is None:
        return None
    try:
        claims = PermitClaims.from_payload(verify(token, {"keys": [key.jwk]}, PERMIT_TYP))
    except (TokenRejected, ValueError):
        return None
    if claims.issuing_state != key.state:
        return None
    state = session.scalar(select(State).where(State.code == key.state))
    if state is None:
        return None
    agreement = session.scalar(select(Agreement).where(Agreement.code == claims.agreement_code))
    withdrawal = withdrawal_of(session, key.state, claims.permit_number)
    return PartnerPermit(
        token=token,
        claims=claims,
        state=state,
        withdrawn=withdrawal.status if withdrawal is not None else None,
        agreement=agreement,
        records=bool(agreement is not None and agreement.both_sides_record),
    )


def partner_reasons(
    found: PartnerPermit, crossing_point: CrossingPoint, at: datetime
) -> tuple[Verdict, tuple[Reason, ...]]:
    """The verdict on a partner's permit at this side's crossing point: genuine, then red for a
    withdrawal the exchange carried, dates outside its validity or another agreement's crossing point."""
    genuine = Reason(
        "partner_permit", N_("Genuine permit of %(state)s."), {"state": StateName.of(found.state)}
    )
    day = local_day(at, crossing_point.zone_name)
    red: list[Reason] = []
    if found.withdrawn:
        code, message = STATUS_REASONS[PermitStatus(found.withdrawn)]
        red.append(Reason(code, message))
    if day > found.claims.valid_until:
        code, message = STATUS_REASONS[PermitStatus.EXPIRED]
        red.append(Reason(code, message))
    if day < found.claims.valid_from:
        red.append(
            Reason(
                "not_yet_valid",
                N_("The permit is valid only from %(date)s."),
                {"date": found.claims.valid_from},
            )
        )
    if found.agreement is None or crossing_point.agreement_id != found.agreement.id:
        red.append(
            Reason(
                "outside_area",
                N_(
                    "Outside the border area: this crossing point does not lead into the border area where"
                    " the permit is valid (agreement %(agreement)s)."
                ),
                {"agreement": found.claims.agreement_code},
            )
        )
    return (Verdict.REFUSE if red else Verdict.PASS), (genuine, *red)


class PartnerCrossingRefused(DomainError):
    """A partner permit's crossing that this side does not record."""


def record_partner_crossing(
    session: Session,
    *,
    client_id: str,
    text: str,
    crossing_point: CrossingPoint,
    direction: Direction,
    at: datetime,
    officer_id: int | None,
    now: datetime,
    skew: timedelta,
) -> tuple[str, PartnerCrossing]:
    """Record one crossing of a partner permit's holder ("stored"), or find it stored before under its
    device UUID ("duplicate"); refused when the permit is not a genuine one of a partner, is refused at
    this point, or the agreement does not ask this side to record."""
    if not _UUID.fullmatch(client_id or ""):
        raise PartnerCrossingRefused(N_("A crossing needs the UUID the device made for it."))
    client_id = str(uuid.UUID(client_id))
    stored = session.scalar(select(PartnerCrossing).where(PartnerCrossing.client_id == client_id))
    if stored is not None:
        return "duplicate", stored
    if at > now + skew:
        raise PartnerCrossingRefused(N_("The crossing's time is later than this server's clock."))
    found = partner_permit(session, text)
    if found is None:
        raise PartnerCrossingRefused(N_("This is not a genuine permit of a partner state."))
    if not found.records:
        raise PartnerCrossingRefused(
            N_("The agreement does not ask this side to record its partner's permits.")
        )
    verdict, reasons = partner_reasons(found, crossing_point, at)
    if verdict is Verdict.REFUSE:
        raise PartnerCrossingRefused(reasons[1].message, **reasons[1].params)
    crossing = PartnerCrossing(
        client_id=client_id,
        issuing_state=found.state.code,
        permit_number=found.claims.permit_number,
        agreement_id=found.agreement.id if found.agreement else crossing_point.agreement_id,
        crossing_point_id=crossing_point.id,
        direction=direction.value,
        at=at,
        officer_id=officer_id,
        verdict=verdict.value,
    )
    try:
        with session.begin_nested():
            session.add(crossing)
    except IntegrityError:  # the same UUID stored by a concurrent request
        stored = session.scalar(select(PartnerCrossing).where(PartnerCrossing.client_id == client_id))
        if stored is None:
            raise
        return "duplicate", stored
    enqueue(session, crossing.agreement_id, RECORDED_KIND, recorded_body(crossing, crossing_point), now=now)
    return "stored", crossing


def recorded_body(crossing: PartnerCrossing, crossing_point: CrossingPoint) -> dict[str, Any]:
    """What the issuer is told of a crossing of its permit recorded here: which permit, which way,
    when and where (this side's code for the point); no officer, no verdict's reasons."""
    return {
        "id": crossing.client_id,
        "permit": crossing.permit_number,
        "direction": crossing.direction,
        "at": crossing.at.isoformat(),
        "crossing_point": crossing_point.code,
    }


@handles(RECORDED_KIND)
def apply_recorded_crossing(session: Session, received: Received, body: dict[str, Any]) -> None:
    """A crossing of one of our permits that the partner's guard recorded on its side: kept against
    the permit, once per the partner's device UUID."""
    client_id, number, direction = body.get("id"), body.get("permit"), body.get("direction")
    at, point = parse_instant(body.get("at")), body.get("crossing_point")
    if not isinstance(client_id, str) or not _UUID.fullmatch(client_id):
        raise BodyRefused(N_("The message's %(field)s is not usable."), field="id")
    if not isinstance(number, str) or not _NUMBER.fullmatch(number):
        raise BodyRefused(N_("The message's %(field)s is not usable."), field="permit")
    if direction not in (Direction.ENTRY.value, Direction.EXIT.value):
        raise BodyRefused(N_("The message's %(field)s is not usable."), field="direction")
    if at is None:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field="at")
    if not isinstance(point, str) or not 0 < len(point) <= 20:
        raise BodyRefused(N_("The message's %(field)s is not usable."), field="crossing_point")
    permit_id = session.scalar(
        select(Permit.id).where(Permit.number == number, Permit.agreement_id == received.link.agreement_id)
    )
    if permit_id is None:  # kept unmatched: a well-formed record must not hold up the link
        log.warning(
            "exchange: a crossing recorded by the partner names no permit of link %s here", received.link.id
        )
    client_id = str(uuid.UUID(client_id))
    stored = session.scalar(
        select(PartnerRecordedCrossing.id).where(
            PartnerRecordedCrossing.link_id == received.link.id,
            PartnerRecordedCrossing.client_id == client_id,
        )
    )
    if stored is not None:
        return  # the partner recorded it once; a second message about it changes nothing
    session.add(
        PartnerRecordedCrossing(
            link_id=received.link.id,
            permit_id=permit_id,
            permit_number=number,
            client_id=client_id,
            message_id=received.envelope.message_id,
            direction=direction,
            at=at,
            crossing_point=point,
        )
    )


def partner_facts(found: PartnerPermit, moment: datetime) -> dict[str, object]:
    """What the guard compares with the person, as far as the QR carries it (Latin names only)."""
    claims = found.claims
    return {
        "number": claims.permit_number,
        "surname": {"national": "", "latin": claims.surname},
        "given_names": {"national": "", "latin": claims.given_names},
        "birth_date": claims.birth_date.isoformat(),
        "document_number": claims.document_number,
        "valid_from": claims.valid_from.isoformat(),
        "valid_until": claims.valid_until.isoformat(),
        "status": found.status(moment.date()),
    }
