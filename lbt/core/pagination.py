"""One page of a list, and the query that cuts it: every list page in lbt pages the same way.

The total is counted only up to ``COUNT_LIMIT`` rows (issue 11): a list of a million permits must not
cost a ``count(*)`` over all of them on every page. Past that the page says "more than 1,000" and
offers the next page when there is one (one row more than the page is read to know)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
PER_PAGE = 50
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    per_page: int
    total: int | None  # None: more than ``count_limit``
    more: bool = False  # a row after this page exists
    count_limit: int = COUNT_LIMIT

    @property
    def pages(self) -> int:
        if self.total is None:
            return self.number + 1 if self.more else self.number
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more if self.total is None else self.number < self.pages


@dataclass(frozen=True)
class Cut:
    """A page's rows, its number (kept within range when the total is known), the total or None."""

    rows: Sequence[Any]
    number: int
    total: int | None
    more: bool


def cut(session: Session, query: Select[Any], page: int, per_page: int, *, rows: bool = False) -> Cut:
    """The requested page of an ordered query, with the total when it is at most ``COUNT_LIMIT``:
    the count reads at most that many rows more, whatever the size of the table. ``rows``: whole
    rows, not the first column (ORM entities, unique)."""
    capped = query.order_by(None).limit(COUNT_LIMIT + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(capped)) or 0
    total = counted if counted <= COUNT_LIMIT else None
    number = max(page, 1)
    if total is not None:
        number = min(number, max(1, -(-total // per_page)))
    window = query.limit(per_page + 1).offset((number - 1) * per_page)
    found = session.execute(window).all() if rows else session.scalars(window).unique().all()
    return Cut(found[:per_page], number, total, len(found) > per_page)


def paginate(session: Session, query: Select[tuple[T]], page: int, per_page: int = PER_PAGE) -> Page[T]:
    """The requested page of an ordered query (clamped to the pages there are), with the total."""
    page_cut = cut(session, query, page, per_page)
    return Page(page_cut.rows, page_cut.number, per_page, page_cut.total, page_cut.more)
