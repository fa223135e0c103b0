"""The register of representatives: appointments per state and border section, and their history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.core.dates import state_today
from lbt.core.errors import N_, AccessDenied, ValidationFailed
from lbt.reference.models import BorderSection, State
from lbt.representatives.models import Post, Representative
from lbt.representatives.services import WrongStep, side_in
from lbt.representatives.sharing import outgoing


def _require_register_access(actor: User, section: BorderSection, state: State) -> None:
    """Each state appoints its own representatives; an admin keeps the register for both."""
    if state.id not in (section.state_a_id, section.state_b_id):
        raise ValidationFailed(
            N_("%(state)s is not a side of this border section."), "state_id", state=state.code
        )
    if actor.role is Role.ADMIN:
        return
    if side_in(actor, section) != state.id:
        raise AccessDenied(N_("Only %(state)s keeps its own appointments."), state=state.code)


def appoint(
    session: Session,
    actor: User,
    *,
    section: BorderSection,
    state: State,
    post: Post,
    full_name: str,
    credentials_number: str,
    appointed_from: date,
    contact: str = "",
    user: User | None = None,
    replaces: Representative | None = None,
    now: datetime,
) -> Representative:
    """An appointment notified to the other side; the border representative's post has one holder,
    so a new one ends the previous holder's appointment (the rows keep who held the post when)."""
    _require_register_access(actor, section, state)
    outgoing.check_register_side(session, section, state)
    if not full_name.strip():
        raise ValidationFailed(N_("Give the representative's name."), "full_name")
    if not credentials_number.strip():
        raise ValidationFailed(N_("Give the number of the credentials."), "credentials_number")
    if user is not None and (user.role is not Role.REPRESENTATIVE or user.state_id != state.id):
        raise ValidationFailed(
            N_("The linked account must be a representative of %(state)s."), "user_id", state=state.code
        )
    if replaces is None and post is Post.BORDER_REPRESENTATIVE:
        replaces = current_holder(session, section, state, post)
    if replaces is not None:
        if (replaces.section_id, replaces.state_id) != (section.id, state.id):
            raise ValidationFailed(N_("Replace someone on the same side of the same section."), "replaces_id")
        if replaces.appointed_until is not None and replaces.appointed_until <= state_today(state.code, now):
            raise WrongStep(N_("%(name)s no longer holds that post."), name=replaces.full_name)
        if appointed_from < replaces.appointed_from:
            raise ValidationFailed(N_("The successor cannot start before the predecessor."), "appointed_from")
        replaces.appointed_until = appointed_from
        session.flush()  # the previous holder leaves office before the one-holder index sees the new one
    representative = Representative(
        section_id=section.id,
        state_id=state.id,
        post=post,
        full_name=full_name.strip(),
        credentials_number=credentials_number.strip(),
        contact=contact.strip(),
        user_id=user.id if user else None,
        appointed_from=appointed_from,
        replaces=replaces,
        created_at=now,
    )
    session.add(representative)
    session.flush()
    outgoing.appointments_changed(session, (replaces, representative), now=now)
    return representative


def end_appointment(
    session: Session, actor: User, representative: Representative, *, until: date, now: datetime | None = None
) -> None:
    """A recall or resignation without a successor yet."""
    _require_register_access(actor, representative.section, representative.state)
    outgoing.check_register_side(session, representative.section, representative.state, representative)
    if representative.appointed_until is not None:
        raise WrongStep(N_("This appointment has already ended."))
    if until < representative.appointed_from:
        raise ValidationFailed(N_("An appointment cannot end before it starts."), "appointed_until")
    representative.appointed_until = until
    session.flush()
    outgoing.appointments_changed(session, (representative,), now=now)


def current_holder(
    session: Session, section: BorderSection, state: State, post: Post
) -> Representative | None:
    return session.scalars(
        select(Representative)
        .where(
            Representative.section_id == section.id,
            Representative.state_id == state.id,
            Representative.post == post,
            Representative.appointed_until.is_(None),
        )
        .order_by(Representative.appointed_from.desc(), Representative.id.desc())
        .limit(1)
    ).first()


def in_office(session: Session, section: BorderSection, day: date) -> Sequence[Representative]:
    """Both sides' representatives and staff in office on a day, by side and rank."""
    rows = session.scalars(
        select(Representative).where(
            Representative.section_id == section.id,
            Representative.appointed_from <= day,
            or_(Representative.appointed_until.is_(None), Representative.appointed_until > day),
        )
    ).all()
    order = list(Post)
    return sorted(rows, key=lambda r: (r.state_id, order.index(r.post), r.full_name))


def history(session: Session, section: BorderSection, state: State, post: Post) -> Sequence[Representative]:
    """Who held a post when, oldest first."""
    return session.scalars(
        select(Representative)
        .where(
            Representative.section_id == section.id,
            Representative.state_id == state.id,
            Representative.post == post,
        )
        .order_by(Representative.appointed_from, Representative.id)
    ).all()
