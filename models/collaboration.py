"""Working together on a case beside the workflow: readers copied in (抄送), comments, attached files.
None of it lives in the workflow state: the BPMN decides who acts, these tables only who reads and talks."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import User
from models.workflow import ProcessInstance


class CaseReader(Base):
    """A person copied in on a case (抄送): sees it read-only, never acts on it."""

    __tablename__ = "case_reader"
    __table_args__ = (
        UniqueConstraint("instance_id", "user_id", name="uq_case_reader_instance_user"),
        Index("ix_case_reader_user_added", "user_id", "added_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(300), default="")

    instance: Mapped[ProcessInstance] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])


class CaseComment(Base):
    """A remark on a case by someone who may see it; `@username` mentions notify."""

    __tablename__ = "case_comment"
    __table_args__ = (Index("ix_case_comment_instance", "instance_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)

    author: Mapped[User] = relationship()


class CaseAttachment(Base):
    """A file attached to a case. The bytes sit in the database (deferred: lists never load them), so every
    worker on every host serves the same file and a database backup holds it."""

    __tablename__ = "case_attachment"
    __table_args__ = (Index("ix_case_attachment_instance", "instance_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # pdf, png, jpg, docx, xlsx, txt: the checked type
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    uploaded_by: Mapped[User] = relationship()
