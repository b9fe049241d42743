from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import User


class AuditEvent(Base):
    """An append-only record of who did what, when, to which case and task.

    Rows form a hash chain in id order: `row_hash` covers the row's content and `prev_hash`, which is the
    `row_hash` of the row before it, so an edited, inserted or deleted row breaks the chain
    (services/audit_chain.py). On PostgreSQL a trigger refuses UPDATE and DELETE (migration 0007)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_instance_at", "instance_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(60))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()


class AuditChainHead(Base):
    """The newest row of the audit chain, one row (id 1). Appends lock it, which serializes writers on
    every database, and it lets `audit verify` notice rows deleted from the end of the chain."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    appended: Mapped[int] = mapped_column(Integer, default=0)
