"""The asset register and the one place its status machine and invariants are enforced."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import Asset, CaseAsset, ProcessInstance, User
from services import audit
from services.errors import DomainError

CLASSIFICATIONS = {
    "top_secret": ("绝密", "Top secret"),
    "confidential": ("机密", "Confidential"),
    "secret": ("秘密", "Secret"),
    "unclassified": ("非涉密", "Unclassified"),
}
KINDS = {
    "desktop": ("台式计算机", "Desktop computer"),
    "laptop": ("笔记本电脑", "Laptop"),
    "hard_disk": ("移动硬盘", "Portable hard disk"),
    "usb_stick": ("U盘", "USB stick"),
    "optical_disc": ("光盘", "Optical disc"),
    "memory_card": ("存储卡", "Memory card"),
    "printer": ("打印机", "Printer"),
}
STATUSES = {
    "in_use": ("在用", "In use"),
    "in_storage": ("专人保管", "In storage"),
    "carried_out": ("携带外出", "Carried out"),
    "under_repair": ("维修中", "Under repair"),
    "pending_scrap": ("待报废", "Pending scrap"),
    "pending_destruction": ("待销毁", "Pending destruction"),
    "destroyed": ("已销毁", "Destroyed"),
    "lost": ("丢失", "Lost"),
}
# The status machine of DOMAIN.md: which status may follow which.
TRANSITIONS = {
    # pending_destruction directly: a medium handed back on a job change goes to the destruction register.
    "in_use": {"in_storage", "carried_out", "under_repair", "pending_scrap", "pending_destruction", "lost"},
    "in_storage": {"in_use", "carried_out", "under_repair", "pending_scrap", "pending_destruction", "lost"},
    "carried_out": {"in_use", "in_storage", "lost"},
    "under_repair": {"in_use", "in_storage", "pending_scrap", "pending_destruction"},
    # Back to where it was when the scrapping is rejected: in use, or held in storage.
    "pending_scrap": {"pending_destruction", "in_use", "in_storage"},
    "pending_destruction": {"destroyed", "pending_scrap"},
    "destroyed": set(),
    "lost": {"in_use", "in_storage"},
}


def label(table: dict, key: str, locale: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if locale.startswith("en") else zh


def candidates(session: Session, applicant: User, statuses: tuple[str, ...] = ("in_use",),
               kinds: tuple[str, ...] = ()) -> list[Asset]:
    """Assets the applicant may put into a request: classified, of their section, in one of `statuses`,
    of one of `kinds` when the form names some, in no open case."""
    if applicant.section_id is None:
        return []
    stmt = select(Asset).where(Asset.section_id == applicant.section_id, Asset.status.in_(statuses),
                               Asset.classification != "unclassified", Asset.open_case_id.is_(None))
    if kinds:
        stmt = stmt.where(Asset.kind.in_(kinds))
    return list(session.scalars(stmt.order_by(Asset.register_number)))


def reserve_for_case(session: Session, asset_ids: list[int], instance: ProcessInstance, applicant: User,
                     allowed_statuses: set[str]) -> list[Asset]:
    """Tie classified assets of the applicant's section to one open case, or refuse with the reason."""
    assets = []
    for asset_id in dict.fromkeys(asset_ids):
        asset = session.get(Asset, asset_id)
        if asset is None:
            raise DomainError("asset_unknown", field="assets", number=asset_id)
        number = asset.register_number
        if asset.classification == "unclassified":
            raise DomainError("asset_unclassified", field="assets", number=number)
        if asset.section_id != applicant.section_id:
            raise DomainError("asset_other_section", field="assets", number=number)
        if asset.open_case_id is not None:
            other = session.get(ProcessInstance, asset.open_case_id)
            raise DomainError("asset_in_open_case", field="assets", number=number, case=other.business_key)
        if asset.status not in allowed_statuses:
            raise DomainError("asset_not_in_use", field="assets", number=number, status=asset.status)
        # A conditional UPDATE, so two cases racing for one asset cannot both win.
        won = session.execute(
            update(Asset).where(Asset.id == asset.id, Asset.open_case_id.is_(None))
            .values(open_case_id=instance.id).execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise DomainError("asset_in_open_case", field="assets", number=number, case="?")
        set_committed_value(asset, "open_case_id", instance.id)  # what the UPDATE wrote; no second read
        session.add(CaseAsset(instance_id=instance.id, asset_id=asset.id))
        assets.append(asset)
    if not assets:
        raise DomainError("asset_none", field="assets")
    return assets


def assets_of_case(session: Session, instance_id: int) -> list[Asset]:
    return list(session.scalars(
        select(Asset).join(CaseAsset, CaseAsset.asset_id == Asset.id)
        .where(CaseAsset.instance_id == instance_id).order_by(Asset.register_number)))


def move(session: Session, asset: Asset, to_status: str, actor_id: int | None, instance_id: int | None,
         holder_id: int | None = None, release: bool = False) -> None:
    """Change an asset's status along the status machine, and record it."""
    if to_status not in TRANSITIONS.get(asset.status, set()):
        raise DomainError("invalid_value", field="status")
    before = asset.status
    asset.status = to_status
    if holder_id is not None:
        asset.holder_id = holder_id
    if release:
        asset.open_case_id = None
    audit.record(session, "asset_status_changed", actor_id, instance_id,
                 asset=asset.register_number, before=before, after=to_status)


def release_from_case(session: Session, instance_id: int) -> None:
    """Free every asset an ending case still holds."""
    session.execute(update(Asset).where(Asset.open_case_id == instance_id).values(open_case_id=None)
                    .execution_options(synchronize_session="fetch"))
