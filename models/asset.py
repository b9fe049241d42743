from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.org import Section, User


class Asset(Base):
    """A registered computer, laptop or medium (登记造册, MED.1)."""

    __tablename__ = "asset"
    __table_args__ = (Index("ix_asset_section_status", "section_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    register_number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    classification: Mapped[str] = mapped_column(String(20))
    make_model: Mapped[str] = mapped_column(String(120), default="")
    serial: Mapped[str] = mapped_column(String(80), default="")
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(30), default="in_use")
    # The one open case that holds this asset; an asset is in at most one open procedure.
    open_case_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    # When the holder last confirmed changing the computer's password (CNET.4: 30 / 7 days).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    section: Mapped[Section] = relationship()
    custodian: Mapped[User | None] = relationship(foreign_keys=[custodian_id])
    holder: Mapped[User | None] = relationship(foreign_keys=[holder_id])


class CaseAsset(Base):
    """Which cases touched which assets: the asset's history."""

    __tablename__ = "case_asset"
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), primary_key=True, index=True)
