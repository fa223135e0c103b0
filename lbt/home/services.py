"""What each role's home page shows: the records in the user's scope and a few counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import Role, User
from lbt.audit.models import AuditEntry
from lbt.reference.models import Agreement, BorderSection, CrossingPoint, Locality, State


@dataclass(frozen=True)
class HomeSummary:
    agreements: list[Agreement] = field(default_factory=list)
    crossing_points: list[CrossingPoint] = field(default_factory=list)
    border_sections: list[BorderSection] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def home_summary(session: Session, user: User) -> HomeSummary:
    if user.role is Role.ADMIN:
        counts = {
            "states": _count(session, State),
            "agreements": _count(session, Agreement),
            "localities": _count(session, Locality),
            "crossing_points": _count(session, CrossingPoint),
            "border_sections": _count(session, BorderSection),
            "users": _count(session, User),
        }
        return HomeSummary(counts=counts)
    if user.role in (Role.OFFICER, Role.SUPERVISOR):
        return HomeSummary(agreements=list(user.agreements))
    if user.role is Role.BORDER_GUARD:
        return HomeSummary(crossing_points=list(user.crossing_points))
    if user.role is Role.REPRESENTATIVE:
        return HomeSummary(border_sections=list(user.border_sections))
    if user.role is Role.MONITOR:
        return HomeSummary()  # reads /metrics with a token; no records, not even the audit log's size
    return HomeSummary(counts={"audit_entries": _count(session, AuditEntry)})
