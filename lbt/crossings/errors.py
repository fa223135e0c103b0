"""Why a crossing was not stored: each refusal carries a stable ``code`` for devices beside its readable
message (an ``N_`` msgid, translated where it is shown)."""

from __future__ import annotations

from typing import Any

from lbt.core.errors import DomainError, Message, ValidationFailed


class EntryRefused(DomainError):
    """A red verdict: the holder may not pass, so nothing is recorded."""

    def __init__(self, message: Message, code: str = "refused", **params: Any) -> None:
        super().__init__(message, **params)
        self.code = code


class CrossingConflict(DomainError):
    """The same UUID was sent before with different content."""

    code = "id_reused"


class CrossingInvalid(ValidationFailed):
    """A crossing that cannot be true or cannot be read (an impossible time, a missing reason, ...)."""

    def __init__(self, code: str, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message, field, **params)
        self.code = code
