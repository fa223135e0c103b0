"""Figures read from the database at scrape time (one cheap query each), for ``/metrics``: the mail
outbox, background jobs, the links to partner instances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.exchange.models import ExchangeLink, OutgoingMessage
from lbt.jobs.models import Job, JobState
from lbt.notifications.models import OutboxMessage
from lbt.notifications.services import MAX_ATTEMPTS
from lbt.reference.models import Agreement


def mail_outbox(session: Session, now: datetime) -> Iterator[GaugeMetricFamily]:
    """Messages waiting to be sent, how long the oldest has waited, and how many are stuck (one
    query over the pending index: the rows not sent yet)."""
    waiting, oldest, stuck = session.execute(
        select(
            func.count(),
            func.min(OutboxMessage.created_at),
            func.count().filter(OutboxMessage.attempts >= MAX_ATTEMPTS),
        ).where(OutboxMessage.sent_at.is_(None))
    ).one()
    yield GaugeMetricFamily(
        "lbt_mail_outbox_messages", "Mails in the outbox not sent yet (stuck ones included).", value=waiting
    )
    yield GaugeMetricFamily(
        "lbt_mail_outbox_stuck_messages",
        f"Mails that failed {MAX_ATTEMPTS} times and are no longer tried (lbt mail retry-stuck).",
        value=stuck,
    )
    age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    yield GaugeMetricFamily(
        "lbt_mail_outbox_oldest_age_seconds",
        "How long the oldest mail not sent yet has waited (0 when none waits).",
        value=age,
    )


def background_jobs(session: Session, now: datetime) -> Iterator[GaugeMetricFamily]:
    """Jobs by state: waiting, running, and failed for good (every attempt failed; one grouped count
    over the state index)."""
    counts = dict(
        session.execute(
            select(Job.state, func.count())
            .where(Job.state.in_((JobState.QUEUED, JobState.RUNNING, JobState.FAILED)))
            .group_by(Job.state)
        ).all()
    )
    family = GaugeMetricFamily(
        "lbt_jobs", "Background jobs queued (waiting or between attempts), running, failed.", labels=["state"]
    )
    for state in (JobState.QUEUED, JobState.RUNNING, JobState.FAILED):
        family.add_metric([state.value], counts.get(state, 0))
    yield family


def exchange_links(session: Session, now: datetime) -> Iterator[GaugeMetricFamily]:
    """Each link to a partner's instance (one per agreement, a handful): active, how long since the
    partner last confirmed our messages and since a genuine message of theirs came, whether its last
    event was an error, and our messages it has not confirmed yet."""
    pending = (
        select(func.count())
        .where(OutgoingMessage.link_id == ExchangeLink.id, OutgoingMessage.delivered_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Agreement.code,
            ExchangeLink.partner_state,
            ExchangeLink.is_active,
            ExchangeLink.deactivated_at,
            ExchangeLink.last_sent_at,
            ExchangeLink.last_received_at,
            ExchangeLink.last_error_at,
            pending,
        )
        .join(Agreement, Agreement.id == ExchangeLink.agreement_id)
        .order_by(Agreement.code)
    ).all()
    labels = ["agreement", "partner"]
    active = GaugeMetricFamily(
        "lbt_exchange_link_active", "1 while the link is in use, 0 when switched off.", labels=labels
    )
    failing = GaugeMetricFamily(
        "lbt_exchange_link_failing",
        "1 when the link's last event was an error (see the link's page).",
        labels=labels,
    )
    sent = GaugeMetricFamily(
        "lbt_exchange_link_last_sent_age_seconds",
        "Since the partner last confirmed a message of ours (absent: never).",
        labels=labels,
    )
    received = GaugeMetricFamily(
        "lbt_exchange_link_last_received_age_seconds",
        "Since a genuine message or request of the partner last came (absent: never).",
        labels=labels,
    )
    waiting = GaugeMetricFamily(
        "lbt_exchange_outbox_pending_messages",
        "Our messages the partner has not confirmed yet.",
        labels=labels,
    )
    for code, partner, is_active, deactivated, last_sent, last_received, last_error, unconfirmed in rows:
        key = [code, partner]
        active.add_metric(key, 1 if is_active and deactivated is None else 0)  # an admin may deactivate it
        latest_success = max((moment for moment in (last_sent, last_received) if moment), default=None)
        failing.add_metric(
            key, 1 if last_error and (latest_success is None or last_error > latest_success) else 0
        )
        if last_sent is not None:
            sent.add_metric(key, max(0.0, (now - last_sent).total_seconds()))
        if last_received is not None:
            received.add_metric(key, max(0.0, (now - last_received).total_seconds()))
        waiting.add_metric(key, unconfirmed)
    yield from (active, failing, sent, received, waiting)
