"""The JSON Schemas (OpenAPI 3.1 is JSON Schema 2020-12) of what the API reads and answers. The limits
come from the modules that enforce them, so a change there changes the document too; everything else
is checked against the live app by tests/api/test_openapi*.py."""

from __future__ import annotations

from typing import Any

from lbt.api.limits import MAX_BATCH
from lbt.crossings.batch_items import MAX_NUMBER, MAX_REASON, MAX_TOKEN
from lbt.crossings.models import Direction, Verdict
from lbt.exchange.limits import MAX_PARTNER_CROSSINGS
from lbt.permits.models import PermitStatus

Schema = dict[str, Any]

# the statuses of one crossing of a batch (lbt.crossings.batch_items.ItemResult.status)
ITEM_STATUSES = ("stored", "held", "duplicate", "conflict", "refused", "invalid")


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(description: str, **rest: Any) -> Schema:
    return {"type": "string", "description": description, **rest}


def _count(description: str, *, nullable: bool = False) -> Schema:
    return {"type": ["integer", "null"] if nullable else "integer", "minimum": 0, "description": description}


def _names(description: str) -> Schema:
    return {
        "type": "object",
        "description": description,
        "required": ["national", "latin"],
        "properties": {
            "national": _text("As written in the holder's national script."),
            "latin": _text("In Latin letters (ICAO Doc 9303 transliteration)."),
        },
        "additionalProperties": False,
    }


_DIRECTION: Schema = {
    "type": "string",
    "enum": [direction.value for direction in Direction],
    "default": Direction.ENTRY.value,
    "description": "Entry into or exit from the home state's border area.",
}

_VERDICT: Schema = {
    "type": "string",
    "enum": [verdict.value for verdict in Verdict],
    "description": "`pass` (green: may pass), `refuse` (red: may not), `check` (amber: check and decide).",
}

_PROBLEM: Schema = {
    "type": "object",
    "description": "Why the request was refused, in the language of `Accept-Language`.",
    "required": ["error", "status"],
    "properties": {
        "error": _text("The reason, readable by a person.", minLength=1),
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
    },
    "additionalProperties": False,
}

_REASON: Schema = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": _text(
            "A stable name: `valid`, `not_yet_valid`, `expired`, `suspended`, `revoked`, `annulled`,"
            " `replaced`, `signature_invalid`, `unknown_key`, `not_lbt`, `not_on_record`, `check_digit`,"
            " `crossing_point`, `outside_area`, `stay_limit`, `stay_limit_soon`, `valid_until_soon`,"
            " `already_inside`, `not_inside`, `overstay`, `out_of_order`."
        ),
        "message": _text("The same in words, in the language of `Accept-Language`."),
    },
    "additionalProperties": False,
}

_PERMIT: Schema = {
    "type": "object",
    "description": "What the guard compares with the person and the travel document.",
    "required": [
        "number",
        "surname",
        "given_names",
        "birth_date",
        "document_number",
        "valid_from",
        "valid_until",
        "status",
    ],
    "properties": {
        "number": _text("The permit number, e.g. `TJ-2026-000123-4` (the last digit is a check digit)."),
        "surname": _names("The holder's surname(s)."),
        "given_names": _names("The holder's given name(s)."),
        "birth_date": _text("The holder's date of birth.", format="date"),
        "document_number": _text("The travel document the permit was issued on."),
        "valid_from": _text("First day of validity.", format="date"),
        "valid_until": _text("Last day of validity.", format="date"),
        "status": {"type": "string", "enum": [status.value for status in PermitStatus]},
    },
    "additionalProperties": False,
}

_STAY: Schema = {
    "type": "object",
    "description": "Days used in the current stay and in the agreement's rolling window, if it has one.",
    "required": [
        "inside",
        "current_stay_days",
        "max_stay_days",
        "window_days",
        "window_limit",
        "window_used",
        "days_allowed",
    ],
    "properties": {
        "inside": {"type": "boolean", "description": "Whether the last counted crossing was an entry."},
        "current_stay_days": _count("Days of the current stay (0 when outside)."),
        "max_stay_days": _count("The agreement's limit on one uninterrupted stay."),
        "window_days": _count("Length of the rolling window (null: no rolling limit).", nullable=True),
        "window_limit": _count("Days allowed inside the window (null: no rolling limit).", nullable=True),
        "window_used": _count("Days present in the window ending today.", nullable=True),
        "days_allowed": _count("For an entry: how long this stay may last.", nullable=True),
    },
    "additionalProperties": False,
}

_VERIFY_REQUEST: Schema = {
    "type": "object",
    "required": ["token"],
    "properties": {
        "token": _text("The scanned text: the QR code's URL (`https://.../v#eyJ...`) or the bare JWS."),
        "crossing_point": {
            "type": ["string", "null"],
            "description": "The code of one of the guard's crossing points; may be left out (or null)"
            " when the guard is posted at one point only.",
        },
        "direction": _DIRECTION,
    },
}

_VERIFY_ANSWER: Schema = {
    "type": "object",
    "required": ["verdict", "reasons", "checked_at"],
    "properties": {
        "verdict": _VERDICT,
        "reasons": {"type": "array", "minItems": 1, "items": ref("Reason")},
        "checked_at": _text("The server's time of the check.", format="date-time"),
        "permit": ref("Permit"),
        "stay": ref("Stay"),
        "partner": ref("Partner"),
    },
    "dependentRequired": {"stay": ["permit"], "partner": ["permit"]},
    "additionalProperties": False,
    "description": (
        "`permit` and `stay` are present when the signature is genuine and the permit is on record;"
        " `permit` and `partner` (no `stay`) when it is a genuine permit of the partner state, whose"
        " keys came over the partner exchange (docs/exchange.md, 'The guard at exit')."
    ),
}

_PARTNER: Schema = {
    "type": "object",
    "description": "The partner state that issued the permit, and whether this side records its holders' crossings.",
    "required": ["state", "records"],
    "properties": {
        "state": _text("ISO 3166-1 alpha-2 code of the issuing state.", pattern="^[A-Z]{2}$"),
        "records": {
            "type": "boolean",
            "description": "The agreement asks both sides to record: send the exit to /api/v1/partner-crossings.",
        },
    },
    "additionalProperties": False,
}

_PARTNER_CROSSING: Schema = {
    "type": "object",
    "description": "An exit (or entry) of a holder of the partner state's permit, checked again from its QR.",
    "required": ["id", "token", "direction"],
    "properties": {
        "id": _text("A UUID made by the device: a crossing is stored once per id.", format="uuid"),
        "token": _text("The scanned QR text, as for /api/v1/verify.", maxLength=MAX_TOKEN),
        "crossing_point": {
            "type": ["string", "null"],
            "description": "One of the guard's crossing points (may be left out, or null, with only one).",
        },
        "direction": {key: value for key, value in _DIRECTION.items() if key != "default"},
        "at": _text("When it happened (ISO 8601 with a time zone); now when left out.", format="date-time"),
    },
}

_PARTNER_BATCH_ITEMS: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_PARTNER_CROSSINGS,  # more answer 413
    "items": {"anyOf": [ref("PartnerCrossing"), {}], "description": "Anything else is answered `invalid`."},
}

_CROSSING: Schema = {
    "type": "object",
    "description": (
        "One entry or exit. The permit is named by `permit_number` (typed) or `token` (scanned);"
        " `token` wins when both are sent."
    ),
    "required": ["id", "direction", "at"],
    "properties": {
        "id": _text("A UUID made by the device: a crossing is stored once per id.", format="uuid"),
        "permit_number": _text("The permit number as typed.", maxLength=MAX_NUMBER),
        "token": _text("The scanned QR text, as for /api/v1/verify.", maxLength=MAX_TOKEN),
        "crossing_point": {
            "type": ["string", "null"],
            "description": "One of the guard's crossing points (may be left out, or null, with only one).",
        },
        "direction": {key: value for key, value in _DIRECTION.items() if key != "default"},
        "at": _text("When it happened (ISO 8601 with a time zone).", format="date-time"),
        "reason": {
            "type": ["string", "null"],
            "maxLength": MAX_REASON,
            "description": "Why the holder was let through despite an amber verdict.",
        },
        "offline": {
            "type": "boolean",
            "default": True,
            "description": (
                "The crossing already happened (the default): it is stored even when the verdict is red."
                " With `false`, a red verdict refuses and an amber one needs a `reason`."
            ),
        },
    },
    "anyOf": [{"required": ["permit_number"]}, {"required": ["token"]}],
}

# The request level takes any JSON value as an item: an item that is not a Crossing is answered
# `invalid` in its own result, with the others stored (the request still answers 200)
_BATCH_ITEMS: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_BATCH,  # more answer 413
    "items": {
        "anyOf": [ref("Crossing"), {}],
        "description": "A Crossing; anything else is answered `invalid` in its own result.",
    },
}

_ITEM_RESULT: Schema = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {
            "type": ["string", "null"],
            "maxLength": 64,
            "description": "The item's id as sent (null when it was not text or longer than 64).",
        },
        "status": {"type": "string", "enum": list(ITEM_STATUSES)},
        "code": _text("Why it is not simply stored (see docs/api.md), e.g. `time_before_issue`, `revoked`."),
        "error": _text("The same in words, in the language of `Accept-Language`."),
        "verdict": _VERDICT,
        "misuse_case": {
            "type": ["integer", "null"],
            "description": "The misuse case an exit after an overstay recorded.",
        },
    },
    "dependentRequired": {"verdict": ["misuse_case"], "misuse_case": ["verdict"]},
    "additionalProperties": False,
}

_SIGNED_LIST: Schema = {
    "type": "object",
    "required": ["token", "jwks_url"],
    "properties": {
        "token": _text(
            'Compact JWS (ES256, `typ` `lbt-revocations+jwt`) over `{"iat": seconds, "revoked":'
            ' [numbers], "suspended": [numbers]}`.',
            pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        ),
        "jwks_url": _text("Where the keys that verify it are published.", const="/.well-known/jwks.json"),
    },
    "additionalProperties": False,
}

_JWK: Schema = {
    "type": "object",
    "description": "A P-256 public key (RFC 7517, RFC 7518 §6.2.1); `kid` is its RFC 7638 thumbprint.",
    "required": ["kty", "crv", "x", "y", "kid"],
    "properties": {
        "kty": {"const": "EC"},
        "crv": {"const": "P-256"},
        "x": _text("", pattern="^[A-Za-z0-9_-]{43}$"),
        "y": _text("", pattern="^[A-Za-z0-9_-]{43}$"),
        "kid": _text("", pattern="^[A-Za-z0-9_-]{43}$"),
        "use": {"const": "sig"},
        "alg": {"const": "ES256"},
    },
    "additionalProperties": False,
}

_JWKS: Schema = {
    "type": "object",
    "description": "The active signing key first, then every retired key a valid permit still needs.",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "minItems": 1, "items": ref("JWK")}},
    "additionalProperties": False,
}

_OPENAPI: Schema = {
    "type": "object",
    "description": "This document (OpenAPI 3.1).",
    "required": ["openapi", "info", "paths"],
    "properties": {"openapi": {"type": "string", "pattern": r"^3\.1\.\d+$"}},
}


def schemas() -> dict[str, Schema]:
    return {
        "Problem": _PROBLEM,
        "VerifyRequest": _VERIFY_REQUEST,
        "VerifyAnswer": _VERIFY_ANSWER,
        "Reason": _REASON,
        "Permit": _PERMIT,
        "Stay": _STAY,
        "Crossing": _CROSSING,
        "CrossingBatch": {
            "description": f"1 to {MAX_BATCH} crossings: a list, or an object with the list in `crossings`.",
            "oneOf": [
                _BATCH_ITEMS,
                {
                    "type": "object",
                    "required": ["crossings"],
                    "properties": {"crossings": _BATCH_ITEMS},
                },
            ],
        },
        "CrossingResults": {
            "type": "object",
            "required": ["results"],
            "properties": {
                "results": {
                    "type": "array",
                    "items": ref("CrossingResult"),
                    "description": "One result per item, in the order sent.",
                }
            },
            "additionalProperties": False,
        },
        "CrossingResult": _ITEM_RESULT,
        "Partner": _PARTNER,
        "PartnerCrossing": _PARTNER_CROSSING,
        "PartnerCrossingBatch": {
            "description": f"1 to {MAX_PARTNER_CROSSINGS} crossings: a list, or an object with the list in `crossings`.",
            "oneOf": [
                _PARTNER_BATCH_ITEMS,
                {
                    "type": "object",
                    "required": ["crossings"],
                    "properties": {"crossings": _PARTNER_BATCH_ITEMS},
                },
            ],
        },
        "PartnerCrossingResults": {
            "type": "object",
            "required": ["results"],
            "properties": {
                "results": {
                    "type": "array",
                    "description": "One result per item, in the order sent.",
                    "items": {
                        "type": "object",
                        "required": ["id", "status"],
                        "properties": {
                            "id": {"type": ["string", "null"], "maxLength": 64},
                            "status": {
                                "type": "string",
                                "enum": ["stored", "duplicate", "refused", "invalid"],
                            },
                            "error": _text("Why it is not stored, in the language of `Accept-Language`."),
                        },
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        },
        "SignedList": _SIGNED_LIST,
        "JWK": _JWK,
        "JWKS": _JWKS,
        "OpenAPI": _OPENAPI,
    }
