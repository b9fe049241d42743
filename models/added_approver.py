"""An approver added to a step by hand (加签), before or after the step's own approver; beside the workflow:
the BPMN stays as drawn, the added approver gets a task row of their own (kind "added_approval")."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import User
from models.workflow import HumanTask


class AddedApprover(Base):
    """One added approver of one task: who, before or after, added by whom and why, and what became of it."""

    __tablename__ = "added_approver"
    __table_args__ = (Index("ix_added_approver_task_status", "task_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # The step's own task, and the added approver's task row.
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    added_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), unique=True)
    position: Mapped[str] = mapped_column(String(10))  # before | after
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    # pending | approved | rejected | removed (减签) | cancelled (the step closed without them)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # "after": the step's approver's submission, held until the added approver approves; and whose it is.
    held_payload: Mapped[str | None] = mapped_column(Text)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[HumanTask] = relationship(foreign_keys=[task_id])
    added_task: Mapped[HumanTask] = relationship(foreign_keys=[added_task_id])
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])
