"""A designer's unpublished work on one process: the BPMN and the forms being edited. One draft per process;
publishing copies it into a new ProcessDefinition version and leaves the draft as it was."""
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
