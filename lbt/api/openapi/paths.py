"""The operations of the JSON API: who may call each (roles), what it reads, every status it answers.
tests/api/test_openapi.py keeps this list equal to the app's routes under /api/ and /.well-known/."""

from __future__ import annotations

from typing import Any

from lbt.api.openapi.schemas import Schema, ref

BEARER = "bearerToken"
JSON = "application/json"

# the statuses every caller may meet, by what they mean here
_REFUSALS: dict[str, str] = {
    "400": "The request cannot be read: not JSON, a field missing or of the wrong type, a body without"
    " a valid CSRF token when the login session is used instead of a token.",
    "401": "No valid API token: none was sent, or it is unknown or revoked, or its account is deactivated.",
    "403": "The token's role may not call this operation.",
    "413": "The body is too large: more than 2 MB of JSON, or more crossings than one request may carry.",
    "503": "The database cannot be reached: nothing was stored. Try again later (see `Retry-After`).",
}

_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": 'RFC 6750: `Bearer realm="lbt"`, with `error="invalid_token"` when a token was sent.',
            "required": True,
            "schema": {"type": "string", "pattern": '^Bearer realm="lbt"'},
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}


def _json(schema: Schema, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _refusals(*statuses: str) -> dict[str, Any]:
    return {status: _json(ref("Problem"), _REFUSALS[status], _HEADERS.get(status)) for status in statuses}


def _cached(description: str) -> dict[str, Any]:
    return {"Cache-Control": {"description": description, "required": True, "schema": {"type": "string"}}}


_ETAG = {
    "ETag": {
        "description": "The list's version (weak: the same list signed again at another time has it too).",
        "required": True,
        "schema": {"type": "string", "pattern": '^W/"[0-9a-f]+"$'},
    }
}


def _conditional(operation: dict[str, Any]) -> dict[str, Any]:
    """An answer a device may already hold: its ``ETag``, ``If-None-Match`` and the 304."""
    operation["parameters"].append(
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "The `ETag` of the list the device holds (RFC 9110 §13.1.2, compared weakly).",
            "schema": {"type": "string"},
        }
    )
    operation["responses"]["200"]["headers"].update(_ETAG)
    operation["responses"]["304"] = {
        "description": "The device's list is the current one: no body.",
        "headers": {**_ETAG, **_cached("`private, no-cache`.")},
    }
    return operation


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    *,
    roles: tuple[str, ...] | None,
    answer: dict[str, Any],
    refusals: tuple[str, ...],
    body: Schema | None = None,
) -> dict[str, Any]:
    """``roles`` None: public, no token needed."""
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": description
        + (f"\n\nRoles: {', '.join(f'`{role}`' for role in roles)}." if roles else "\n\nPublic."),
        "tags": ["devices" if roles else "public"],
        "parameters": [{"$ref": "#/components/parameters/AcceptLanguage"}],
        "responses": {"200": answer, **_refusals(*refusals)},
        "security": [{BEARER: []}] if roles else [],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return operation


def paths() -> dict[str, Any]:
    return {
        "/api/v1/verify": {
            "post": _operation(
                "verifyPermit",
                "The verdict for a scanned permit at a crossing point",
                "Checks the QR's signature against the published keys, finds the permit on record and"
                " judges it at the crossing point: validity, withdrawals, the crossing point, stay limits."
                " Nothing is recorded (send the crossing to /api/v1/crossings).",
                roles=("border_guard",),
                body=ref("VerifyRequest"),
                answer=_json(ref("VerifyAnswer"), "The verdict with its reasons."),
                refusals=("400", "401", "403", "413", "503"),
            )
        },
        "/api/v1/crossings": {
            "post": _operation(
                "recordCrossings",
                "Record a device's entries and exits",
                "Each item is judged and stored on its own, at most once per `id` (a retry after a lost"
                " answer is harmless), in the order the crossings happened, and gets its own result in"
                " the order sent: the request answers 200 whatever the items hold. Offline crossings"
                " are stored even when the verdict is red (they happened) and answered `conflict`;"
                " crossings sent more than the configured age after they happened are `held` for an"
                " officer's review.",
                roles=("border_guard",),
                body=ref("CrossingBatch"),
                answer=_json(ref("CrossingResults"), "One result per item."),
                refusals=("400", "401", "403", "413", "503"),
            )
        },
        "/api/v1/partner-crossings": {
            "post": _operation(
                "recordPartnerCrossings",
                "Record exits of holders of the partner state's permits",
                "When the agreement asks both sides to record (`partner.records` in the verdict), the"
                " exit of a holder of a genuine permit of the partner state is recorded here: each item"
                " is checked again from its QR and stored at most once per `id`; the request answers 200"
                " whatever the items hold (docs/exchange.md, 'The guard at exit').",
                roles=("border_guard",),
                body=ref("PartnerCrossingBatch"),
                answer=_json(ref("PartnerCrossingResults"), "One result per item."),
                refusals=("400", "401", "403", "413", "503"),
            )
        },
        "/api/v1/revocations": {
            "get": _conditional(
                _operation(
                    "getRevocations",
                    "The signed list of withdrawn and suspended permits",
                    "Withdrawn (revoked, annulled, replaced) and suspended permits still within their"
                    " validity dates, signed with the permit keys, for checks without a connection. Verify"
                    " it against the JWKS like a permit and show its age from `iat`. The answer carries the"
                    " list's version as a weak `ETag`; send it back in `If-None-Match` and an unchanged list"
                    " is answered 304 without a body (the list then is still current, though its `iat` is"
                    " older). The version changes with every change of a permit's status, the day and the"
                    " signing key.",
                    roles=("border_guard", "officer", "supervisor"),
                    answer=_json(ref("SignedList"), "The signed list.", _cached("`private, no-cache`.")),
                    refusals=("401", "403", "503"),
                )
            )
        },
        "/api/v1/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "This document",
                "The OpenAPI 3.1 description of the JSON API; the interactive reference is at /api/v1/docs.",
                roles=None,
                answer=_json(ref("OpenAPI"), "The document."),
                refusals=(),
            )
        },
        "/.well-known/jwks.json": {
            "get": _operation(
                "getJwks",
                "The permit signing keys",
                "The public keys (RFC 7517 JWK Set) that verify permits' QR codes, the revocation list"
                " and the status list; see docs/permit-format.md. Readable from any origin.",
                roles=None,
                answer=_json(ref("JWKS"), "The keys.", _cached("`public, max-age=300`.")),
                refusals=("503",),
            )
        },
    }
