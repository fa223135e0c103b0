"""The verdict for a scanned QR: first the signature (against the published keys), then the permit
on record, then the rules at this crossing point (``services.assess``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lbt.core.dates import state_today
from lbt.core.errors import N_
from lbt.core.metrics import count_verdict
from lbt.crossings.history import permit_by_number
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import Assessment, Reason, assess
from lbt.exchange.partner_permits import PartnerPermit, partner_permit, partner_reasons
from lbt.permits.models import Permit
from lbt.permits.services import canonical_number, is_well_formed
from lbt.permits.signing import (
    PERMIT_TYP,
    InvalidSignature,
    MalformedToken,
    PermitClaims,
    UnknownKey,
    token_from_qr,
    verify,
)
from lbt.reference.models import CrossingPoint


@dataclass(frozen=True)
class TokenVerdict:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    claims: PermitClaims | None = None
    permit: Permit | None = None
    assessment: Assessment | None = None
    partner: PartnerPermit | None = None  # a permit of the partner state (the guard at exit)


def _red(code: str, message: str, **rest: Any) -> TokenVerdict:
    return TokenVerdict(Verdict.REFUSE, (Reason(code, message),), **rest)


def scanned_claims(text: str, jwks: Mapping[str, Any]) -> tuple[str, PermitClaims] | TokenVerdict:
    """The JWS of a scanned QR and its claims when the signature is genuine (no database), else a red
    verdict."""
    try:
        token = token_from_qr(text)
        return token, PermitClaims.from_payload(verify(token, jwks, PERMIT_TYP))
    except InvalidSignature:
        return _red(
            "signature_invalid",
            N_("Not genuine: the signature does not match. The permit was changed or forged."),
        )
    except UnknownKey:
        return _red("unknown_key", N_("Not genuine: it was signed with a key this service does not know."))
    except (MalformedToken, ValueError):
        return _red("not_lbt", N_("This is not an LBT permit code."))


def on_record(token: str, claims: PermitClaims, permit: Permit | None) -> TokenVerdict:
    """The scan's permit when the one on record under its number carries this very token."""
    if permit is None or permit.token != token:
        return _red("not_on_record", N_("No permit with this number is on record."), claims=claims)
    return TokenVerdict(Verdict.CHECK, (), claims, permit)


def scanned_permit(session: Session, text: str, jwks: Mapping[str, Any]) -> TokenVerdict:
    """The permit a scanned QR stands for, when its signature is genuine and it is on record (no
    verdict at the crossing point yet: ``verify_scan`` adds that); otherwise a red verdict. The
    permit comes with its agreement, in one query."""
    scanned = scanned_claims(text, jwks)
    if isinstance(scanned, TokenVerdict):
        return scanned
    token, claims = scanned
    return on_record(token, claims, permit_by_number(session, claims.permit_number))


def typed_number_miss(number: str) -> TokenVerdict:
    """The verdict when a typed number finds no permit: a check digit that does not match is a typing
    mistake (amber: read the card again), not a permit that does not exist (red)."""
    canonical = canonical_number(number)
    if canonical is not None and not is_well_formed(canonical):
        reason = Reason("check_digit", N_("The check digit does not match: a typing mistake?"))
        return TokenVerdict(Verdict.CHECK, (reason,))
    return _red("not_on_record", N_("No permit with this number is on record."))


def verify_scan(
    session: Session,
    text: str,
    jwks: Mapping[str, Any],
    *,
    crossing_point: CrossingPoint,
    direction: Direction,
    at: datetime,
) -> TokenVerdict:
    scanned = scanned_permit(session, text, jwks)
    if scanned.permit is None:
        if scanned.reasons and scanned.reasons[0].code == "unknown_key":  # perhaps the partner's key
            found = partner_permit(session, text)
            if found is not None:
                verdict, reasons = partner_reasons(found, crossing_point, at)
                scanned = TokenVerdict(verdict, reasons, found.claims, partner=found)
        return counted(scanned, "scan")
    assessment = assess(session, scanned.permit, crossing_point, direction, at)
    verdict = TokenVerdict(assessment.verdict, assessment.reasons, scanned.claims, scanned.permit, assessment)
    return counted(verdict, "scan")


def counted(verdict: TokenVerdict, source: str) -> TokenVerdict:
    """The verdict, counted in the metrics by kind and first reason (``source``: scan, typed_number)."""
    count_verdict(verdict.verdict.value, verdict.reasons[0].code if verdict.reasons else "", source)
    return verdict


def permit_facts(permit: Permit, moment: datetime) -> dict[str, Any]:
    """What the guard compares with the person and the travel document (JSON-ready)."""
    return {
        "number": permit.number,
        "surname": {"national": permit.surname_national, "latin": permit.surname_latin},
        "given_names": {"national": permit.given_names_national, "latin": permit.given_names_latin},
        "birth_date": permit.birth_date.isoformat(),
        "document_number": permit.document_number,
        "valid_from": permit.valid_from.isoformat(),
        "valid_until": permit.valid_until.isoformat(),
        "status": permit.effective_status(state_today(permit.issuing_state, moment)).value,
    }


def stay_facts(assessment: Assessment) -> dict[str, Any]:
    """Days used in the current stay and in the rolling window (JSON-ready)."""
    position = assessment.position
    return {
        "inside": position.inside,
        "current_stay_days": position.current_stay_days,
        "max_stay_days": position.max_stay_days,
        "window_days": position.window_days,
        "window_limit": position.window_limit,
        "window_used": position.window_used,
        "days_allowed": assessment.days_allowed,
    }
