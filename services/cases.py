"""Cases: start one, claim, complete and let timers fire. Every change writes its audit event in the
same transaction; the caller commits (one request, one job)."""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased, undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import HumanTask, ProcessDefinition, ProcessInstance, User, utcnow
from services import assignment, audit, completion_requests, definitions, engine, form_checks, forms, steps
from services import countersign, resubmission, step_rows
from services import added_approvers  # a module import: it imports this module too
from services.errors import Conflict, DomainError, Forbidden, NotFound
from services.procedures import PROCEDURES
from services.roles import APPLICANT_LANE


@contextmanager
def _conflict_on_concurrent_change():
    """A stale version (or SQLite's lock timeout) means another request changed the case first."""
    try:
        yield
    except StaleDataError:
        raise Conflict("case_changed") from None
    except OperationalError as err:
        if "locked" in str(err).lower():
            raise Conflict("case_changed") from None
        raise


def start_case(session: Session, process_id: str, applicant: User, payload: dict, locale: str) -> ProcessInstance:
    """Validate the application, start the case and run it to its first user task."""
    procedure = PROCEDURES.get(process_id)
    if procedure is None:
        raise NotFound("process_not_found", process_id=process_id)
    if applicant.section_id is None:
        raise DomainError("applicant_has_no_section")
    definition = definitions.latest_definition(session, process_id)
    form = forms.of_definition(session, definition, "start")
    data = form.validate(payload, locale)
    form_checks.check_references(session, form, data, locale)
    now = utcnow()
    instance = ProcessInstance(
        definition_id=definition.id, process_id=process_id, applicant_id=applicant.id,
        section_id=applicant.section_id, status="running",
        business_key=_new_business_key(session, procedure.key_prefix, now),
        created_at=now, updated_at=now,
    )
    session.add(instance)
    session.flush()
    ctx = steps.StepContext(session, instance, applicant, now)
    data = steps.check_start(process_id, ctx, data)
    case = engine.Case.start(definitions.parsed(definition), data, steps.runner(process_id, ctx))
    audit.record(session, "case_started", applicant.id, instance.id, process_id=process_id,
                 version=definition.version, business_key=instance.business_key)
    _save(session, instance, case, now, case_tasks=[])  # a new case has no task rows yet: nothing to read
    return instance


def _new_business_key(session: Session, prefix: str, now: datetime) -> str:
    """A key unused so far: 8 random hex digits a day (at 5,000 cases a day, two draw the same about once a year),
    drawn again on the rare clash rather than failing the application."""
    for _attempt in range(5):
        key = f"{prefix}{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
        if not session.scalar(select(exists().where(ProcessInstance.business_key == key))):
            return key
    raise Conflict("case_changed")


def claim(session: Session, task_id: int, user: User) -> HumanTask:
    """Take a group task; it leaves the others' group inbox."""
    task = _open_task(session, task_id, user)
    # A delegate claims for the one they stand in for: the task stays in that person's name.
    owner = assignment.check_can_act(session, task, user) or user.id
    if task.assignee_id == owner:
        return task
    now = utcnow()
    won = session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.status == "open",
                                HumanTask.assignee_id.is_(None))
        .values(assignee_id=owner, claimed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(task)
    if won != 1:
        if task.status != "open":
            raise Conflict("task_closed")
        raise Conflict("claimed_by_other", name=task.assignee.display_name if task.assignee else "?")
    audit.record(session, "task_claimed", user.id, task.instance_id, task.id, task=task.bpmn_id,
                 **({"for_user": owner} if owner != user.id else {}))
    return task


def unclaim(session: Session, task_id: int, user: User) -> HumanTask:
    """Give a claimed task back to its group."""
    task = _open_task(session, task_id, user)
    if task.role == APPLICANT_LANE or task.assignee_id != user.id:
        raise Forbidden("not_claimed_by_you")
    if countersign.named_by_process(task):  # a signer's own task: nobody may then sign twice
        raise Forbidden("named_task_not_returnable")
    task.assignee_id = None
    task.claimed_at = None
    audit.record(session, "task_unclaimed", user.id, task.instance_id, task.id, task=task.bpmn_id)
    return task


def complete_task(session: Session, task_id: int, user: User, payload: dict, locale: str,
                  request_id: str | None = None) -> HumanTask:
    """Complete a task with validated data; a concurrent completion gets Conflict, never a lost update.
    With a client's `request_id`, a repeat of a committed completion returns its task and does nothing."""
    if request_id is not None:
        done = completion_requests.already_done(session, user, task_id, request_id)
        if done is not None:
            return done
    with _conflict_on_concurrent_change():
        task, case_tasks, for_user = _task_to_act_on(session, task_id, user)
        if task.kind == added_approvers.KIND:  # 加签: an added approver decides on their own task row
            return added_approvers.decide(session, task, user, payload, locale)
        instance = task.instance
        form = forms.of_case(instance, task.bpmn_id)
        data = form.validate(payload, locale)
        form_checks.check_references(session, form, data, locale)
        if added_approvers.holds_completion(session, task, user, payload, case_tasks):  # 加签: refused or held
            return task
        now = utcnow()
        ctx = steps.StepContext(session, instance, user, now)
        if task.bpmn_id == "start":  # sent back to its applicant (services/send_back.py): vetted anew
            data = resubmission.vet_again(ctx, data)
        case = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state,
                                   steps.runner(instance.process_id, ctx))
        try:
            case.complete(task.spiff_task_id, data)
        except engine.EngineError:
            raise Conflict("task_closed") from None
        done = {"status": "completed", "assignee_id": task.assignee_id or user.id, "completed_by_id": user.id,
                "completed_at": now, "decision": data.get("decision"), "comment": data.get("comment")}
        audit.record(session, "task_completed", user.id, instance.id, task.id, task=task.bpmn_id,
                     decision=done["decision"], comment=done["comment"],
                     **({"for_user": for_user} if for_user else {}))
        if request_id is not None:
            completion_requests.remember(session, user, task, request_id, now)
        _save(session, instance, case, now, case_tasks, done=(task, done))
        session.flush()
    return task


# Every task row of the case of task :task_id, the case (its state) and its definition (whose id and hash
# key the parsed spec) joined to that one row only: one round trip instead of three, and the state read
# once however many tasks the case has. Built once; many-to-one loads of task.instance and
# instance.definition then come from the identity map without SQL.
_ASKED = aliased(HumanTask)
_CASE_OF_TASK = (
    select(HumanTask, ProcessInstance, ProcessDefinition)
    .outerjoin(ProcessInstance, and_(ProcessInstance.id == HumanTask.instance_id,
                                     HumanTask.id == bindparam("task_id")))
    .outerjoin(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    .where(HumanTask.instance_id == select(_ASKED.instance_id).where(_ASKED.id == bindparam("task_id"))
           .scalar_subquery())
    .options(undefer(ProcessInstance.workflow_state))
)


def _task_to_act_on(session: Session, task_id: int, user: User) -> tuple[HumanTask, list[HumanTask], int | None]:
    """The open task, every task row of its case and whom the user acts for (a delegate's principal, else
    None), or the refusal. Whoever may act on a task may see its case, so visibility is asked only on a
    refusal: to answer NotFound rather than tell that it exists."""
    rows = session.execute(_CASE_OF_TASK, {"task_id": task_id}).all()
    asked = next((row for row in rows if row[1] is not None), None)
    if asked is None:
        raise NotFound("not_found")
    task, instance, definition = asked
    # Linked as loaded (no change to flush): the identity map holds objects weakly, so unlinked they could
    # be dropped and fetched again.
    set_committed_value(task, "instance", instance)
    set_committed_value(instance, "definition", definition)
    case_tasks = [row_task for row_task, _instance, _definition in rows]
    try:
        if task.status != "open":
            raise Conflict("task_closed")
        for_user = assignment.check_can_act(session, task, user, case_tasks)
    except DomainError:
        # A candidate who lost the race to another approver learns the task is closed (409), not that it
        # never existed: the task was theirs to see a moment ago.
        was_candidate = task.assignee_id == user.id or assignment.holds_role(session, user.id, task.role,
                                                                            task.section_id)
        if not was_candidate and not assignment.can_view_case(session, user, task.instance):
            raise NotFound("not_found") from None
        raise
    return task, case_tasks, for_user


def fire_due_timers(session: Session, instance_id: int) -> bool:
    """Fire the case's due timers; False when another process got there first or none was due."""
    with _conflict_on_concurrent_change():
        instance = session.get(ProcessInstance, instance_id, options=[undefer(ProcessInstance.workflow_state)])
        now = utcnow()
        if instance is None or instance.status != "running" or not instance.next_due_at or instance.next_due_at > now:
            return False
        ctx = steps.StepContext(session, instance, None, now)
        case = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state,
                                   steps.runner(instance.process_id, ctx))
        case.fire_due_timers()
        audit.record(session, "timers_fired", None, instance.id)
        _save(session, instance, case, now)
        session.flush()
    return True


def due_case_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Running cases with a timer due by `now` (an indexed column, no workflow state read)."""
    return list(session.scalars(
        select(ProcessInstance.id).where(ProcessInstance.next_due_at <= now, ProcessInstance.status == "running")
        .order_by(ProcessInstance.next_due_at).limit(limit)))


def _open_task(session: Session, task_id: int, user: User) -> HumanTask:
    task = visible_task(session, task_id, user)
    if task.status != "open":
        raise Conflict("task_closed")
    return task


def _save(session: Session, instance: ProcessInstance, case: engine.Case, now: datetime,
          case_tasks: list[HumanTask] | None = None, done: tuple[HumanTask, dict] | None = None) -> None:
    """Write the state back (and the task just `done`, with its new values), then bring the task rows in line
    with the READY user tasks. The case's row goes first, guarded by its version: a concurrent step fails
    there, before any task row is touched, and every writer locks case then tasks, in that order."""
    values = {"workflow_state": case.dump(), "updated_at": now, "next_due_at": case.next_timer_at()}
    if case.is_completed:
        values["status"] = {"rejected": "rejected", "withdrawn": "withdrawn"}.get(case.data.get("outcome"), "completed")
        values["completed_at"] = now
        values["next_due_at"] = None
        audit.record(session, "case_closed", None, instance.id, status=values["status"])
    if case_tasks is None:
        # The caller read no task rows: they are read once the case's row is written (and locked), so that no
        # concurrent change to them falls between the read and the write.
        step_rows.update_case(session, instance, values)
        values = None
        with session.no_autoflush:  # whatever else the step changed goes out in its flush, after the task rows
            case_tasks = list(session.scalars(select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.status.in_(("open", added_approvers.AWAITING)))))
    # The task just done is no longer open, though its row is written below.
    cancelled, new_rows = _task_changes(instance, case, now,
                                        [t for t in case_tasks if done is None or t is not done[0]])
    # Plain rows, not ORM objects: nothing in the step reads them again but their ids (the answer and the
    # pages read a case's tasks afresh).
    new_ids = step_rows.write_step(session, instance, values, done, new_rows)
    for row in cancelled:
        step_rows.update_task(session, row, {"status": "cancelled"})
    added_approvers.follow_step(session, case_tasks)
    for row, row_id in zip(new_rows, new_ids):
        audit.record(session, "task_created", None, instance.id, row_id, task=row["bpmn_id"], role=row["role"])


def _task_changes(instance: ProcessInstance, case: engine.Case, now: datetime,
                  case_tasks: list[HumanTask]) -> tuple[list[HumanTask], list[dict]]:
    """The open rows whose task is no longer READY (to cancel), and the rows of READY tasks that have none."""
    # The in-memory status counts: a caller may have changed a row (sent back, say) that the ORM writes later.
    # A task held for an approver added after it (加签) is still the engine's; an added approver's row is not.
    open_rows = {t.spiff_task_id: t for t in case_tasks
                 if t.status in ("open", added_approvers.AWAITING) and t.kind != added_approvers.KIND}
    ready = {t.id: t for t in case.ready_user_tasks()}
    cancelled = [row for spiff_id, row in open_rows.items() if spiff_id not in ready]
    case_data = None
    new_rows = []
    for spiff_id, ready_task in ready.items():
        if spiff_id in open_rows:
            continue
        role = ready_task.lane or APPLICANT_LANE
        form = forms.of_case(instance, ready_task.bpmn_id)
        if case_data is None:
            case_data = case.data
        new_rows.append({
            "instance_id": instance.id, "spiff_task_id": spiff_id, "bpmn_id": ready_task.bpmn_id,
            "name": ready_task.name, "subject": (ready_task.subject or "")[:200] or None, "role": role,
            "kind": form.kind, "section_id": instance.section_id,
            "assignee_id": _assignee(ready_task.properties, role, instance, case_data, ready_task.assignee),
            "excluded_user_id": _excluded(ready_task.properties, case_data),
            "status": "open", "created_at": now, **_deadline(ready_task.properties, case_data, now),
        })
    return cancelled, new_rows


def _assignee(properties: dict, role: str, instance: ProcessInstance, data: dict,
              own: str | None = None) -> int | None:
    """The applicant's lane goes to the applicant; `assignee_from` names a data key holding a user id
    (e.g. the successor of P5), read in the task's own data first (`own`: a multi-instance child's signer,
    services/countersign.py); every other task goes to its role's group."""
    if properties.get("assignee_from"):
        if own is not None and own.isdigit():
            return int(own)
        return data.get(properties["assignee_from"])
    return instance.applicant_id if role == APPLICANT_LANE else None


def _excluded(properties: dict, data: dict) -> int | None:
    """`not_for` names a data key holding the person a case is about (P5: whose access changes), who may
    not act on this task."""
    value = data.get(properties["not_for"]) if properties.get("not_for") else None
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def _deadline(properties: dict, data: dict, now: datetime) -> dict:
    """A task's deadline: an ISO duration from now (`due`) or a date-time in the case data (`due_from`);
    past it by `escalate_after` (default one day) the task goes up to `escalation_role`."""
    if properties.get("due_from") and data.get(properties["due_from"]):
        due_at = datetime.fromisoformat(data[properties["due_from"]])
    elif properties.get("due"):
        due_at = now + engine.parse_duration(properties["due"])
    else:
        return {}
    return {"due_at": due_at,
            "escalate_at": due_at + engine.parse_duration(properties.get("escalate_after", "P1D")),
            "escalation_role": properties.get("escalation_role", "security_office")}


def visible_case(session: Session, instance_id: int, user: User) -> ProcessInstance:
    """The case, if this user may see it; otherwise NotFound (an id guessed tells nothing)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not assignment.can_view_case(session, user, instance):
        raise NotFound("not_found")
    return instance


def snapshot(instance: ProcessInstance) -> dict:
    """What the case page shows from the workflow: its data and where it stands."""
    case = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state, None)
    return {"data": case.data, "active": case.active_bpmn_ids(), "done": case.completed_bpmn_ids()}


def tasks_of_case(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(_TASKS_OF_CASE, {"instance_id": instance_id}))


# Built once: every answer to a step reads it (its in-force copy is then made once a day, models/org.py).
_TASKS_OF_CASE = select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id")).order_by(HumanTask.id)


def visible_task(session: Session, task_id: int, user: User) -> HumanTask:
    """A task whose case this user may see; otherwise NotFound."""
    task = session.get(HumanTask, task_id)
    if task is None or not assignment.can_view_case(session, user, task.instance):
        raise NotFound("not_found")
    return task


def may_act(session: Session, task: HumanTask, user: User) -> bool:
    try:
        assignment.check_can_act(session, task, user)
    except DomainError:
        return False
    return True
