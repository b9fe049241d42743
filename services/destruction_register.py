"""The destruction register (销毁登记): carriers waiting for, in, or gone through a destruction manifest
(DES.2, DES.3, CIS.11). The destruction officer and the security office register items; the destruction
procedure (P4, services/steps/destruction.py) takes them into a manifest and confirms or returns them.
Asset statuses change only through services.assets.move."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Asset, DestructionItem, ProcessInstance, Section, User
from services import assets, audit
from services.assignment import OVERSIGHT_ROLES, holds_role
from services.enforcement import enforces
from services.errors import DomainError, Forbidden, NotFound
from services.messages import register

# DES.3: 涉密载体的销毁范围 (what is to be destroyed), items (一)–(七).
CATEGORIES = {
    "1": ("（一）日常工作中不再使用的涉密文件、资料", "(1) Classified documents and materials no longer used in daily work"),
    "2": ("（二）淘汰、报废或按照规定不得继续使用的处理过涉密信息的计算机、移动存储介质、传真机、复印机等通信和办公设备",
          "(2) Retired or scrapped computers, removable media, faxes, copiers and other equipment that processed "
          "classified information, or that may no longer be used"),
    "3": ("（三）涉密会议和涉密活动清退的文件、资料", "(3) Documents and materials returned after classified meetings and events"),
    "4": ("（四）领导干部和涉密人员离岗时清退的秘密文件、资料",
          "(4) Classified documents and materials returned by leaders and classified staff leaving their post"),
    "5": ("（五）已经解密但不宜公开的文件、资料", "(5) Declassified documents and materials not fit to be made public"),
    "6": ("（六）经批准可复制使用的涉密文件、资料的复制品", "(6) Copies of classified documents made with approval"),
    "7": ("（七）其他需要销毁的涉密载体", "(7) Other classified carriers to be destroyed"),
}
# printed_reject: the spoiled, faulty and waste pages of a classified print run (CIS.11 残、次、废页).
ITEM_TYPES = {
    "document": ("涉密文件、资料", "Classified document"),
    "printed_reject": ("打印残次废页", "Printed rejects of classified output"),
    "media": ("涉密存储介质", "Classified storage medium"),
    "equipment": ("涉密设备", "Classified equipment"),
}
PAPER_TYPES = {"document", "printed_reject"}
STATUSES = {
    "registered": ("已登记待销毁", "Registered, awaiting a manifest"),
    "in_manifest": ("已列入销毁清单", "In a destruction manifest"),
    "destroyed": ("已销毁", "Destroyed"),
    "returned": ("已退回", "Returned"),
}
OPEN_STATUSES = ("registered", "in_manifest")
CLASSIFIED = ("top_secret", "confidential", "secret")
MEDIA_KINDS = {"hard_disk", "usb_stick", "optical_disc", "memory_card"}
# An asset may enter the register when it already waits for destruction (scrapping P3, a medium returned on
# leaving, a disposal request) or when it is handed in and kept by the custodian. One still in use is not
# destroyed (DES.2: "除正在使用……外").
REGISTRABLE_ASSET_STATUSES = ("pending_destruction", "in_storage")
REGISTRARS = ("destruction_officer", "security_office")
# Who may read the register: its keepers and the office-wide overseers.
READERS = REGISTRARS + OVERSIGHT_ROLES

register({
    "destruction_register_not_allowed": (
        "只有销毁工作专人和办公室保密办可以登记待销毁载体（DES.2）。",
        "Only the destruction officer and the security office register carriers for destruction (DES.2)."),
    "destruction_register_not_readable": (
        "只有销毁工作专人、办公室保密办和保密工作领导可以查看销毁登记簿。",
        "Only the destruction officer, the security office and the office's overseers may read the destruction "
        "register."),
    "destruction_item_unknown": (
        "销毁登记项 {item} 不存在。", "Destruction register item {item} does not exist."),
    "destruction_document_fields": (
        "涉密文件须登记文号、标题、密级、份数和页数（DES.2）。",
        "A classified document is registered with its number, title, classification, copies and pages (DES.2)."),
    "destruction_pages_required": (
        "请填写页数（至少 1 页）。", "Give the number of pages (at least 1)."),
    "destruction_asset_for_paper": (
        "纸质文件和打印残次废页不对应资产登记簿中的设备或介质。",
        "Paper documents and printed rejects have no asset in the asset register."),
    "destruction_asset_type_mismatch": (
        "资产 {number} 是{kind}，应登记为“{expected}”。",
        "Asset {number} is a {kind}; register it as {expected}."),
    "destruction_asset_unclassified": (
        "资产 {number} 为非涉密资产，不属于涉密载体销毁范围；涉密与非涉密不得混同处理（DES.3）。",
        "Asset {number} is unclassified: it is not a classified carrier to destroy under DES.3."),
    "destruction_asset_in_use": (
        "资产 {number} 正在使用，不能列入销毁；请先交回科室专人保管或办理报废（DES.2）。",
        "Asset {number} is still in use and cannot be destroyed; hand it in to the custodian or scrap it first "
        "(DES.2)."),
    "destruction_asset_status": (
        "资产 {number} 当前状态为“{status}”，不能登记销毁（须为待销毁或专人保管）。",
        "Asset {number} is {status}; only assets pending destruction or handed in for storage can be registered."),
    "destruction_asset_destroyed": (
        "资产 {number} 已销毁。", "Asset {number} is already destroyed."),
    "destruction_asset_in_open_case": (
        "资产 {number} 正在未结案件 {case} 中，不能登记销毁。",
        "Asset {number} is in the open case {case} and cannot be registered for destruction."),
    "destruction_asset_already_registered": (
        "资产 {number} 已在销毁登记簿中（登记项 {item}）。",
        "Asset {number} is already on the destruction register (item {item})."),
    "destruction_title_required": (
        "未关联资产的介质或设备须填写名称、型号或编号。",
        "A medium or device without an asset record needs a name, model or number."),
    "destruction_item_not_classified": (
        "只有涉密载体才登记销毁；已解密但不宜公开的文件请选择第三条第（五）项（DES.3）。",
        "Only classified carriers are registered for destruction; for declassified documents not fit to be made "
        "public choose DES.3 (5)."),
    "destruction_section_unknown": (
        "所选科室不存在。", "The chosen section does not exist."),
    "destruction_method_forbidden": (
        "禁止非法捐赠、转送涉密载体或将其作为废品出售，涉密载体只能送指定销毁点销毁（DES.4、CNET.8）。",
        "Classified carriers are never donated, passed on or sold as scrap; they are only destroyed at a "
        "designated site (DES.4, CNET.8)."),
})

# Disposal methods the register and the procedure accept: destruction only (DES.4). Donation and sale are
# named here so that a request for them is refused with the article instead of a generic "invalid choice".
DISPOSAL_METHODS = {
    "shredding": ("粉碎", "Shredding"),
    "incineration": ("焚毁", "Incineration"),
    "degaussing": ("消磁", "Degaussing"),
    "physical_destruction": ("在销毁点物理销毁", "Physical destruction at the site"),
}
FORBIDDEN_DISPOSALS = ("donation", "sale", "scrap_sale", "transfer")


def release_manifest(session: Session, instance_id: int, reason: str) -> list[int]:
    """The items a manifest case still reserves go back to the register (rejected, withdrawn or terminated:
    nothing was destroyed), with the reason; their ids."""
    items = list(session.scalars(select(DestructionItem).where(
        DestructionItem.manifest_instance_id == instance_id, DestructionItem.status == "in_manifest")
        .order_by(DestructionItem.id)))
    for item in items:
        item.status = "registered"
        item.manifest_instance_id = None
        item.return_reason = reason
    return [i.id for i in items]


def label(table: dict, key: str, locale: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if locale.startswith("en") else zh


def may_register(session: Session, user: User) -> bool:
    return any(holds_role(session, user.id, role, None) for role in REGISTRARS)


def may_read(session: Session, user: User) -> bool:
    return any(holds_role(session, user.id, role, None) for role in READERS)


def check_registrar(session: Session, actor: User) -> None:
    if actor is None or not may_register(session, actor):
        raise Forbidden("destruction_register_not_allowed")


def check_disposal_method(method: str | None, field: str = "disposal_method") -> None:
    """Only destruction methods; donation and sale are refused naming the article (DES.4, CNET.8)."""
    if method is None:
        return
    if method in FORBIDDEN_DISPOSALS:
        raise DomainError("destruction_method_forbidden", field=field)
    if method not in DISPOSAL_METHODS:
        raise DomainError("invalid_choice", field=field)


def item_label(item: DestructionItem) -> str:
    """A short text naming the item: its number in the register, the document or asset number, the title."""
    head = item.asset.register_number if item.asset is not None else item.doc_number
    parts = [p for p in (item.doc_number if item.asset is not None else "", item.title) if p]
    if head and not item.title.startswith(head):
        parts.insert(0, head)
    parts = list(dict.fromkeys(parts))
    return f"#{item.id} {' '.join(parts) or item.item_type}"


@enforces("DES.3", "CIS.11", "CNET.8",
          what_zh="待销毁载体按第三条第（一）至（七）项分类登记，含涉密打印的残次废页；涉密资产只登记销毁，不降密、不捐赠、不出售",
          what_en="Carriers to destroy are registered under DES.3 (1)-(7), printed rejects included; a classified "
                  "asset is only registered for destruction, never declassified, donated or sold")
def register_item(session: Session, actor: User, *, item_type: str, category: str, classification: str | None = None,
                  doc_number: str = "", title: str = "", copies: int = 1, pages: int | None = None,
                  asset_id: int | None = None, section_id: int | None = None,
                  disposal_method: str | None = None, source_instance_id: int | None = None) -> DestructionItem:
    """Enter one carrier into the destruction register (DES.2). Refused for anyone but the destruction officer
    and the security office. The caller commits."""
    check_registrar(session, actor)
    return add_item(session, actor.id, item_type=item_type, category=category, classification=classification,
                    doc_number=doc_number, title=title, copies=copies, pages=pages, asset_id=asset_id,
                    section_id=section_id if section_id is not None else actor.section_id,
                    disposal_method=disposal_method, source_instance_id=source_instance_id)


def add_item(session: Session, actor_id: int | None, *, item_type: str, category: str,
             classification: str | None = None, doc_number: str = "", title: str = "", copies: int = 1,
             pages: int | None = None, asset_id: int | None = None, section_id: int | None = None,
             disposal_method: str | None = None, source_instance_id: int | None = None) -> DestructionItem:
    """The register's rules, without the check of who registers: a procedure's step (e.g. scrapping, whose
    case still holds the asset as `source_instance_id`) may call this directly."""
    if item_type not in ITEM_TYPES:
        raise DomainError("invalid_choice", field="item_type")
    if category not in CATEGORIES:
        raise DomainError("invalid_choice", field="category")
    check_disposal_method(disposal_method)
    doc_number, title = (doc_number or "").strip(), (title or "").strip()
    asset = None
    if item_type in PAPER_TYPES:
        if asset_id is not None:
            raise DomainError("destruction_asset_for_paper", field="asset_id")
        if item_type == "document" and not (doc_number and title):
            raise DomainError("destruction_document_fields", field="doc_number" if not doc_number else "title")
        if not pages:
            raise DomainError("destruction_pages_required", field="pages")
        if item_type == "printed_reject" and not title:
            title = f"{doc_number} 打印残次废页".strip()
    elif asset_id is not None:
        asset = _registrable_asset(session, asset_id, item_type, source_instance_id)
        classification = asset.classification
        title = title or f"{asset.register_number} {asset.make_model}".strip()
        section_id = asset.section_id
    elif not (title or doc_number):
        raise DomainError("destruction_title_required", field="title")
    if classification not in CLASSIFIED and not (classification == "unclassified" and category == "5"):
        raise DomainError("destruction_item_not_classified", field="classification")
    if section_id is not None and session.get(Section, section_id) is None:
        raise DomainError("destruction_section_unknown", field="section_id")

    if asset is not None and asset.status != "pending_destruction":
        assets.move(session, asset, "pending_destruction", actor_id, source_instance_id)
    item = DestructionItem(
        category=category, item_type=item_type, asset_id=asset.id if asset else None, doc_number=doc_number,
        title=title, classification=classification, copies=copies or 1, pages=pages or 0, section_id=section_id,
        source_instance_id=source_instance_id, registered_by_id=actor_id, status="registered")
    session.add(item)
    session.flush()
    audit.record(session, "destruction_item_registered", actor_id, source_instance_id,
                 destruction_item_id=item.id, item_type=item_type, category=category,
                 classification=classification, doc_number=doc_number, title=title, copies=item.copies,
                 pages=item.pages, asset=asset.register_number if asset else None,
                 printed_reject=item_type == "printed_reject", disposal_method=disposal_method)
    return item


def _registrable_asset(session: Session, asset_id: int, item_type: str, source_instance_id: int | None) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise DomainError("asset_unknown", field="asset_id", number=asset_id)
    number = asset.register_number
    expected = "media" if asset.kind in MEDIA_KINDS else "equipment"
    if item_type != expected:
        raise DomainError("destruction_asset_type_mismatch", field="item_type", number=number,
                          kind=assets.label(assets.KINDS, asset.kind, "zh_CN"), expected=expected)
    if asset.classification == "unclassified":
        raise DomainError("destruction_asset_unclassified", field="asset_id", number=number)
    if asset.status == "destroyed":
        raise DomainError("destruction_asset_destroyed", field="asset_id", number=number)
    if asset.open_case_id is not None and asset.open_case_id != source_instance_id:
        case = session.get(ProcessInstance, asset.open_case_id)
        raise DomainError("destruction_asset_in_open_case", field="asset_id", number=number,
                          case=case.business_key if case else "?")
    if asset.status in ("in_use", "carried_out"):
        raise DomainError("destruction_asset_in_use", field="asset_id", number=number)
    if asset.status not in REGISTRABLE_ASSET_STATUSES:
        raise DomainError("destruction_asset_status", field="asset_id", number=number,
                          status=assets.label(assets.STATUSES, asset.status, "zh_CN"))
    on_register = session.scalar(select(DestructionItem.id).where(
        DestructionItem.asset_id == asset.id, DestructionItem.status.in_(OPEN_STATUSES)))
    if on_register is not None:
        raise DomainError("destruction_asset_already_registered", field="asset_id", number=number,
                          item=on_register)
    return asset


def items(session: Session, status: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list, int]:
    """The register, oldest first, optionally of one status; with the total count."""
    stmt = select(DestructionItem)
    count = select(func.count()).select_from(DestructionItem)
    if status:
        stmt = stmt.where(DestructionItem.status == status)
        count = count.where(DestructionItem.status == status)
    rows = list(session.scalars(stmt.order_by(DestructionItem.registered_at, DestructionItem.id)
                                .limit(limit).offset(offset)))
    return rows, session.scalar(count)


def get_item(session: Session, item_id: int) -> DestructionItem:
    item = session.get(DestructionItem, item_id)
    if item is None:
        raise NotFound("not_found")
    return item


def registered_choices(session: Session, locale: str) -> list[tuple[int, str]]:
    """(id, label) of the items a new manifest may take: registered and in no manifest."""
    rows = session.scalars(select(DestructionItem).where(
        DestructionItem.status == "registered", DestructionItem.manifest_instance_id.is_(None))
        .order_by(DestructionItem.registered_at, DestructionItem.id))
    return [(i.id, f"{item_label(i)} · DES.3({i.category}) · {label(assets.CLASSIFICATIONS, i.classification, locale)}")
            for i in rows]
