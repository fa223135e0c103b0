"""The OpenAPI 3.1 document of the JSON API (served at /api/v1/openapi.json, shown at /api/v1/docs).

Kept by hand in Python next to the code it describes, with the limits read from the modules that
enforce them; tests/api/test_openapi.py fails when a route under /api/ or /.well-known/ and the
document disagree (paths, methods), and validates the live app's answers against it, and
tests/api/test_openapi_schemathesis.py fuzzes a real server with it."""

from __future__ import annotations

from typing import Any

from lbt.api.openapi.paths import BEARER, paths
from lbt.api.openapi.schemas import schemas

OPENAPI_VERSION = "3.1.1"
API_VERSION = "1.0"

_DESCRIPTION = """\
For crossing-point devices and partner systems. Every call authenticates with a bearer token that
acts as one user, with that user's role and scope (`lbt tokens create USER --name "tablet, lane 2"`
prints a token once). The app's own pages may call the API with their login session instead; then
the CSRF token must be sent in the `X-CSRFToken` header.

Errors are JSON, `{"error": "<readable reason>", "status": 400}`, with the reason in the language of
`Accept-Language` (English, Russian, Tajik, Kyrgyz, Uzbek). See docs/api.md for the rules behind
each answer."""


def openapi_document() -> dict[str, Any]:
    """The whole document, as JSON-ready data (a new copy each time)."""
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "lbt JSON API",
            "version": API_VERSION,
            "summary": "Local border traffic permits: verdicts, crossings, signed lists and keys.",
            "description": _DESCRIPTION,
        },
        "tags": [
            {"name": "devices", "description": "Crossing-point devices and staff systems (a token)."},
            {"name": "public", "description": "Anyone, without a token."},
        ],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "parameters": {
                "AcceptLanguage": {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "description": "The language of the readable reasons: en, ru, tg, ky or uz.",
                    "schema": {"type": "string", "examples": ["ru", "tg, ru;q=0.8"]},
                }
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made with `lbt tokens create` (`lbt_...`); only its"
                    " SHA-256 is stored, a deactivated user's tokens stop working at once.",
                }
            },
        },
    }
