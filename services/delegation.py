"""Standing delegation (代理): for an absence, a user names a delegate and a date range; meanwhile the
delegate sees and acts on the user's tasks (services/assignment.check_can_act, services/inbox), each
action audited as the delegate's, for the user ("X for Y")."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Delegation, User, utcnow
from models.org import office_today
from services import audit, notifications
from services.errors import DomainError, NotFound
from services.messages import register

MAX_DAYS = 366

register({
    "delegation_to_self": ("不能委托给自己。", "You cannot delegate to yourself."),
    "delegation_dates": ("结束日期不能早于开始日期，且不能早于今天。", "The end date cannot be before the start date or before today."),
    "delegation_too_long": ("代理期限最长一年。", "A delegation lasts at most one year."),
    "delegation_overlaps": ("该期间已有生效的代理（{name}），请先撤销。", "A delegation ({name}) already covers part of this period; revoke it first."),
    "notify_delegation_given": ("{by} 在 {starts_on} 至 {ends_on} 期间委托您代为办理其待办。",
                                "{by} asked you to act for them from {starts_on} to {ends_on}."),
})


def mine(session: Session, user: User) -> list[Delegation]:
    """The user's delegations, current and future first, then past and revoked."""
    return list(session.scalars(select(Delegation).where(Delegation.delegator_id == user.id)
                                .order_by(Delegation.revoked_at.is_not(None), Delegation.ends_on.desc())))


def standing_in_for(session: Session, user: User) -> list[Delegation]:
    """Delegations in force today in which the user is the delegate."""
    today = office_today()
    return list(session.scalars(select(Delegation).where(
        Delegation.delegate_id == user.id, Delegation.revoked_at.is_(None), Delegation.starts_on <= today,
        Delegation.ends_on >= today).order_by(Delegation.id)))


def is_in_force(d: Delegation, today: date | None = None) -> bool:
    today = today or office_today()
    return d.revoked_at is None and d.starts_on <= today <= d.ends_on


def delegate(session: Session, user: User, delegate_id: int, starts_on: date, ends_on: date,
             reason: str = "") -> Delegation:
    """Name a delegate for a date range (inclusive); one delegation at a time per period."""
    target = session.get(User, delegate_id)
    if target is None or not target.active:
        raise DomainError("user_unknown", field="delegate_id")
    if target.id == user.id:
        raise DomainError("delegation_to_self", field="delegate_id")
    if ends_on < starts_on or ends_on < office_today():
        raise DomainError("delegation_dates", field="ends_on")
    if (ends_on - starts_on).days > MAX_DAYS:
        raise DomainError("delegation_too_long", field="ends_on")
    clash = session.scalar(select(Delegation).where(
        Delegation.delegator_id == user.id, Delegation.revoked_at.is_(None),
        Delegation.starts_on <= ends_on, Delegation.ends_on >= starts_on))
    if clash is not None:
        raise DomainError("delegation_overlaps", field="starts_on", name=clash.delegate.display_name)
    entry = Delegation(delegator_id=user.id, delegate_id=target.id, starts_on=starts_on, ends_on=ends_on,
                       reason=(reason or "").strip()[:300], created_at=utcnow())
    session.add(entry)
    session.flush()
    audit.record(session, "delegation_given", user.id, delegation=entry.id, delegate=target.id,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    notifications.notify(session, [target.id], "notify_delegation_given", f"delegation:{entry.id}",
                         by=user.display_name, starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    session.info.pop(("role_assignments", "delegators", target.id), None)
    return entry


def revoke(session: Session, user: User, delegation_id: int) -> Delegation:
    """End one's own delegation now; the delegate's view of the tasks ends with it."""
    entry = session.get(Delegation, delegation_id)
    if entry is None or entry.delegator_id != user.id:
        raise NotFound("not_found")
    if entry.revoked_at is None:
        entry.revoked_at = utcnow()
        audit.record(session, "delegation_revoked", user.id, delegation=entry.id, delegate=entry.delegate_id)
        session.info.pop(("role_assignments", "delegators", entry.delegate_id), None)
    return entry


def delegate_choices(session: Session, user: User) -> list[User]:
    """Active colleagues a user may name (anyone but themselves; what the delegate may do is checked per task)."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.id != user.id)
                                .order_by(User.username)))


def for_user_names(session: Session, events) -> dict[int, str]:
    """{task id: name of the person a delegate acted for}, from a case's audit events."""
    found = {}
    for e in events:
        if e.task_id and e.action in ("task_completed", "case_sent_back", "task_claimed", "task_transferred"):
            try:
                who = json.loads(e.details or "{}").get("for_user")
            except ValueError:
                who = None
            if who:
                found[e.task_id] = who
    names = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(set(found.values()))))}
    return {task_id: names.get(uid, "?") for task_id, uid in found.items()}
