from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ReferenceItem(Base):
    """Reference data kept by admins: designated repair units and destruction sites of the municipal
    secrecy bureau (CIS.9, DES.4), and the systems access can be granted to (CNET.5)."""

    __tablename__ = "reference_item"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_reference_item_kind_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)  # repair_unit | destruction_site | system
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh
