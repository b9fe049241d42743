"""Signing in: password hashes and the credential check."""
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import User
from services.errors import DomainError

# Checked against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not a password")


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default)."""
    return generate_password_hash(password)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or DomainError('bad_credentials')."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise DomainError("bad_credentials")
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        raise DomainError("bad_credentials")
    return user
