"""Moving a running case to a newer version of its process (issue 5): the system administrator reads a preview
of what changes, then migrates with SpiffWorkflow's migrate_workflow (services/engine.Case.migrate). Where the
engine or Baomi's rules cannot carry the case over, the preview names the reason and the migration is refused.
The case then runs on the new version's diagram and forms; the caller commits (one request)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from models import HumanTask, ProcessDefinition, ProcessInstance, User, utcnow
from services import audit, cases, definitions, engine, forms, steps
from services.errors import Conflict, DomainError, NotFound
from services.messages import register

register({
    "migration_case_not_running": ("只有运行中的案件才能迁移到新版本（当前状态：{status}）。",
                                   "Only a running case can move to a new version (it is {status})."),
    "migration_other_process": ("目标版本属于另一个流程（{process_id}），案件只能迁移到本流程的版本。",
                                "The target version belongs to another process ({process_id}); a case moves only "
                                "within its own process."),
    "migration_not_newer": ("目标版本 {to_version} 不比案件当前的版本 {from_version} 新。",
                            "Version {to_version} is not newer than the case's version {from_version}."),
    "migration_subprocess_missing": ("新版本中没有本案正在运行的子流程（{names}）。",
                                     "The new version lacks the subprocess the case runs ({names})."),
    "migration_open_task_removed": ("新版本删除了本案正在办理的环节“{task}”，案件无处可停。",
                                    "The new version removes the step the case waits in (“{task}”): the case "
                                    "would have nowhere to stand."),
    "migration_open_task_not_user_task": ("新版本中“{task}”不再是人工办理的环节。",
                                          "In the new version “{task}” is no longer a step a person fills in."),
    "migration_open_task_other_role": ("新版本把正在办理的环节“{task}”交给了另一角色（{old} → {new}），请先办完该环节。",
                                       "The new version gives the open step “{task}” to another role ({old} → {new}); "
                                       "finish that step first."),
    "migration_history_removed": ("新版本删除了本案已办理的环节“{task}”，无法保留其办理记录。",
                                  "The new version removes the step “{task}” the case already passed; its record "
                                  "could not be kept."),
    "migration_form_missing": ("新版本没有环节“{task}”的表单。", "The new version has no form for the step “{task}”."),
    "migration_data_missing": ("新版本的申请表要求本案没有的内容（{fields}），迁移后的环节可能用到它们。",
                               "The new version's application form requires what this case lacks ({fields}); its "
                               "later steps may rely on it."),
    "migration_engine_refused": ("流程引擎无法将本案迁移到新版本：{detail}",
                                 "The workflow engine cannot move this case to the new version: {detail}"),
    "migration_preview_stale": ("案件或版本在预览之后发生了变化，请重新预览后再迁移。",
                                "The case changed after the preview; preview again before migrating."),
})

_OPEN_STATES = ("open", "waiting")


@dataclass
class MigrationPreview:
    """What migrating one case to one version would change, and whether it may; `digest` pins the preview to
    the case as it stood (a step taken since makes a migration against it a Conflict)."""

    instance_id: int
    business_key: str
    process_id: str
    from_definition_id: int
    from_version: int
    to_definition_id: int
    to_version: int
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    affected: list = field(default_factory=list)
    new_fields: dict = field(default_factory=dict)  # open step -> fields its new form asks for in addition
    waits_in_after: list = field(default_factory=list)  # where the case stands once migrated
    refusal: str | None = None
    refusal_params: dict = field(default_factory=dict)
    digest: str = ""

    @property
    def possible(self) -> bool:
        return self.refusal is None

    def summary(self) -> dict:
        """The diff in BPMN ids, for the audit log."""
        return {"added": [s["bpmn_id"] for s in self.added], "removed": [s["bpmn_id"] for s in self.removed],
                "changed": [s["bpmn_id"] for s in self.changed],
                "affected": [f"{t['bpmn_id']}:{t['state']}:{t['change']}" for t in self.affected]}

    def to_dict(self) -> dict:
        out = asdict(self)
        out["possible"] = self.possible
        return out


def newer_versions(session: Session, instance: ProcessInstance) -> list[ProcessDefinition]:
    """The versions of the case's process newer than the one it runs on, newest first."""
    return list(session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_id == instance.process_id,
        ProcessDefinition.version > instance.definition.version).order_by(ProcessDefinition.version.desc())))


def preview(session: Session, instance_id: int, definition_id: int) -> MigrationPreview:
    """What moving case `instance_id` to version `definition_id` changes, and the reason if it may not."""
    instance, target = _load(session, instance_id, definition_id)
    result = MigrationPreview(instance.id, instance.business_key, instance.process_id, instance.definition_id,
                              instance.definition.version, target.id, target.version)
    result.refusal, result.refusal_params = _refusal_before_diff(instance, target)
    if result.refusal is None:
        _fill_diff(session, instance, target, result)
    result.digest = _digest(instance, result)
    return result


def migrate(session: Session, instance_id: int, definition_id: int, actor: User,
            expected_digest: str | None = None) -> MigrationPreview:
    """Move the case to version `definition_id`: refused with the preview's reason; Conflict when the case
    changed since the preview the administrator read (`expected_digest`) or while migrating."""
    try:
        found = preview(session, instance_id, definition_id)
        if expected_digest is not None and expected_digest != found.digest:
            raise Conflict("migration_preview_stale")
        if not found.possible:
            raise DomainError(found.refusal, **found.refusal_params)
        instance, target = _load(session, instance_id, definition_id)
        now = utcnow()
        ctx = steps.StepContext(session, instance, actor, now)
        case = engine.Case.restore(definitions.parsed(instance.definition), instance.workflow_state,
                                   steps.runner(instance.process_id, ctx))
        try:
            case.migrate(definitions.parsed(target))
        except engine.EngineError as err:
            raise DomainError("migration_engine_refused", detail=str(err)) from None
        instance.definition = target  # forms.of_case reads the case's version: the new forms from here on
        audit.record(session, "case_migrated", actor.id, instance.id, from_version=found.from_version,
                     to_version=found.to_version, from_definition_id=found.from_definition_id,
                     to_definition_id=found.to_definition_id, **found.summary())
        cases._save(session, instance, case, now)
        _follow_open_rows(session, instance, case)
        session.flush()
    except StaleDataError:
        raise Conflict("case_changed") from None
    return found


def _load(session: Session, instance_id: int, definition_id: int) -> tuple[ProcessInstance, ProcessDefinition]:
    instance = session.get(ProcessInstance, instance_id, options=[undefer(ProcessInstance.workflow_state)])
    target = session.get(ProcessDefinition, definition_id)
    if instance is None or target is None:
        raise NotFound("not_found")
    return instance, target


def _refusal_before_diff(instance: ProcessInstance, target: ProcessDefinition) -> tuple[str | None, dict]:
    if target.process_id != instance.process_id:
        return "migration_other_process", {"process_id": target.process_id}
    if target.version <= instance.definition.version:
        return "migration_not_newer", {"to_version": target.version, "from_version": instance.definition.version}
    if instance.status != "running":
        return "migration_case_not_running", {"status": instance.status}
    return None, {}


def _fill_diff(session: Session, instance: ProcessInstance, target: ProcessDefinition,
               result: MigrationPreview) -> None:
    parsed_from, parsed_to = definitions.parsed(instance.definition), definitions.parsed(target)
    case = engine.Case.restore(parsed_from, instance.workflow_state, None)
    diff = case.diff(parsed_to)
    result.added = [asdict(s) for s in diff.added]
    result.removed = [asdict(s) for s in diff.removed]
    result.changed = [asdict(s) for s in diff.changed]
    result.affected = [asdict(t) for t in diff.affected]
    result.refusal, result.refusal_params = _refusal_of_diff(session, instance, target, case, diff, result)
    if result.refusal is None:
        # A trial on a copy: the engine's own verdict, and where the case would stand afterwards.
        trial = engine.Case.restore(parsed_from, instance.workflow_state, None)
        try:
            trial.migrate(parsed_to)
            trial = engine.Case.restore(parsed_to, trial.dump(), None)
        except (engine.EngineError, KeyError, ValueError) as err:
            result.refusal, result.refusal_params = "migration_engine_refused", {"detail": str(err)}
            return
        result.waits_in_after = [{"bpmn_id": t.bpmn_id, "name": t.name} for t in trial.ready_user_tasks()]


def _refusal_of_diff(session, instance, target, case, diff, result) -> tuple[str | None, dict]:
    if diff.missing_subprocesses:
        return "migration_subprocess_missing", {"names": ", ".join(diff.missing_subprocesses)}
    for task in diff.affected:
        if task.state in _OPEN_STATES and task.change == "removed":
            return "migration_open_task_removed", {"task": task.name}
        if task.state == "open" and task.new_bpmn_id is not None and not task.still_user_task:
            return "migration_open_task_not_user_task", {"task": task.name}
        if task.state == "open" and task.new_bpmn_id is not None and task.lane != task.new_lane:
            return "migration_open_task_other_role", {"task": task.name, "old": task.lane, "new": task.new_lane}
        if task.state == "completed" and task.change == "removed":
            return "migration_history_removed", {"task": task.name}
    aligned = {t.bpmn_id: t.new_bpmn_id for t in diff.affected if t.state == "open"}
    for ready in case.ready_user_tasks():
        new_id = aligned.get(ready.bpmn_id, ready.bpmn_id)
        try:
            new_form = forms.of_definition(session, target, new_id)
        except forms.FormMissing:
            return "migration_form_missing", {"task": ready.name}
        old_names = {f.name for f in forms.of_case(instance, ready.bpmn_id).fields}
        asked = [f.name for f in new_form.fields if f.required and f.name not in old_names]
        if asked:
            result.new_fields[new_id] = asked
    try:
        start = forms.of_definition(session, target, "start")
    except forms.FormMissing:
        return None, {}
    data = case.data
    lacking = [f.name for f in start.fields if f.required and data.get(f.name) in (None, "", [])]
    if lacking:
        return "migration_data_missing", {"fields": ", ".join(lacking)}
    return None, {}


def _follow_open_rows(session: Session, instance: ProcessInstance, case: engine.Case) -> None:
    """Open task rows kept across the migration take the new version's step name and form kind (a step the
    new version aligned under another id takes that id)."""
    ready = {t.id: t for t in case.ready_user_tasks()}
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "open")):
        step = ready.get(row.spiff_task_id)
        if step is None:
            continue
        row.bpmn_id, row.name = step.bpmn_id, step.name
        row.kind = forms.of_case(instance, step.bpmn_id).kind


def _digest(instance: ProcessInstance, result: MigrationPreview) -> str:
    pinned = {"instance": instance.id, "version": instance.version, "from": instance.definition_id,
              "to": result.to_definition_id, "refusal": result.refusal, **result.summary()}
    return hashlib.sha256(json.dumps(pinned, sort_keys=True).encode("utf-8")).hexdigest()[:32]
