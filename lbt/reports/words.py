"""What the codes in the figures' first column mean, as msgids (translated where they are shown: the
pages, the PDF in the agreement's working languages). report.json keeps the codes themselves."""

from __future__ import annotations

from lbt.core.errors import N_

CODE_WORDS = {
    # application steps
    "submitted": N_("Received"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
    "reconsideration_requested": N_("Reconsideration asked"),
    "upheld": N_("Refusal upheld"),
    "overturned": N_("Refusal overturned"),
    "withdrawn": N_("Withdrawn by the applicant"),
    # refusal reasons
    "no_valid_travel_document": N_("No valid travel document"),
    "residence_not_proven": N_("Residence not proven"),
    "residence_too_short": N_("Residence too short"),
    "outside_border_area": N_("Outside the border area"),
    "no_legitimate_reason": N_("No legitimate reason"),
    "entry_ban": N_("Entry ban or alert"),
    "public_order": N_("Threat to public order"),
    "false_information": N_("False information"),
    "other": N_("Other"),
    # decision times
    "decided": N_("Decisions made"),
    "median_days": N_("Median (days)"),
    "p90_days": N_("90th percentile (days)"),
    "deadline_days": N_("Deadline (days)"),
    "decided_late": N_("Decided after the deadline"),
    "open_overdue_now": N_("Open and overdue now"),
    # permits
    "F": N_("Female"),
    "M": N_("Male"),
    "X": N_("Unspecified"),
    "suspended": N_("Suspended"),
    "revoked": N_("Revoked"),
    "annulled": N_("Annulled"),
    "replaced": N_("Replaced"),
    # misuse
    "overstay": N_("Overstay"),
    "left_border_area": N_("Left the border area"),
    "resale_trade": N_("Resale trade"),
    # alert hits
    "found": N_("Found"),
    "cleared": N_("Cleared"),
    "standing": N_("Standing"),
    # crossings
    "entry": N_("Entry"),
    "exit": N_("Exit"),
    # risk indicators
    "risk_crossings": N_("Crossings"),
    "risk_misuse": N_("Misuse cases"),
    "risk_overstays": N_("Overstays"),
    "risk_incidents": N_("Incidents"),
    "risk_refusals": N_("Refusals"),
    "risk_alert_hits": N_("Alert-list hits"),
    "band_above": N_("Above its usual band"),
    "band_below": N_("Below its usual band"),
    # stay patterns
    "short_stays": N_("Many short stays"),
    "near_limit": N_("Stays ending near the limit"),
}


def word_for(code: object) -> str | None:
    """The msgid for a code, or None when the value is shown as it is (a name, a number, free text)."""
    return CODE_WORDS.get(code) if isinstance(code, str) else None
