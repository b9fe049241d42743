"""Publishing BPMN files as immutable, numbered definition versions."""
import hashlib
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ProcessDefinition
from services import engine
from services.errors import NotFound
from services.procedures import PROCEDURES

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


def content_hash(bpmn_xml: str) -> str:
    return hashlib.sha256(bpmn_xml.encode("utf-8")).hexdigest()


def publish(session: Session, process_id: str, bpmn_xml: str) -> tuple[ProcessDefinition, bool]:
    """Publish a new version when the content changed; returns (definition, created)."""
    engine.parse(bpmn_xml, process_id)  # refuse what the engine cannot run before storing it
    digest = content_hash(bpmn_xml)
    latest = latest_definition(session, process_id, required=False)
    if latest is not None and latest.content_hash == digest:
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
    return definition, True


def publish_directory(session_factory, directory: Path = PROCESSES_DIR) -> list[tuple[str, int, bool]]:
    """Publish every processes/*.bpmn, each in its own transaction; a worker racing us is harmless."""
    results = []
    for path in sorted(directory.glob("*.bpmn")):
        with session_factory() as session:
            bpmn_xml = path.read_text(encoding="utf-8")
            # A file whose content was published before is not news: a designer may have published newer
            # versions in the browser since, and a restart must not roll those back.
            earlier = published_with_hash(session, path.stem, content_hash(bpmn_xml))
            if earlier is not None:
                results.append((path.stem, latest_definition(session, path.stem).version, False))
                continue
            try:
                definition, created = publish(session, path.stem, bpmn_xml)
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


def published_with_hash(session: Session, process_id: str, digest: str) -> ProcessDefinition | None:
    """The earliest version of `process_id` with exactly this content, if any."""
    return session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.content_hash == digest)
        .order_by(ProcessDefinition.version).limit(1))


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
