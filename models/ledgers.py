"""What the registers (台账) need that the procedures kept only in workflow state: the carry-out log's
destination, dates and hand-out (MED.3), a destruction manifest's signer, escorts and site (DES.2), and an
access change's person, systems and accounts (CNET.5). The steps write these rows; the ledgers read only
tables, never a case's workflow state."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class CarryOutRecord(Base):
    """One line of the carry-out log (携带外出登记): written when the security office hands the assets out."""

    __tablename__ = "carry_out_record"
    __table_args__ = (Index("ix_carry_out_record_handed_out_on", "handed_out_on"),)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    destination: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    security_measures: Mapped[str] = mapped_column(Text, default="")
    handed_out_on: Mapped[date] = mapped_column(Date)
    handed_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    return_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    returned_on: Mapped[date | None] = mapped_column(Date)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    return_condition: Mapped[str | None] = mapped_column(String(30))
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DestructionManifest(Base):
    """A destruction manifest (销毁清单) as the escorts carry it: who compiled and signed it, who escorted
    it to which designated site (DES.2, DES.4)."""

    __tablename__ = "destruction_manifest"
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    compiled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    planned_on: Mapped[date | None] = mapped_column(Date)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The escorts' user ids in the order given; two or more distinct people (DES.2).
    escort_ids: Mapped[list | None] = mapped_column(JSON)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("reference_item.id"))
    delivered_on: Mapped[date | None] = mapped_column(Date)


class DestructionManifestItem(Base):
    """An item as compiled into a manifest. Kept apart from DestructionItem.manifest_instance_id, which is
    cleared when an item goes back to the register: the manifest still listed it."""

    __tablename__ = "destruction_manifest_item"
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("destruction_item.id"), primary_key=True, index=True)


class AccessChangeRecord(Base):
    """One line of the access-change log (涉密人员上岗、离岗权限变更登记, CNET.5): filed at application."""

    __tablename__ = "access_change_record"
    __table_args__ = (Index("ix_access_change_record_effective_on", "effective_on"),)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The person's section when the change was filed: a transfer moves them later.
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"), index=True)
    change: Mapped[str] = mapped_column(String(20))  # start | stop | transfer
    effective_on: Mapped[date] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    new_section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))


class AccessChangeSystem(Base):
    """One system of an access change: opened or closed, and the network admin's confirmation."""

    __tablename__ = "access_change_system"
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("reference_item.id"), primary_key=True)
    action: Mapped[str] = mapped_column(String(10))  # open | close
    account_name: Mapped[str | None] = mapped_column(String(120))
    changed_on: Mapped[date | None] = mapped_column(Date)
