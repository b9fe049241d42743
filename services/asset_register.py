"""The asset register (登记造册): the one place that registers and edits assets and holds the register to its
invariants (MED.1, MED.2, MED.3, MED.4, UNET.4, CNET.8, DES.4). Status changes still go through
services.assets.move, the status machine's one door."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from models import (Asset, AuditEvent, CaseAsset, DestructionItem, MaintenanceLogEntry, ProcessInstance,
                    RoleAssignment, Section, User)
from services import assets, audit
from services.assignment import OVERSIGHT_ROLES, holds_role
from services.enforcement import enforces
from services.errors import DomainError, Forbidden, NotFound
from services.messages import register

register({
    "register_security_office_only": (
        "只有办公室保密办可以登记和修改资产（MED.1）。",
        "Only the security office registers and edits assets (MED.1)."),
    "register_number_taken": (
        "登记编号 {number} 已被使用。",
        "Register number {number} is already taken."),
    "register_number_format": (
        "登记编号应为“{example}”格式：涉密资产以 BM- 开头，非涉密资产以 FM- 开头，中间为类别代码（UNET.4）。",
        "The register number must look like {example}: BM- for classified, FM- for unclassified assets, then the "
        "kind code (UNET.4)."),
    "register_number_mixes": (
        "涉密资产编号以 BM- 开头，非涉密资产编号以 FM- 开头，二者不得混编：此项应以 {prefix}- 开头（MED.4）。",
        "Classified assets are numbered BM-, unclassified ones FM-, never mixed: this one starts with {prefix}- "
        "(MED.4)."),
    "register_never_unclassified": (
        "涉密资产不得转为非涉密资产（CNET.8）。",
        "A classified asset never becomes unclassified (CNET.8)."),
    "register_level_lowered": (
        "涉密资产的密级只能提高，不能降低（CNET.8）。",
        "A classified asset's level may be raised, never lowered (CNET.8)."),
    "register_unclassified_to_classified": (
        "非涉密资产不得改作涉密资产使用，涉密与非涉密不得混用；请另行登记一项涉密资产（MED.4）。",
        "An unclassified asset never becomes classified: the two are never mixed. Register a new classified asset "
        "instead (MED.4)."),
    "register_donation_sale_forbidden": (
        "登记的资产不得捐赠或出售，只能按规定报废或送指定销毁点销毁（CNET.8、DES.4）。",
        "Registered assets are never donated or sold; they are scrapped or destroyed at a designated site "
        "(CNET.8, DES.4)."),
    "register_holder_outside": (
        "使用人必须是本单位在职人员，涉密资产严禁借给外单位（MED.3）。",
        "The holder must be an active member of the office; assets are never lent to an outside unit (MED.3)."),
    "register_holder_required": (
        "在用资产必须有使用人。",
        "An asset in use needs a holder."),
    "register_custodian_not_of_section": (
        "保管人必须是该科室指定的专人（MED.2）。",
        "The custodian must be the section's designated custodian (MED.2)."),
    "register_no_custodian": (
        "该科室没有指定保管专人，资产不能交专人保管（MED.2）。",
        "The section has no designated custodian, so the asset cannot be put in storage (MED.2)."),
    "register_storage_held_by_custodian": (
        "专人保管的资产由科室指定专人持有；如需交他人使用，请将状态改为“在用”（MED.2）。",
        "An asset in storage is held by the section's custodian; to hand it to someone, set it in use (MED.2)."),
    "register_in_open_case": (
        "资产 {number} 正在未结案件 {case} 中，不能修改其状态、使用人或科室。",
        "Asset {number} is in the open case {case}; its status, holder and section cannot be edited now."),
    "register_transition_refused": (
        "资产状态不能从“{before_zh}”改为“{after_zh}”。",
        "The asset's status cannot change from {before_en} to {after_en}."),
    "register_status_by_procedure": (
        "状态“{status_zh}”只能由相应流程设置（携带外出、维修、报废、销毁），不能在登记簿中直接修改。",
        "The status {status_en} is set by its procedure (carry-out, repair, scrapping, destruction), not edited in "
        "the register."),
    "register_asset_destroyed": (
        "资产已销毁，登记记录不能再修改。",
        "The asset is destroyed; its record can no longer be edited."),
    "register_section_unknown": (
        "所选科室不存在。",
        "The chosen section does not exist."),
    "register_reason_required": (
        "请填写处置理由。",
        "Give the reason for the disposal."),
})

# The office's numbering (UNET.4: media numbered and filed): a prefix per side of the classified line (MED.4),
# then a kind code and a sequence number, e.g. BM-LT-001, FM-U-011.
PREFIXES = {True: "BM", False: "FM"}  # classified? -> prefix
KIND_CODES = {"laptop": "LT", "desktop": "PC", "hard_disk": "HD", "usb_stick": "U", "optical_disc": "CD",
              "memory_card": "MC", "printer": "PR"}
NUMBER_PATTERN = re.compile(r"^(BM|FM)-([A-Z]{1,4})-(\d{3,6})$")
LEVELS = {"secret": 1, "confidential": 2, "top_secret": 3}  # the classified levels, lowest first
REGISTRAR_ROLE = "security_office"
SECTION_KEEPERS = ("section_head", "custodian")
# Statuses the register sets by hand; the others are set by the procedure that owns them.
MANUAL_STATUSES = ("in_use", "in_storage", "lost")
DISPOSAL_METHODS = {
    "scrap": "pending_scrap",               # awaits the scrapping procedure (P3, CNET.9)
    "destruction": "pending_destruction",   # enters the destruction register (P4, DES.2)
    "donation": None,                       # never (CNET.8, DES.4)
    "sale": None,                           # never, not even as scrap (CNET.8, DES.4, MED.6)
}
DESTRUCTION_CATEGORY = "2"  # DES.3 (2): retired or scrapped equipment and media that processed classified data
MEDIA_KINDS = {"hard_disk", "usb_stick", "optical_disc", "memory_card"}
EDITABLE = ("register_number", "kind", "classification", "make_model", "serial", "section_id", "custodian_id",
            "holder_id", "status")


def is_classified(classification: str) -> bool:
    return classification != "unclassified"


# --- Who sees what -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reach:
    """What one user may see of the register: everything, some sections, and what they hold."""
    everything: bool
    section_ids: frozenset[int]
    user_id: int

    def condition(self):
        if self.everything:
            return None
        return or_(Asset.section_id.in_(self.section_ids), Asset.holder_id == self.user_id)


def reach_of(session: Session, user: User) -> Reach:
    overseer = any(holds_role(session, user.id, role, None) for role in OVERSIGHT_ROLES)
    sections = frozenset(session.scalars(select(RoleAssignment.section_id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role.in_(SECTION_KEEPERS),
        RoleAssignment.section_id.is_not(None))))
    return Reach(everything=overseer, section_ids=sections, user_id=user.id)


def may_register(session: Session, user: User) -> bool:
    return holds_role(session, user.id, REGISTRAR_ROLE, None)


def visible_assets(session: Session, user: User, *, section_id: int | None = None, kind: str | None = None,
                   classification: str | None = None, status: str | None = None, q: str | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[Asset], int]:
    """The assets this user may see, filtered and searched (register number, model, serial), one page of them
    and the total. Overseers see all; section heads and custodians their sections'; anyone what they hold."""
    query = select(Asset)
    condition = reach_of(session, user).condition()
    if condition is not None:
        query = query.where(condition)
    for column, value in ((Asset.section_id, section_id), (Asset.kind, kind),
                          (Asset.classification, classification), (Asset.status, status)):
        if value is not None:
            query = query.where(column == value)
    if q and q.strip():
        term = q.strip().lower()
        query = query.where(or_(*(func.lower(c).contains(term, autoescape=True)
                                  for c in (Asset.register_number, Asset.make_model, Asset.serial))))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.options(joinedload(Asset.section), joinedload(Asset.holder))
                           .order_by(Asset.register_number).limit(limit).offset(offset)).all()
    return list(rows), total


def visible_asset(session: Session, asset_id: int, user: User) -> Asset:
    """One asset, or 404 when it does not exist or lies outside the user's reach (no hint which)."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound("not_found")
    reach = reach_of(session, user)
    if not (reach.everything or asset.section_id in reach.section_ids or asset.holder_id == user.id):
        raise NotFound("not_found")
    return asset


# --- History --------------------------------------------------------------------------------------------------

@dataclass
class History:
    cases: list[ProcessInstance]
    maintenance: list[MaintenanceLogEntry]
    events: list[AuditEvent]


def history(session: Session, asset: Asset) -> History:
    """Every case that touched the asset, its maintenance log (RRS.2) and its audit events, oldest first."""
    cases = list(session.scalars(
        select(ProcessInstance).join(CaseAsset, CaseAsset.instance_id == ProcessInstance.id)
        .where(CaseAsset.asset_id == asset.id).options(joinedload(ProcessInstance.definition))
        .order_by(ProcessInstance.created_at, ProcessInstance.id)))
    maintenance = list(session.scalars(
        select(MaintenanceLogEntry).where(MaintenanceLogEntry.asset_id == asset.id)
        .order_by(MaintenanceLogEntry.at, MaintenanceLogEntry.id)))
    return History(cases=cases, maintenance=maintenance, events=events_of_asset(session, asset))


def events_of_asset(session: Session, asset: Asset) -> list[AuditEvent]:
    """Audit events naming the asset: by id (the register's own events) or by any number it has carried
    (events of the procedures, which name the register number)."""
    by_id = [AuditEvent.details.contains(f'"asset_id": {asset.id},', autoescape=True),
             AuditEvent.details.contains(f'"asset_id": {asset.id}}}', autoescape=True)]
    own = list(session.scalars(select(AuditEvent).where(or_(*by_id))))
    numbers = {asset.register_number}
    for event in own:
        before = json.loads(event.details or "{}").get("changes", {}).get("register_number")
        if isinstance(before, list) and before:
            numbers.add(str(before[0]))
    by_number = [AuditEvent.details.contains(f'"asset": "{n}"', autoescape=True) for n in numbers]
    return list(session.scalars(select(AuditEvent).where(or_(*by_id, *by_number))
                                .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.at, AuditEvent.id)))


# --- Checks, each naming its article --------------------------------------------------------------------------

@enforces("MED.1", what_zh="只有办公室保密办登记和修改资产", what_en="Only the security office registers and edits assets")
def check_registrar(session: Session, actor: User) -> None:
    if not may_register(session, actor):
        raise Forbidden("register_security_office_only")


@enforces("UNET.4", "MED.4", what_zh="资产按涉密（BM-）与非涉密（FM-）分别编号建档，编号唯一，不得混编",
          what_en="Assets are numbered and filed apart, BM- classified and FM- unclassified, each number unique")
def check_register_number(session: Session, number: str, kind: str, classification: str,
                          asset_id: int | None = None) -> None:
    prefix = PREFIXES[is_classified(classification)]
    example = f"{prefix}-{KIND_CODES.get(kind, 'LT')}-001"
    match = NUMBER_PATTERN.match(number)
    if match is None:
        raise DomainError("register_number_format", field="register_number", example=example)
    if match.group(1) != prefix:
        raise DomainError("register_number_mixes", field="register_number", prefix=prefix)
    if kind in KIND_CODES and match.group(2) != KIND_CODES[kind]:
        raise DomainError("register_number_format", field="register_number", example=example)
    taken = select(exists().where(Asset.register_number == number,
                                  Asset.id != asset_id if asset_id is not None else Asset.id.is_not(None)))
    if session.scalar(taken):
        raise DomainError("register_number_taken", field="register_number", number=number)


@enforces("CNET.8", what_zh="涉密资产不得降为非涉密，密级只升不降", what_en="A classified asset never becomes unclassified; "
          "its level is raised, never lowered")
@enforces("MED.4", what_zh="非涉密资产不得改作涉密使用", what_en="An unclassified asset never becomes classified")
def check_classification_change(before: str, after: str) -> None:
    if before == after:
        return
    if is_classified(before) and not is_classified(after):
        raise DomainError("register_never_unclassified", field="classification")
    if not is_classified(before) and is_classified(after):
        raise DomainError("register_unclassified_to_classified", field="classification")
    if LEVELS[after] < LEVELS[before]:
        raise DomainError("register_level_lowered", field="classification")


@enforces("MED.3", what_zh="涉密资产只在本单位内使用，使用人须为本单位在职人员，严禁外借",
          what_en="The holder is an active member of the office; assets are never lent outside")
def check_holder(session: Session, holder_id: int | None) -> User | None:
    if holder_id is None:
        return None
    holder = session.get(User, holder_id)
    if holder is None or not holder.active:
        raise DomainError("register_holder_outside", field="holder_id")
    return holder


@enforces("MED.2", what_zh="科室指定专人保管暂停使用的涉密资产（专人保管即由其持有）",
          what_en="The section's custodian keeps the assets not in use (in storage = held by the custodian)")
def check_custodian(session: Session, section_id: int, custodian_id: int | None) -> None:
    if custodian_id is None:
        return
    user = session.get(User, custodian_id)
    if user is None or not user.active or not holds_role(session, custodian_id, "custodian", section_id):
        raise DomainError("register_custodian_not_of_section", field="custodian_id")


def section_custodian(session: Session, section_id: int) -> User | None:
    """The section's designated custodian (MED.2): who holds the custodian role for it, first by name."""
    return session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == "custodian", RoleAssignment.section_id == section_id, User.active.is_(True))
        .order_by(User.username).limit(1)).first()


def next_register_number(session: Session, kind: str, classification: str) -> str:
    """The next free number of the office's numbering for this kind on this side of the classified line."""
    stem = f"{PREFIXES[is_classified(classification)]}-{KIND_CODES[kind]}-"
    numbers = session.scalars(select(Asset.register_number).where(Asset.register_number.startswith(stem)))
    highest = max((int(m.group(3)) for n in numbers if (m := NUMBER_PATTERN.match(n))), default=0)
    return f"{stem}{highest + 1:03d}"


def _check_section(session: Session, section_id: int) -> None:
    if session.get(Section, section_id) is None:
        raise DomainError("register_section_unknown", field="section_id")


def _status_params(prefix: str, status: str) -> dict:
    zh, en = assets.STATUSES.get(status, (status, status))
    return {f"{prefix}_zh": zh, f"{prefix}_en": en}


def _refuse_transition(field: str, before: str, after: str):
    raise DomainError("register_transition_refused", field=field, **_status_params("before", before),
                      **_status_params("after", after))


def _check_manual_status(status: str) -> None:
    if status not in assets.STATUSES:
        raise DomainError("invalid_choice", field="status")
    if status not in MANUAL_STATUSES:
        raise DomainError("register_status_by_procedure", field="status", **_status_params("status", status))


def _check_kind_and_level(kind: str, classification: str) -> None:
    if kind not in assets.KINDS:
        raise DomainError("invalid_choice", field="kind")
    if classification not in assets.CLASSIFICATIONS:
        raise DomainError("invalid_choice", field="classification")


# --- Registering and editing ----------------------------------------------------------------------------------

@enforces("MED.1", "MED.2", "MED.3", "MED.4", "UNET.4", what_zh="资产登记造册：编号、密级、保管人、使用人",
          what_en="Registering an asset: number, classification, custodian, holder")
def register_asset(session: Session, actor: User, data: dict) -> Asset:
    """Register an asset (the security office, MED.1). `data` holds kind, classification, section_id and
    optionally register_number (else the next of the numbering), make_model, serial, custodian_id, holder_id,
    status (in_use or in_storage). The caller commits."""
    check_registrar(session, actor)
    kind, classification, section_id = data["kind"], data["classification"], data["section_id"]
    _check_kind_and_level(kind, classification)
    _check_section(session, section_id)
    number = (data.get("register_number") or "").strip().upper() or next_register_number(session, kind,
                                                                                           classification)
    check_register_number(session, number, kind, classification)
    status = data.get("status") or "in_use"
    _check_manual_status(status)
    if status == "lost":
        raise DomainError("register_status_by_procedure", field="status", **_status_params("status", "lost"))
    custodian_id = data.get("custodian_id")
    if custodian_id is None:
        keeper = section_custodian(session, section_id)
        custodian_id = keeper.id if keeper else None
    check_custodian(session, section_id, custodian_id)
    holder_id = _holder_for(session, status, data.get("holder_id"), custodian_id)
    asset = Asset(register_number=number, kind=kind, classification=classification,
                  make_model=data.get("make_model") or "", serial=data.get("serial") or "", section_id=section_id,
                  custodian_id=custodian_id, holder_id=holder_id, status=status)
    session.add(asset)
    _flush(session, number)
    audit.record(session, "asset_registered", actor.id, asset_id=asset.id, asset=number, kind=kind,
                 classification=classification, section_id=section_id, custodian_id=custodian_id,
                 holder_id=holder_id, status=status)
    return asset


def _holder_for(session: Session, status: str, holder_id: int | None, custodian_id: int | None) -> int | None:
    """Who holds the asset in `status`: the custodian when in storage (MED.2), else the given active person."""
    if status == "in_storage":
        if custodian_id is None:
            raise DomainError("register_no_custodian", field="status")
        if holder_id is not None and holder_id != custodian_id:
            raise DomainError("register_storage_held_by_custodian", field="holder_id")
        return custodian_id
    check_holder(session, holder_id)
    if status == "in_use" and holder_id is None:
        raise DomainError("register_holder_required", field="holder_id")
    return holder_id


@enforces("MED.1", "MED.2", "MED.3", "MED.4", "UNET.4", "CNET.8",
          what_zh="修改登记：不降密、不混编、不外借、专人保管、在办流程中的资产不改状态和使用人",
          what_en="Editing the register: never declassified, never mixed, never lent outside, storage with the "
                  "custodian, no status or holder change while in an open case")
def edit_asset(session: Session, actor: User, asset: Asset, changes: dict) -> dict:
    """Apply `changes` (any of EDITABLE) to a registered asset, or refuse them all with the reason.
    Returns what changed, as {field: [before, after]}. The caller commits."""
    check_registrar(session, actor)
    if asset.status == "destroyed":
        raise DomainError("register_asset_destroyed")
    wanted = {k: v for k, v in changes.items() if k in EDITABLE}
    if "register_number" in wanted:
        wanted["register_number"] = (wanted["register_number"] or "").strip().upper()
    diff = {k: v for k, v in wanted.items() if getattr(asset, k) != v}
    if not diff:
        return {}
    if asset.open_case_id is not None and diff.keys() & {"status", "holder_id", "section_id"}:
        case = session.get(ProcessInstance, asset.open_case_id)
        field = next(f for f in ("status", "holder_id", "section_id") if f in diff)
        raise DomainError("register_in_open_case", field=field, number=asset.register_number,
                          case=case.business_key if case else "?")
    kind = diff.get("kind", asset.kind)
    classification = diff.get("classification", asset.classification)
    _check_kind_and_level(kind, classification)
    check_classification_change(asset.classification, classification)
    number = diff.get("register_number", asset.register_number)
    if diff.keys() & {"register_number", "kind", "classification"}:
        check_register_number(session, number, kind, classification, asset_id=asset.id)
    section_id = diff.get("section_id", asset.section_id)
    if "section_id" in diff:
        _check_section(session, section_id)
    custodian_id = diff.get("custodian_id", asset.custodian_id)
    if "section_id" in diff and "custodian_id" not in diff:
        keeper = section_custodian(session, section_id)
        custodian_id = keeper.id if keeper else None
    check_custodian(session, section_id, custodian_id)
    status = diff.get("status", asset.status)
    if "status" in diff:
        _check_manual_status(status)
        if status not in assets.TRANSITIONS.get(asset.status, set()):
            _refuse_transition("status", asset.status, status)
    holder_id = diff.get("holder_id", asset.holder_id)
    if status == "in_storage":
        holder_id = _holder_for(session, status, holder_id if "holder_id" in diff else None, custodian_id)
    elif status == "in_use":
        holder_id = _holder_for(session, status, holder_id, custodian_id)
    else:
        check_holder(session, holder_id if "holder_id" in diff else None)

    before = {k: getattr(asset, k) for k in EDITABLE}
    for key, value in (("register_number", number), ("kind", kind), ("classification", classification),
                       ("make_model", diff.get("make_model", asset.make_model)),
                       ("serial", diff.get("serial", asset.serial)), ("section_id", section_id),
                       ("custodian_id", custodian_id)):
        setattr(asset, key, value)
    if "status" in diff:
        assets.move(session, asset, status, actor.id, None, holder_id=holder_id)
    asset.holder_id = holder_id
    _flush(session, number)
    changed = {k: [before[k], getattr(asset, k)] for k in EDITABLE if before[k] != getattr(asset, k)}
    if changed:
        audit.record(session, "asset_edited", actor.id, asset_id=asset.id, asset=asset.register_number,
                     changes=changed)
    return changed


@enforces("CNET.8", "DES.4", what_zh="涉密资产不得捐赠或出售，只能报废或送指定点销毁",
          what_en="Assets are never donated or sold; only scrapped or destroyed at a designated site")
def request_disposal(session: Session, actor: User, asset: Asset, method: str, reason: str) -> Asset:
    """Put an asset on the way out: `scrap` (pending_scrap, for the scrapping procedure) or `destruction`
    (pending_destruction, and an item of the destruction register for the next manifest). Donation and sale
    are refused. The caller commits."""
    check_registrar(session, actor)
    if method in DISPOSAL_METHODS and DISPOSAL_METHODS[method] is None:
        raise DomainError("register_donation_sale_forbidden", field="method")
    if method not in DISPOSAL_METHODS:
        raise DomainError("invalid_choice", field="method")
    if not (reason or "").strip():
        raise DomainError("register_reason_required", field="reason")
    if asset.status == "destroyed":
        raise DomainError("register_asset_destroyed")
    if asset.open_case_id is not None:
        case = session.get(ProcessInstance, asset.open_case_id)
        raise DomainError("register_in_open_case", field="method", number=asset.register_number,
                          case=case.business_key if case else "?")
    target = DISPOSAL_METHODS[method]
    if target not in assets.TRANSITIONS.get(asset.status, set()):
        _refuse_transition("method", asset.status, target)
    assets.move(session, asset, target, actor.id, None)
    item_id = None
    if target == "pending_destruction":
        item = DestructionItem(
            category=DESTRUCTION_CATEGORY, item_type="media" if asset.kind in MEDIA_KINDS else "equipment",
            asset_id=asset.id, title=f"{asset.register_number} {asset.make_model}".strip(),
            classification=asset.classification, section_id=asset.section_id, registered_by_id=actor.id)
        session.add(item)
        session.flush()
        item_id = item.id
    audit.record(session, "asset_disposal_requested", actor.id, asset_id=asset.id, asset=asset.register_number,
                 method=method, reason=reason.strip(), destruction_item_id=item_id)
    return asset


def _flush(session: Session, number: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        # Someone took the number between our check and our write; the error handler rolls back.
        raise DomainError("register_number_taken", field="register_number", number=number) from None


def sections(session: Session) -> list[Section]:
    return list(session.scalars(select(Section).order_by(Section.code)))


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))


def custodians_by_section(session: Session) -> dict[int, list[User]]:
    rows = session.execute(select(RoleAssignment.section_id, User).join(User, User.id == RoleAssignment.user_id)
                           .where(RoleAssignment.role == "custodian", RoleAssignment.section_id.is_not(None),
                                  User.active.is_(True)).order_by(User.username)).all()
    found: dict[int, list[User]] = {}
    for section_id, user in rows:
        found.setdefault(section_id, []).append(user)
    return found
