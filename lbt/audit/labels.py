"""The words for the audit log's record types and fields; a field not named here is shown as its
name in words ("decision_due" as "Decision due")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RECORD_TYPE_LABELS = {
    "agreements": _l("Agreement"),
    "alert_hits": _l("Alert-list hit"),
    "alerts": _l("Alert"),
    "api_tokens": _l("Device token"),
    "application_documents": _l("Application document"),
    "application_events": _l("Application step"),
    "applications": _l("Application"),
    "border_sections": _l("Border section"),
    "crossing_points": _l("Crossing point"),
    "crossing_reviews": _l("Held crossing decision"),
    "localities": _l("Locality"),
    "meetings": _l("Meeting"),
    "permits": _l("Permit"),
    "protocols": _l("Protocol"),
    "reports": _l("Report"),
    "states": _l("State"),
    "user_sessions": _l("Login session"),
    "users": _l("User"),
}

FIELD_LABELS = {
    "agreement_id": _l("Agreement"),
    "application_id": _l("Application"),
    "code": _l("Code"),
    "created_at": _l("Created at"),
    "crossing_point_id": _l("Crossing point"),
    "decided_at": _l("Decided at"),
    "decided_by_id": _l("Decided by"),
    "decision_due": _l("Decision due by"),
    "email": _l("Email"),
    "fee_amount": _l("Fee"),
    "fee_paid_on": _l("Paid on"),
    "fee_receipt_number": _l("Receipt number"),
    "fee_status": _l("Fee status"),
    "full_name": _l("Full name"),
    "is_active": _l("Active"),
    "issued_by_id": _l("Issued by"),
    "locality_id": _l("Locality"),
    "name": _l("Name"),
    "number": _l("Number"),
    "password_hash": _l("Password"),
    "permit_id": _l("Permit"),
    "reason": _l("Reason"),
    "role": _l("Role"),
    "section_id": _l("Border section"),
    "state_id": _l("State"),
    "status": _l("Status"),
    "user_id": _l("User"),
    "username": _l("Username"),
    "valid_from": _l("Valid from"),
    "valid_until": _l("Valid until"),
}


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


def record_type_label(name: str) -> str:
    label = RECORD_TYPE_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()
