"""The kinds of job in words, and the page each user-started kind belongs to."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

KIND_LABELS: dict[str, Any] = {
    "reference_import": _l("CSV import"),
    "print_batch": _l("Print batch of cards"),
    "six_monthly_report": _l("Six-monthly report"),
    "mail": _l("Mail outbox"),
    "representatives_remind": _l("Meeting invitations and reminders"),
    "overstays": _l("Overstay check"),
    "files_prune": _l("File pruning"),
    "audit_checkpoint": _l("Audit checkpoint"),
    "exchange_sync": _l("Partner exchange"),
    "exchange_prune": _l("Partner exchange pruning"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind
