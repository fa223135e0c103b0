"""Reading accounts for other pages: the names of the people who acted on records."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbt.accounts.models import User


def people(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the users who acted on a record, in one query."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name, User.username).where(User.id.in_(wanted)))
    return {user_id: full_name or username for user_id, full_name, username in rows}
