"""Periodic jobs on APScheduler, each run under a database lease so that only one process runs it,
however many workers or hosts start a scheduler."""
from __future__ import annotations

import logging
import os
import socket
import traceback
from datetime import timedelta
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import ProcessInstance, SchedulerLease, utcnow
from services import audit, cases, deadlines, mailer, org_handover, periodic_checks, routine_duties
from services.errors import Conflict

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(session: Session, job: str, holder: str, seconds: float) -> bool:
    """Take or renew the job's lease with one conditional UPDATE; True when this holder has it."""
    now = utcnow()
    taken = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.job == job, (SchedulerLease.expires_at < now) | (SchedulerLease.holder == holder))
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
    ).rowcount
    if taken == 1:
        session.commit()
        return True
    session.rollback()
    try:
        session.execute(insert(SchedulerLease).values(job=job, holder=holder,
                                                      expires_at=now + timedelta(seconds=seconds)))
        session.commit()
        return True
    except IntegrityError:
        # The row exists and somebody else holds an unexpired lease.
        session.rollback()
        return False


def fire_due_timers(session_factory: sessionmaker, holder: str = HOLDER, lease_seconds: float = 25) -> int:
    """Fire BPMN timers of every case whose next due time has come; one transaction per case."""
    with session_factory() as session:
        if not acquire_lease(session, "fire_due_timers", holder, lease_seconds):
            return 0
        due = cases.due_case_ids(session, utcnow())
    fired = 0
    for instance_id in due:
        with session_factory() as session:
            try:
                if cases.fire_due_timers(session, instance_id):
                    session.commit()
                    fired += 1
            except Conflict:
                session.rollback()  # a user completed a task of that case meanwhile; the next scan retries
            except Exception:  # one broken case must not stop the others: it waits in `error` for the admin
                session.rollback()
                log.exception("timer of case %s failed", instance_id)
                _mark_error(session, instance_id, traceback.format_exc(limit=5))
    return fired


def _mark_error(session: Session, instance_id: int, details: str) -> None:
    instance = session.get(ProcessInstance, instance_id)
    if instance is not None and instance.status == "running":
        instance.suspended_from = instance.status
        instance.status = "error"
        instance.error_details = details[-4000:]
        audit.record(session, "case_error", None, instance_id, error=details.strip().splitlines()[-1][:300])
        session.commit()


def run_check(session_factory: sessionmaker, job: str, check: Callable[[Session, object], object],
              holder: str = HOLDER, lease_seconds: float = 50) -> bool:
    """Run one periodic check in one transaction, if this process holds its lease."""
    with session_factory() as session:
        if not acquire_lease(session, job, holder, lease_seconds):
            return False
        check(session, utcnow())
        session.commit()
    return True


def deadline_reminders(session: Session, now) -> None:
    deadlines.remind_due_tasks(session, now)
    deadlines.escalate_overdue_tasks(session, now)


def daily_checks(session: Session, now) -> None:
    periodic_checks.check_password_rotation(session, now)
    periodic_checks.check_destruction_waiting(session, now)
    periodic_checks.generate_quarterly_report(session, now)
    routine_duties.open_monthly_duties(session, now)
    routine_duties.remind_duties(session, now)
    # A role that ended by its date leaves tasks claimed under it; they go back to the group.
    org_handover.release_lapsed_claims(session, None)


def send_mail(session_factory: sessionmaker, smtp: mailer.SmtpSettings, holder: str = HOLDER) -> int:
    with session_factory() as session:
        if not acquire_lease(session, "send_mail", holder, 55):
            return 0
    return mailer.send_pending(session_factory, smtp)


def build(session_factory: sessionmaker, interval_seconds: int, blocking: bool = False,
          smtp: mailer.SmtpSettings | None = None):
    """A scheduler with Baomi's periodic jobs; the caller starts it."""
    scheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
    common = {"max_instances": 1, "coalesce": True, "next_run_time": utcnow()}
    scheduler.add_job(fire_due_timers, "interval", seconds=interval_seconds, args=[session_factory],
                      id="fire_due_timers", **common)
    scheduler.add_job(run_check, "interval", seconds=60, args=[session_factory, "deadline_reminders",
                                                               deadline_reminders], id="deadline_reminders", **common)
    scheduler.add_job(run_check, "interval", hours=1, args=[session_factory, "daily_checks", daily_checks],
                      id="daily_checks", **common)
    if smtp is not None:
        scheduler.add_job(send_mail, "interval", seconds=60, args=[session_factory, smtp], id="send_mail", **common)
    return scheduler
