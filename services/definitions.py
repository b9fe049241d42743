"""Publishing BPMN files as immutable, numbered definition versions, each with the forms of its tasks."""
import hashlib
import json
from collections import OrderedDict
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ProcessDefinition, ProcessForm
from services import engine, forms
from services.errors import NotFound
from services.procedures import PROCEDURES

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def content_hash(bpmn_xml: str) -> str:
    return hashlib.sha256(bpmn_xml.encode("utf-8")).hexdigest()


def form_names(bpmn_xml: str, process_id: str) -> set[str]:
    """The forms a version of `process_id` needs: "start" and one per user task."""
    root = etree.fromstring(bpmn_xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    names = {"start"}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            names |= {task.get("id") for task in process.iter(f"{{{BPMN_NS}}}userTask")}
    return names


def publish(session: Session, process_id: str, bpmn_xml: str,
            version_forms: dict[str, dict] | None = None) -> tuple[ProcessDefinition, bool]:
    """Publish a new version when the BPMN or its forms changed; returns (definition, created).
    `version_forms` ({form name: JSON}) are stored with it, those of no task left out; None keeps the latest
    version's forms (a change of the diagram alone)."""
    engine.parse(bpmn_xml, process_id)  # refuse what the engine cannot run before storing it
    digest = content_hash(bpmn_xml)
    latest = latest_definition(session, process_id, required=False)
    if version_forms is None:
        version_forms = forms.raw_of_version(session, latest.id) if latest is not None else {}
    needed = form_names(bpmn_xml, process_id)
    version_forms = {name: raw for name, raw in version_forms.items() if name in needed}
    if latest is not None and latest.content_hash == digest \
            and forms.raw_of_version(session, latest.id) == version_forms:
        return latest, False
    procedure = PROCEDURES.get(process_id)
    definition = ProcessDefinition(
        process_id=process_id,
        version=(latest.version + 1) if latest else 1,
        name_zh=procedure.name_zh if procedure else process_id,
        name_en=procedure.name_en if procedure else process_id,
        bpmn_xml=bpmn_xml,
        content_hash=digest,
    )
    session.add(definition)
    session.flush()
    session.add_all(ProcessForm(definition_id=definition.id, task_bpmn_id=name,
                                form_json=json.dumps(raw, ensure_ascii=False))
                    for name, raw in sorted(version_forms.items()))
    session.flush()
    return definition, True


def publish_directory(session_factory, directory: Path = PROCESSES_DIR) -> list[tuple[str, int, bool]]:
    """Publish every processes/*.bpmn with its forms/<process>/*.json, each process in its own transaction;
    a worker racing us is harmless."""
    results = []
    for path in sorted(directory.glob("*.bpmn")):
        with session_factory() as session:
            bpmn_xml = path.read_text(encoding="utf-8")
            needed = form_names(bpmn_xml, path.stem)
            file_forms = {name: raw for name, raw in forms.read_files(path.stem).items() if name in needed}
            # Files whose content was published before are not news: a designer may have published newer
            # versions in the browser since, and a restart must not roll those back.
            earlier = published_with(session, path.stem, content_hash(bpmn_xml), file_forms)
            if earlier is not None:
                results.append((path.stem, latest_definition(session, path.stem).version, False))
                continue
            try:
                definition, created = publish(session, path.stem, bpmn_xml, file_forms)
                session.commit()
            except IntegrityError:
                # Another process published the same version at the same moment.
                session.rollback()
                definition, created = latest_definition(session, path.stem), False
            results.append((path.stem, definition.version, created))
    return results


def latest_definition(session: Session, process_id: str, required: bool = True) -> ProcessDefinition | None:
    latest = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if latest is None and required:
        raise NotFound("process_not_found", process_id=process_id)
    return latest


def published_with(session: Session, process_id: str, digest: str, version_forms: dict) -> ProcessDefinition | None:
    """The earliest version of `process_id` with exactly this BPMN and these forms, if any."""
    for definition in session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.process_id == process_id, ProcessDefinition.content_hash == digest)
            .order_by(ProcessDefinition.version)):
        if forms.raw_of_version(session, definition.id) == version_forms:
            return definition
    return None


_PARSED: OrderedDict[tuple[int, str], engine.ParsedProcess] = OrderedDict()
_PARSED_MAX = 256


def parsed(definition: ProcessDefinition) -> engine.ParsedProcess:
    """The parsed spec of a definition version. Published versions never change, so each worker parses
    one once; the key holds the content hash too, so a reused id (a restored database) cannot mislead."""
    key = (definition.id, definition.content_hash)
    found = _PARSED.get(key)
    if found is None:
        found = engine.parse(definition.bpmn_xml, definition.process_id)
        _PARSED[key] = found
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(key)
    return found


def published_process_ids(session: Session) -> list[str]:
    return list(session.scalars(select(ProcessDefinition.process_id).group_by(ProcessDefinition.process_id)
                                .order_by(func.min(ProcessDefinition.id))))
