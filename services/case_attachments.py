"""Files attached to a case: a size limit, a short list of allowed types checked by the name's extension
AND by the content itself, the bytes kept in the database beside (not inside) the workflow state, and a
download only for whoever may see the case.

Why the database and not a directory: production runs several gunicorn workers on more than one host
sharing one PostgreSQL; a file written to one host's disk would be missing on the others, and the database
backup (pg_dump, `flask backup`) would leave it out. At the 10 MB limit a bytea row costs one round trip."""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer

from models import CaseAttachment, ProcessInstance, User, utcnow
from services import assignment, audit, case_readers
from services.errors import DomainError, Forbidden, NotFound
from services.messages import register

register({
    "attachment_missing": ("请选择要上传的文件。", "Choose a file to upload."),
    "attachment_empty": ("文件为空。", "The file is empty."),
    "attachment_too_large": ("文件过大：最大 {max_mb} MB。", "The file is too large: at most {max_mb} MB."),
    "attachment_type_not_allowed": ("不允许的文件类型：只能上传 {allowed} 文件。",
                                    "This type of file is not allowed: only {allowed}."),
    "attachment_content_mismatch": ("文件内容与扩展名 .{ext} 不符，未保存。",
                                    "The file's content does not match its extension .{ext}; it was not saved."),
    "attachment_readers_cannot_upload": ("抄送人只能查看本案件，不能上传附件。",
                                         "A reader copied in may only read the case, not attach files."),
})

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain; charset=utf-8",
}
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpg", "jpeg": "jpg", "docx": "docx", "xlsx": "xlsx", "txt": "txt"}
ALLOWED_TEXT = "PDF、PNG、JPG、DOCX、XLSX、TXT"


class Refused(DomainError):
    """A file that is missing, empty, of a type not allowed or not what its name says (HTTP 400)."""

    status = 400


@dataclass(frozen=True)
class Upload:
    """A file as the web layer received it."""

    filename: str
    content: bytes


def kind_of(filename: str) -> str:
    """The allowed kind a file name claims by its extension, or a refusal."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in EXTENSIONS:
        raise Refused("attachment_type_not_allowed", field="file", allowed=ALLOWED_TEXT)
    return EXTENSIONS[ext]


def content_is(kind: str, content: bytes) -> bool:
    """Whether the bytes really are a file of this kind (their signature, not the name, decides)."""
    if kind == "pdf":
        return content.startswith(b"%PDF-")
    if kind == "png":
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpg":
        return content.startswith(b"\xff\xd8\xff")
    if kind in ("docx", "xlsx"):
        return _office_part(content) == kind
    if kind == "txt":
        return _is_text(content)
    return False


def _office_part(content: bytes) -> str | None:
    # An OOXML file is a zip whose main part names the application; only the directory is read, never inflated.
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _is_text(content: bytes) -> bool:
    # Plain text in UTF-8 or GB18030 (what office PCs here write), without the NUL bytes of binary files.
    if b"\x00" in content:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            content.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def clean_filename(filename: str) -> str:
    """The name to show and offer on download: no folders, no control characters, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    if len(name) > 200:
        stem, _, ext = name.rpartition(".")
        name = stem[:200 - len(ext) - 1] + "." + ext
    return name


def attach(session: Session, instance: ProcessInstance, user: User, upload: Upload | None,
           max_bytes: int = DEFAULT_MAX_BYTES) -> CaseAttachment:
    """Check and store one file on the case; any refusal stores nothing."""
    if not assignment.can_view_case(session, user, instance):
        raise NotFound("not_found")
    if not case_readers.sees_beyond_copy(session, user, instance):
        raise Forbidden("attachment_readers_cannot_upload")
    if upload is None or not clean_filename(upload.filename):
        raise Refused("attachment_missing", field="file")
    check_size(len(upload.content), max_bytes)
    if not upload.content:
        raise Refused("attachment_empty", field="file")
    filename = clean_filename(upload.filename)
    kind = kind_of(filename)
    if not content_is(kind, upload.content):
        raise Refused("attachment_content_mismatch", field="file", ext=filename.rsplit(".", 1)[-1].lower())
    row = CaseAttachment(instance_id=instance.id, uploaded_by_id=user.id, uploaded_at=utcnow(), filename=filename,
                         kind=kind, size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
                         content=upload.content)
    session.add(row)
    session.flush()
    audit.record(session, "attachment_added", user.id, instance.id, attachment_id=row.id, filename=filename,
                 kind=kind, size=row.size, sha256=row.sha256)
    return row


class TooLarge(DomainError):
    """A file over the size limit (HTTP 413)."""

    status = 413


def check_size(size: int, max_bytes: int) -> None:
    """Refuse a file over the limit, with the limit in MB."""
    if size > max_bytes:
        raise TooLarge("attachment_too_large", field="file", max_mb=_mb(max_bytes))


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def attachments_of(session: Session, instance_id: int) -> list[CaseAttachment]:
    """The case's files, oldest first, without their bytes."""
    return list(session.scalars(select(CaseAttachment).where(CaseAttachment.instance_id == instance_id)
                                .options(joinedload(CaseAttachment.uploaded_by)).order_by(CaseAttachment.id)))


def for_download(session: Session, instance: ProcessInstance, attachment_id: int, user: User) -> CaseAttachment:
    """The file with its bytes, if the user may see its case; every download is in the audit log."""
    if not assignment.can_view_case(session, user, instance):
        raise NotFound("not_found")
    row = session.scalar(select(CaseAttachment).where(CaseAttachment.id == attachment_id,
                                                      CaseAttachment.instance_id == instance.id)
                         .options(undefer(CaseAttachment.content)))
    if row is None:
        raise NotFound("not_found")
    audit.record(session, "attachment_downloaded", user.id, instance.id, attachment_id=row.id,
                 filename=row.filename)
    return row
