"""Uploads of the resident forms, kept between submissions: an upload that passed its checks is stored at
once and carried to the next submission by a signed token, so nobody on a slow connection has to send a
photo twice."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from flask import session as web_session
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import Field, FieldList

from lbt.applications.models import Application, ApplicationDocument, DocumentKind
from lbt.applications.resident_forms.apply import ApplyForm
from lbt.core.errors import ValidationFailed
from lbt.storage.models import StoredFile
from lbt.storage.uploads import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    MAX_PHOTO_BYTES,
    CheckedFile,
    FileStore,
    check_photo,
    check_upload,
)
from lbt.web.i18n import translate_error
from lbt.web.state import find_service

UPLOAD_SALT = "lbt-upload"
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
BROWSER_KEY = "lbt_apply_browser"
REQUEST_MARGIN_BYTES = 512 * 1024  # room for the text fields inside the request size limit


@dataclass(frozen=True)
class Kept:
    """An upload that passed its checks, with the signed token that brings it back on the next submit."""

    stored: StoredFile
    token: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=UPLOAD_SALT)  # type: ignore[arg-type]


def _browser_key() -> str:
    """A random key in this browser's session: a token copied to another browser is worthless."""
    key = web_session.get(BROWSER_KEY)
    if not isinstance(key, str):
        key = web_session[BROWSER_KEY] = secrets.token_urlsafe(16)
    return key


def _add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


def _in_use(db: Session, stored: StoredFile) -> bool:
    return (
        db.scalar(select(Application.id).where(Application.photo_file_id == stored.id).limit(1)) is not None
        or db.scalar(select(ApplicationDocument.id).where(ApplicationDocument.file_id == stored.id).limit(1))
        is not None
    )


def _carried(db: Session, field: Field, token: str, purpose: str) -> Kept | None:
    """The upload a token brings back; a tampered, expired or foreign token is ignored with a message."""
    if not token:
        return None
    try:
        payload = _serializer().loads(token, max_age=UPLOAD_MAX_AGE_SECONDS)
    except BadSignature:
        payload = None
    stored = None
    if (
        isinstance(payload, dict)
        and payload.get("purpose") == purpose
        and payload.get("browser") == web_session.get(BROWSER_KEY)
        and isinstance(payload.get("file"), int)
    ):
        stored = db.get(StoredFile, payload["file"])
    if stored is None or _in_use(db, stored):
        _add_error(field, _("The file you sent earlier could not be kept. Please choose it again."))
        return None
    return Kept(stored, token)


def _received(
    db: Session,
    field: Field,
    kept: Kept | None,
    check: Callable[[bytes, str], CheckedFile],
    max_bytes: int,
    purpose: str,
) -> Kept | None:
    """A newly chosen file replaces the kept one once it passes its checks; if it fails, the kept one stays."""
    upload = field.data
    if not upload:
        return kept
    try:
        checked = check(upload.stream.read(max_bytes + 1), upload.filename or "")
    except ValidationFailed as error:
        _add_error(field, translate_error(error))
        return kept
    stored = find_service(FileStore).save(checked)
    db.add(stored)
    db.flush()
    return Kept(
        stored, _serializer().dumps({"file": stored.id, "purpose": purpose, "browser": _browser_key()})
    )


def _check_document(data: bytes, name: str) -> CheckedFile:
    return check_upload(data, name, allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES)


def take_photo(db: Session, form: ApplyForm, uploads: dict[str, Kept]) -> StoredFile | None:
    kept = _carried(db, form.photo, request.form.get("photo_token", ""), "photo")
    kept = _received(db, form.photo, kept, check_photo, MAX_PHOTO_BYTES, "photo")
    if kept is None:
        if not form.photo.errors:
            _add_error(form.photo, _("Add a photo of yourself."))
        return None
    uploads["photo"] = kept
    return kept.stored


def take_documents(
    db: Session, entries: FieldList, uploads: dict[str, Kept]
) -> list[tuple[DocumentKind, StoredFile]]:
    documents = []
    for entry in entries:
        row = entry.form
        token = (
            "" if request.form.get(f"{entry.name}-remove") else request.form.get(f"{entry.name}-token", "")
        )
        kept = _received(
            db,
            row.file,
            _carried(db, row.file, token, "document"),
            _check_document,
            MAX_DOCUMENT_BYTES,
            "document",
        )
        if kept is None:
            continue
        uploads[entry.name] = kept
        if not row.kind.data and not row.kind.errors:
            _add_error(row.kind, _("Say what this document is."))
        if not row.kind.errors:
            documents.append((DocumentKind(row.kind.data), kept.stored))
    return documents


def upload_limits() -> dict[str, int]:
    return {
        "photo": MAX_PHOTO_BYTES,
        "document": MAX_DOCUMENT_BYTES,
        "total": int(current_app.config["MAX_CONTENT_LENGTH"]) - REQUEST_MARGIN_BYTES,
    }
