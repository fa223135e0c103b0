"""Who may see which object. Pure functions over the user and the object, free of Flask, so the same
rules hold in views, the API and the CLI. Route-level role checks live in ``lbt.web.security``."""

from __future__ import annotations

from lbt.accounts.models import Role, User
from lbt.reference.models import BorderSection, CrossingPoint

AGREEMENT_SCOPED = frozenset({Role.OFFICER, Role.SUPERVISOR})


def agreement_ids(user: User) -> set[int]:
    return {agreement.id for agreement in user.agreements}


def can_see_agreement(user: User, agreement_id: int) -> bool:
    """An officer or supervisor sees only the agreements they serve; an admin sees all."""
    if user.role is Role.ADMIN:
        return True
    return user.role in AGREEMENT_SCOPED and agreement_id in agreement_ids(user)


def can_see_crossing_point(user: User, crossing_point: CrossingPoint) -> bool:
    """A guard sees the crossing points they are posted to; officers those of their agreements."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.BORDER_GUARD:
        return crossing_point.id in {point.id for point in user.crossing_points}
    return can_see_agreement(user, crossing_point.agreement_id)


def can_see_border_section(user: User, section: BorderSection) -> bool:
    """A representative sees the border sections they are appointed to."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.REPRESENTATIVE:
        return section.id in {own.id for own in user.border_sections}
    return False
