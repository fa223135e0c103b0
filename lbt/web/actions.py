"""The one way a view does what a form asks: validate the form, make the one service call, commit once and
say so; a refusal is rolled back and shown beside its field. The view then decides where to go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash

from lbt.core.errors import AccessDenied, DomainError, ValidationFailed
from lbt.web.forms import BaseForm
from lbt.web.i18n import translate_error
from lbt.web.state import get_session

T = TypeVar("T")
Errors = tuple[type[DomainError], ...]


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What came of an action: ``done`` (committed) with the action's ``result``, or not done, with the
    ``error`` that refused it (None when the form did not validate: its errors are on the form)."""

    done: bool
    result: T | None = None
    error: DomainError | None = None

    @property
    def status(self) -> int:
        """The status of the form page shown again: 403 for a refusal of access, else 400."""
        return 403 if isinstance(self.error, AccessDenied) else 400


def show_refusal(form: BaseForm, error: DomainError) -> None:
    """A service's refusal beside the field it names (a ValidationFailed), else above the form."""
    if isinstance(error, ValidationFailed):
        form.show_error(error)
    else:
        form.form_errors.append(translate_error(error))


def run_action(
    form: BaseForm,
    action: Callable[[], T],
    message: str | Callable[[T], str],
    *,
    refusals: Errors = (ValidationFailed,),
    propagate: Errors = (),
) -> Outcome[T]:
    """Validate ``form``, call ``action`` (the one service call), commit once and flash ``message`` (or
    ``message(result)``) as a success. An error of ``refusals`` that is not one of ``propagate`` is rolled
    back and shown on the form; any other error goes on to the error pages (the session is not committed)."""
    if not form.validate_on_submit():
        return Outcome(done=False)
    session = get_session()
    try:
        result = action()
    except propagate:
        raise
    except refusals as error:
        session.rollback()
        show_refusal(form, error)
        return Outcome(done=False, error=error)
    session.commit()
    flash(message(result) if callable(message) else message, "success")
    return Outcome(done=True, result=result)
