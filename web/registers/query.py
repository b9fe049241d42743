"""A register's query string read into filters, order and page, refusing what it cannot mean."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services import ledgers
from services.errors import DomainError
from services.ledgers.base import Filters, Ledger


@dataclass(frozen=True)
class LedgerQuery:
    filters: Filters
    sort: str
    descending: bool
    page: int

    def args(self, **changes) -> dict:
        """The query string that asks for this view again, with `changes` applied (for links)."""
        values = dict(self.filters.as_dict(), sort=self.sort, dir="desc" if self.descending else "asc",
                      page=self.page)
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _day(args: dict, name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("invalid_date", field=name) from None


def _choice(args: dict, name: str, allowed) -> str | None:
    value = (args.get(name) or "").strip()
    if value and value not in allowed:
        raise DomainError("invalid_choice", field=name)
    return value or None


def number(args: dict, name: str, default: int | None) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise DomainError("invalid_value", field=name)
    return int(value)


def parse(led: Ledger, args) -> LedgerQuery:
    period_from, period_to = _day(args, "period_from"), _day(args, "period_to")
    if period_from and period_to and period_to < period_from:
        raise DomainError("date_before", field="period_to", other=period_from.isoformat())
    filters = Filters(
        period_from=period_from, period_to=period_to, section_id=number(args, "section_id", None),
        classification=_choice(args, "classification", ledgers.CLASSIFICATIONS) if led.has_classification else None,
        status=_choice(args, "status", led.statuses))
    sort = _choice(args, "sort", led.sorts) or next(iter(led.sorts))
    direction = _choice(args, "dir", ("asc", "desc")) or "asc"
    return LedgerQuery(filters, sort, direction == "desc", number(args, "page", 1))
