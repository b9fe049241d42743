from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import Section, User


class ProcessDefinition(Base):
    """One published, never-changing version of a BPMN process."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_process_definition_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # Deferred: a case step needs the parsed (cached) spec, not the text, once the version is known.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


class ProcessInstance(Base):
    """A case: one run of a process for one applicant."""

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_applicant_status", "applicant_id", "status"),
        Index("ix_process_instance_status_updated", "status", "updated_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_id: Mapped[str] = mapped_column(String(80), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    business_key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    # SpiffWorkflow's JSON, kept byte for byte as TEXT: its task data is restored in key order. Deferred:
    # lists and scans never read it; the engine paths ask for it (undefer) when they load a case.
    workflow_state: Mapped[str] = mapped_column(Text, default="", deferred=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The status before a suspension or an error, and the error's details, for the admin console.
    suspended_from: Mapped[str | None] = mapped_column(String(20))
    error_details: Mapped[str | None] = mapped_column(Text)

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    definition: Mapped[ProcessDefinition] = relationship()
    applicant: Mapped[User] = relationship()
    section: Mapped[Section] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == "running"


class HumanTask(Base):
    """One READY user task of a case, as the inboxes see it."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_task_id", name="uq_human_task_spiff_task"),
        Index("ix_human_task_group", "status", "role", "section_id"),
        Index("ix_human_task_assignee", "assignee_id", "status"),
        Index("ix_human_task_instance", "instance_id", "status"),
        # Partial indexes: the scheduler's scans read only what is still to remind or escalate.
        Index("ix_human_task_to_remind", "due_at", postgresql_where=text("status = 'open' AND reminded_at IS NULL"),
              sqlite_where=text("status = 'open' AND reminded_at IS NULL")),
        Index("ix_human_task_to_escalate", "escalate_at",
              postgresql_where=text("status = 'open' AND escalated_at IS NULL"),
              sqlite_where=text("status = 'open' AND escalated_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    # What this instance is about when one step runs several times at once (e.g. which system).
    subject: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), default="work")
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The person the case is about, who may not act on this task (separation of duties).
    excluded_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an unfinished task goes up to `escalation_role` (the BPMN's escalate_after past due_at).
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_role: Mapped[str | None] = mapped_column(String(40))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instance: Mapped[ProcessInstance] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    excluded_user: Mapped[User | None] = relationship(foreign_keys=[excluded_user_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class SchedulerLease(Base):
    """Who may run a periodic job until when: one row per job, shared by every process."""

    __tablename__ = "scheduler_lease"
    job: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
