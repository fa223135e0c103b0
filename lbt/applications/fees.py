"""An application's fee, worked out in one place and read the same on every page and in every mail
(the officer's checklist and page, the applicant's status page, the mails): due, waived with the
reason, paid with the receipt, or not due because no permit will be issued."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency

from lbt.applications.eligibility import fee_exemption
from lbt.applications.models import Application, ApplicationStatus, FeeStatus
from lbt.core.catalogs import LOCALES, translate
from lbt.core.dates import format_day
from lbt.core.errors import N_
from lbt.reference.models import Agreement, FeeExemption

RECEIPT_LENGTH = 40
FREE = "free"  # the reason a fee is waived when the agreement charges none

WAIVER_REASONS = {
    FeeExemption.MINOR.value: N_("the applicant is a minor"),
    FeeExemption.PENSIONER.value: N_("the applicant is a pensioner"),
    FeeExemption.DISABLED.value: N_("the applicant has a disability"),
    FeeExemption.STUDENT.value: N_("the applicant is a student"),
    FREE: N_("the agreement charges no fee"),
}
NO_PERMIT = {
    ApplicationStatus.REFUSED: N_("Not due: the application was refused."),
    ApplicationStatus.RECONSIDERATION: N_("Not due: the application was refused."),
    ApplicationStatus.WITHDRAWN: N_("Not due: the application was withdrawn."),
}


class FeeKind(enum.StrEnum):
    DUE = "due"
    WAIVED = "waived"
    PAID = "paid"
    NOT_DUE = "not_due"


@dataclass(frozen=True)
class FeeState:
    kind: FeeKind
    amount: Decimal
    currency: str
    reason: str = ""  # WAIVED: a FeeExemption value or FREE
    receipt_number: str = ""
    paid_on: date | None = None
    status: ApplicationStatus | None = None  # NOT_DUE: why


def fee_state(application: Application, today: date) -> FeeState:
    """DOMAIN.md §1: the agreement's fee, waived for its exempt groups; nothing is due once the
    application is refused or withdrawn (no permit is issued), unless it was paid already."""
    agreement: Agreement = application.agreement
    if application.fee_status is FeeStatus.PAID:
        return FeeState(
            FeeKind.PAID,
            application.fee_amount or agreement.fee_amount,
            application.fee_currency or agreement.fee_currency,
            receipt_number=application.fee_receipt_number,
            paid_on=application.fee_paid_on,
        )
    if application.status in NO_PERMIT:
        return FeeState(FeeKind.NOT_DUE, Decimal("0"), agreement.fee_currency, status=application.status)
    if application.fee_status is FeeStatus.WAIVED:  # decided: the reason recorded then
        return FeeState(
            FeeKind.WAIVED,
            Decimal("0"),
            agreement.fee_currency,
            reason=application.fee_waived_for or fee_exemption(application, agreement, today) or FREE,
        )
    if not agreement.fee_amount:
        return FeeState(FeeKind.WAIVED, Decimal("0"), agreement.fee_currency, reason=FREE)
    exemption = fee_exemption(application, agreement, today)
    if exemption:
        return FeeState(FeeKind.WAIVED, Decimal("0"), agreement.fee_currency, reason=exemption)
    return FeeState(FeeKind.DUE, agreement.fee_amount, agreement.fee_currency)


def money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale if locale in LOCALES else "en")


def fee_text(state: FeeState, locale: str) -> str:
    """The fee in one line, in ``locale``: the same words on the pages and in the mails."""
    amount = money(state.amount, state.currency, locale)
    if state.kind is FeeKind.DUE:
        return translate(locale, N_("Due: %(amount)s."), amount=amount)
    if state.kind is FeeKind.WAIVED:
        reason = translate(locale, WAIVER_REASONS.get(state.reason, WAIVER_REASONS[FREE]))
        return translate(locale, N_("Waived: %(reason)s."), reason=reason)
    if state.kind is FeeKind.PAID and state.receipt_number:
        return translate(
            locale,
            N_("Paid: %(amount)s, receipt %(receipt)s of %(date)s."),
            amount=amount,
            receipt=state.receipt_number,
            date=format_day(state.paid_on, locale) if state.paid_on else "—",
        )
    if state.kind is FeeKind.PAID:
        return translate(locale, N_("Paid: %(amount)s."), amount=amount)
    return translate(locale, NO_PERMIT.get(state.status or ApplicationStatus.REFUSED, N_("Not due.")))


def payment_instructions(agreement: Agreement, locale: str) -> str:
    """How and where to pay, as the agreement says it in ``locale`` (else its text for every language)."""
    texts = agreement.payment_instructions or {}
    return (texts.get(locale) or texts.get("") or "").strip()
