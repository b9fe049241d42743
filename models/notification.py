from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Notification(Base):
    """A message for one user: a reminder, an escalation, a case event. Rendered in the reader's language
    from its code and parameters; `dedup_key` makes a periodic check notify once, however often it runs."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "dedup_key", name="uq_notification_user_dedup"),
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_email_pending", "emailed_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code: Mapped[str] = mapped_column(String(60))
    params: Mapped[str] = mapped_column(Text, default="{}")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    dedup_key: Mapped[str] = mapped_column(String(120))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GeneratedReport(Base):
    """A document Baomi generated, e.g. the quarterly report to the municipal secrecy bureau (PUB.8)."""

    __tablename__ = "generated_report"
    __table_args__ = (UniqueConstraint("kind", "period", name="uq_generated_report_kind_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))  # e.g. 2026-Q3
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_type: Mapped[str] = mapped_column(String(60))
    content: Mapped[str] = mapped_column(Text)
