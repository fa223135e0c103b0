"""The same right code sent by several requests at the same moment, each in its own transaction (as
several workers would take them): exactly one is accepted, the others are told it was used, and no
database error comes out. A code seen by someone is worth nothing even if they race the user."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.accounts.two_factor import services, totp
from lbt.core.db import make_engine
from lbt.models import Base
from tests.dbutil import temporary_database
from tests.fixtures import two_factor
from tests.fixtures.factories import make_user

THREADS = 8
NOW = datetime(2026, 11, 22, 10, 0, 5, tzinfo=UTC)


def test_one_code_sent_at_once_by_several_requests_is_accepted_once(tmp_path):
    with temporary_database(tmp_path, "lbt_code_race") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        try:
            with Session(engine, info={"clock": lambda: NOW}) as session, session.begin():
                make_user(session, "officer", Role.OFFICER)
            code = two_factor.code_for(two_factor.secret_for("officer"), totp.step_at(NOW))
            barrier = threading.Barrier(THREADS)
            accepted: list[int] = []
            used: list[int] = []
            errors: list[BaseException] = []

            def send(number: int) -> None:
                try:
                    barrier.wait(timeout=30)
                    with Session(engine, info={"clock": lambda: NOW}) as session, session.begin():
                        user = session.scalars(select(User).where(User.username == "officer")).one()
                        attempt = services.Attempt(f"ip:198.51.100.{number}", 100, 15)
                        try:
                            services.check_counted_code(session, user, code, attempt=attempt, now=NOW)
                            accepted.append(number)
                        except services.CodeUsed:  # committed, as the login page does
                            used.append(number)
                except BaseException as error:
                    errors.append(error)

            threads = [threading.Thread(target=send, args=(number,)) for number in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []
            assert len(accepted) == 1 and len(used) == THREADS - 1
        finally:
            engine.dispose()
