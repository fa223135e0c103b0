"""What a permit's QR code asserts: the claims, checked as strictly as the database checks them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lbt.permits.signing.common import InvalidClaims

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STATE_CODE = re.compile(r"[A-Z]{2}")
_NAME_PUNCTUATION = frozenset(" -'.ʻʼ’")  # the apostrophes of Uzbek and other Turkic Latin spellings
_MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z


def _field_error(claim: str, problem: str) -> InvalidClaims:
    return InvalidClaims(f"permit claim {claim!r} {problem}")


def _check_code(claim: str, value: object, max_length: int) -> None:
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise _field_error(claim, f"must be a non-empty string of at most {max_length} characters")
    if not value.isascii() or not value.isprintable() or " " in value:
        raise _field_error(claim, f"must be printable ASCII without spaces, got {value!r}")


def _check_latin_name(claim: str, value: object, *, required: bool) -> None:
    """ICAO Doc 9303 Part 3: the Latin-script form of the name as printed on the permit."""
    if not isinstance(value, str) or len(value) > 100 or (required and not value):
        raise _field_error(
            claim, "must be a string of at most 100 characters" + (", not empty" if required else "")
        )
    if value != value.strip() or "  " in value:
        raise _field_error(claim, f"must not have leading, trailing or double spaces, got {value!r}")
    for char in value:
        if char not in _NAME_PUNCTUATION and not unicodedata.name(char, "").startswith("LATIN "):
            raise _field_error(claim, f"must be in Latin script, got {char!r} in {value!r}")


def _check_integer(claim: str, value: object, low: int, high: int) -> None:
    # bool is a subclass of int: True is not a number of days
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _field_error(claim, f"must be a whole number from {low} to {high}, got {value!r}")


def _payload_date(payload: Mapping[str, Any], claim: str) -> date:
    """Dates travel as ISO 8601 calendar dates ``YYYY-MM-DD``, nothing else (no week dates, no times)."""
    value = payload[claim]
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _field_error(claim, f"must be a date written YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _field_error(claim, f"is not a calendar date: {value!r}") from None


@dataclass(frozen=True)
class PermitClaims:
    """What a permit's QR code asserts; see docs/permit-format.md for each claim.

    ``issued_at`` is kept to the second, in UTC, as the token carries it.
    """

    permit_number: str  # pn
    surname: str  # fn: family name, Latin script
    given_names: str  # gn: Latin script, empty for a person with none
    birth_date: date  # dob
    document_number: str  # doc: travel document number
    issuing_state: str  # iss: ISO 3166-1 alpha-2 of the state that issued the permit
    agreement_code: str  # agr
    valid_from: date  # vf: first day of validity
    valid_until: date  # vu: last day of validity
    max_stay_days: int  # msd
    issued_at: datetime  # iat

    CLAIMS = ("pn", "fn", "gn", "dob", "doc", "iss", "agr", "vf", "vu", "msd", "iat")

    def __post_init__(self) -> None:
        """Refuse a claim set that no permit could have (the database's own CHECKs, repeated)."""
        _check_code("pn", self.permit_number, 20)
        _check_latin_name("fn", self.surname, required=True)
        _check_latin_name("gn", self.given_names, required=False)
        _check_code("doc", self.document_number, 30)
        _check_code("agr", self.agreement_code, 40)
        if not isinstance(self.issuing_state, str) or not _STATE_CODE.fullmatch(self.issuing_state):
            raise _field_error("iss", f"must be an ISO 3166-1 alpha-2 code, got {self.issuing_state!r}")
        for claim, value in (("dob", self.birth_date), ("vf", self.valid_from), ("vu", self.valid_until)):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise _field_error(claim, f"must be a date, got {type(value).__name__}")
        if self.valid_until <= self.valid_from:
            raise _field_error("vu", f"({self.valid_until}) must come after vf ({self.valid_from})")
        if self.birth_date > self.valid_from:
            raise _field_error("dob", f"({self.birth_date}) must not come after vf ({self.valid_from})")
        _check_integer("msd", self.max_stay_days, 1, 90)  # Reg. (EC) No 1931/2006 Art. 5: at most 3 months
        if not isinstance(self.issued_at, datetime) or self.issued_at.tzinfo is None:
            raise _field_error("iat", "must be a timezone-aware datetime")
        object.__setattr__(self, "issued_at", self.issued_at.astimezone(UTC).replace(microsecond=0))

    def to_payload(self) -> dict[str, Any]:
        """The JSON object to sign: short claim names keep the QR code small."""
        return {
            "pn": self.permit_number,
            "fn": self.surname,
            "gn": self.given_names,
            "dob": self.birth_date.isoformat(),
            "doc": self.document_number,
            "iss": self.issuing_state,
            "agr": self.agreement_code,
            "vf": self.valid_from.isoformat(),
            "vu": self.valid_until.isoformat(),
            "msd": self.max_stay_days,
            "iat": int(self.issued_at.timestamp()),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PermitClaims:
        """Read a verified payload. Claims this version does not know are ignored (RFC 7519 §4)."""
        missing = [claim for claim in cls.CLAIMS if claim not in payload]
        if missing:
            raise InvalidClaims(f"the permit claims lack {', '.join(missing)}")
        iat = payload["iat"]
        _check_integer("iat", iat, 0, _MAX_NUMERIC_DATE)  # RFC 7519 §2 NumericDate, whole seconds here
        return cls(
            permit_number=payload["pn"],
            surname=payload["fn"],
            given_names=payload["gn"],
            birth_date=_payload_date(payload, "dob"),
            document_number=payload["doc"],
            issuing_state=payload["iss"],
            agreement_code=payload["agr"],
            valid_from=_payload_date(payload, "vf"),
            valid_until=_payload_date(payload, "vu"),
            max_stay_days=payload["msd"],
            issued_at=datetime.fromtimestamp(iat, UTC),
        )
