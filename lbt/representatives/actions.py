"""Follow-up of decisions across meetings: progress notes by either side, status, the overdue list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lbt.accounts.models import User
from lbt.core.dates import local_day
from lbt.core.errors import N_, ValidationFailed
from lbt.representatives.models import UNFINISHED_ACTION_STATUSES, Action, ActionNote, ActionStatus
from lbt.representatives.services import WrongStep, require_edit, require_side
from lbt.representatives.sharing import outgoing

# a grave or disputed matter goes up; it needs a word on why
NEEDS_REASON = (ActionStatus.DISPUTED, ActionStatus.ESCALATED)


def add_progress_note(
    session: Session,
    actor: User,
    action: Action,
    text: str,
    *,
    status: ActionStatus | None = None,
    now: datetime,
) -> ActionNote:
    """Either side reports what it did; a note may move the action to another status."""
    require_edit(actor, action)
    side = require_side(actor, action.section_id)
    outgoing.check_side(session, action.section, side, action.agenda_item.meeting)
    if not text.strip():
        raise ValidationFailed(N_("Write what was done."), "text")
    if status is not None and status is not action.status:
        if action.status in (ActionStatus.DONE, ActionStatus.ESCALATED):
            raise WrongStep(N_("This action is closed."))
        action.status = status
        action.completed_at = now if status is ActionStatus.DONE else None
    note = ActionNote(state_id=side, user_id=actor.id, at=now, text=text.strip(), status=status)
    action.notes.append(note)
    session.flush()
    outgoing.progress_noted(session, note, now=now)
    return note


def set_status(
    session: Session, actor: User, action: Action, status: ActionStatus, *, note: str = "", now: datetime
) -> ActionNote:
    """Every change of status is a note too, so the other side sees who changed it and why."""
    if status in NEEDS_REASON and not note.strip():
        raise ValidationFailed(N_("Say why the action is disputed or escalated."), "text")
    return add_progress_note(session, actor, action, note or status.value, status=status, now=now)


def overdue_actions(
    session: Session, now: datetime, section_ids: Sequence[int] | None = None
) -> Sequence[Action]:
    """Unfinished actions past their deadline (the deadline day itself is still in time, until its end on
    the section's clock)."""
    # the earliest calendar day anywhere on Earth: candidates are narrowed by it, then judged per section
    query = select(Action).where(
        Action.status.in_(UNFINISHED_ACTION_STATUSES), Action.due_on < (now + timedelta(hours=14)).date()
    )
    if section_ids is not None:
        query = query.where(Action.section_id.in_(section_ids))
    rows = session.scalars(
        query.options(selectinload(Action.section)).order_by(Action.due_on, Action.id)
    ).all()
    return [action for action in rows if action.due_on < local_day(now, action.section.zone_name)]
