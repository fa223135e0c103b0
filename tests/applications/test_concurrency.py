"""Approvals from several threads at once never give two permits the same number."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.applications.models import Application, FeeStatus
from lbt.applications.services import approve
from lbt.applications.submission import submit
from lbt.core.db import make_engine
from lbt.models import Base
from lbt.permits.models import Permit
from lbt.permits.services import PermitIssuer, is_well_formed
from lbt.permits.signing import KeyStore
from lbt.reference.models import Locality
from lbt.storage.uploads import FileStore, check_photo
from tests.dbutil import temporary_database
from tests.fixtures.applications import photo_bytes
from tests.fixtures.factories import make_agreement, make_state, make_user

THREADS = 8
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _seed(engine, tmp_path, valid_input) -> int:  # type: ignore[no-untyped-def]
    """Commit an agreement, an officer and THREADS submitted applications; return the officer's id."""
    with Session(engine, info={"clock": lambda: NOW}) as session, session.begin():
        tj, kg = (
            make_state(session, "TJ", "TJK", "Tajikistan"),
            make_state(session, "KG", "KGZ", "Kyrgyzstan"),
        )
        agreement = make_agreement(session, "TJ-KG", tj, kg)
        locality = Locality(
            agreement=agreement,
            state=kg,
            name_national="Ак-Сай",
            name_latin="Ak-Sai",
            district="Batken",
            distance_km=2,
        )
        photo = FileStore(tmp_path / "uploads").save(check_photo(photo_bytes(), "p.jpg"))
        session.add_all([locality, photo])
        session.flush()
        officer = make_user(session, "officer", Role.OFFICER, agreements=[agreement])
        for index in range(THREADS):
            data = replace(valid_input, locality_id=locality.id, document_number=f"A{index:07d}")
            submit(session, data, photo=photo, documents=[], now=NOW, home_state="TJ")
        return officer.id


def test_concurrent_approvals_get_distinct_permit_numbers(tmp_path, valid_input):
    with temporary_database(tmp_path, "lbt_race") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        try:
            officer_id = _seed(engine, tmp_path, valid_input)
            issuer = PermitIssuer("TJ", KeyStore(tmp_path / "keys").ensure_key(NOW))
            with Session(engine) as session:
                application_ids = list(session.scalars(select(Application.id)))
            barrier = threading.Barrier(len(application_ids))
            errors: list[BaseException] = []

            def approve_one(application_id: int) -> None:
                try:
                    barrier.wait(timeout=30)  # all threads start at the same moment
                    with Session(engine, info={"clock": lambda: NOW}) as session, session.begin():
                        application = session.get_one(Application, application_id)
                        officer = session.get_one(User, officer_id)
                        approve(
                            session,
                            application,
                            officer=officer,
                            valid_from=date(2026, 12, 1),
                            valid_until=date(2027, 12, 1),
                            fee_status=FeeStatus.PAID,
                            issue=issuer,
                            now=NOW,
                        )
                except BaseException as error:
                    errors.append(error)

            threads = [threading.Thread(target=approve_one, args=(i,)) for i in application_ids]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []
            with Session(engine) as session:
                numbers = list(session.scalars(select(Permit.number)))
            assert len(numbers) == THREADS
            assert len(set(numbers)) == THREADS
            assert all(is_well_formed(number) for number in numbers)
        finally:
            engine.dispose()
