"""The security administrator's work (三员分立): security settings (password expiry, sign-in throttling and
lockout per username and per address) and unlocking accounts and addresses. Every change is audited; the
caller commits. A setting without a stored value has its default (the deployment's configuration)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User, utcnow
from models.security import SignInThrottle
from models.security_settings import SecuritySetting, SignInAddressThrottle
from services import audit
from services.errors import NotFound, ValidationFailed
from services.messages import message, register

register({
    "security_setting_range": ("应为 {low} 到 {high} 之间的整数。", "Must be a whole number from {low} to {high}."),
    "security_setting_unknown": ("没有这个安全设置。", "There is no such security setting."),
    "sign_in_address_blocked": ("该网络地址登录失败次数过多，请 {minutes} 分钟后再试或联系安全保密管理员。",
                                "Too many failed sign-ins from this network address. Try again in {minutes} "
                                "minutes or ask the security administrator."),
    "password_expired": ("您的密码已超过 {days} 天未更换，请先设置新密码（CNET.4）。",
                         "Your password is older than {days} days: choose a new one first (CNET.4)."),
    "not_locked": ("“{name}”没有被锁定。", "“{name}” is not locked."),
})


@dataclass(frozen=True)
class Setting:
    key: str
    default: int
    low: int
    high: int
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


SETTINGS = {s.key: s for s in [
    Setting("password_max_age_days", 90, 0, 3650, "密码有效期（天，0 为永不过期）", "Password expiry (days, 0 = never)"),
    Setting("sign_in_throttle_after", 3, 1, 100, "同一账户失败几次后开始延时", "Failures of one account before each attempt waits"),
    Setting("sign_in_throttle_seconds", 2, 1, 600, "首次延时（秒，之后逐次加倍）", "First wait (seconds, doubling)"),
    Setting("sign_in_lockout_after", 5, 1, 100, "同一账户失败几次后锁定", "Failures of one account that lock it"),
    Setting("sign_in_lockout_minutes", 15, 1, 1440, "账户锁定时长（分钟）", "Account lockout (minutes)"),
    Setting("address_lockout_after", 20, 0, 10000, "同一网络地址失败几次后封禁（0 为不限）",
            "Failures from one network address that block it (0 = no limit)"),
    Setting("address_lockout_minutes", 15, 1, 1440, "网络地址封禁时长（分钟）", "Address block (minutes)"),
]}

# The deployment's defaults (config.py's BAOMI_SIGN_IN_*), set at start-up by services.auth.configure.
_defaults: dict[str, int] = {key: s.default for key, s in SETTINGS.items()}


def set_defaults(**values: int) -> None:
    """Use these defaults for settings the security administrator has not set (the app's configuration)."""
    _defaults.update({k: int(v) for k, v in values.items() if k in SETTINGS})


def current(session: Session) -> dict[str, int]:
    """Every setting's value in force: the stored one, else the default."""
    values = dict(_defaults)
    values.update({row.key: row.value for row in session.scalars(select(SecuritySetting))
                   if row.key in SETTINGS})
    return values


def update(session: Session, actor: User, changes: dict, locale: str = "zh_CN") -> dict[str, int]:
    """Store the given settings (each checked against its range); one audit event names before and after."""
    errors, parsed = {}, {}
    for key, raw in changes.items():
        setting = SETTINGS.get(key)
        if setting is None:
            errors[key] = [message("security_setting_unknown", locale)]
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
        if value is None or not setting.low <= value <= setting.high:
            errors[key] = [message("security_setting_range", locale, low=setting.low, high=setting.high)]
        else:
            parsed[key] = value
    if errors:
        raise ValidationFailed(errors)
    before = current(session)
    changed = {key: [before[key], value] for key, value in parsed.items() if before[key] != value}
    for key, value in parsed.items():
        row = session.get(SecuritySetting, key)
        if row is None:
            session.add(SecuritySetting(key=key, value=value, updated_by_id=actor.id))
        elif row.value != value:
            row.value, row.updated_at, row.updated_by_id = value, utcnow(), actor.id
    if changed:
        audit.record(session, "security_settings_changed", actor.id, changes=changed)
    session.flush()
    return current(session)


def password_expired(user: User, max_age_days: int, now: datetime | None = None) -> bool:
    """Whether the user's password is older than the expiry (0: passwords never expire)."""
    if max_age_days <= 0 or user.password_changed_at is None:
        return False
    return (now or utcnow()) - user.password_changed_at > timedelta(days=max_age_days)


# Locked accounts and blocked addresses ---------------------------------------------------------------

def locks(session: Session, now: datetime | None = None) -> dict[str, list]:
    """Usernames and addresses with failures on record, the blocked ones first."""
    now = now or utcnow()

    def order(rows):
        return sorted(rows, key=lambda r: (not (r.blocked_until and r.blocked_until > now), -r.failures))
    accounts = session.scalars(select(SignInThrottle).where(SignInThrottle.failures > 0))
    addresses = session.scalars(select(SignInAddressThrottle).where(SignInAddressThrottle.failures > 0))
    return {"accounts": order(accounts), "addresses": order(addresses)}


def unlock_account(session: Session, actor: User, username: str) -> None:
    """Forget a username's failed sign-ins, ending its lockout at once."""
    row = session.get(SignInThrottle, username)
    if row is None:
        raise NotFound("not_locked", name=username)
    audit.record(session, "account_unlocked", actor.id, username=username, failures=row.failures)
    session.delete(row)
    session.flush()


def unlock_address(session: Session, actor: User, address: str) -> None:
    """Forget a network address's failed sign-ins."""
    row = session.get(SignInAddressThrottle, address)
    if row is None:
        raise NotFound("not_locked", name=address)
    audit.record(session, "address_unlocked", actor.id, address=address, failures=row.failures)
    session.delete(row)
    session.flush()

