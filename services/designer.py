"""The process designer's work: drafts, publishing (and rolling back) versions, the diff between two
versions, and importing BPMN drawn elsewhere. Validation lives in services.bpmn_validation; versions are
stored by services.definitions and never change once published."""
from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ProcessDefinition, ProcessInstance
from models.designer import DesignerDraft
from services import audit, bpmn_validation, camunda_import, definitions
from services import forms as form_files
from services.bpmn_validation import BPMN_NS, NS, Problem
from services.errors import DomainError, NotFound
from services.messages import register
from services.procedures import PROCEDURES
from services.roles import ROLES

# A case in one of these states still runs on its version; the others are finished.
UNFINISHED = ("running", "suspended", "error")

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
    """A task's form as the designer edits it: the drafted one, else the latest version's, else None."""
    drafted = source(session, process_id).forms
    if task_id in drafted:
        return drafted[task_id]
    return published_forms(session, process_id).get(task_id)


def published_forms(session: Session, process_id: str) -> dict[str, dict]:
    """{form name: JSON} of the latest version: what a new version keeps unless the designer edits it."""
    return form_files.raw_of_version(session, definitions.latest_definition(session, process_id).id)


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
    return validate(session, process_id, bpmn_xml, drafted_forms)


def validate(session: Session, process_id: str, bpmn_xml: str, drafted_forms: dict) -> list[Problem]:
    """Every problem of the BPMN with its drafted forms, the latest version's forms counting as given."""
    return bpmn_validation.validate(bpmn_xml, process_id, drafted_forms, _other_processes(process_id),
                                    published_forms=set(published_forms(session, process_id)))


def publish(session: Session, process_id: str, bpmn_xml: str, drafted_forms: dict, actor_id: int,
            rollback_of: int | None = None) -> tuple[ProcessDefinition, bool]:
    """Validate, store a new version with its forms (the latest version's, with the drafted ones in their
    place) and audit who published it. New cases take the new version; running cases keep the version they
    started on, forms included."""
    _require_process(session, process_id)
    problems = validate(session, process_id, bpmn_xml, drafted_forms)
    if problems:
        raise BpmnRefused(problems)
    version_forms = {**published_forms(session, process_id), **drafted_forms}
    definition, created = definitions.publish(session, process_id, bpmn_xml, version_forms)
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
    """Roll back: publish an old version's BPMN and forms again as the newest version (versions never change)."""
    old = version(session, process_id, number)
    return publish(session, process_id, old.bpmn_xml, form_files.raw_of_version(session, old.id), actor_id,
                   rollback_of=number)


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
    """Read a .bpmn file as a draft of `process_id`. Camunda Modeler's extensions are mapped
    (services.camunda_import); what cannot be mapped is listed, by element. Refused files replace nothing."""
    _require_process(session, process_id)
    try:
        root = bpmn_validation.parse_xml(data)
        notes = _adopt(root, process_id)
        bpmn_validation.read(etree.tostring(root), process_id, _other_processes(process_id))
    except bpmn_validation.Refused as refused:
        raise BpmnRefused([refused.problem]) from None
    mapped_forms = {}
    if camunda_import.uses_camunda(root):
        camunda_notes, mapped_forms = camunda_import.map_camunda(root, process_id)
        notes += camunda_notes
    bpmn_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    drafted = {**source(session, process_id).forms, **mapped_forms}
    problems = save_draft(session, process_id, bpmn_xml, drafted, actor_id)
    return {"bpmn_xml": bpmn_xml, "notes": notes, "problems": problems, "forms": drafted}


def _adopt(root, process_id: str) -> list[dict]:
    """A file from another modeler holds one process under a name of its own (bpmn.io: Process_1) and, by
    default, not executable: import it as this process. A file naming other known processes is left as it is
    (read() refuses it as a clash)."""
    notes = []
    found = root.findall("bpmn:process", NS)
    known = {p.get("id") for p in found} & set(PROCEDURES)
    if len(found) == 1 and process_id not in known and not known:
        process, old_id = found[0], found[0].get("id")
        process.set("id", process_id)
        for el in root.iter():
            if isinstance(el.tag, str):
                for attr in ("processRef", "bpmnElement"):
                    if el.get(attr) == old_id:
                        el.set(attr, process_id)
        notes.append(camunda_import.note(process_id, f"process {old_id} → {process_id}", True))
    for process in root.findall("bpmn:process", NS):
        if process.get("id") == process_id and process.get("isExecutable") != "true":
            process.set("isExecutable", "true")
            notes.append(camunda_import.note(process_id, "isExecutable → true", True))
    return notes


def role_choices(locale: str) -> list[dict]:
    return [{"key": r.key, "name": r.name(locale)} for r in ROLES.values()]

