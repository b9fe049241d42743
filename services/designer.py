"""The process designer's work: drafts, publishing (and rolling back) versions, the diff between two
versions, and importing BPMN drawn elsewhere. Validation lives in services.bpmn_validation; versions are
stored by services.definitions and never change once published."""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ProcessDefinition, ProcessInstance
from models.designer import DesignerDraft
from services import audit, bpmn_validation, definitions
from services import forms as form_files
from services.bpmn_validation import BPMN_NS, NS, SPIFF_NS, Problem
from services.errors import DomainError, NotFound
from services.messages import register
from services.procedures import PROCEDURES
from services.roles import ROLES

# A case in one of these states still runs on its version; the others are finished.
UNFINISHED = ("running", "suspended", "error")
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

register({
    "bpmn_refused": ("流程文件未通过校验，未作任何更改。", "The process file did not pass validation; nothing was changed."),
    "version_not_found": ("流程 {process_id} 没有第 {version} 版。", "Process {process_id} has no version {version}."),
})


class BpmnRefused(DomainError):
    """The file has problems; each is pinned to an element where it can be."""

    def __init__(self, problems: list[Problem]):
        super().__init__("bpmn_refused")
        self.problems = problems


@dataclass(frozen=True)
class Source:
    """What the designer opens: the draft if there is one, else the latest published version."""

    process_id: str
    bpmn_xml: str
    forms: dict
    is_draft: bool
    version: int | None


def overview(session: Session) -> list[dict]:
    """Every process with its versions (newest first) and how many unfinished cases run on each."""
    running = dict(session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status.in_(UNFINISHED)).group_by(ProcessInstance.definition_id)).all())
    drafts = set(session.scalars(select(DesignerDraft.process_id)))
    out = []
    for process_id in definitions.published_process_ids(session):
        versions = session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                                   .order_by(ProcessDefinition.version.desc())).all()
        out.append({
            "process_id": process_id,
            "name_zh": versions[0].name_zh, "name_en": versions[0].name_en,
            "has_draft": process_id in drafts,
            "versions": [{"version": d.version, "published_at": d.published_at.isoformat(),
                          "content_hash": d.content_hash, "running_cases": running.get(d.id, 0)} for d in versions],
        })
    return out


def version(session: Session, process_id: str, number: int) -> ProcessDefinition:
    found = session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version == number))
    if found is None:
        raise NotFound("version_not_found", process_id=process_id, version=number)
    return found


def source(session: Session, process_id: str) -> Source:
    draft = session.scalar(select(DesignerDraft).where(DesignerDraft.process_id == process_id))
    if draft is not None:
        return Source(process_id, draft.bpmn_xml, json.loads(draft.forms_json), True, None)
    latest = definitions.latest_definition(session, process_id)
    return Source(process_id, latest.bpmn_xml, {}, False, latest.version)


def form(session: Session, process_id: str, task_id: str) -> dict | None:
    """A task's form as the designer edits it: the drafted one, else the published file, else None."""
    drafted = source(session, process_id).forms
    if task_id in drafted:
        return drafted[task_id]
    path = form_files.FORMS_DIR / process_id / f"{task_id}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def save_draft(session: Session, process_id: str, bpmn_xml: str, drafted_forms: dict, actor_id: int) -> list[Problem]:
    """Keep unfinished work. A draft may have problems (they are returned), but it must at least be the
    BPMN of this process: an unreadable file replaces nothing."""
    _require_process(session, process_id)
    try:
        bpmn_validation.read(bpmn_xml, process_id, _other_processes(process_id))
    except bpmn_validation.Refused as refused:
        raise BpmnRefused([refused.problem]) from None
    draft = session.scalar(select(DesignerDraft).where(DesignerDraft.process_id == process_id))
    if draft is None:
        draft = DesignerDraft(process_id=process_id)
        session.add(draft)
    draft.bpmn_xml = bpmn_xml
    draft.forms_json = json.dumps(drafted_forms, ensure_ascii=False)
    draft.updated_by = actor_id
    session.flush()
    return validate(process_id, bpmn_xml, drafted_forms)


def validate(process_id: str, bpmn_xml: str, drafted_forms: dict) -> list[Problem]:
    return bpmn_validation.validate(bpmn_xml, process_id, drafted_forms, _other_processes(process_id))


def publish(session: Session, process_id: str, bpmn_xml: str, drafted_forms: dict, actor_id: int,
            rollback_of: int | None = None) -> tuple[ProcessDefinition, bool]:
    """Validate, write the drafted forms, store a new version and audit who published it. New cases take
    the new version; running cases keep the version they started on."""
    _require_process(session, process_id)
    problems = validate(process_id, bpmn_xml, drafted_forms)
    if problems:
        raise BpmnRefused(problems)
    for task_id, raw in drafted_forms.items():
        _write_form(process_id, task_id, raw)
    definition, created = definitions.publish(session, process_id, bpmn_xml)
    if created:
        audit.record(session, "definition_published", actor_id, process_id=process_id,
                     version=definition.version, content_hash=definition.content_hash,
                     forms=sorted(drafted_forms), rollback_of=rollback_of)
    draft = session.scalar(select(DesignerDraft).where(DesignerDraft.process_id == process_id))
    if draft is not None and rollback_of is None:
        session.delete(draft)  # what the designer published supersedes the draft; a rollback leaves it be
    session.flush()
    return definition, created


def republish(session: Session, process_id: str, number: int, actor_id: int) -> tuple[ProcessDefinition, bool]:
    """Roll back: publish an old version's BPMN again as the newest version (versions never change)."""
    old = version(session, process_id, number)
    return publish(session, process_id, old.bpmn_xml, {}, actor_id, rollback_of=number)


def _write_form(process_id: str, task_id: str, raw: dict) -> None:
    # Forms are files found by task id (services.forms); write atomically so a reader never sees half.
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,79}", task_id) or not re.fullmatch(r"[a-z_]+", process_id):
        raise ValueError(f"not a form name: {process_id}/{task_id}")  # validation lets none through
    folder = form_files.FORMS_DIR / process_id
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(raw, out, ensure_ascii=False, indent=2)
        out.write("\n")
    os.replace(tmp, folder / f"{task_id}.json")
    form_files.load.cache_clear()


def _require_process(session: Session, process_id: str) -> None:
    definitions.latest_definition(session, process_id)  # NotFound for a process that was never published


def _other_processes(process_id: str) -> set[str]:
    return set(PROCEDURES) - {process_id}


# --- diff -----------------------------------------------------------------------------------------------

def _signature(el) -> dict:
    """What a designer would call 'the element changed': its kind, attributes, texts and Baomi properties,
    not its position on the diagram (the DI lives elsewhere and is ignored)."""
    sig = {"tag": etree.QName(el).localname, "attrs": dict(sorted(el.attrib.items()))}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in ("conditionExpression", "script", "documentation", "timeDuration", "timeDate", "timeCycle"):
            sig[name] = (child.text or "").strip()
        elif name in ("incoming", "outgoing", "flowNodeRef"):
            sig.setdefault(name, []).append((child.text or "").strip())
    sig["properties"] = bpmn_validation.properties_of(el)
    for timer in el.findall("bpmn:timerEventDefinition/*", NS):
        sig[etree.QName(timer).localname] = (timer.text or "").strip()
    return sig


def _elements(bpmn_xml: str) -> dict[str, tuple[dict, str]]:
    root = etree.fromstring(bpmn_xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    out = {}
    for process in root.findall("bpmn:process", NS):
        for el in process.iter():
            if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS and el.get("id") \
                    and el is not process:
                out[el.get("id")] = (_signature(el), el.get("name") or "")
    return out


def diff(old_xml: str, new_xml: str) -> dict:
    """Elements added, removed and changed between two versions, by id, with what changed."""
    old, new = _elements(old_xml), _elements(new_xml)
    changed = []
    for element_id in sorted(set(old) & set(new)):
        before, after = old[element_id][0], new[element_id][0]
        if before != after:
            keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            changed.append({"id": element_id, "tag": after["tag"], "name": new[element_id][1], "what": keys})
    describe = lambda ids, side: [{"id": i, "tag": side[i][0]["tag"], "name": side[i][1]} for i in sorted(ids)]  # noqa: E731
    return {"added": describe(set(new) - set(old), new), "removed": describe(set(old) - set(new), old),
            "changed": changed}


# --- import ---------------------------------------------------------------------------------------------

def import_bpmn(session: Session, process_id: str, data: bytes, actor_id: int) -> dict:
    """Read a .bpmn file as a draft of `process_id`. Camunda Modeler's candidate groups become lanes named
    after roles; what cannot be mapped is listed, by element. Refused files replace nothing."""
    _require_process(session, process_id)
    try:
        root = bpmn_validation.read(data, process_id, _other_processes(process_id))
    except bpmn_validation.Refused as refused:
        raise BpmnRefused([refused.problem]) from None
    notes: list[dict] = []
    if CAMUNDA_NS in root.nsmap.values() or root.xpath("//@*[namespace-uri()=$ns]", ns=CAMUNDA_NS):
        notes = map_camunda(root, process_id)
    bpmn_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    problems = save_draft(session, process_id, bpmn_xml, source(session, process_id).forms, actor_id)
    return {"bpmn_xml": bpmn_xml, "notes": notes, "problems": problems}


def _note(element_id, what: str, mapped: bool) -> dict:
    return {"element_id": element_id, "mapped": mapped, "what": what}


def map_camunda(root, process_id: str) -> list[dict]:
    """Turn Camunda Modeler's extensions into Baomi's, in place; returns a note per element saying what was
    mapped and exactly what was not."""
    process = next(p for p in root.findall("bpmn:process", NS) if p.get("id") == process_id)
    cam = lambda name: f"{{{CAMUNDA_NS}}}{name}"  # noqa: E731
    notes = []
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        task_id = task.get("id")
        groups = [g.strip() for g in (task.get(cam("candidateGroups")) or "").split(",") if g.strip()]
        if len(groups) == 1 and groups[0] in ROLES:
            _move_to_lane(process, task_id, groups[0])
            del task.attrib[cam("candidateGroups")]
            drawn = "" if _lane_has_shape(root, groups[0]) else " (the new lane has no shape on the diagram yet)"
            notes.append(_note(task_id, f"candidateGroups {groups[0]} → lane {groups[0]}{drawn}", True))
        elif groups:
            notes.append(_note(task_id, f"candidateGroups {', '.join(groups)}: a task has exactly one lane, "
                               f"named after one of the roles {', '.join(ROLES)}", False))
        for attr, why in (("assignee", "Baomi assigns by lane role (and the assignee_from property)"),
                          ("candidateUsers", "Baomi assigns by lane role, not by named users"),
                          ("formKey", f"forms are found by task id: forms/{process_id}/{task_id}.json")):
            if task.get(cam(attr)):
                notes.append(_note(task_id, f"{attr}={task.get(cam(attr))}: not mapped; {why}", False))
        if task.find("bpmn:extensionElements/{%s}formData" % CAMUNDA_NS, NS) is not None:
            notes.append(_note(task_id, "camunda:formData: not mapped; write the form in the designer's form editor",
                               False))
    for task in process.iter(f"{{{BPMN_NS}}}serviceTask"):
        for attr in ("class", "expression", "delegateExpression", "type", "topic"):
            if task.get(cam(attr)):
                notes.append(_note(task.get("id"), f"{attr}={task.get(cam(attr))}: not mapped; a service task "
                                   f"runs the Baomi step registered under its id", False))
        if task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS) is None:
            _add_operator(task)
            notes.append(_note(task.get("id"), f"calls the step baomi/{task.get('id')}", True))
    for expr in process.iter(f"{{{BPMN_NS}}}timeDuration"):
        text = (expr.text or "").strip()
        if bpmn_validation.ISO_DURATION.match(text):
            expr.text = f'"{text}"'
            notes.append(_note(expr.getparent().getparent().get("id"), f"timer {text} → \"{text}\"", True))
    for condition in process.iter(f"{{{BPMN_NS}}}conditionExpression"):
        text = (condition.text or "").strip()
        if text.startswith("${") and text.endswith("}"):
            condition.text = text[2:-1].replace("&&", " and ").replace("||", " or ")
            notes.append(_note(condition.getparent().get("id"), f"{text} → {condition.text} (check it is Python)", True))
    return notes


def _move_to_lane(process, task_id: str, role: str) -> None:
    """Put a task into the lane named after `role`, creating the lane (without diagram shape) if needed."""
    for ref in process.iter(f"{{{BPMN_NS}}}flowNodeRef"):
        if (ref.text or "").strip() == task_id:
            ref.getparent().remove(ref)
    lane_set = process.find("bpmn:laneSet", NS)
    if lane_set is None:
        lane_set = etree.Element(f"{{{BPMN_NS}}}laneSet", id=f"{process.get('id')}_lanes")
        process.insert(0, lane_set)
    lane = next((found for found in lane_set.findall("bpmn:lane", NS) if found.get("name") == role), None)
    if lane is None:
        lane = etree.SubElement(lane_set, f"{{{BPMN_NS}}}lane", id=f"lane_{role}", name=role)
    etree.SubElement(lane, f"{{{BPMN_NS}}}flowNodeRef").text = task_id


def _lane_has_shape(root, role: str) -> bool:
    lane_ids = {lane.get("id") for lane in root.iter(f"{{{BPMN_NS}}}lane") if lane.get("name") == role}
    return any(shape.get("bpmnElement") in lane_ids for shape in root.iter("{*}BPMNShape"))


def _add_operator(task) -> None:
    extensions = task.find("bpmn:extensionElements", NS)
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        task.insert(0, extensions)
    operator = etree.SubElement(extensions, f"{{{SPIFF_NS}}}serviceTaskOperator", id=f"baomi/{task.get('id')}",
                                resultVariable=f"{task.get('id')}_result")
    etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")


def role_choices(locale: str) -> list[dict]:
    return [{"key": r.key, "name": r.name(locale)} for r in ROLES.values()]

