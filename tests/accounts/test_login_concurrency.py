"""Wrong logins for one name from one client at the same moment, in transactions of their own (as two
workers would): none fails with a database error, one row counts them, and the pair ends up locked."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.logins import InvalidCredentials, authenticate
from lbt.accounts.models import LoginFailure, Role
from lbt.core.db import make_engine
from lbt.models import Base
from tests.dbutil import temporary_database
from tests.fixtures.factories import make_user

THREADS = 8
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_concurrent_wrong_logins_of_one_pair_are_counted_in_one_row_and_lock_it(tmp_path):
    with temporary_database(tmp_path, "lbt_login_race") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        try:
            with Session(engine, info={"clock": lambda: NOW}) as session, session.begin():
                make_user(session, "guard", Role.AUDITOR)
            barrier = threading.Barrier(THREADS)
            refused: list[BaseException] = []
            errors: list[BaseException] = []

            def guess(number: int) -> None:
                try:
                    barrier.wait(timeout=30)  # all threads start at the same moment
                    with Session(engine, info={"clock": lambda: NOW}) as session, session.begin():
                        try:
                            authenticate(
                                session,
                                "guard",
                                f"wrong password {number}",
                                client="ip:203.0.113.66",
                                now=NOW,
                                max_failures=5,
                                lockout_minutes=15,
                            )
                        except InvalidCredentials as error:  # committed, as the login page does
                            refused.append(error)
                except BaseException as error:
                    errors.append(error)

            threads = [threading.Thread(target=guess, args=(number,)) for number in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []
            assert len(refused) == THREADS
            with Session(engine) as session:
                [row] = session.scalars(select(LoginFailure)).all()
            assert (row.username, row.client) == ("guard", "ip:203.0.113.66")
            assert row.locked_until is not None
        finally:
            engine.dispose()
