"""What every register (台账) shares: its columns, its filters, who may read it, and how a value is written
on paper (dates in the office's time zone, labels in the reader's language)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from models import RoleAssignment, User
from services.assignment import holds_role, roles_of

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
# Office-wide readers of every register: the security office keeps them (MED.1) and the overseers inspect
# them. The system administrator is not among them: running the system is no reason to read its ledgers.
OFFICE_READERS = ("security_office", "security_committee", "leader")


def label(pair: tuple[str, str] | None, locale: str, fallback: str = "") -> str:
    if pair is None:
        return fallback
    return pair[1] if locale.startswith("en") else pair[0]


def local_time(value: datetime | None) -> str:
    """A timestamp as the office writes it: its own time zone, to the minute."""
    return value.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def local_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(OFFICE_TZ).date()
    return value.isoformat()


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    # Free text (a purpose, a fault) wraps; everything else (numbers, dates, names) stays on one line.
    text: bool = False

    def heading(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


@dataclass(frozen=True)
class Filters:
    """A reader's choice: a period (office-local days, both ends included), a section, a classification,
    a status. None means no filter."""
    period_from: date | None = None
    period_to: date | None = None
    section_id: int | None = None
    classification: str | None = None
    status: str | None = None

    def as_dict(self) -> dict:
        """The filters in force, for the audit log and for links."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Scope:
    """How much of one register a user may read: all of it, or the lines of some sections."""
    everything: bool
    section_ids: frozenset[int] = frozenset()


def period_condition(column, filters: Filters, is_date: bool):
    """The period on a date column, or on a UTC timestamp taken as office-local days."""
    conditions = []
    if is_date:
        if filters.period_from:
            conditions.append(column >= filters.period_from)
        if filters.period_to:
            conditions.append(column <= filters.period_to)
    else:
        if filters.period_from:
            conditions.append(column >= datetime.combine(filters.period_from, time(0), OFFICE_TZ))
        if filters.period_to:
            conditions.append(column < datetime.combine(filters.period_to + timedelta(days=1), time(0), OFFICE_TZ))
    return and_(*conditions) if conditions else None


@dataclass
class Ledger:
    """One register. A module per register fills in the query and how a row is written out."""
    key: str
    title: tuple[str, str]
    articles: tuple[str, ...]
    columns: tuple[Column, ...]
    # sort key -> column expression; the first is the default order
    sorts: dict
    statuses: dict[str, tuple[str, str]]
    status_heading: tuple[str, str] = ("状态", "Status")
    period_heading: tuple[str, str] = ("日期", "Date")
    has_classification: bool = True
    # Roles that read the register office-wide (held without a section) besides OFFICE_READERS.
    office_roles: tuple[str, ...] = ()
    # Roles that read the lines of the sections they hold the role for.
    section_roles: tuple[str, ...] = ("section_head",)
    signatures: tuple[tuple[str, str], ...] = (("制表人", "Compiled by"), ("审核人", "Checked by"))
    query: object = None          # (filters, scope) -> Select of named columns
    cells: object = None          # (row, locale, context) -> list of values, one per column
    context: object = field(default=lambda session: {})  # (session) -> what cells need (names of people)
    document_id: object = None    # (row) -> the id of the line's own printable document, if it has one

    def name(self, locale: str) -> str:
        return label(self.title, locale)

    def headings(self, locale: str) -> list[str]:
        return [c.heading(locale) for c in self.columns]

    def scope_for(self, session: Session, user: User) -> Scope | None:
        """What `user` may read of this register; None when nothing."""
        if any(holds_role(session, user.id, role, None) for role in OFFICE_READERS + self.office_roles):
            return Scope(everything=True)
        if not roles_of(session, user.id) & set(self.section_roles):
            return None  # the common case (an employee): answered from the memo, no query
        sections = frozenset(session.scalars(select(RoleAssignment.section_id).where(
            RoleAssignment.user_id == user.id, RoleAssignment.role.in_(self.section_roles),
            RoleAssignment.section_id.is_not(None))))
        return Scope(everything=False, section_ids=sections) if sections else None

    def select(self, filters: Filters, scope: Scope, sort: str | None, descending: bool) -> Select:
        stmt: Select = self.query(filters, scope)
        key = sort if sort in self.sorts else next(iter(self.sorts))
        order = self.sorts[key]
        order_by = [o.desc() if descending else o.asc() for o in (order if isinstance(order, tuple) else (order,))]
        return stmt.order_by(*order_by)


def scoped(stmt: Select, section_column, scope: Scope) -> Select:
    return stmt if scope.everything else stmt.where(section_column.in_(scope.section_ids))
