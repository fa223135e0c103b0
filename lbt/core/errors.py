"""The one base class for rule violations that a person can read and act on."""

from __future__ import annotations

from typing import Any

# A msgid, or a singular/plural pair (``Nn_``) whose count is the ``num`` parameter
Message = str | tuple[str, str]


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message that varies with a number; the number is its ``num`` parameter."""
    return singular, plural


def english(message: Message, params: dict[str, Any]) -> str:
    """The untranslated text of a message with its parameters filled in."""
    if isinstance(message, tuple):
        message = message[0] if params.get("num") == 1 else message[1]
    return message % params if params else message


class DomainError(Exception):
    """A rule said no. ``message`` is an English msgid with ``%(name)s`` placeholders (or a plural
    pair from ``Nn_``, counted by the ``num`` parameter)."""

    def __init__(self, message: Message, **params: Any) -> None:
        super().__init__(message if isinstance(message, str) else message[0])
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return english(self.message, self.params)


class NotFound(DomainError):
    """The record asked for does not exist (or is not visible to the asker)."""


class AccessDenied(DomainError):
    """The acting user may not do this to this record."""


class ValidationFailed(DomainError):
    """Input that a form could not catch broke a rule; ``field`` names where to show it."""

    def __init__(self, message: Message, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field
