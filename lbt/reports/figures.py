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
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import Date, Integer, Select, and_, case, cast, func, select, true
from sqlalchemy.orm import Session

from lbt.alerts.models import AlertHit
from lbt.applications.models import Application, ApplicationEvent, EventKind
from lbt.core.errors import N_
from lbt.crossings.models import MisuseCase
from lbt.permits.models import Permit, PermitStatus, PermitStatusChange
from lbt.reference.models import Agreement, Locality
from lbt.reports import issued_counts
from lbt.reports.issued_counts import AGE_BANDS, age_band, issue_kind
from lbt.reports.issued_counts import age as age_on
from lbt.reports.periods import Period

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


def every_application(session: Session, scope: Scope) -> bool:
    """Whether the scope takes in every application there is (every agreement, no locality or district):
    a figure then needs no look-up of each event's application."""
    if scope.locality_id is not None or scope.district:
        return False
    return set(session.scalars(select(Agreement.id))) <= set(scope.agreement_ids)


def _events(session: Session, scope: Scope, kinds: Iterable[EventKind]) -> Counter[str]:
    """The period's events of these kinds, from the (kind, at) index alone when the scope takes in
    every application, else each joined to its application for the filters."""
    query = (
        select(ApplicationEvent.kind, func.count())
        .where(ApplicationEvent.kind.in_(list(kinds)), in_period(ApplicationEvent.at, scope))
        .group_by(ApplicationEvent.kind)
    )
    if not every_application(session, scope):
        query = applications_where(
            query.join(Application, Application.id == ApplicationEvent.application_id), scope
        )
    return Counter({kind.value: count for kind, count in session.execute(query)})


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
    query = applications_where(query, scope)
    counts: Counter[str] = Counter()
    if on_postgresql(session):  # counted in the query: three years at 1 M are 100k refusals' lists
        refused = query.with_only_columns(
            ApplicationEvent.id.label("event_id"), Application.refusal_reasons.label("reasons")
        ).subquery()
        given = func.json_array_elements_text(refused.c.reasons).table_valued("value").lateral()
        pairs = (  # each reason once per refusal, as the set below
            select(refused.c.event_id, given.c.value)
            .select_from(refused)
            .join(given, true())
            .where(func.json_typeof(refused.c.reasons) == "array")
            .distinct()
            .subquery()
        )
        counts.update(
            dict(session.execute(select(pairs.c.value, func.count()).group_by(pairs.c.value)).all())
        )
    else:
        for reasons in session.scalars(query):
            counts.update(set(reasons or []))
    return Figure(
        "refusal_reasons",
        N_("Refusals by reason"),
        (N_("Reason"), N_("Refusals")),
        tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
    )


def zone_name(zone: tzinfo) -> str | None:
    """The IANA name PostgreSQL knows a zone by (None for a zone without one)."""
    if zone is UTC:
        return "UTC"
    return getattr(zone, "key", None)


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _issued(session: Session, scope: Scope) -> list[tuple[int, str, str, str, int]]:
    """The period's permits as (locality, issue kind, sex, age band on the local day of issue, permits):
    summed from the per-day counts kept at write time when they are kept on the period's clock, else
    read from the permits (grouped in the query on PostgreSQL, counted in Python on SQLite)."""
    zone = zone_name(scope.period.zone)
    if zone is not None and zone == issued_counts.summary_zone(session):
        return issued_counts.read(session, scope.period.start, scope.period.end, scope)
    query = select(
        Permit.locality_id,
        Permit.replaces_id,
        Application.kind,
        Permit.sex,
        Permit.birth_date,
        Permit.issued_at,
    ).join(Application, Application.id == Permit.application_id)
    query = _permits_where(query.where(in_period(Permit.issued_at, scope)), scope)
    if on_postgresql(session) and zone is not None:
        day = cast(func.timezone(zone, Permit.issued_at), Date)

        def part(field: str, value: Any) -> Any:
            return func.extract(field, value)

        before_birthday = part("month", day) * 100 + part("day", day) < part(
            "month", Permit.birth_date
        ) * 100 + part("day", Permit.birth_date)
        age = cast(
            part("year", day) - part("year", Permit.birth_date) - case((before_birthday, 1), else_=0), Integer
        )
        replacement = Permit.replaces_id.is_not(None)
        grouped = query.with_only_columns(
            Permit.locality_id, replacement, Application.kind, Permit.sex, age, func.count()
        ).group_by(Permit.locality_id, replacement, Application.kind, Permit.sex, age)
        return [
            (locality_id, "replacement" if replaced else kind.value, sex.value, age_band(int(years)), count)
            for locality_id, replaced, kind, sex, years, count in session.execute(grouped)
        ]
    counted: Counter[tuple[int, str, str, str]] = Counter()
    for locality_id, replaces_id, kind, sex, birth_date, issued_at in session.execute(query):
        on = scope.period.local_day(issued_at)
        counted[locality_id, issue_kind(replaces_id, kind), sex.value, age_band(age_on(birth_date, on))] += 1
    return [(*key, count) for key, count in counted.items()]


def permits_issued(session: Session, scope: Scope) -> tuple[Figure, Figure, Figure]:
    """Permits issued in the period, by locality against its eligible population, by sex and by age band
    (age on the day of issue)."""
    issued = _issued(session, scope)
    by_locality: dict[int, Counter[str]] = {}
    sexes: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    for locality_id, kind, sex, band, count in issued:
        by_locality.setdefault(locality_id, Counter())[kind] += count
        sexes[sex] += count
        ages[band] += count
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
    """Permits suspended, revoked, annulled or replaced in the period, by status and the reason given:
    each change as it happened (``permit_status_changes``), also a suspension lifted since."""
    query = (
        select(PermitStatusChange.status, PermitStatusChange.reason, func.count())
        .where(
            PermitStatusChange.status.in_(WITHDRAWALS),
            PermitStatusChange.agreement_id.in_(scope.agreement_ids),
            in_period(PermitStatusChange.changed_at, scope),
        )
        .group_by(PermitStatusChange.status, PermitStatusChange.reason)
    )
    if scope.locality_id is not None or scope.district:  # the change names its agreement, not the place
        query = _permits_where(query.join(Permit, Permit.id == PermitStatusChange.permit_id), scope)
    rows = sorted(
        ((status.value, reason, count) for status, reason, count in session.execute(query)),
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
