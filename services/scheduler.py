"""Periodic jobs on APScheduler, each run under a database lease so that only one process runs it,
however many workers or hosts start a scheduler."""
from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import SchedulerLease, utcnow
from services import cases
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
            except Exception:  # one broken case must not stop the others
                session.rollback()
                log.exception("timer of case %s failed", instance_id)
    return fired


def build(session_factory: sessionmaker, interval_seconds: int, blocking: bool = False):
    """A scheduler with Baomi's periodic jobs; the caller starts it."""
    scheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
    scheduler.add_job(fire_due_timers, "interval", seconds=interval_seconds, args=[session_factory],
                      id="fire_due_timers", max_instances=1, coalesce=True, next_run_time=utcnow())
    return scheduler
