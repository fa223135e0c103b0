"""The one base class for rule violations that a person can read and act on."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message


class DomainError(Exception):
    """A rule said no. ``message`` is an English msgid with ``%(name)s`` placeholders."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class NotFound(DomainError):
    """The record asked for does not exist (or is not visible to the asker)."""


class AccessDenied(DomainError):
    """The acting user may not do this to this record."""


class ValidationFailed(DomainError):
    """Input that a form could not catch broke a rule; ``field`` names where to show it."""

    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field
