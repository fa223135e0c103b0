"""Ids both instances of a linked pair know: a random UUID per shared record, made where the record is
made and sent with it (docs/exchange.md, "The border representatives' work"), while the integer keys
stay each database's own."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import mapped_column


def new_uuid() -> str:
    return str(uuid.uuid4())


def shared_id() -> Any:
    """The record's UUID (lower case, 36 characters), unique in its table."""
    return mapped_column(String(36), default=new_uuid, unique=True)
