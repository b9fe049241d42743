from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.asset import Asset
from models.base import Base, UTCDateTime, utcnow
from models.org import User


class MaintenanceLogEntry(Base):
    """One line of an asset's maintenance log: fault, cause, work done, upgrades (RRS.2)."""

    __tablename__ = "maintenance_log_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))  # repair | upgrade | storage_replaced | inspection
    fault: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    work_done: Mapped[str] = mapped_column(Text, default="")
    performed_by: Mapped[str] = mapped_column(String(200), default="")  # repairer and company
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    asset: Mapped[Asset] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class DestructionItem(Base):
    """A carrier waiting for, or gone through, destruction (the destruction register of DES.2)."""

    __tablename__ = "destruction_item"
    __table_args__ = (Index("ix_destruction_item_status_registered", "status", "registered_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(10))  # DES.3 (1)..(7)
    item_type: Mapped[str] = mapped_column(String(20))  # document | media | equipment
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    doc_number: Mapped[str] = mapped_column(String(80), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    classification: Mapped[str] = mapped_column(String(20))
    copies: Mapped[int] = mapped_column(Integer, default=1)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    source_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # registered | in_manifest | destroyed | returned
    status: Mapped[str] = mapped_column(String(20), default="registered")
    manifest_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("reference_item.id"))
    receipt_number: Mapped[str] = mapped_column(String(80), default="")
    return_reason: Mapped[str] = mapped_column(Text, default="")

    asset: Mapped[Asset | None] = relationship()
