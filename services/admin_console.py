"""What the admin console reads and does: case lists with filters, stuck cases, case actions with a
reason, the audit log. Indexed columns only; the workflow state is never read here."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import and_, exists, func, select, true, union_all
from sqlalchemy.orm import Session, joinedload

from models import AuditEvent, HumanTask, ProcessInstance, User
from services import assets, assignment, audit, destruction_register
from services.errors import Conflict, DomainError, NotFound
from services.messages import register

register({
    "admin_reason_required": ("请填写操作原因，原因将记入审计日志。", "Give a reason: it goes into the audit log."),
    "admin_bad_state": ("案件当前状态为“{status}”，不能执行此操作。", "The case is {status}; this action does not apply."),
    "admin_not_a_candidate": ("{name} 不具备该任务的岗位，或是申请人本人。", "{name} does not hold the task's role, or is the applicant."),
})


@dataclass
class CaseFilter:
    process_id: str | None = None
    status: str | None = None
    section_id: int | None = None
    older_than_days: int | None = None
    overdue: bool = False
    stuck: bool = False
    error: bool = False


def list_cases(session: Session, flt: CaseFilter, now: datetime, stuck_days: int, limit: int = 50,
               offset: int = 0) -> tuple[list[ProcessInstance], int]:
    """Cases matching the filter, most recently changed first, and how many match in all."""
    conditions = []
    if flt.process_id:
        conditions.append(ProcessInstance.process_id == flt.process_id)
    if flt.status:
        conditions.append(ProcessInstance.status == flt.status)
    if flt.section_id:
        conditions.append(ProcessInstance.section_id == flt.section_id)
    if flt.older_than_days:
        conditions.append(ProcessInstance.created_at < now - timedelta(days=flt.older_than_days))
    if flt.overdue:
        conditions.append(exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open",
                                         HumanTask.due_at < now))
    if flt.error:
        conditions.append(ProcessInstance.status == "error")
    # "Stuck" is two branches, each an ordered scan of the (status, updated_at) index; an OR of them
    # would make the database read and sort every stuck case to show fifty.
    branches = [and_(true(), *conditions)]
    if flt.stuck:
        branches = [and_(*conditions, ProcessInstance.status == "error"),
                    and_(*conditions, ProcessInstance.status == "running",
                         ProcessInstance.updated_at < now - timedelta(days=stuck_days))]
    total = sum(session.scalar(select(func.count()).select_from(ProcessInstance).where(b)) or 0 for b in branches)
    ordered = [select(ProcessInstance.id, ProcessInstance.updated_at).where(b)
               .order_by(ProcessInstance.updated_at.desc(), ProcessInstance.id.desc()).limit(offset + limit)
               .subquery() for b in branches]
    page = union_all(*(select(q.c.id, q.c.updated_at) for q in ordered)).subquery()
    ids = list(session.scalars(select(page.c.id).order_by(page.c.updated_at.desc(), page.c.id.desc())
                               .limit(limit).offset(offset)))
    found = {c.id: c for c in session.scalars(
        select(ProcessInstance).where(ProcessInstance.id.in_(ids))
        .options(joinedload(ProcessInstance.applicant), joinedload(ProcessInstance.section),
                 joinedload(ProcessInstance.definition)))} if ids else {}
    return [found[i] for i in ids], total


def is_stuck(instance: ProcessInstance, now: datetime, stuck_days: int) -> bool:
    return instance.status == "error" or (
        instance.status == "running" and instance.updated_at < now - timedelta(days=stuck_days))


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("admin_reason_required", field="reason")
    return reason[:500]


def _case(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("not_found")
    return instance


def _require(instance: ProcessInstance, *statuses: str) -> None:
    if instance.status not in statuses:
        raise Conflict("admin_bad_state", status=instance.status)


def suspend(session: Session, instance_id: int, actor: User, reason: str, now: datetime) -> ProcessInstance:
    """Hold a running case: its tasks leave every inbox and its timers wait."""
    reason = _reason(reason)
    instance = _case(session, instance_id)
    _require(instance, "running")
    instance.suspended_from, instance.status, instance.updated_at = "running", "suspended", now
    audit.record(session, "case_suspended", actor.id, instance.id, reason=reason)
    return instance


def resume(session: Session, instance_id: int, actor: User, reason: str, now: datetime) -> ProcessInstance:
    reason = _reason(reason)
    instance = _case(session, instance_id)
    _require(instance, "suspended")
    instance.status, instance.suspended_from, instance.updated_at = "running", None, now
    audit.record(session, "case_resumed", actor.id, instance.id, reason=reason)
    return instance


def retry(session: Session, instance_id: int, actor: User, reason: str, now: datetime) -> ProcessInstance:
    """Put a case in error back to running; its timers are tried again at the scheduler's next scan."""
    reason = _reason(reason)
    instance = _case(session, instance_id)
    _require(instance, "error")
    audit.record(session, "case_retried", actor.id, instance.id, reason=reason, error=instance.error_details)
    instance.status, instance.suspended_from, instance.error_details = "running", None, None
    instance.updated_at = now
    if instance.next_due_at is None:
        instance.next_due_at = now
    return instance


def terminate(session: Session, instance_id: int, actor: User, reason: str, now: datetime) -> ProcessInstance:
    """End a case for good: its open tasks are cancelled and its assets freed."""
    reason = _reason(reason)
    instance = _case(session, instance_id)
    _require(instance, "running", "suspended", "error")
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.status == "open")):
        task.status = "cancelled"
    assets.release_from_case(session, instance.id)
    destruction_register.release_manifest(session, instance.id, f"销毁清单 {instance.business_key} 已终止：{reason}")
    instance.status, instance.completed_at, instance.next_due_at, instance.updated_at = "terminated", now, None, now
    audit.record(session, "case_terminated", actor.id, instance.id, reason=reason)
    return instance


def reassign(session: Session, task_id: int, to_user_id: int, actor: User, reason: str, now: datetime) -> HumanTask:
    """Give an open task to another holder of its role (never the applicant)."""
    reason = _reason(reason)
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("not_found")
    if task.status != "open":
        raise Conflict("task_closed")
    target = session.get(User, to_user_id)
    if target is None or not target.active:
        raise DomainError("user_unknown", field="user_id")
    if target.id == task.instance.applicant_id or not assignment.holds_role(session, target.id, task.role,
                                                                            task.section_id):
        raise DomainError("admin_not_a_candidate", field="user_id", name=target.display_name)
    before = task.assignee_id
    task.assignee_id, task.claimed_at = target.id, now
    audit.record(session, "task_reassigned", actor.id, task.instance_id, task.id, reason=reason,
                 before=before, after=target.id)
    return task


@dataclass
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    business_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _audit_query(flt: AuditFilter):
    stmt = select(AuditEvent, User.username, ProcessInstance.business_key).outerjoin(
        User, User.id == AuditEvent.actor_id).outerjoin(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.actor:
        stmt = stmt.where(User.username == flt.actor)
    if flt.business_key:
        stmt = stmt.where(ProcessInstance.business_key == flt.business_key)
    if flt.since:
        stmt = stmt.where(AuditEvent.at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEvent.at < flt.until)
    return stmt


def audit_events(session: Session, flt: AuditFilter, limit: int = 100, offset: int = 0):
    return session.execute(_audit_query(flt).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()


def audit_csv(session: Session, flt: AuditFilter) -> Iterator[str]:
    """The filtered audit log as CSV, streamed a few hundred rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "actor", "action", "case", "task_id", "details"])
    yield buffer.getvalue()
    result = session.execute(_audit_query(flt).order_by(AuditEvent.id).execution_options(yield_per=500))
    for event, username, key in result:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([event.id, event.at.isoformat(), username or "system", event.action, key or "",
                         event.task_id or "", event.details])
        yield buffer.getvalue()


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def statistics(session: Session, now: datetime, weeks: int = 12) -> dict:
    """Per procedure: counts by status, median and p95 duration (hours) of finished cases, median wait per
    step (hours, for the heat map), and cases started per week."""
    out: dict[str, dict] = {}
    for process_id, status, count in session.execute(
            select(ProcessInstance.process_id, ProcessInstance.status, func.count())
            .group_by(ProcessInstance.process_id, ProcessInstance.status)):
        out.setdefault(process_id, {"counts": {}, "steps": {}, "weekly": [0] * weeks, "median_hours": None,
                                       "p95_hours": None})["counts"][status] = count
    durations: dict[str, list[float]] = {}
    for process_id, created, completed in session.execute(
            select(ProcessInstance.process_id, ProcessInstance.created_at, ProcessInstance.completed_at)
            .where(ProcessInstance.completed_at.is_not(None))):
        durations.setdefault(process_id, []).append((completed - created).total_seconds() / 3600)
    for process_id, values in durations.items():
        values.sort()
        out[process_id]["median_hours"] = _percentile(values, 0.5)
        out[process_id]["p95_hours"] = _percentile(values, 0.95)
    waits: dict[tuple[str, str], list[float]] = {}
    for process_id, bpmn_id, created, completed in session.execute(
            select(ProcessInstance.process_id, HumanTask.bpmn_id, HumanTask.created_at, HumanTask.completed_at)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == "completed")):
        waits.setdefault((process_id, bpmn_id), []).append((completed - created).total_seconds() / 3600)
    for (process_id, bpmn_id), values in waits.items():
        values.sort()
        out[process_id]["steps"][bpmn_id] = {"median_hours": _percentile(values, 0.5), "count": len(values)}
    start = now - timedelta(weeks=weeks)
    for process_id, created in session.execute(
            select(ProcessInstance.process_id, ProcessInstance.created_at).where(ProcessInstance.created_at >= start)):
        week = min(weeks - 1, int((created - start).total_seconds() // (7 * 86400)))
        out[process_id]["weekly"][week] += 1
    return out


def details_of(event: AuditEvent) -> dict:
    try:
        return json.loads(event.details or "{}")
    except ValueError:
        return {}
