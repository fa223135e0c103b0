"""The registry of message kinds: how other packages plug into the exchange without touching its core
(docs/exchange.md, "Adding a message kind").

A kind is a dotted name (``revocations.delta``) with a handler that applies a received body inside the
receiving transaction. A package sends a message of a kind with ``enqueue`` (in the transaction of
the change it tells about, so the message exists exactly when the change does) and receives it by
registering a handler in a module named ``lbt/<package>/exchange_kinds.py``, found by ``load_kinds``.
A producer (``register_producer``) runs at the start of every sync of a link, to queue what changed
in a way no single transaction sees (the trust list after a key rotation in another process).

The registry is filled once, as the modules are imported, and only read afterwards."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from lbt.core.errors import DomainError
from lbt.core.resources import PACKAGE_DIR
from lbt.exchange.messages import KIND_RE, Envelope
from lbt.exchange.models import ExchangeLink, OutgoingMessage
from lbt.reference.models import Agreement

# the exchange's own kinds, then every lbt/<package>/exchange_kinds.py
BUILT_IN_MODULES = (
    "lbt.exchange.rotation",
    "lbt.exchange.trust",
    "lbt.exchange.withdrawals",
    "lbt.exchange.reporting",
    "lbt.exchange.partner_permits",
)
PLUG_IN_MODULE = "exchange_kinds"


@dataclass(frozen=True)
class Received:
    """What a handler is told about the message it applies (its body comes as the third argument)."""

    link: ExchangeLink
    envelope: Envelope
    now: datetime


Handler = Callable[[Session, Received, dict[str, Any]], None]
Producer = Callable[[Session, ExchangeLink, datetime], None]


class BodyRefused(DomainError):
    """A handler cannot apply a body (wrong shape, unknown record): the message is refused, nothing
    of it stays, and the sender will offer it again."""


@dataclass(frozen=True)
class Kind:
    name: str
    apply: Handler


_kinds: dict[str, Kind] = {}
_producers: list[Producer] = []


def register(name: str, apply: Handler) -> Kind:
    """Make ``name`` a kind whose received bodies ``apply`` applies; a name is registered once."""
    if not KIND_RE.fullmatch(name) or len(name) > 60:
        raise ValueError(f"{name!r} is not a kind name: lower-case dotted words, e.g. 'revocations.delta'")
    existing = _kinds.get(name)
    if existing is not None and existing.apply is not apply:
        raise ValueError(f"the kind {name!r} is registered already")
    kind = Kind(name, apply)
    _kinds[name] = kind
    return kind


def handles(name: str) -> Callable[[Handler], Handler]:
    """``@handles("misuse.case")`` over a handler registers it."""

    def decorate(apply: Handler) -> Handler:
        register(name, apply)
        return apply

    return decorate


def register_producer(producer: Producer) -> Producer:
    """``producer(session, link, now)`` runs in its own transaction at the start of every sync of a link."""
    if producer not in _producers:
        _producers.append(producer)
    return producer


@cache
def load_kinds() -> tuple[str, ...]:
    """Import the modules that register kinds (once); returns their names."""
    names = list(BUILT_IN_MODULES)
    for package in pkgutil.iter_modules([str(PACKAGE_DIR)]):
        candidate = f"lbt.{package.name}.{PLUG_IN_MODULE}"
        if package.ispkg and importlib.util.find_spec(candidate) is not None:
            names.append(candidate)
    for name in names:
        importlib.import_module(name)
    return tuple(names)


def kind_named(name: str) -> Kind | None:
    load_kinds()
    return _kinds.get(name)


def kind_names() -> list[str]:
    load_kinds()
    return sorted(_kinds)


def producers() -> list[Producer]:
    load_kinds()
    return list(_producers)


def enqueue(
    session: Session, agreement: Agreement | int, kind: str, body: dict[str, Any], *, now: datetime
) -> OutgoingMessage | None:
    """Queue a message of ``kind`` to the partner of ``agreement`` in this transaction; None when the
    agreement has no active link (a single instance, or not linked yet): nothing is to be sent."""
    from lbt.exchange.outbox import enqueue_on_link, link_for

    agreement_id = agreement if isinstance(agreement, int) else agreement.id
    link = link_for(session, agreement_id, lock=True)
    if link is None:
        return None
    return enqueue_on_link(session, link, kind, body, now=now)


__all__ = [
    "BodyRefused",
    "Handler",
    "Kind",
    "Producer",
    "Received",
    "enqueue",
    "handles",
    "kind_named",
    "kind_names",
    "load_kinds",
    "producers",
    "register",
    "register_producer",
]
