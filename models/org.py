from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


class Section(Base):
    """A section (科室) of the office."""

    __tablename__ = "section"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


class User(Base):
    """A person who signs in."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    section: Mapped[Section | None] = relationship()
    roles: Mapped[list["RoleAssignment"]] = relationship(back_populates="user")

    # Flask-Login's protocol, kept here so the web layer needs no wrapper class.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class RoleAssignment(Base):
    """A user holds a role for one section, or office-wide when section_id is NULL."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "section_id", name="uq_role_assignment_user_role_section"),
        Index("ix_role_assignment_role_section", "role", "section_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    section: Mapped[Section | None] = relationship()
