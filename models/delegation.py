"""Standing delegation (代理) of one person's tasks to another for an absence, and the urge (催办) log."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import User


class Delegation(Base):
    """While in force (start to end day, inclusive, office dates; not revoked) the delegate sees and acts on
    the delegator's tasks, each action recorded as the delegate's, for the delegator."""

    __tablename__ = "delegation"
    __table_args__ = (Index("ix_delegation_delegate", "delegate_id", "ends_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])


class CaseUrge(Base):
    """One urge of a case's waiting approvers; the unique key allows one per case and office day."""

    __tablename__ = "case_urge"
    __table_args__ = (UniqueConstraint("instance_id", "urged_on", name="uq_case_urge_instance_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    urged_on: Mapped[date] = mapped_column(Date)
    urged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
