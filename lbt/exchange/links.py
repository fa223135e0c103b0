"""Making a link to the partner's instance of an agreement, and what each link's state is."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.core.errors import N_, DomainError, ValidationFailed
from lbt.exchange.keys import ExchangeKeyStore
from lbt.exchange.messages import KeyFileRejected, read_key_file
from lbt.exchange.models import (
    ExchangeLink,
    ExchangeRefusal,
    IncomingMessage,
    IncomingStatus,
    OutgoingMessage,
)
from lbt.reference.models import Agreement

MAX_URL = 300


class LinkRefused(DomainError):
    """A link cannot be made as asked."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_partner_url(url: str) -> str:
    """The partner's base URL: https (plain http only on this machine's loopback, for tests and a
    local tunnel), no query, no fragment, no credentials; kept without a trailing slash."""
    text = (url or "").strip()
    if not text or len(text) > MAX_URL:
        raise ValidationFailed(N_("Give the partner's address, at most 300 characters."), field="partner_url")
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationFailed(N_("The partner's address starts with https://."), field="partner_url")
    if parts.scheme == "http" and not _loopback(host):
        raise ValidationFailed(
            N_("The partner's address must use https:// (plain http:// only to this machine)."),
            field="partner_url",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationFailed(
            N_("The partner's address has no query, fragment or password in it."), field="partner_url"
        )
    return text.rstrip("/")


def make_link(
    session: Session,
    *,
    agreement_code: str,
    partner_url: str,
    key_file: bytes,
    home_state: str,
    keys: ExchangeKeyStore,
    actor: User | None,
    now: datetime,
) -> ExchangeLink:
    """Link an agreement to the partner's instance, pinning the partner's exchange key from its key
    file (``lbt exchange key`` on the partner's side). An agreement has one link."""
    agreement = session.scalar(select(Agreement).where(Agreement.code == agreement_code.strip().upper()))
    if agreement is None:
        agreement = session.scalar(select(Agreement).where(Agreement.code == agreement_code.strip()))
    if agreement is None:
        raise ValidationFailed(N_("No agreement has this code."), field="agreement")
    partner = agreement.partner_of(home_state)
    if partner is None:
        raise ValidationFailed(
            N_("This instance's state is not a party to agreement %(code)s."),
            field="agreement",
            code=agreement.code,
        )
    if session.scalar(select(ExchangeLink.id).where(ExchangeLink.agreement_id == agreement.id)) is not None:
        raise ValidationFailed(
            N_("Agreement %(code)s is linked already."), field="agreement", code=agreement.code
        )
    url = check_partner_url(partner_url)
    try:
        jwk = read_key_file(key_file)
    except KeyFileRejected as error:
        raise ValidationFailed(
            N_("The partner's key file is not usable: %(problem)s"), field="partner_key", problem=str(error)
        ) from None
    own = keys.ensure_key(now)
    if jwk["kid"] == own.kid:
        raise ValidationFailed(
            N_("That is this instance's own exchange key, not the partner's."), field="partner_key"
        )
    link = ExchangeLink(
        agreement=agreement,
        agreement_id=agreement.id,
        partner_state=partner.code,
        partner_url=url,
        partner_kid=jwk["kid"],
        partner_jwk=jwk,
        own_kid=own.kid,
        created_by_id=actor.id if actor is not None else None,
        marks={},
    )
    session.add(link)
    session.flush()
    return link


def link_of(session: Session, agreement_code: str) -> ExchangeLink:
    """The link of the agreement with this code (as typed: any case, spaces around it)."""
    link = session.scalar(
        select(ExchangeLink)
        .join(Agreement, Agreement.id == ExchangeLink.agreement_id)
        .where(func.upper(Agreement.code) == (agreement_code or "").strip().upper())
    )
    if link is None:
        raise ValidationFailed(N_("No agreement with this code is linked."), field="agreement")
    return link


def deactivate_link(session: Session, link: ExchangeLink, *, now: datetime) -> ExchangeLink:
    """Stop the link's traffic: the sync neither pushes nor fetches on it, the partner's pushes and
    fetches are answered "link inactive" (409). Nothing queued is dropped, and changes keep queuing
    on it in order, so reactivating it loses nothing (within the partner's replay window)."""
    if link.deactivated_at is not None:
        raise LinkRefused(N_("The link of %(code)s is inactive already."), code=link.agreement.code)
    link.deactivated_at = now
    session.flush()
    return link


def reactivate_link(session: Session, link: ExchangeLink) -> ExchangeLink:
    """Let the link's traffic go again: the next sync sends the backlog, oldest first."""
    if link.deactivated_at is None:
        raise LinkRefused(N_("The link of %(code)s is active already."), code=link.agreement.code)
    link.deactivated_at = None
    for message in session.scalars(
        select(OutgoingMessage).where(
            OutgoingMessage.link_id == link.id, OutgoingMessage.delivered_at.is_(None)
        )
    ):
        message.next_attempt_at = None  # no wait left over from before: offered at the next sync
    session.flush()
    return link


def repoint_link(session: Session, link: ExchangeLink, partner_url: str) -> ExchangeLink:
    """Send the link's traffic to the partner's new address. The pinned key stays: it changes only
    through the partner's rotation signed with the old key (``exchange.key``)."""
    url = check_partner_url(partner_url)
    if url == link.partner_url:
        raise ValidationFailed(N_("The link goes to this address already."), field="partner_url")
    link.partner_url = url
    for message in session.scalars(
        select(OutgoingMessage).where(
            OutgoingMessage.link_id == link.id, OutgoingMessage.delivered_at.is_(None)
        )
    ):
        message.next_attempt_at = None  # the waits were for the old address
    session.flush()
    return link


@dataclass(frozen=True)
class LinkStatus:
    link: ExchangeLink
    queued: int  # our messages the partner has not confirmed
    held: int  # the partner's messages waiting for an earlier one
    refused_recently: int  # refusals on this link in the last day
    oldest_queued_at: datetime | None


def links(session: Session) -> Sequence[ExchangeLink]:
    return session.scalars(select(ExchangeLink).order_by(ExchangeLink.id)).all()


def link_statuses(session: Session, *, now: datetime) -> list[LinkStatus]:
    """Per link: last contact each way (on the link), messages queued and held, recent refusals."""
    from datetime import timedelta

    result = []
    for link in links(session):
        queued, oldest = session.execute(
            select(func.count(), func.min(OutgoingMessage.created_at)).where(
                OutgoingMessage.link_id == link.id, OutgoingMessage.delivered_at.is_(None)
            )
        ).one()
        held = session.scalar(
            select(func.count()).where(
                IncomingMessage.link_id == link.id, IncomingMessage.status == IncomingStatus.HELD
            )
        )
        refused = session.scalar(
            select(func.count()).where(
                ExchangeRefusal.link_id == link.id,
                ExchangeRefusal.received_at >= now - timedelta(days=1),
                ExchangeRefusal.reason != "duplicate",
            )
        )
        result.append(LinkStatus(link, int(queued or 0), int(held or 0), int(refused or 0), oldest))
    return result


def recent_refusals(session: Session, *, limit: int = 20) -> Sequence[ExchangeRefusal]:
    return session.scalars(select(ExchangeRefusal).order_by(ExchangeRefusal.id.desc()).limit(limit)).all()
