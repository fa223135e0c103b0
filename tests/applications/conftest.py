"""Factories for applications: a valid input, stored photo and documents, a signing key."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from PIL import Image

from lbt.applications.models import ApplicationKind, DocumentKind, Sex, TravelDocumentType
from lbt.applications.services import ApplicationInput, Submitted, submit
from lbt.permits.services import PermitIssuer
from lbt.permits.signing import KeyStore
from lbt.storage.models import StoredFile
from lbt.storage.uploads import DOCUMENT_TYPES, FileStore, check_photo, check_upload


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (360, 460), (190, 170, 150)).save(out, "JPEG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def store(tmp_path) -> FileStore:  # type: ignore[no-untyped-def]
    return FileStore(tmp_path / "uploads")


@pytest.fixture
def stored_photo(db, store) -> StoredFile:  # type: ignore[no-untyped-def]
    stored = store.save(check_photo(photo_bytes(), "photo.jpg"))
    db.add(stored)
    return stored


@pytest.fixture
def stored_pdf(db, store) -> StoredFile:  # type: ignore[no-untyped-def]
    stored = store.save(check_upload(PDF, "residence.pdf", allowed=DOCUMENT_TYPES, max_bytes=10**6))
    db.add(stored)
    return stored


@pytest.fixture
def valid_input(ref) -> ApplicationInput:  # type: ignore[no-untyped-def]
    return ApplicationInput(
        locality_id=ref.locality.id,
        kind=ApplicationKind.FIRST,
        surname_national="Раҳимов",
        given_names_national="Фаррух",
        surname_latin="RAHIMOV",
        given_names_latin="FARRUKH",
        sex=Sex.MALE,
        birth_date=date(1985, 4, 12),
        birth_place="Isfara",
        nationality="TJK",
        phone="+992 92 123 4567",
        email="farrukh@example.org",
        document_type=TravelDocumentType.PASSPORT,
        document_number="a 1234567",
        document_issuing_state="TJK",
        document_expiry=date(2031, 6, 30),
        address="Vorukh, Navruz street 5",
        resident_since=date(2010, 1, 1),
        reason="family",
        reason_text="My sister lives in Ak-Sai.",
        declaration_accepted=True,
    )


@pytest.fixture
def make_application(db, valid_input, stored_photo, stored_pdf, clock):  # type: ignore[no-untyped-def]
    def make(**changes: Any) -> Submitted:
        data = replace(valid_input, **changes)
        return submit(
            db, data, photo=stored_photo, documents=[(DocumentKind.RESIDENCE_PROOF, stored_pdf)], now=clock()
        )

    return make


@pytest.fixture
def keystore(tmp_path, clock) -> KeyStore:  # type: ignore[no-untyped-def]
    store = KeyStore(tmp_path / "keys")
    store.ensure_key(clock())
    return store


@pytest.fixture
def issuer(keystore) -> PermitIssuer:  # type: ignore[no-untyped-def]
    return PermitIssuer(home_state="TJ", key=keystore.active_key())


@pytest.fixture
def approve_one(db, users, clock, issuer):  # type: ignore[no-untyped-def]
    """Approve as the officer of ``ref.agreement`` (one year from 1 December, fee paid, unless told)."""
    from lbt.accounts.models import Role
    from lbt.applications.models import FeeStatus
    from lbt.applications.services import approve

    def approve_one(
        application: Any,
        *,
        valid_from: date = date(2026, 12, 1),
        valid_until: date = date(2027, 12, 1),
        fee_status: FeeStatus = FeeStatus.PAID,
    ) -> Any:
        return approve(
            db,
            application,
            officer=users[Role.OFFICER],
            valid_from=valid_from,
            valid_until=valid_until,
            fee_status=fee_status,
            issue=issuer,
            now=clock(),
        )

    return approve_one
