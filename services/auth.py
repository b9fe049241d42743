"""Signing in: password hashes, the password rules of CNET.4 with their expiry, and throttling and lockout of
failed sign-ins per username and per network address (kept in the database, so that every worker counts the
same failures; the thresholds are security settings, services.security_settings)."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Asset, User, utcnow
from models.security import SignInThrottle
from models.security_settings import SignInAddressThrottle
from services import audit, messages, security_settings
from services.errors import DomainError, ValidationFailed

messages.register({
    "sign_in_throttled": ("登录失败次数过多，请 {seconds} 秒后再试。",
                          "Too many failed sign-ins; try again in {seconds} seconds."),
    "sign_in_locked": ("登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试或联系安全保密管理员。",
                       "Too many failed sign-ins: the account is locked. Try again in {minutes} minutes or ask "
                       "the security administrator."),
    "password_too_short": ("密码至少需要 {min} 位（CNET.4）。", "The password needs at least {min} characters (CNET.4)."),
    "password_needs_kinds": ("密码须同时包含字母、数字和特殊字符（CNET.4）。",
                             "The password needs letters, digits and special characters (CNET.4)."),
    "password_wrong": ("当前密码不正确。", "The current password is wrong."),
    "password_mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "password_unchanged": ("新密码不能与当前密码相同。", "The new password must differ from the current one."),
})

# Refusals that ask to wait (HTTP 429), as opposed to wrong credentials.
WAIT_CODES = ("sign_in_throttled", "sign_in_locked", "sign_in_address_blocked")

# scrypt, spelled out so that a change of werkzeug's default cannot weaken new hashes silently.
HASH_METHOD = "scrypt"
# Checked against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not a password", method=HASH_METHOD)

MIN_LENGTH = 8
MIN_LENGTH_CONFIDENTIAL = 10  # CNET.4: holders of confidential-level (机密) or higher assets
CONFIDENTIAL_LEVELS = ("confidential", "top_secret")


@dataclass(frozen=True)
class SignInPolicy:
    """When failed sign-ins slow down and then lock a username; set from the configuration (config.py)."""

    throttle_after: int = 3       # failures before each further attempt has to wait
    throttle_seconds: int = 2     # the first wait; it doubles with every further failure
    lockout_after: int = 5        # failures that lock the username
    lockout_minutes: int = 15     # how long; failures older than this are forgotten

    @classmethod
    def from_settings(cls, settings: dict) -> "SignInPolicy":
        names = {f.name: f"BAOMI_SIGN_IN_{f.name.upper()}" for f in fields(cls)}
        return cls(**{name: int(settings[key]) for name, key in names.items() if key in settings})


def configure(policy: SignInPolicy) -> None:
    """The deployment's defaults for every later sign-in of this process (the app sets them at start-up);
    the security administrator's settings, where set, take precedence (services.security_settings)."""
    security_settings.set_defaults(**{f"sign_in_{f.name}": getattr(policy, f.name) for f in fields(policy)})


def hash_password(password: str) -> str:
    """A salted scrypt hash."""
    return generate_password_hash(password, method=HASH_METHOD)


def password_problems(password: str, min_length: int = MIN_LENGTH) -> list[str]:
    """What CNET.4 finds wrong with a password, as message codes (empty: it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append("password_too_short")
    has_letter = any(c.isalpha() for c in password)
    has_digit = any(c.isdigit() for c in password)
    has_special = any(not c.isalnum() and not c.isspace() for c in password)
    if not (has_letter and has_digit and has_special):
        problems.append("password_needs_kinds")
    return problems


def min_length_for(session: Session, user: User) -> int:
    """10 for a holder or custodian of a confidential-level asset, otherwise 8 (CNET.4)."""
    held = session.scalar(select(Asset.id).where(
        (Asset.holder_id == user.id) | (Asset.custodian_id == user.id),
        Asset.classification.in_(CONFIDENTIAL_LEVELS)).limit(1))
    return MIN_LENGTH_CONFIDENTIAL if held is not None else MIN_LENGTH


def set_password(session: Session, user: User, new_password: str, locale: str = "zh_CN") -> None:
    """Give the user a new password that meets CNET.4, or ValidationFailed naming what it lacks."""
    min_length = min_length_for(session, user)
    problems = password_problems(new_password or "", min_length)
    if problems:
        raise ValidationFailed({"new_password": [messages.message(code, locale, min=min_length) for code in problems]})
    user.password_hash = hash_password(new_password)
    audit.record(session, "password_changed", user.id)


def change_password(session: Session, user: User, current: str, new: str, repeated: str,
                    locale: str = "zh_CN") -> None:
    """The signed-in user's own change: the current password first, then the new one twice."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed({"current_password": [messages.message("password_wrong", locale)]})
    if new != repeated:
        raise ValidationFailed({"repeat_password": [messages.message("password_mismatch", locale)]})
    if new == current:
        # Otherwise an expired password could be "changed" to itself (CNET.4: expiry).
        raise ValidationFailed({"new_password": [messages.message("password_unchanged", locale)]})
    set_password(session, user, new, locale)


def authenticate(session: Session, username: str, password: str, now: datetime | None = None,
                 address: str | None = None) -> User:
    """The active user with these credentials, or DomainError: 'bad_credentials', or 'sign_in_throttled' /
    'sign_in_locked' while the username waits, 'sign_in_address_blocked' while the network address does
    (then the password is not even checked). An expired password (security settings) is flagged for change."""
    username = (username or "").strip()[:80]
    address = (address or "")[:64] or None
    now = now or utcnow()
    settings = security_settings.current(session)
    policy = SignInPolicy(**{f.name: settings[f"sign_in_{f.name}"] for f in fields(SignInPolicy)})
    _refuse_while_address_blocked(session, address, now)
    _refuse_while_blocked(session, username, now, policy)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
    if user is None or not check_password_hash(user.password_hash, password or "") or not user.active:
        _count_failure(session, username, user, now, policy, address, settings)
        raise DomainError("bad_credentials")
    _forget_failures(session, username)
    if not user.must_change_password and security_settings.password_expired(
            user, settings["password_max_age_days"], now):
        _force_change(session, user, settings["password_max_age_days"])
    return user


def _force_change(session: Session, user: User, days: int) -> None:
    """Raise the forced-change flag in a transaction of its own: a sign-in does not commit otherwise."""
    with Session(session.get_bind()) as own:
        own.get(User, user.id).must_change_password = True
        audit.record(own, "password_expired", user.id, days=days)
        own.commit()
    user.must_change_password = True
    session.expire(user, ["must_change_password"])


def _refuse_while_address_blocked(session: Session, address: str | None, now: datetime) -> None:
    throttle = session.get(SignInAddressThrottle, address, populate_existing=True) if address else None
    if throttle is None or throttle.blocked_until is None or throttle.blocked_until <= now:
        return
    raise DomainError("sign_in_address_blocked",
                      minutes=math.ceil((throttle.blocked_until - now).total_seconds() / 60))


def _refuse_while_blocked(session: Session, username: str, now: datetime, policy: SignInPolicy) -> None:
    throttle = session.get(SignInThrottle, username, populate_existing=True)
    if throttle is None or throttle.blocked_until is None or throttle.blocked_until <= now:
        return
    wait = (throttle.blocked_until - now).total_seconds()
    if throttle.failures >= policy.lockout_after:
        raise DomainError("sign_in_locked", minutes=math.ceil(wait / 60))
    raise DomainError("sign_in_throttled", seconds=math.ceil(wait))


def _row(own: Session, model, key: str, **init):
    """The throttle row for update, created on the first failure (a concurrent first failure: its row)."""
    row = own.get(model, key, with_for_update=True)
    if row is None:
        row = model(**init, failures=0)
        own.add(row)
        try:
            own.flush()
        except IntegrityError:
            own.rollback()
            row = own.get(model, key, with_for_update=True)
    return row


def _count_failure(session: Session, username: str, user: User | None, now: datetime, policy: SignInPolicy,
                   address: str | None, settings: dict) -> None:
    """One more failure of the username and of the address, in a transaction of its own: the failed
    request's transaction is rolled back, and the counts must survive it."""
    with Session(session.get_bind(), expire_on_commit=False) as own:
        if address:
            _count_address_failure(own, address, username, now, settings)
        throttle = _row(own, SignInThrottle, username, username=username)
        window = timedelta(minutes=policy.lockout_minutes)
        if throttle.last_failure_at is not None and now - throttle.last_failure_at > window:
            throttle.failures = 0
        throttle.failures += 1
        throttle.last_failure_at = now
        throttle.blocked_until = _blocked_until(throttle.failures, now, policy)
        locked = throttle.failures == policy.lockout_after
        audit.record(own, "account_locked" if locked else "sign_in_failed", user.id if user else None,
                     username=username, failures=throttle.failures, address=address)
        own.commit()


def _count_address_failure(own: Session, address: str, username: str, now: datetime, settings: dict) -> None:
    limit, minutes = settings["address_lockout_after"], settings["address_lockout_minutes"]
    if limit <= 0:
        return
    throttle = _row(own, SignInAddressThrottle, address, address=address)
    if throttle.last_failure_at is not None and now - throttle.last_failure_at > timedelta(minutes=minutes):
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= limit:
        throttle.blocked_until = now + timedelta(minutes=minutes)
        if throttle.failures == limit:
            audit.record(own, "address_blocked", None, address=address, failures=throttle.failures,
                         username=username)


def _blocked_until(failures: int, now: datetime, policy: SignInPolicy) -> datetime | None:
    if failures >= policy.lockout_after:
        return now + timedelta(minutes=policy.lockout_minutes)
    if failures >= policy.throttle_after:
        return now + timedelta(seconds=policy.throttle_seconds * 2 ** (failures - policy.throttle_after))
    return None


def _forget_failures(session: Session, username: str) -> None:
    with Session(session.get_bind()) as own:
        throttle = own.get(SignInThrottle, username)
        if throttle is not None and throttle.failures:
            own.delete(throttle)
            own.commit()
