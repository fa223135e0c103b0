"""Mails to applicants, in the language they used, queued in the outbox with the change itself."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from lbt.applications.fees import FeeKind, fee_state, fee_text, payment_instructions
from lbt.applications.models import Application
from lbt.applications.services import local_today
from lbt.core.catalogs import translate
from lbt.core.dates import format_day
from lbt.core.errors import N_
from lbt.notifications.services import queue_message

SIGNATURE = N_("This message was sent by the local border traffic service. Do not reply to it.")


def _queue(
    session: Session,
    application: Application,
    subject: str,
    body: str,
    now,
    *,
    fee: bool = False,
    **params: object,
) -> None:  # type: ignore[no-untyped-def]
    if not application.email:
        return
    locale = application.preferred_locale
    # dates as the applicant writes them (14.03.1985), not ISO
    params = {
        key: format_day(value, locale) if isinstance(value, date) else value for key, value in params.items()
    }
    text = translate(locale, body, reference=application.reference, **params)
    if fee:
        text += "\n\n" + _fee_paragraph(application, locale, now)
    queue_message(
        session,
        recipient=application.email,
        subject=translate(locale, subject, reference=application.reference),
        body=f"{text}\n\n{translate(locale, SIGNATURE)}\n",
        now=now,
    )


def _fee_paragraph(application: Application, locale: str, now) -> str:  # type: ignore[no-untyped-def]
    """The fee as the status page shows it, with the agreement's payment instructions while it is due."""
    state = fee_state(application, local_today(application, now))
    text = translate(locale, N_("Fee: %(fee)s"), fee=fee_text(state, locale))
    instructions = payment_instructions(application.agreement, locale) if state.kind is FeeKind.DUE else ""
    if instructions:
        text += "\n" + translate(locale, N_("How to pay the fee:")) + "\n" + instructions
    return text


def submitted(session: Session, application: Application, access_code: str, status_url: str, now) -> None:  # type: ignore[no-untyped-def]
    _queue(
        session,
        application,
        N_("Your application %(reference)s was received"),
        N_(
            "We received your application for a local border traffic permit.\n\nReference: %(reference)s\n"
            "Access code: %(code)s\n\nKeep the access code: with the reference it opens your application at\n"
            "%(url)s\nA decision is due by %(due)s."
        ),
        now,
        fee=True,
        code=access_code,
        url=status_url,
        due=application.decision_due,
    )


def information_requested(
    session: Session, application: Application, message: str, status_url: str, now
) -> None:  # type: ignore[no-untyped-def]
    _queue(
        session,
        application,
        N_("Application %(reference)s: more information needed"),
        N_(
            "The officer reviewing your application %(reference)s asks:\n\n%(message)s\n\n"
            "Answer on the application page: %(url)s"
        ),
        now,
        message=message,
        url=status_url,
    )


def approved(session: Session, application: Application, permit_number: str, status_url: str, now) -> None:  # type: ignore[no-untyped-def]
    _queue(
        session,
        application,
        N_("Application %(reference)s: permit issued"),
        N_(
            "Your application %(reference)s was approved. Permit number: %(number)s.\n\n"
            "A copy of the permit is on the application page: %(url)s"
        ),
        now,
        fee=True,
        number=permit_number,
        url=status_url,
    )


def refused(session: Session, application: Application, status_url: str, now) -> None:  # type: ignore[no-untyped-def]
    _queue(
        session,
        application,
        N_("Application %(reference)s: decision"),
        N_(
            "Your application %(reference)s was refused.\n\nReasons: %(text)s\n\n"
            "You may ask for reconsideration until %(until)s on the application page: %(url)s"
        ),
        now,
        fee=True,  # "Not due: the application was refused." (or the receipt of a fee paid already)
        text=application.decision_text,
        until=application.reconsideration_until or "-",
        url=status_url,
    )


def reconsidered(
    session: Session, application: Application, upheld: bool, text: str, status_url: str, now
) -> None:  # type: ignore[no-untyped-def]
    _queue(
        session,
        application,
        N_("Application %(reference)s: reconsideration decided"),
        N_("The refusal of your application %(reference)s was upheld.\n\n%(text)s\n\n%(url)s")
        if upheld
        else N_(
            "The refusal of your application %(reference)s was overturned; the permit will now be issued.\n\n"
            "%(text)s\n\n%(url)s"
        ),
        now,
        fee=True,  # upheld: not due; overturned: due again, with how to pay
        text=text,
        url=status_url,
    )
