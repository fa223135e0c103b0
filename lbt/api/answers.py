"""The JSON of a scan's verdict, the same whether the view or the verify lane answers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lbt.crossings.verify import TokenVerdict, permit_facts, stay_facts
from lbt.exchange.partner_permits import partner_facts
from lbt.web.i18n import translate_message


def reasons_json(reasons: Any) -> list[dict[str, str]]:
    return [
        {"code": reason.code, "message": translate_message(reason.message, reason.params)}
        for reason in reasons
    ]


def verdict_json(result: TokenVerdict, moment: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verdict": result.verdict.value,
        "reasons": reasons_json(result.reasons),
        "checked_at": moment.isoformat(),
    }
    if result.permit is not None and result.assessment is not None:
        body["permit"] = permit_facts(result.permit, moment)
        body["stay"] = stay_facts(result.assessment)
    elif result.partner is not None:  # a genuine permit of the partner state: no stay kept here
        body["permit"] = partner_facts(result.partner, moment)
        body["partner"] = {"state": result.partner.state.code, "records": result.partner.records}
    return body
