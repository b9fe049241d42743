"""Reference data: the bureau's designated repair units (CIS.9) and destruction sites (DES.4), and the systems
access is granted to (CNET.5). Kept by the admin and the security office; every change is audited. Items are
deactivated, never deleted, so that old cases still name them."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ReferenceItem, User
from services import audit
from services.assignment import holds_role
from services.enforcement import enforces
from services.errors import DomainError, Forbidden, NotFound
from services.messages import register

register({
    "reference_kind_unknown": ("没有“{kind}”这类参考数据。", "There is no reference data of kind {kind}."),
    "reference_code_taken": ("代码 {item_code} 已在此类参考数据中使用。", "Code {item_code} is already used in this list."),
    "reference_keepers_only": ("只有系统管理员和办公室保密办可以维护参考数据。",
                               "Only the admin and the security office keep the reference data."),
})

KINDS = {
    "repair_unit": ("指定维修点", "Designated repair units"),
    "destruction_site": ("指定销毁点", "Designated destruction sites"),
    "system": ("涉密信息系统", "Systems"),
}
KEEPER_ROLES = ("admin", "security_office")


def may_keep(session: Session, user: User) -> bool:
    return any(holds_role(session, user.id, role, None) for role in KEEPER_ROLES)


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound("reference_kind_unknown", kind=kind)


def items(session: Session, kind: str, include_inactive: bool = True) -> list[ReferenceItem]:
    check_kind(kind)
    query = select(ReferenceItem).where(ReferenceItem.kind == kind)
    if not include_inactive:
        query = query.where(ReferenceItem.active.is_(True))
    return list(session.scalars(query.order_by(ReferenceItem.code)))


def item(session: Session, kind: str, item_id: int) -> ReferenceItem:
    check_kind(kind)
    found = session.get(ReferenceItem, item_id)
    if found is None or found.kind != kind:
        raise NotFound("not_found")
    return found


def _check_keeper(session: Session, actor: User) -> None:
    if not may_keep(session, actor):
        raise Forbidden("reference_keepers_only")


@enforces("CIS.9", "DES.4", what_zh="指定维修点和销毁点名录由管理员和保密办维护，变更留痕",
          what_en="The lists of designated repair units and destruction sites are kept by the admin and the "
                  "security office, every change audited")
def add_item(session: Session, actor: User, kind: str, code: str, name_zh: str, name_en: str) -> ReferenceItem:
    """Add an item to a list; the caller commits."""
    _check_keeper(session, actor)
    check_kind(kind)
    code = code.strip().upper()
    if session.scalar(select(exists().where(ReferenceItem.kind == kind, ReferenceItem.code == code))):
        raise DomainError("reference_code_taken", field="code", item_code=code)
    new = ReferenceItem(kind=kind, code=code, name_zh=name_zh.strip(), name_en=name_en.strip(), active=True)
    session.add(new)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError("reference_code_taken", field="code", item_code=code) from None
    audit.record(session, "reference_item_added", actor.id, reference_kind=kind, reference_id=new.id, code=code,
                 name_zh=new.name_zh, name_en=new.name_en)
    return new


def set_active(session: Session, actor: User, kind: str, item_id: int, active: bool) -> ReferenceItem:
    """Deactivate (no longer offered in forms) or reactivate an item; the caller commits."""
    _check_keeper(session, actor)
    found = item(session, kind, item_id)
    if found.active != active:
        found.active = active
        audit.record(session, "reference_item_reactivated" if active else "reference_item_deactivated", actor.id,
                     reference_kind=kind, reference_id=found.id, code=found.code)
    return found
