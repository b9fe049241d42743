"""P4 destruction of classified carriers (DES.2, DES.3, DES.4, MED.6, CIS.11).

The destruction officer compiles a manifest from registered items (不定期造册); a leader signs it; laptop
disks and classified media also need the security committee (MED.6); at least two distinct people, not the
signer, escort it to a designated site only (DES.2, DES.4); each item is then confirmed destroyed (receipt,
date, site, method) or returned to the register with a reason. No path destroys anything unapproved: a
rejected manifest returns its items to the register."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Asset, CaseAsset, DestructionItem, ProcessInstance, ReferenceItem, User
from services import assets, audit, destruction_register
from services.assignment import holds_role
from services.countersign import list_signers
from services.destruction_register import check_disposal_method, item_label
from services.enforcement import enforces
from services.errors import DomainError, Forbidden
from services.messages import register
from services.ledgers import records
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
# Manifests with these need the security committee too (MED.6): classified media, and laptops (their disks).
COMMITTEE_ASSET_KINDS = {"laptop", "hard_disk", "usb_stick", "optical_disc", "memory_card"}
MIN_ESCORTS = 2

register({
    "destruction_officer_only": (
        "只有销毁工作专人可以编制销毁清单（DES.2）。",
        "Only the destruction officer compiles a destruction manifest (DES.2)."),
    "destruction_item_not_registered": (
        "登记项 {item} 当前状态为“{status}”，只有已登记待销毁的载体可以列入销毁清单。",
        "Item {item} is {status}; only items registered and awaiting destruction can go into a manifest."),
    "destruction_item_in_manifest": (
        "登记项 {item} 已列入另一份销毁清单（{case}）。",
        "Item {item} is already in another destruction manifest ({case})."),
    "destruction_manifest_asset_state": (
        "资产 {number} 当前状态为“{status}”或在未结案件 {case} 中，不能列入销毁清单。",
        "Asset {number} is {status} or in the open case {case}; it cannot go into the manifest."),
    "destruction_escorts_two_distinct": (
        "销毁载体须派 2 名以上不同人员护送（DES.2）。",
        "At least two different people must escort the carriers (DES.2)."),
    "destruction_escort_is_signer": (
        "签字批准销毁清单的领导（{name}）不能同时担任护送人（DES.2）。",
        "The leader who signed the manifest ({name}) cannot also be an escort (DES.2)."),
    "destruction_site_not_designated": (
        "涉密载体只能送至市保密局指定的销毁点销毁，不得送其他单位（DES.4）。",
        "Classified carriers go only to a site designated by the municipal secrecy bureau, never elsewhere "
        "(DES.4)."),
    "destruction_site_mismatch": (
        "载体应在护送送达的指定销毁点（{site}）销毁，不得转送其他单位（DES.4）。",
        "The carrier is destroyed at the designated site it was escorted to ({site}), never passed elsewhere "
        "(DES.4)."),
    "destruction_date_in_future": (
        "日期不能晚于今天。", "The date cannot be in the future."),
    "destruction_destroyed_before_delivery": (
        "销毁日期不能早于送达日期（{delivered}）。", "The destruction date cannot be before the delivery ({delivered})."),
    "destruction_confirmation_incomplete": (
        "确认销毁须填写销毁回执编号、销毁日期、销毁地点和销毁方式（DES.2）。",
        "Confirming destruction needs the receipt number, the date, the site and the method (DES.2)."),
    "destruction_return_reason_required": (
        "退回登记簿须写明原因。", "Give the reason for returning the item to the register."),
})


def _actor_id(ctx: StepContext) -> int | None:
    return ctx.actor.id if ctx.actor else None


@start_check("destruction")
@enforces("DES.2", "DES.3", "MED.6",
          what_zh="销毁工作专人从销毁登记簿编制清单：只收已登记、未入其他清单的载体；含笔记本硬盘或涉密介质的清单须经保密工作领导小组批准",
          what_en="The destruction officer compiles the manifest from registered items in no other manifest; one "
                  "with laptop disks or classified media needs the security committee")
def validate_manifest(ctx: StepContext, data: dict) -> dict:
    """Reserve the chosen items (in_manifest, this case) and their assets; flag MED.6 items."""
    session, instance = ctx.session, ctx.instance
    if not holds_role(session, ctx.actor.id, "destruction_officer", None):
        raise Forbidden("destruction_officer_only", field="items")
    entries, committee_reasons = [], []
    for item_id in dict.fromkeys(data["items"]):
        item = _reserve_item(session, item_id, instance)
        asset = item.asset
        if asset is not None:
            _reserve_asset(session, asset, instance)
        entry = {"id": item.id, "label": item_label(item), "item_type": item.item_type, "category": item.category,
                 "classification": item.classification, "asset_id": item.asset_id,
                 "asset_number": asset.register_number if asset else None}
        entries.append(entry)
        if _needs_committee(item, asset):
            committee_reasons.append(entry["label"])
    data["manifest_items"] = entries
    data["item_count"] = len(entries)
    # MED.6: decided here, from the register; the gateway only reads the flag.
    data["needs_committee"] = bool(committee_reasons)
    data["committee_reasons"] = committee_reasons
    data["destruction_officer_id"] = ctx.actor.id
    records.manifest_compiled(session, instance.id, [e["id"] for e in entries], ctx.actor.id, data.get("planned_date"))
    instance.title = f"销毁清单 {len(entries)} 项：{'、'.join(e['label'] for e in entries)}"[:300]
    audit.record(session, "destruction_manifest_compiled", ctx.actor.id, instance.id,
                 items=[e["id"] for e in entries], needs_committee=data["needs_committee"])
    return data


def _reserve_item(session: Session, item_id: int, instance: ProcessInstance) -> DestructionItem:
    item = session.get(DestructionItem, item_id)
    if item is None:
        raise DomainError("destruction_item_unknown", field="items", item=item_id)
    if item.manifest_instance_id is not None:
        other = session.get(ProcessInstance, item.manifest_instance_id)
        raise DomainError("destruction_item_in_manifest", field="items", item=item_id,
                          case=other.business_key if other else "?")
    if item.status != "registered":
        raise DomainError("destruction_item_not_registered", field="items", item=item_id,
                          status=destruction_register.label(destruction_register.STATUSES, item.status, "zh_CN"))
    # A conditional UPDATE, so that two manifests racing for one item cannot both take it.
    won = session.execute(
        update(DestructionItem).where(DestructionItem.id == item.id, DestructionItem.status == "registered",
                                      DestructionItem.manifest_instance_id.is_(None))
        .values(status="in_manifest", manifest_instance_id=instance.id)
        .execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise DomainError("destruction_item_in_manifest", field="items", item=item_id, case="?")
    session.refresh(item)
    return item


def _reserve_asset(session: Session, asset: Asset, instance: ProcessInstance) -> None:
    """The item's asset joins this case (an asset is in at most one open procedure)."""
    won = 0
    if asset.status == "pending_destruction":
        won = session.execute(
            update(Asset).where(Asset.id == asset.id, Asset.open_case_id.is_(None))
            .values(open_case_id=instance.id).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        other = session.get(ProcessInstance, asset.open_case_id) if asset.open_case_id else None
        raise DomainError("destruction_manifest_asset_state", field="items", number=asset.register_number,
                          status=assets.label(assets.STATUSES, asset.status, "zh_CN"),
                          case=other.business_key if other else "-")
    session.refresh(asset)
    session.add(CaseAsset(instance_id=instance.id, asset_id=asset.id))


def _needs_committee(item: DestructionItem, asset: Asset | None) -> bool:
    """MED.6: classified media, and laptops (their hard disks). Equipment not linked to the asset register
    cannot be told apart from a laptop, so it goes to the committee too."""
    if item.item_type == "media":
        return True
    if item.item_type == "equipment":
        return asset is None or asset.kind in COMMITTEE_ASSET_KINDS
    return False


# The leaders (或签) and the committee members (会签) who sign, listed when their step starts (services/countersign.py).
step("destruction")(list_signers)


@step("destruction")
def record_signature(ctx: StepContext, data: dict) -> dict:
    """The leader signed the manifest (经领导签字, DES.2); the signer may not escort it."""
    data["signed_by"] = _actor_id(ctx)
    data["signed_by_name"] = ctx.actor.display_name if ctx.actor else None
    data["signed_at"] = ctx.now.isoformat()
    records.manifest_signed(ctx.session, ctx.instance.id, _actor_id(ctx), ctx.now)
    audit.record(ctx.session, "destruction_manifest_signed", _actor_id(ctx), ctx.instance.id,
                 items=[e["id"] for e in data["manifest_items"]])
    return {"signed_by": data["signed_by"]}


@step("destruction")
@enforces("DES.4", "MED.6", what_zh="清单未获批准（领导或保密工作领导小组不同意）时不销毁任何载体，全部退回登记簿",
          what_en="A manifest not approved (by the leader or the security committee) destroys nothing: every item "
                  "goes back to the register")
def return_to_register(ctx: StepContext, data: dict) -> dict:
    """Rejected: nothing is destroyed; the items are registered again and their assets free."""
    reason = f"销毁清单 {ctx.instance.business_key} 未获批准：{data.get('comment') or '—'}"
    returned = destruction_register.release_manifest(ctx.session, ctx.instance.id, reason)
    assets.release_from_case(ctx.session, ctx.instance.id)
    audit.record(ctx.session, "destruction_manifest_rejected", _actor_id(ctx), ctx.instance.id,
                 items=returned, comment=data.get("comment"))
    data["outcome"] = "rejected"
    return {"returned": returned}


@step("destruction")
@enforces("DES.2", "DES.4", what_zh="护送人至少 2 名且互不相同，签字领导不得护送；目的地只能是市保密局指定销毁点",
          what_en="At least two distinct escorts, not the signing leader; the destination is a designated site only")
def check_escort(ctx: StepContext, data: dict) -> dict:
    session = ctx.session
    escorts = list(dict.fromkeys(data["escorts"]))
    if len(escorts) < MIN_ESCORTS:
        raise DomainError("destruction_escorts_two_distinct", field="escorts")
    signer = data.get("signed_by")
    if signer in escorts:
        raise DomainError("destruction_escort_is_signer", field="escorts", name=data.get("signed_by_name") or signer)
    site = _designated_site(session, data.get("destination"), "destination")
    if date.fromisoformat(data["delivered_on"]) > ctx.now.astimezone(OFFICE_TZ).date():
        raise DomainError("destruction_date_in_future", field="delivered_on")
    names = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(escorts)))}
    data["escorts"] = escorts
    data["escort_names"] = [names.get(e, str(e)) for e in escorts]
    # Each escort confirms with their own task that they took the carriers there (confirm_escort, DES.2).
    data["escort_signers"] = [{"id": e, "label": names.get(e, str(e))} for e in escorts]
    data["site_name"] = site.name_zh
    records.manifest_escorted(session, ctx.instance.id, escorts, site.id, data["delivered_on"])
    audit.record(session, "destruction_manifest_escorted", _actor_id(ctx), ctx.instance.id,
                 escorts=data["escort_names"], site=site.code, delivered_on=data["delivered_on"])
    return {"escorts": escorts, "site": site.code}


def _designated_site(session: Session, site_id, field: str) -> ReferenceItem:
    site = session.get(ReferenceItem, site_id) if site_id is not None else None
    if site is None or site.kind != "destruction_site" or not site.active:
        raise DomainError("destruction_site_not_designated", field=field)
    return site


@step("destruction")
@enforces("DES.2", "DES.4",
          what_zh="逐项确认：已在护送送达的指定销毁点以销毁方式销毁（回执、日期、地点），或写明原因退回登记簿；不得捐赠、出售",
          what_en="Each item is confirmed destroyed at the designated site it was escorted to (receipt, date, site, "
                  "a destruction method), or returned to the register with a reason; never donated or sold")
def record_item_outcome(ctx: StepContext, data: dict) -> dict:
    """One item of the manifest: destroyed (its asset → destroyed) or back in the register."""
    session, instance = ctx.session, ctx.instance
    entry = data["manifest_item"]
    item = session.get(DestructionItem, entry["id"])
    if item is None or item.manifest_instance_id != instance.id or item.status != "in_manifest":
        raise RuntimeError(f"destruction item {entry['id']} is not in manifest {instance.id}")
    if data["item_outcome"] == "destroyed":
        result = _confirm_destroyed(ctx, data, item)
    else:
        reason = (data.get("return_reason") or "").strip()
        if not reason:
            raise DomainError("destruction_return_reason_required", field="return_reason")
        item.status = "registered"
        item.manifest_instance_id = None
        item.return_reason = reason
        if item.asset is not None:
            session.execute(update(Asset).where(Asset.id == item.asset_id, Asset.open_case_id == instance.id)
                            .values(open_case_id=None).execution_options(synchronize_session="fetch"))
        result = {"return_reason": reason}
    data["item_result"] = dict(id=item.id, label=entry["label"], item_outcome=data["item_outcome"], **result)
    audit.record(session, f"destruction_item_{data['item_outcome']}", _actor_id(ctx), instance.id,
                 destruction_item_id=item.id, item=entry["label"], **result)
    return {"item": item.id, "item_outcome": data["item_outcome"]}


def _confirm_destroyed(ctx: StepContext, data: dict, item: DestructionItem) -> dict:
    session = ctx.session
    missing = [f for f in ("receipt_number", "destroyed_on", "site", "disposal_method")
               if not str(data.get(f) or "").strip()]
    if missing:
        raise DomainError("destruction_confirmation_incomplete", field=missing[0])
    check_disposal_method(data["disposal_method"])
    site = _designated_site(session, data["site"], "site")
    if site.id != data.get("destination"):
        raise DomainError("destruction_site_mismatch", field="site", site=data.get("site_name") or "?")
    destroyed_on = date.fromisoformat(data["destroyed_on"])
    if destroyed_on > ctx.now.astimezone(OFFICE_TZ).date():
        raise DomainError("destruction_date_in_future", field="destroyed_on")
    if data.get("delivered_on") and destroyed_on < date.fromisoformat(data["delivered_on"]):
        raise DomainError("destruction_destroyed_before_delivery", field="destroyed_on",
                          delivered=data["delivered_on"])
    item.status = "destroyed"
    item.destroyed_at = datetime.combine(destroyed_on, time(12, 0), OFFICE_TZ)
    item.site_id = site.id
    item.receipt_number = data["receipt_number"].strip()
    if item.asset is not None:
        assets.move(session, item.asset, "destroyed", _actor_id(ctx), ctx.instance.id, release=True)
    return {"receipt_number": item.receipt_number, "destroyed_on": data["destroyed_on"], "site": site.code,
            "disposal_method": data["disposal_method"]}


@step("destruction")
def close_manifest(ctx: StepContext, data: dict) -> dict:
    """Every item of the manifest has its outcome; the case records the totals."""
    results = data.get("item_results") or []
    done = {r["id"] for r in results}
    missing = [e["id"] for e in data["manifest_items"] if e["id"] not in done]
    if missing:  # the engine runs this only after every per-item task; a gap is a defect
        raise RuntimeError(f"manifest without outcome for items {missing}")
    destroyed = [r["id"] for r in results if r["item_outcome"] == "destroyed"]
    returned = [r["id"] for r in results if r["item_outcome"] != "destroyed"]
    data["destroyed_items"], data["returned_items"] = destroyed, returned
    data["outcome"] = "destroyed" if destroyed else "returned"
    audit.record(ctx.session, "destruction_manifest_closed", _actor_id(ctx), ctx.instance.id,
                 destroyed=destroyed, returned=returned)
    return {"destroyed": len(destroyed), "returned": len(returned)}
