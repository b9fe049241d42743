"""The security administrator's settings and the sign-in failures counted per network address."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SecuritySetting(Base):
    """One security setting (password expiry, lockout thresholds) as the security administrator set it; a
    setting without a row has its default (services.security_settings)."""

    __tablename__ = "security_setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class SignInAddressThrottle(Base):
    """Failed sign-ins from one network address, whatever the usernames: one address trying many names."""

    __tablename__ = "sign_in_address_throttle"
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
