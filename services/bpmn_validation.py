"""Checks a BPMN file must pass before it is published: each problem names the element it is about, so the
designer page can pin it on the diagram. Nothing here stores anything; `services.designer` publishes."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from lxml import etree

from services import articles, engine, steps
from services import forms as form_files
from services.messages import message, register
from services.roles import ROLES

MAX_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# What Baomi runs. The engine parses more (call activities, DMN, send/receive tasks), but Baomi cannot run
# those: one file per process, no decision tables, no message correlation, no form for a manual task.
SUPPORTED_NODES = {
    "startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "task", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "subProcess",
}
# Children of a process that are not flow nodes and need no checking of their own.
STRUCTURE = {
    "laneSet", "sequenceFlow", "documentation", "extensionElements", "dataObject", "dataObjectReference",
    "dataStoreReference", "textAnnotation", "association", "ioSpecification", "property",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "incoming", "outgoing", "group",
    "category",
}
ISO_DURATION = re.compile(r"^\s*R?\d*/?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\s*$")

register({
    "bpmn_too_large": ("文件超过 2 MB，未作任何更改。", "The file is over 2 MB; nothing was changed."),
    "bpmn_malformed": ("XML 格式错误（第 {line} 行）：{detail}。未作任何更改。",
                       "Malformed XML (line {line}): {detail}. Nothing was changed."),
    "bpmn_doctype": ("BPMN 文件不能含 DOCTYPE 声明。未作任何更改。", "A BPMN file may not hold a DOCTYPE declaration. Nothing was changed."),
    "bpmn_not_bpmn": ("这不是 BPMN 2.0 文件（根元素是 {root}）。未作任何更改。",
                      "This is not a BPMN 2.0 file (its root element is {root}). Nothing was changed."),
    "bpmn_wrong_process": ("文件中没有流程 {process_id}（文件中的流程：{found}）。未作任何更改。",
                           "The file holds no process {process_id} (it holds: {found}). Nothing was changed."),
    "bpmn_process_clash": ("文件中的流程 {other} 与已有流程同名，只能在该流程中导入。",
                           "The file's process {other} clashes with an existing process; import it there."),
    "bpmn_engine_error": ("流程引擎无法解析：{detail}", "The workflow engine cannot parse it: {detail}"),
    "bpmn_not_executable": ("流程未标记为可执行（isExecutable）。", "The process is not marked executable (isExecutable)."),
    "bpmn_unsupported": ("不支持的 BPMN 元素：{tag}。", "Unsupported BPMN element: {tag}."),
    "bpmn_user_task_no_lane": ("用户任务不在任何泳道中。", "The user task lies in no lane."),
    "bpmn_lane_not_role": ("泳道名称“{lane}”不是已知角色（{roles}）。", "The lane name “{lane}” is not a known role ({roles})."),
    "bpmn_no_form": ("用户任务没有表单：请在表单编辑器中为它添加字段。", "The user task has no form: give it fields in the form editor."),
    "bpmn_no_start_form": ("流程没有申请表单（start）。", "The process has no start form (start)."),
    "bpmn_form_invalid": ("表单 {task} 有误：{detail}", "The form {task} is wrong: {detail}"),
    "bpmn_form_without_task": ("表单 {task} 没有对应的用户任务。", "The form {task} belongs to no user task."),
    "bpmn_script_syntax": ("脚本无法编译：{detail}", "The script does not compile: {detail}"),
    "bpmn_condition_syntax": ("条件无法编译：{detail}", "The condition does not compile: {detail}"),
    "bpmn_timer_syntax": ("定时表达式无法编译：{detail}", "The timer expression does not compile: {detail}"),
    "bpmn_timer_unquoted": ("定时表达式 {value} 须加引号（\"{value}\"）：它是 Python 表达式。",
                            "The timer expression {value} needs quotes (\"{value}\"): it is a Python expression."),
    "bpmn_duration_invalid": ("{name} 的值 {value} 不是 ISO 8601 时长（如 P2D、PT4H）。",
                              "{name} = {value} is not an ISO 8601 duration (such as P2D or PT4H)."),
    "bpmn_gateway_no_default": ("排他网关既无默认流向，也未给每条流出流向设置条件。",
                                "The exclusive gateway has neither a default flow nor a condition on every outgoing flow."),
    "bpmn_flow_no_condition": ("排他网关的非默认流向缺少条件。", "A non-default flow of an exclusive gateway has no condition."),
    "bpmn_article_unknown": ("条款 {article} 不在规章中。", "Article {article} is not in the regulations."),
    "bpmn_role_unknown": ("{name} 的角色 {role} 不存在。", "{name}: there is no role {role}."),
    "bpmn_unreachable": ("该节点无法从开始事件到达。", "This node cannot be reached from a start event."),
    "bpmn_no_step": ("服务任务调用的步骤 {operator} 未在流程 {process_id} 中注册。",
                     "The service task calls {operator}, which is not registered for {process_id}."),
    "bpmn_no_start": ("流程没有开始事件。", "The process has no start event."),
})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file; `element_id` is None for a problem with the file as a whole."""

    code: str
    element_id: str | None = None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def to_json(self, locale: str) -> dict:
        return {"code": self.code, "element_id": self.element_id, "message": message(self.code, locale, **self.params)}


class Refused(Exception):
    """The file cannot even be read as the process it claims to be: nothing further is checked."""

    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def read(bpmn_xml: str | bytes, process_id: str, known_process_ids=()) -> etree._Element:
    """The parsed XML root, or Refused: too large, malformed, not BPMN, not holding `process_id`, or holding
    another known process (an id clash). Entities and network access are off: the file comes from a user."""
    root = parse_xml(bpmn_xml)
    found = [p.get("id") for p in root.findall("bpmn:process", NS)]
    clashes = [pid for pid in found if pid != process_id and pid in set(known_process_ids)]
    if clashes:
        raise Refused(Problem("bpmn_process_clash", clashes[0], {"other": clashes[0]}))
    if process_id not in found:
        raise Refused(Problem("bpmn_wrong_process", params={"process_id": process_id,
                                                            "found": ", ".join(filter(None, found)) or "—"}))
    return root


def parse_xml(bpmn_xml: str | bytes) -> etree._Element:
    """The root of a BPMN 2.0 file, or Refused: too large, malformed, holding a DOCTYPE, or not BPMN."""
    data = bpmn_xml.encode("utf-8") if isinstance(bpmn_xml, str) else bpmn_xml
    if len(data) > MAX_BYTES:
        raise Refused(Problem("bpmn_too_large"))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise Refused(Problem("bpmn_malformed", params={"line": err.lineno or "?", "detail": err.msg})) from None
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        # BPMN never needs a DTD; one in an uploaded file can only be an attempt to expand entities.
        raise Refused(Problem("bpmn_doctype"))
    if etree.QName(root).namespace != BPMN_NS or _local(root.tag) != "definitions":
        raise Refused(Problem("bpmn_not_bpmn", params={"root": root.tag}))
    return root


def validate(bpmn_xml: str | bytes, process_id: str, drafted_forms: dict | None = None,
             known_process_ids=(), published_forms=None) -> list[Problem]:
    """Every problem of the file as process `process_id`; an empty list means it may be published.
    `drafted_forms` ({task id: form JSON}) are forms the designer is about to publish with it;
    `published_forms` names the forms the new version keeps from the latest one (None: the repository's
    forms/<process>/ files, which publish_directory publishes with processes/*.bpmn)."""
    try:
        root = read(bpmn_xml, process_id, known_process_ids)
    except Refused as refused:
        return [refused.problem]
    process = next(p for p in root.findall("bpmn:process", NS) if p.get("id") == process_id)
    if process.get("isExecutable") != "true":
        # The engine refuses a non-executable process with the same words: say it once.
        problems = [Problem("bpmn_not_executable", process_id)]
    else:
        problems = _engine_problems(bpmn_xml, process_id)
    problems += _unsupported(process)
    problems += _lanes_and_forms(process, process_id, drafted_forms or {}, published_forms)
    problems += _expressions(process)
    problems += _gateways(process)
    problems += _properties(process)
    problems += _service_steps(process, process_id)
    problems += _unreachable(process)
    # The engine's words (English, untranslated) only where no check of ours already names the element.
    ours = {p.element_id for p in problems if p.code != "bpmn_engine_error"}
    return [p for p in problems if p.code != "bpmn_engine_error" or p.element_id is None or p.element_id not in ours]


def _engine_problems(bpmn_xml, process_id: str) -> list[Problem]:
    text = bpmn_xml.decode("utf-8") if isinstance(bpmn_xml, bytes) else bpmn_xml
    try:
        engine.parse(text, process_id)
    except engine.EngineError as err:
        cause = err.__cause__
        element = getattr(cause, "id", None) or None
        detail = str(cause) if cause is not None else str(err)
        return [Problem("bpmn_engine_error", element, {"detail": detail})]
    return []


def _flow_nodes(container) -> list:
    """Flow nodes directly inside a process or sub-process (not inside nested sub-processes)."""
    return [el for el in container if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS
            and _local(el.tag) not in STRUCTURE and _local(el.tag) != "laneSet"]


def _all_nodes(container) -> list:
    nodes = []
    for el in _flow_nodes(container):
        nodes.append(el)
        if _local(el.tag) == "subProcess":
            nodes += _all_nodes(el)
    return nodes


def _unsupported(process) -> list[Problem]:
    return [Problem("bpmn_unsupported", el.get("id"), {"tag": _local(el.tag)})
            for el in _all_nodes(process) if _local(el.tag) not in SUPPORTED_NODES]


def _lane_of(process) -> dict[str, str]:
    """Flow node id → the name of the innermost lane holding it."""
    lanes = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):  # outer lanes come first, inner ones overwrite
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = (lane.get("name") or "").strip()
    return lanes


def _lanes_and_forms(process, process_id: str, drafted_forms: dict, published_forms) -> list[Problem]:
    def has_form(name: str) -> bool:
        return name in published_forms if published_forms is not None else form_files.file_exists(process_id, name)

    problems = []
    lane_of = _lane_of(process)
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        task_id = task.get("id")
        # A task inside a sub-process takes the lane of the sub-process that holds it.
        holder = task
        while holder is not None and holder.get("id") not in lane_of and holder is not process:
            holder = holder.getparent()
        lane = lane_of.get(holder.get("id")) if holder is not None else None
        if lane is None:
            problems.append(Problem("bpmn_user_task_no_lane", task_id))
        elif lane not in ROLES:
            problems.append(Problem("bpmn_lane_not_role", task_id, {"lane": lane, "roles": ", ".join(ROLES)}))
        if task_id in drafted_forms:
            problems += [Problem("bpmn_form_invalid", task_id, {"task": task_id, "detail": d})
                         for d in form_problems(drafted_forms[task_id])]
        elif not has_form(task_id):
            problems.append(Problem("bpmn_no_form", task_id, {"process_id": process_id, "task": task_id}))
    task_ids = {t.get("id") for t in process.iter(f"{{{BPMN_NS}}}userTask")}
    for key in sorted(set(drafted_forms) - task_ids - {"start"}):
        # A form belongs to its task: one for no task would be stored for nothing.
        problems.append(Problem("bpmn_form_without_task", None, {"task": str(key)[:80]}))
    if "start" in drafted_forms:
        problems += [Problem("bpmn_form_invalid", None, {"task": "start", "detail": d})
                     for d in form_problems(drafted_forms["start"])]
    elif not has_form("start"):
        problems.append(Problem("bpmn_no_start_form"))
    return problems


FIELD_TYPES = ("string", "text", "date", "boolean", "choice", "decision", "integer", "user", "reference",
               *form_files.LIST_TYPES)


def form_problems(raw) -> list[str]:
    """What is wrong with a form's JSON, in plain words; [] when it loads."""
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list) or not raw["fields"]:
        return ["needs a non-empty list of fields"]
    problems, names = [], set()
    for i, f in enumerate(raw["fields"], 1):
        if not isinstance(f, dict):
            problems.append(f"field {i} is not an object")
            continue
        name = f.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            problems.append(f"field {i}: the name must be lower-case letters, digits and _")
        elif name in names:
            problems.append(f"field {name} appears twice")
        names.add(name)
        if f.get("type") not in FIELD_TYPES:
            problems.append(f"field {name}: unknown type {f.get('type')}")
        elif f["type"] == "decision":
            unknown = [c for c in f.get("choices", []) if c not in form_files.DECISION_LABELS]
            if unknown or not f.get("choices"):
                problems.append(f"field {name}: decisions are {', '.join(form_files.DECISION_LABELS)}")
        elif f["type"] == "choice":
            choices = f.get("choices")
            if not choices or not all(isinstance(c, dict) and c.get("value") and c.get("zh_CN") and c.get("en")
                                      for c in choices):
                problems.append(f"field {name}: each choice needs a value, zh_CN and en")
        if f.get("role") is not None and f.get("role") not in ROLES:
            problems.append(f"field {name}: unknown role {f.get('role')}")
    return problems


def _compile(code: str, mode: str) -> str | None:
    try:
        compile(code, "<bpmn>", mode)
    except SyntaxError as err:
        return f"{err.msg} (line {err.lineno})"
    return None


def _expressions(process) -> list[Problem]:
    problems = []
    for task in process.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = task.find("bpmn:script", NS)
        error = _compile(script.text or "", "exec") if script is not None else None
        if error:
            problems.append(Problem("bpmn_script_syntax", task.get("id"), {"detail": error}))
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None and (condition.text or "").strip():
            error = _compile(condition.text.strip(), "eval")
            if error:
                problems.append(Problem("bpmn_condition_syntax", flow.get("id"), {"detail": error}))
    for timer in process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event_id = timer.getparent().get("id")
        for kind in ("timeDuration", "timeDate", "timeCycle"):
            expr = timer.find(f"bpmn:{kind}", NS)
            if expr is not None:
                problems += _timer_problems(event_id, kind, (expr.text or "").strip())
    return problems


def _timer_problems(event_id: str, kind: str, text: str) -> list[Problem]:
    """SpiffWorkflow evaluates timer expressions as Python: an unquoted PT1H is a name, found only at run time."""
    if ISO_DURATION.match(text):
        return [Problem("bpmn_timer_unquoted", event_id, {"value": text})]
    error = _compile(text, "eval")
    if error:
        return [Problem("bpmn_timer_syntax", event_id, {"detail": error})]
    try:
        literal = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []  # an expression over the case's data (e.g. return_due_at): checked when it runs
    if kind == "timeDuration" and isinstance(literal, str) and not ISO_DURATION.match(literal):
        return [Problem("bpmn_duration_invalid", event_id, {"name": kind, "value": literal})]
    return []


def _gateways(process) -> list[Problem]:
    problems = []
    flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    for gateway in process.iter(f"{{{BPMN_NS}}}exclusiveGateway"):
        outgoing = [f for f in flows.values() if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        default = gateway.get("default")
        bare = [f for f in outgoing if f.get("id") != default
                and not (f.findtext("bpmn:conditionExpression", "", NS) or "").strip()]
        if not default and bare:
            problems.append(Problem("bpmn_gateway_no_default", gateway.get("id")))
        problems += [Problem("bpmn_flow_no_condition", f.get("id")) for f in bare]
    return problems


def properties_of(element) -> dict[str, str]:
    """An element's spiffworkflow:property name → value pairs (how Baomi's own settings are stored)."""
    return {p.get("name"): p.get("value") or ""
            for p in element.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def _properties(process) -> list[Problem]:
    problems = []
    for el in [process, *_all_nodes(process)]:
        props = properties_of(el)
        for article in articles.split_ids(props.get("articles", "")):
            if not articles.is_known(article):
                problems.append(Problem("bpmn_article_unknown", el.get("id"), {"article": article}))
        for name in ("due", "escalate_after"):
            if props.get(name):
                try:
                    engine.parse_duration(props[name])
                except Exception:  # the engine's parser raises bare Exceptions on bad text
                    problems.append(Problem("bpmn_duration_invalid", el.get("id"), {"name": name, "value": props[name]}))
        if props.get("escalation_role") and props["escalation_role"] not in ROLES:
            problems.append(Problem("bpmn_role_unknown", el.get("id"),
                                    {"name": "escalation_role", "role": props["escalation_role"]}))
    return problems


def _service_steps(process, process_id: str) -> list[Problem]:
    registered = steps.registered_steps()
    problems = []
    for task in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        name = (operator.get("id") if operator is not None else "") or ""
        if (process_id, name.removeprefix(steps.OPERATOR_PREFIX)) not in registered:
            problems.append(Problem("bpmn_no_step", task.get("id"), {"operator": name or "—", "process_id": process_id}))
    return problems


def _unreachable(process) -> list[Problem]:
    """Walk the sequence flows from the start events; a sub-process reached opens its own starts, a task
    reached opens its boundary events, and an event sub-process is reached with its parent."""
    nodes = {el.get("id"): el for el in _all_nodes(process)}
    outgoing: dict[str, list[str]] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    boundaries: dict[str, list[str]] = {}
    for el in nodes.values():
        if _local(el.tag) == "boundaryEvent":
            boundaries.setdefault(el.get("attachedToRef"), []).append(el.get("id"))

    def starts(container) -> list[str]:
        return [el.get("id") for el in _flow_nodes(container) if _local(el.tag) == "startEvent"
                or (_local(el.tag) == "subProcess" and el.get("triggeredByEvent") == "true")]

    top = starts(process)
    if not top:
        return [Problem("bpmn_no_start", process.get("id"))]
    seen, todo = set(), list(top)
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        todo += outgoing.get(node_id, []) + boundaries.get(node_id, [])
        if _local(nodes[node_id].tag) == "subProcess":
            todo += starts(nodes[node_id])
    return [Problem("bpmn_unreachable", node_id) for node_id in nodes if node_id not in seen]
