"""The SpiffWorkflow wrapper: parse, run, serialize. The only module that knows the engine's objects."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import ServiceTaskMixin, StartEventMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser, VALIDATOR
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from services import engine_versions, script_sandbox


class EngineError(Exception):
    """The BPMN could not be parsed or a step failed inside the engine."""


@dataclass(frozen=True)
class ParsedProcess:
    """A parsed definition: the spec is immutable and shared by every case of that version."""

    process_id: str
    spec: Any
    subprocess_specs: dict


@dataclass(frozen=True)
class ReadyTask:
    """A READY user task as the rest of Baomi sees it (no SpiffWorkflow objects leak out)."""

    id: str
    bpmn_id: str
    name: str
    lane: str | None
    properties: dict = field(default_factory=dict)
    # What this instance of the task is about, e.g. which system a parallel child handles (`name_from`).
    subject: str | None = None
    # `assignee_from` read in this task's own data: a multi-instance child's signer (services/countersign.py).
    assignee: str | None = None


@dataclass(frozen=True)
class EarlierStep:
    """A step a case can be sent back to; `undone` names the service tasks the send-back would undo."""

    id: str
    bpmn_id: str
    lane: str | None
    is_start: bool
    undone: list = field(default_factory=list)


def _is_multi_instance(spec) -> bool:
    return isinstance(spec, MultiInstanceTask)


class _SpecByReference(BpmnWorkflowConverter):
    """Store a case without its spec: the spec lives once per definition version, not per case."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, parsed: ParsedProcess = None):
        if parsed is None:
            raise EngineError("a case can only be restored with its parsed definition")
        workflow = self.target_class(parsed.spec, parsed.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value):
    from uuid import UUID

    return UUID(value)


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecByReference
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SERIALIZER = _make_serializer()


def parse(bpmn_xml: str, process_id: str) -> ParsedProcess:
    """Parse BPMN text and return the executable process `process_id`."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_str(bpmn_xml.encode("utf-8"))
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (SpiffWorkflowException, ValueError, KeyError) as err:
        raise EngineError(f"{process_id}: {err}") from err
    except Exception as err:  # lxml raises its own XMLSyntaxError family
        raise EngineError(f"{process_id}: {err}") from err
    return ParsedProcess(process_id, spec, subprocess_specs)


def task_properties(parsed: ParsedProcess, bpmn_id: str) -> dict:
    """The spiffworkflow properties of the user task `bpmn_id` as drawn (a multi-instance task's child, or a
    task of an embedded subprocess, included); {} when there is none."""
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if task_spec.bpmn_id == bpmn_id and task_spec.manual:
                return dict(task_spec.extensions.get("properties", {}))
    return {}


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration such as P2D or PT4H, as BPMN timers write them."""
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed)


# Step functions are called with the case's context; the engine only dispatches by name.
StepCall = Callable[[str, dict, dict], dict]


class _SandboxedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment with its eval and exec fenced in (services/script_sandbox.py).
    Overridden here, not in the script engine, because some specs call the environment directly."""

    def evaluate(self, expression, context, external_context=None):
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        return script_sandbox.evaluate(expression, namespace)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        try:
            script_sandbox.execute(script, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class _DomainScriptEngine(PythonScriptEngine):
    """Scripts and conditions see task data; service tasks call Baomi's registered steps."""

    def __init__(self, call_step: StepCall | None):
        super().__init__(environment=_SandboxedEnvironment({"datetime": datetime}))
        self._call_step = call_step

    def call_service(self, task, operation_name=None, operation_params=None, **_):
        if self._call_step is None:
            raise EngineError(f"no step runner for service task {operation_name}")
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        return json.dumps(self._call_step(operation_name, task.data, params) or {})


def _lookup(data: dict, dotted: str | None) -> str | None:
    """The value at a dotted key of the task data (`system_change.label`), as text, if present."""
    if not dotted:
        return None
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return str(value)


_TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


def _has_join(spec) -> bool:
    """Whether a process waits for several incoming branches anywhere (parallel or inclusive gateways). The
    engine's own end join of every process waits only for unfinished tasks, so it does not count."""
    return any(isinstance(t, UnstructuredJoin) and not isinstance(t, _EndJoin) for t in spec.task_specs.values())


class Case:
    """One running workflow, restored from or about to be written to its TEXT column."""

    def __init__(self, workflow: BpmnWorkflow):
        self._wf = workflow

    @classmethod
    def start(cls, parsed: ParsedProcess, data: dict, call_step: StepCall | None) -> "Case":
        wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_DomainScriptEngine(call_step))
        # The start event's task carries the application: every later task inherits it.
        wf.task_tree.data.update(data)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        case = cls(wf)
        case._run_engine()
        return case

    @classmethod
    def restore(cls, parsed: ParsedProcess, state: str, call_step: StepCall | None) -> "Case":
        dct = json.loads(state)
        _SERIALIZER.migrate(dct)
        wf = _SERIALIZER.from_dict(dct, parsed=parsed)
        wf.script_engine = _DomainScriptEngine(call_step)
        return cls(wf)

    def dump(self) -> str:
        """The state as JSON text, key order untouched (task data is restored in that order)."""
        self._forget_earlier_rounds()
        return _SERIALIZER.serialize_json(self._wf)

    def _forget_earlier_rounds(self) -> None:
        """Drop the completed tasks of earlier rounds of a loop (a revise loop adds its steps to the tree every
        round; 50 rounds made the state 20 times larger and each step 4 times slower, issue 8). A task goes
        when a later round of the same step lies below it on the path to the last completed task, and the
        path is a plain chain there (one parent, one child); its child takes its place. Every task keeps its
        own data (the stored deltas are recomputed against the new parent), and the latest round of each step
        stays: what earlier_steps, completed_bpmn_ids and send_back read. Not in processes with joins (which
        look back at their incoming branches) or subprocesses, nor around multi-instance steps."""
        wf = self._wf
        if wf.subprocesses or wf.last_task is None or _has_join(wf.spec):
            return
        seen, task = set(), wf.last_task
        while task is not None and task.parent is not None:
            parent = task.parent
            name = task.task_spec.name
            if name in seen and task.state == TaskState.COMPLETED and len(task._children) == 1 \
                    and len(parent._children) == 1 and task is not wf.last_task \
                    and not _is_multi_instance(task.task_spec) and not _is_multi_instance(parent.task_spec):
                child = task.children[0]
                parent._children = [child.id]
                child._parent = parent.id
                del wf.tasks[task.id]
            seen.add(name)
            task = parent

    def diff(self, new: ParsedProcess) -> "engine_versions.VersionDiff":
        """What `new` (another version of the same process) changes for this case, nothing moved yet."""
        return engine_versions.diff(self._wf, new, _SERIALIZER.registry)

    def migrate(self, new: ParsedProcess) -> None:
        """Move the case onto `new` (SpiffWorkflow's migrate_workflow); EngineError when it cannot."""
        try:
            engine_versions.migrate(self._wf, new, _SERIALIZER.registry)
        except engine_versions.NoStepInNewVersion as err:
            raise EngineError(str(err)) from None

    def ready_user_tasks(self) -> list[ReadyTask]:
        tasks = self._wf.get_tasks(state=TaskState.READY, manual=True) + self._held_start()
        return [
            ReadyTask(
                id=str(t.id),
                # A held start event is the applicant's step: the start form, in the applicant's hands.
                bpmn_id="start" if t.state == TaskState.WAITING else t.task_spec.bpmn_id,
                name=t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                lane=None if t.state == TaskState.WAITING else t.task_spec.lane,
                properties=dict(t.task_spec.extensions.get("properties", {})),
                subject=_lookup(t.data, t.task_spec.extensions.get("properties", {}).get("name_from")),
                assignee=_lookup(t.data, t.task_spec.extensions.get("properties", {}).get("assignee_from")),
            )
            for t in tasks
        ]

    def complete(self, task_id: str, data: dict) -> None:
        """Complete a READY user task with the submitted data and run the engine on."""
        from uuid import UUID

        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except SpiffWorkflowException:
            task = None
        held = task is not None and self._is_held_start(task)
        if held:
            task._set_state(TaskState.READY)  # the applicant resubmits a case sent back to them
        if task is None or task.state != TaskState.READY or not (task.task_spec.manual or held):
            raise EngineError(f"task {task_id} is not ready")
        task.data.update(data)
        task.run()
        self._run_engine()

    def earlier_steps(self, task_id: str) -> list[EarlierStep]:
        """The steps a READY task could send its case back to: the completed user tasks on its path (inner
        first), then the start event (the applicant's step); each with the service tasks it would undo."""
        from uuid import UUID

        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (SpiffWorkflowException, ValueError):  # no task of the engine's (e.g. an added approver's, 加签)
            return []
        found, seen = [], {task.task_spec.bpmn_id}
        while task is not None:
            parent = task.parent
            if parent is None and task.workflow.parent_task_id is not None:  # out of a (multi-instance) subprocess
                parent = self._wf.get_task_from_id(task.workflow.parent_task_id)
            task = parent
            if task is None or task.task_spec.bpmn_id in seen:
                continue
            spec = task.task_spec
            top_start = isinstance(spec, StartEventMixin) and task.workflow is self._wf
            if (spec.manual and task.state == TaskState.COMPLETED and not _is_multi_instance(spec)) or top_start:
                seen.add(spec.bpmn_id)
                undone = sorted({t.task_spec.bpmn_id for t in self._branch(task)
                                 if isinstance(t.task_spec, ServiceTaskMixin) and t.state == TaskState.COMPLETED})
                found.append(EarlierStep(str(task.id), spec.bpmn_id, spec.lane, top_start, undone))
        return found

    def send_back(self, to_task_id: str) -> None:
        """Reset the case to an earlier step (SpiffWorkflow's reset_from_task_id): what came after it is
        dropped, the step is READY again with its boundary timers re-armed; a start event is held WAITING
        for the applicant, so that no engine step runs it before they resubmit."""
        from uuid import UUID, uuid4

        target = self._wf.get_task_from_id(UUID(to_task_id))
        # A new id for the step's new turn: the earlier turn keeps its own task row (and its id).
        new_id, tree = uuid4(), target.workflow
        tree.tasks[new_id] = tree.tasks.pop(target.id)
        target.parent._children = [new_id if c == target.id else c for c in target.parent._children]
        for child in target.children:
            child._parent = new_id
        target.id = new_id
        self._wf.reset_from_task_id(new_id)
        if target.task_spec.manual:
            self._run_engine()
        else:
            target._set_state(TaskState.WAITING)

    def _held_start(self) -> list:
        # The top workflow's own task map, not a walk of the tree and its subprocesses: a held start is there.
        return [t for t in self._wf.tasks.values() if self._is_held_start(t)]

    def _is_held_start(self, task) -> bool:
        return task.state == TaskState.WAITING and isinstance(task.task_spec, StartEventMixin) \
            and task.workflow is self._wf

    def _branch(self, task) -> list:
        """The task and everything after it, the subprocesses it started included."""
        out = []
        for t in task:
            out.append(t)
            if t.id in self._wf.subprocesses:
                out.extend(self._branch(self._wf.subprocesses[t.id].task_tree))
        return out

    def fire_due_timers(self) -> None:
        """Let timers whose time has come fire, then run the engine on."""
        self._wf.refresh_timers()
        self._run_engine()

    def _run_engine(self) -> None:
        self._wf.do_engine_steps()

    @property
    def is_completed(self) -> bool:
        return self._wf.is_completed()

    @property
    def data(self) -> dict:
        """The data as the case stands: the last completed task's view of it."""
        last = self._wf.last_task
        return dict(last.data) if last is not None else dict(self._wf.task_tree.data)

    def next_timer_at(self) -> datetime | None:
        """The earliest time a waiting timer of this case is due, if any."""
        times = []
        for pending in self._wf.waiting_events():
            if pending.value and pending.event_type in _TIMER_EVENTS:
                try:
                    times.append(TimerEventDefinition.get_datetime(pending.value))
                except (ValueError, TypeError):
                    continue
        return min(times) if times else None

    def active_bpmn_ids(self) -> list[str]:
        """Elements the case is waiting in now (READY user tasks and WAITING events), for highlighting."""
        ready = self._wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
        return sorted({t.task_spec.bpmn_id for t in ready if t.task_spec.bpmn_id})

    def completed_bpmn_ids(self) -> list[str]:
        done = self._wf.get_tasks(state=TaskState.COMPLETED)
        return sorted({t.task_spec.bpmn_id for t in done if t.task_spec.bpmn_id})
