"""The registers (台账) a security office keeps and inspectors ask for (MED.1, MED.3, RRS.2, DES.2, CNET.5),
built from the database tables, never from a case's workflow state. One module per register; this module
says who may read which, pages them for the screen and streams them for an export.

Who reads what (decided here, and the same for the page, the print view and the export):
- the security office, the security committee and the leader read every register, office-wide;
- a section head reads the lines of their own section in the register of computers and media, the
  carry-out log, the maintenance log and the access-change log (they supervise the section, CNET.2);
- the maintainer reads the maintenance log, the destruction officer the destruction manifests, office-wide;
- nobody else, the system administrator included: running the system is no reason to read its ledgers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import User
from services import assets
from services.errors import Forbidden, NotFound
from services.ledgers import (access_change_log, carry_out_log, computers_and_media, destruction_manifests,
                              maintenance_log)
from services.ledgers.base import OFFICE_TZ, Filters, Ledger, Scope  # noqa: F401  (the package's vocabulary)
from services.messages import register

register({
    "ledger_not_readable": ("您无权查看或导出此台账。", "You may not read or export this register."),
})

LEDGERS: dict[str, Ledger] = {m.LEDGER.key: m.LEDGER for m in (
    computers_and_media, carry_out_log, maintenance_log, destruction_manifests, access_change_log)}
CLASSIFICATIONS = {k: v for k, v in assets.CLASSIFICATIONS.items() if k != "unclassified"}
# What streaming reads from the database at a time: a bounded batch, whatever the register's size.
STREAM_BATCH = 1000


@dataclass
class Page:
    ledger: Ledger
    rows: list[list]
    total: int
    # Per line, the id of its printable document (a destruction manifest), else None.
    document_ids: list


def ledger(key: str) -> Ledger:
    found = LEDGERS.get(key)
    if found is None:
        raise NotFound("not_found")
    return found


def scope(session: Session, user: User, key: str) -> Scope:
    """What `user` may read of the register `key`, or Forbidden."""
    found = ledger(key).scope_for(session, user)
    if found is None:
        raise Forbidden("ledger_not_readable")
    return found


def readable(session: Session, user: User) -> list[Ledger]:
    """The registers this user may read, in the office's order."""
    return [led for led in LEDGERS.values() if led.scope_for(session, user) is not None]


def page(session: Session, user: User, key: str, filters: Filters, locale: str, sort: str | None = None,
         descending: bool = False, limit: int = 50, offset: int = 0) -> Page:
    """One page of a register as the user's lines, each a list of values in the columns' order."""
    led, reach = ledger(key), scope(session, user, key)
    stmt = led.select(filters, reach, sort, descending)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    context = led.context(session)
    found = session.execute(stmt.limit(limit).offset(offset)).all()
    return Page(led, [led.cells(row, locale, context) for row in found], total,
                [led.document_id(row) if led.document_id else None for row in found])


def stream(session: Session, user: User, key: str, filters: Filters, locale: str, sort: str | None = None,
           descending: bool = False) -> Iterator[list]:
    """Every line of a register, read from the database a batch at a time (an export of 50,000 lines
    holds one batch, not the register). The caller keeps the session open until the iterator ends."""
    led, reach = ledger(key), scope(session, user, key)
    context = led.context(session)
    result = session.execute(led.select(filters, reach, sort, descending).execution_options(yield_per=STREAM_BATCH))
    for row in result:
        yield led.cells(row, locale, context)


def rows(session: Session, user: User, key: str, filters: Filters, locale: str, sort: str | None = None,
         descending: bool = False) -> list[list]:
    return list(stream(session, user, key, filters, locale, sort, descending))

