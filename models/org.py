from datetime import date, datetime
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint, and_, event, or_
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, with_loader_criteria

from models.base import Base, UTCDateTime, utcnow

# Role assignments start and end on the office's calendar day, not on UTC's.
OFFICE_TZ = ZoneInfo("Asia/Shanghai")


class Section(Base):
    """A section (科室) of the office."""

    __tablename__ = "section"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # The head holds the section_head role for this section; the deputy acts for the head while absent.
    # SET NULL and use_alter: sections and users point at each other.
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL", use_alter=True, name="fk_section_head_id_user_account"))
    deputy_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL", use_alter=True, name="fk_section_deputy_id_user_account"))

    head: Mapped["User | None"] = relationship(foreign_keys=[head_id])
    deputy: Mapped["User | None"] = relationship(foreign_keys=[deputy_id])

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
    # Set by an administrator's password reset: the next sign-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # When the password was last set: it expires after the security setting's days (services.security_settings).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marked absent (leave, travel): a section head's deputy acts for them, until `absent_until` if given.
    absent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    absent_until: Mapped[date | None] = mapped_column(Date)

    section: Mapped[Section | None] = relationship(foreign_keys=[section_id])
    roles: Mapped[list["RoleAssignment"]] = relationship(back_populates="user",
                                                         foreign_keys="RoleAssignment.user_id")

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


@event.listens_for(User.password_hash, "set")
def _chosen_password_ends_forced_change(target, value, oldvalue, initiator):
    """A new password, whoever sets it (the person's own change in services.auth), ends a forced change;
    an administrator's reset raises the flag again right after it sets the one-time password."""
    target.must_change_password = False
    target.password_changed_at = utcnow()


class RoleAssignment(Base):
    """A user holds a role for one section, or office-wide when section_id is NULL, from `start_date`
    through `end_date` (either open). Outside those days the assignment is not in force, and every ORM
    query leaves it out (see `_only_roles_in_force` below) unless it asks for `ALL_TERMS`."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "section_id", name="uq_role_assignment_user_role_section"),
        Index("ix_role_assignment_role_section", "role", "section_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # Set on a deputy's section_head assignment held while this (absent) head is away.
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    section: Mapped[Section | None] = relationship()
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id])

    def in_force_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (self.end_date is None or day <= self.end_date)


def office_today() -> date:
    """Today's date in the office (Asia/Shanghai)."""
    return utcnow().astimezone(OFFICE_TZ).date()


def in_force(today: date | None = None):
    """SQL condition: the assignment is in force on `today` (the office's date by default). The listener
    below adds it to ORM queries, but not inside every Core construct (`exists().where(and_(...))` escapes
    it), so hand-built role subqueries say it themselves."""
    if today is None:  # `today` may be a bound parameter of a statement built once
        today = office_today()
    return and_(or_(RoleAssignment.start_date.is_(None), RoleAssignment.start_date <= today),
                or_(RoleAssignment.end_date.is_(None), RoleAssignment.end_date >= today))


# An execution option: the administrator's pages see assignments that have not started or have ended.
ALL_TERMS = "all_role_terms"


@event.listens_for(Session, "do_orm_execute")
def _only_roles_in_force(state):
    """Wherever a role is checked (inboxes, candidates, form choices, notifications), an assignment counts
    only on the days it is in force: one rule here rather than a date condition in every query."""
    if not state.is_select or state.execution_options.get(ALL_TERMS):
        return
    today = office_today()
    statement = state.statement
    # A statement built once (most hot ones are) gets its in-force copy once a day: a fresh copy on every
    # execution made SQLAlchemy compute its cache key anew each time (0.13 ms a query, issue 8).
    decorated = _IN_FORCE_COPIES.get(statement)
    if decorated is None or decorated[0] != today:
        decorated = (today, statement.options(_in_force_option(today)))
        _IN_FORCE_COPIES[statement] = decorated
    state.statement = decorated[1]


# statement -> (day, the statement with that day's in-force criteria); weak, so statements built for one
# query leave with it.
_IN_FORCE_COPIES: WeakKeyDictionary = WeakKeyDictionary()


_IN_FORCE_OPTION: tuple[date, object] | None = None


def _in_force_option(today: date):
    """The loader option for `today`, built once a day: building it analyses the lambda, which cost more
    than the rest of a small query (issue 8); the option itself is immutable and safe to share."""
    global _IN_FORCE_OPTION
    cached = _IN_FORCE_OPTION
    if cached is None or cached[0] != today:
        option = with_loader_criteria(
            RoleAssignment,
            lambda cls: and_(or_(cls.start_date.is_(None), cls.start_date <= today),
                             or_(cls.end_date.is_(None), cls.end_date >= today)),
            include_aliases=True)
        cached = _IN_FORCE_OPTION = (today, option)
    return cached[1]
