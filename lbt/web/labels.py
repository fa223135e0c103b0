"""Names of enum values as people read them, in their language."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from lbt.accounts.models import Role
from lbt.reference.models import CrossingPointKind, CrossingReason, FeeExemption

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.OFFICER: _l("Officer (issuing authority)"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.BORDER_GUARD: _l("Border guard"),
    Role.REPRESENTATIVE: _l("Border representative"),
    Role.AUDITOR: _l("Auditor"),
    Role.ANALYST: _l("Analyst (central office)"),
    Role.MONITOR: _l("Monitoring system"),
}

CROSSING_REASON_LABELS = {
    CrossingReason.FAMILY: _l("Family ties"),
    CrossingReason.SOCIAL: _l("Social reasons"),
    CrossingReason.CULTURAL: _l("Cultural reasons"),
    CrossingReason.ECONOMIC: _l("Economic reasons"),
    CrossingReason.EDUCATION: _l("Education"),
    CrossingReason.HEALTH: _l("Health care"),
    CrossingReason.RELIGIOUS: _l("Religious reasons, visiting graves"),
    CrossingReason.OTHER: _l("Other"),
}

FEE_EXEMPTION_LABELS = {
    FeeExemption.MINOR: _l("Minors"),
    FeeExemption.PENSIONER: _l("Pensioners"),
    FeeExemption.DISABLED: _l("Persons with disabilities"),
    FeeExemption.STUDENT: _l("Students"),
}

CROSSING_POINT_KIND_LABELS = {
    CrossingPointKind.ROAD: _l("Road"),
    CrossingPointKind.RAIL: _l("Rail"),
    CrossingPointKind.PEDESTRIAN: _l("Pedestrian"),
}


def init_labels(app: Flask) -> None:
    @app.context_processor
    def label_context() -> dict[str, Any]:
        return {
            "role_labels": ROLE_LABELS,
            "reason_labels": CROSSING_REASON_LABELS,
            "exemption_labels": FEE_EXEMPTION_LABELS,
            "crossing_point_kind_labels": CROSSING_POINT_KIND_LABELS,
        }
