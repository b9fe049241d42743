"""Moving a running case to another version of its process: what changes (SpiffWorkflow's SpecDiff and
WorkflowDiff, told in BPMN ids) and the move itself (migrate_workflow). Called through engine.Case.diff and
Case.migrate; like services/engine.py, it knows SpiffWorkflow's objects so that nothing else has to."""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState


class NoStepInNewVersion(Exception):
    """A task of the case would be left without a step of the new version."""


@dataclass(frozen=True)
class StepChange:
    """A BPMN element a new version adds, removes or changes (`attributes`: what changed in its spec)."""

    bpmn_id: str
    name: str
    attributes: tuple = ()


@dataclass(frozen=True)
class AffectedTask:
    """A task of the case whose step a new version removes or changes; `state` completed, open or waiting.
    `new_bpmn_id`/`new_lane`/`still_user_task` describe the step it is aligned with (None: removed)."""

    bpmn_id: str
    name: str
    state: str
    change: str
    lane: str | None = None
    new_bpmn_id: str | None = None
    new_lane: str | None = None
    still_user_task: bool = True


@dataclass(frozen=True)
class VersionDiff:
    """What moving one running case to another version changes (SpiffWorkflow's SpecDiff and WorkflowDiff,
    told in BPMN ids); `missing_subprocesses` names subprocesses the case runs that the version lacks."""

    added: tuple
    removed: tuple
    changed: tuple
    affected: tuple
    missing_subprocesses: tuple = ()


_STATE_WORDS = {TaskState.COMPLETED: "completed", TaskState.READY: "open", TaskState.STARTED: "open",
                TaskState.ERROR: "open", TaskState.WAITING: "waiting"}


def _step(spec, attributes=()) -> StepChange:
    return StepChange(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, tuple(sorted(attributes)))


def diff(wf, new, registry) -> VersionDiff:
    """What `new` (another version of the same process) changes for this case, nothing moved yet."""
    spec_diff = SpecDiff(registry, wf.spec, new.spec)
    diffs = [(wf, spec_diff)]
    missing = []
    for sub in wf.subprocesses.values():
        if sub.spec.name in new.subprocess_specs:
            diffs.append((sub, SpecDiff(registry, sub.spec, new.subprocess_specs[sub.spec.name])))
        else:
            missing.append(sub.spec.name)
    affected = {}
    for workflow, sd in diffs:
        wf_diff = WorkflowDiff(workflow, sd)
        for task, change in [(t, "removed") for t in wf_diff.removed] + [(t, "changed") for t in wf_diff.changed]:
            state, spec = _STATE_WORDS.get(task.state), task.task_spec
            if state is None or not spec.bpmn_id:  # predicted tasks are predicted anew; engine-internal specs
                continue
            aligned = sd.alignment.get(spec)
            affected.setdefault((spec.bpmn_id, state, change), AffectedTask(
                spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, state, change, spec.lane,
                aligned.bpmn_id if aligned is not None else None,
                aligned.lane if aligned is not None else None,
                bool(aligned is not None and aligned.manual)))
    return VersionDiff(
        added=tuple(_step(s) for s in spec_diff.added if s.bpmn_id),
        removed=tuple(_step(s) for s in spec_diff.removed if s.bpmn_id),
        changed=tuple(_step(s, attrs) for s, attrs in spec_diff.changed.items() if s.bpmn_id),
        affected=tuple(affected.values()), missing_subprocesses=tuple(missing))

def migrate(wf, new, registry) -> None:
    """Move the case onto `new` with SpiffWorkflow's migrate_workflow: aligned tasks take the new specs,
    READY and WAITING tasks are reset and their successors predicted anew (boundary timers re-armed).
    Refuses (NoStepInNewVersion) when a task of the case would be left without a step of the new version."""
    subs = list(wf.subprocesses.values())
    missing = [sub.spec.name for sub in subs if sub.spec.name not in new.subprocess_specs]
    if missing:
        raise NoStepInNewVersion(f"no subprocess {', '.join(missing)} in the new version")
    sub_diffs = [(sub, new.subprocess_specs[sub.spec.name],
                  WorkflowDiff(sub, SpecDiff(registry, sub.spec, new.subprocess_specs[sub.spec.name])))
                 for sub in subs]
    migrate_workflow(WorkflowDiff(wf, SpecDiff(registry, wf.spec, new.spec)), wf, new.spec)
    for sub, sub_spec, sub_diff in sub_diffs:
        migrate_workflow(sub_diff, sub, sub_spec)
    wf.subprocess_specs = new.subprocess_specs
    for workflow in [wf, *wf.subprocesses.values()]:
        for task in workflow.tasks.values():
            if workflow.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                raise NoStepInNewVersion(f"task {task.task_spec.name} has no step in the new version")
