from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class RoutineDuty(Base):
    """One occurrence of a recurring duty the regulations impose: the month's antivirus update (CIS.7) or
    backup of important data (UNET.6), the periodic re-check of one published item (PUB.7). Open until a
    holder of its role confirms it was done; the unique key lets one occurrence exist once, whoever runs
    the check."""

    __tablename__ = "routine_duty"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "period", name="uq_routine_duty_kind_subject_period"),
        Index("ix_routine_duty_open", "confirmed_at", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # What the occurrence is about: "" for an office-wide duty, "case:<id>" for one publication.
    subject: Mapped[str] = mapped_column(String(80), default="")
    period: Mapped[str] = mapped_column(String(20))  # "2026-11" for a monthly duty, the due day otherwise
    title: Mapped[str] = mapped_column(String(300), default="")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
