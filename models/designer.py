"""A designer's unpublished work on one process (the BPMN and the forms being edited; one draft per process),
and the forms each published version carries with it. Publishing copies a draft into a new ProcessDefinition
version with its forms and leaves the draft as it was."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class DesignerDraft(Base):
    __tablename__ = "designer_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # {task id: form JSON} for forms edited with this draft; stored as TEXT, in the order written.
    forms_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProcessForm(Base):
    """The form of one user task (or "start") of one published definition version. Written once at publish
    with its version and never changed, so a case always sees the forms of the version it runs on."""

    __tablename__ = "process_form"
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id", ondelete="CASCADE"),
                                               primary_key=True)
    task_bpmn_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    # The form's JSON as written (TEXT, in the order written: field order is the page's order).
    form_json: Mapped[str] = mapped_column(Text)
