"""Links that keep the request's filters (a list's next page, a report's permalink and downloads):
the query is carried over without the names ``url_for`` takes for itself (``_anchor``, ``_method``,
``_external``, ``_scheme``), the view's own path arguments and the names the link sets, so a hostile
query (``?_method=POST``, ``?key=x``) cannot break the page."""

from __future__ import annotations

from typing import Any

from flask import request, url_for


def kept_query(*taken: str) -> dict[str, str]:
    """The request's query a link may carry, less ``taken`` (the names the link sets itself)."""
    skipped = set(taken) | set(request.view_args or {})
    return {
        name: value
        for name, value in request.args.to_dict().items()
        if not name.startswith("_") and name not in skipped
    }


def page_url(endpoint: str, number: int, *, name: str = "page", **values: Any) -> str:
    """``endpoint`` at page ``number`` of its list (``name``), with the request's filters kept."""
    return url_for(endpoint, **values, **kept_query(name, *values), **{name: number})
