"""The monitoring figures of the reports (COM(2011) 47: permits against the eligible population,
refusals and their reasons, decision times, withdrawals, misuse and penalties, alert hits), counted
in the database over indexed columns for one period and scope. Each figure is a ``Figure``: a table
whose first column names what is counted (a code, translated where it is shown) and whose other
columns are numbers; the same table feeds the page, its chart, the CSV/XLSX export and report.json.
No figure carries a person's data."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from lbt.alerts.models import AlertHit
from lbt.applications.models import OPEN_STATUSES, Application, ApplicationEvent, ApplicationKind, EventKind
from lbt.core.errors import N_
from lbt.crossings.models import MisuseCase
from lbt.permits.models import Permit, PermitStatus
from lbt.reference.models import Locality
from lbt.reports.periods import Period

AGE_BANDS = ((0, 17), (18, 29), (30, 44), (45, 59), (60, None))
WITHDRAWALS = (PermitStatus.SUSPENDED, PermitStatus.REVOKED, PermitStatus.ANNULLED, PermitStatus.REPLACED)
DECISIONS = (EventKind.APPROVED, EventKind.REFUSED)


@dataclass(frozen=True)
class Scope:
    """What the figures count: the period, the agreements the reader may see (already narrowed by any
    agreement filter), and optional filters by locality or district (applications and permits), crossing
    point (crossings) and border section (incidents and meetings)."""

    period: Period
    agreement_ids: tuple[int, ...]
    locality_id: int | None = None
    district: str | None = None
    crossing_point_id: int | None = None
    section_ids: tuple[int, ...] = ()
    home_state_id: int | None = None  # incidents: the home side's own and those shared with it


@dataclass(frozen=True)
class Figure:
    key: str
    title: str  # msgid
    columns: tuple[str, ...]  # msgids; the first names the rows' label column
    rows: tuple[tuple[Any, ...], ...]
    chart: str = "bar"  # "bar", "line" (a series over days), or "" (a table only)
    series: tuple[int, ...] = ()  # the columns the chart draws (at most two bars); () the last one
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(row) for row in self.rows]}


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (the smallest value with at least ``share`` of all at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def in_period(column: Any, scope: Scope) -> Any:
    since, until = scope.period.bounds()
    return and_(column >= since, column < until)


def applications_where(query: Select[Any], scope: Scope) -> Select[Any]:
    query = query.where(Application.agreement_id.in_(scope.agreement_ids))
    if scope.locality_id is not None:
        query = query.where(Application.locality_id == scope.locality_id)
    if scope.district:
        query = query.join(Locality, Locality.id == Application.locality_id).where(
            Locality.district == scope.district
        )
    return query


def _permits_where(query: Select[Any], scope: Scope) -> Select[Any]:
    query = query.where(Permit.agreement_id.in_(scope.agreement_ids))
    if scope.locality_id is not None:
        query = query.where(Permit.locality_id == scope.locality_id)
    if scope.district:
        query = query.join(Locality, Locality.id == Permit.locality_id).where(
            Locality.district == scope.district
        )
    return query


def _events(session: Session, scope: Scope, kinds: Iterable[EventKind]) -> Counter[str]:
    query = (
        select(ApplicationEvent.kind, func.count())
        .join(Application, Application.id == ApplicationEvent.application_id)
        .where(ApplicationEvent.kind.in_(list(kinds)), in_period(ApplicationEvent.at, scope))
        .group_by(ApplicationEvent.kind)
    )
    return Counter({kind.value: count for kind, count in session.execute(applications_where(query, scope))})


def applications(session: Session, scope: Scope) -> Figure:
    """Received, decided (approved or refused), reconsideration asked and its outcome, withdrawn."""
    kinds = (
        EventKind.SUBMITTED,
        EventKind.APPROVED,
        EventKind.REFUSED,
        EventKind.RECONSIDERATION_REQUESTED,
        EventKind.UPHELD,
        EventKind.OVERTURNED,
        EventKind.WITHDRAWN,
    )
    counts = _events(session, scope, kinds)
    return Figure(
        "applications",
        N_("Applications"),
        (N_("Step"), N_("Applications")),
        tuple((kind.value, counts[kind.value]) for kind in kinds),
    )


def refusal_reasons(session: Session, scope: Scope) -> Figure:
    """The reasons given for the refusals made in the period (one refusal may give several)."""
    query = (
        select(Application.refusal_reasons)
        .join(ApplicationEvent, ApplicationEvent.application_id == Application.id)
        .where(ApplicationEvent.kind == EventKind.REFUSED, in_period(ApplicationEvent.at, scope))
    )
    counts: Counter[str] = Counter()
    for reasons in session.scalars(applications_where(query, scope)):
        counts.update(set(reasons or []))
    return Figure(
        "refusal_reasons",
        N_("Refusals by reason"),
        (N_("Reason"), N_("Refusals")),
        tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
    )


def decision_times(session: Session, scope: Scope, *, now: datetime, deadline_days: int | None) -> Figure:
    """Days from submission to the first decision, for the decisions made in the period: median and
    90th percentile against the agreement's deadline, decisions made late, and applications open past
    their due date now."""
    first_decision = (
        select(ApplicationEvent.application_id, func.min(ApplicationEvent.at).label("at"))
        .where(ApplicationEvent.kind.in_(DECISIONS))
        .group_by(ApplicationEvent.application_id)
        .subquery()
    )
    query = select(Application.submitted_at, Application.decision_due, first_decision.c.at).join(
        first_decision, first_decision.c.application_id == Application.id
    )
    query = applications_where(query.where(in_period(first_decision.c.at, scope)), scope)
    durations, late = [], 0
    for submitted_at, due, decided_at in session.execute(query):
        durations.append((decided_at - submitted_at).total_seconds() / 86400)
        late += scope.period.local_day(decided_at) > due
    overdue_query = select(func.count()).select_from(Application)
    overdue_query = applications_where(overdue_query, scope).where(
        Application.status.in_(OPEN_STATUSES), Application.decision_due < scope.period.local_day(now)
    )
    overdue = session.scalar(overdue_query) or 0
    rounded = [
        round(value, 1) if value is not None else None
        for value in (median(durations), percentile(durations, 0.9))
    ]
    return Figure(
        "decision_times",
        N_("Decision time (days)"),
        (N_("Measure"), N_("Value")),
        (
            ("decided", len(durations)),
            ("median_days", rounded[0]),
            ("p90_days", rounded[1]),
            ("deadline_days", deadline_days),
            ("decided_late", late),
            ("open_overdue_now", overdue),
        ),
        chart="",
    )


def _age_band(birth: date, on: date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for low, high in AGE_BANDS:
        if high is None or age <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    raise AssertionError("unreachable")


def _issued(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    query = select(
        Permit.locality_id,
        Permit.replaces_id,
        Application.kind,
        Permit.sex,
        Permit.birth_date,
        Permit.issued_at,
    ).join(Application, Application.id == Permit.application_id)
    return list(session.execute(_permits_where(query.where(in_period(Permit.issued_at, scope)), scope)))


def issue_kind(replaces_id: int | None, kind: ApplicationKind) -> str:
    """A replacement (lost or damaged card) is neither a first permit nor a renewal."""
    return "replacement" if replaces_id is not None else kind.value


def permits_issued(session: Session, scope: Scope) -> tuple[Figure, Figure, Figure]:
    """Permits issued in the period, by locality against its eligible population, by sex and by age band
    (age on the day of issue)."""
    issued = _issued(session, scope)
    by_locality: dict[int, Counter[str]] = {}
    sexes: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    for locality_id, replaces_id, kind, sex, birth_date, issued_at in issued:
        by_locality.setdefault(locality_id, Counter())[issue_kind(replaces_id, kind)] += 1
        sexes[sex.value] += 1
        ages[_age_band(birth_date, scope.period.local_day(issued_at))] += 1
    localities = session.scalars(
        select(Locality).where(Locality.id.in_(by_locality)).order_by(Locality.name_latin)
    )
    rows = []
    for locality in localities:
        counts = by_locality[locality.id]
        first_and_renewal = counts["first"] + counts["renewal"]
        share = round(1000 * first_and_renewal / locality.population, 1) if locality.population else None
        rows.append(
            (
                locality.name_latin,
                locality.district,
                locality.population,
                counts["first"],
                counts["renewal"],
                counts["replacement"],
                share,
            )
        )
    return (
        Figure(
            "permits_by_locality",
            N_("Permits issued by locality"),
            (
                N_("Locality"),
                N_("District"),
                N_("Eligible population"),
                N_("First permits"),
                N_("Renewals"),
                N_("Replacements"),
                N_("Per 1,000 residents"),
            ),
            tuple(rows),
        ),
        Figure(
            "permits_by_sex",
            N_("Permits issued by sex"),
            (N_("Sex"), N_("Permits")),
            tuple((sex, sexes[sex]) for sex in ("F", "M", "X")),
        ),
        Figure(
            "permits_by_age",
            N_("Permits issued by age band"),
            (N_("Age band"), N_("Permits")),
            tuple((band, ages[band]) for band in (f"{lo}-{hi}" if hi else f"{lo}+" for lo, hi in AGE_BANDS)),
        ),
    )


def withdrawals(session: Session, scope: Scope) -> Figure:
    """Permits suspended, revoked, annulled or replaced in the period, by the status they are in now and
    the reason given (a suspension lifted since no longer counts)."""
    query = (
        select(Permit.status, Permit.status_reason, func.count())
        .where(Permit.status.in_(WITHDRAWALS), in_period(Permit.status_changed_at, scope))
        .group_by(Permit.status, Permit.status_reason)
    )
    rows = sorted(
        (
            (status.value, reason, count)
            for status, reason, count in session.execute(_permits_where(query, scope))
        ),
        key=lambda row: (WITHDRAWALS.index(PermitStatus(row[0])), -row[2], row[1]),
    )
    return Figure(
        "withdrawals",
        N_("Permits withdrawn by reason"),
        (N_("Status"), N_("Reason"), N_("Permits")),
        tuple(rows),
    )


def misuse(session: Session, scope: Scope) -> Figure:
    """Misuse cases found in the period, by kind and the penalty imposed (Art. 17)."""
    query = (
        select(MisuseCase.kind, MisuseCase.penalty, func.count())
        .join(Permit, Permit.id == MisuseCase.permit_id)
        .where(in_period(MisuseCase.detected_at, scope))
        .group_by(MisuseCase.kind, MisuseCase.penalty)
    )
    rows = sorted(
        (
            (kind.value, penalty, count)
            for kind, penalty, count in session.execute(_permits_where(query, scope))
        ),
        key=lambda row: (row[0], -row[2], row[1]),
    )
    return Figure(
        "misuse",
        N_("Misuse cases by kind and penalty"),
        (N_("Kind"), N_("Penalty"), N_("Cases")),
        tuple(rows),
    )


def alert_hits(session: Session, scope: Scope) -> Figure:
    """Applications found on the alert list in the period, and how many of those hits were cleared."""
    query = (
        select(func.count(), func.count(AlertHit.cleared_at))
        .select_from(AlertHit)
        .join(Application, Application.id == AlertHit.application_id)
        .where(in_period(AlertHit.found_at, scope))
    )
    found, cleared = session.execute(applications_where(query, scope)).one()
    return Figure(
        "alert_hits",
        N_("Alert list hits"),
        (N_("Measure"), N_("Hits")),
        (("found", found), ("cleared", cleared), ("standing", found - cleared)),
    )
