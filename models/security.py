"""Sign-in throttling and the request ids of completed tasks: state that several workers must share."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SignInThrottle(Base):
    """Failed sign-ins for one username (known or not, so a stranger learns nothing from the lockout)."""

    __tablename__ = "sign_in_throttle"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No attempt is checked before this time: a short wait while throttled, longer once locked out.
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CompletionRequest(Base):
    """A client's request id for a task completion, written in the completion's transaction: a retry with
    the same id finds it and is answered without doing the step again."""

    __tablename__ = "completion_request"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
