"""E-mail copies of notifications, sent by SMTP when it is configured (BAOMI_SMTP_HOST)."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from models import Notification, User, utcnow
from services import notifications


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "baomi@localhost"
    timeout: float = 10.0


def send_pending(session_factory: sessionmaker, smtp: SmtpSettings, within: timedelta = timedelta(days=2),
                 batch: int = 200) -> int:
    """Send each recent, unsent notification of a user with an e-mail address; one commit per message,
    so a failure part-way sends nothing twice."""
    sent = 0
    with session_factory() as session:
        pending = session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None), Notification.created_at >= utcnow() - within,
                   User.email.is_not(None), User.active.is_(True))
            .order_by(Notification.id).limit(batch)).all()
        if not pending:
            return 0
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
            for note, user in pending:
                mail = EmailMessage()
                mail["From"] = smtp.sender
                mail["To"] = user.email
                mail["Subject"] = "[保密 Baomi] " + notifications.text(note, user.locale)[:60]
                mail.set_content(notifications.text(note, user.locale))
                client.send_message(mail)
                note.emailed_at = utcnow()
                session.commit()
                sent += 1
    return sent
