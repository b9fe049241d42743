"""P1 external repair of a classified computer (RRS.1-4, CNET.7, CIS.9, MED.5).

The applicant names one classified computer of the section and the mode: on site by an outside technician,
or sent out to a designated repair unit. The section head reviews; the security office decides how the
classified data is protected (storage removed and kept, or transferred and irreversibly wiped); sending
out without one of those is refused (RRS.3, CNET.7). The security committee approves, and the leader too
when the computer is sent out (two approvals, two people). The maintainer carries out the protection and
the computer is `under_repair`; an on-site repair is supervised and recorded, a sent-out one goes only to
a designated unit (CIS.9). On return the maintenance log gets its entry (RRS.2), replaced storage is taken
back (MED.5), and a failed storage part that cannot be made safe enters the destruction register (CNET.7)."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import MaintenanceLogEntry, ReferenceItem, RoleAssignment, User
from services import assets, audit, destruction_register
from services.countersign import list_signers
from services.enforcement import enforces
from services.errors import DomainError
from services.messages import register
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
COMPUTER_KINDS = ("desktop", "laptop")
PROTECTED = ("storage_removed_kept", "data_transferred_wiped")
# DES.3 (2): equipment and media that processed classified information and may no longer be used.
FAILED_STORAGE_CATEGORY = "2"

register({
    "repair_one_computer": (
        "一份维修申请只能填报一台涉密计算机。", "One repair application covers one classified computer."),
    "repair_not_a_computer": (
        "资产 {number} 不是涉密计算机（台式机或笔记本电脑），不适用本维修流程。",
        "Asset {number} is not a classified computer (desktop or laptop); this repair procedure does not apply."),
    "repair_asset_not_available": (
        "资产 {number} 当前状态为“{status}”，只有在用或专人保管的设备可以申请维修。",
        "Asset {number} is {status}; only equipment in use or in storage can be sent for repair."),
    "repair_send_out_needs_data_protection": (
        "外送维修前必须拆除涉密存储部件或对涉密信息作不可恢复删除；无法做到的只能现场维修（RRS.3、CNET.7）。",
        "Before sending a computer out, its storage must be removed or its classified data irreversibly wiped; "
        "otherwise it can only be repaired on site (RRS.3, CNET.7)."),
    "repair_preparation_incomplete": (
        "请填写{what}（RRS.3、CNET.7）。", "Give {what} (RRS.3, CNET.7)."),
    "repair_date_in_future": ("日期不能晚于今天。", "The date cannot be in the future."),
    "repair_supervisors_incomplete": (
        "现场维修须由保密办人员和系统维护人员全程监督：监督人员中至少各有一名（RRS.1、CNET.7）。",
        "An on-site repair is supervised throughout by the security office and the maintainer: name at least one "
        "of each among the supervisors (RRS.1, CNET.7)."),
    "repair_unit_not_designated": (
        "涉密计算机只能送市保密局指定的维修点维修（CIS.9、CNET.7）。",
        "Classified computers are repaired only at a unit designated by the municipal secrecy bureau "
        "(CIS.9, CNET.7)."),
    "repair_return_before_dispatch": (
        "返还日期不能早于送修日期（{dispatched}）。", "The return date cannot be before the dispatch ({dispatched})."),
    "repair_replaced_storage_not_taken_back": (
        "更换下来的涉密存储部件必须收回，不得留在维修单位（MED.5）。",
        "A replaced classified storage part must be taken back, never left with the repairer (MED.5)."),
    "repair_storage_part_missing": (
        "请填写更换或故障的存储部件（型号、序列号）。", "Name the replaced or failed storage part (model, serial)."),
})

_PREPARATION_FIELDS = {
    "storage_removed_kept": [("storage_removed", ("拆除的存储部件", "the storage parts removed")),
                             ("storage_kept_by", ("存储部件保管人", "who keeps the storage parts"))],
    "data_transferred_wiped": [("data_transferred_to", ("涉密信息转存位置", "where the classified data went")),
                               ("wipe_method", ("不可恢复删除方式", "the irreversible wipe method"))],
}


def _actor_id(ctx: StepContext) -> int | None:
    return ctx.actor.id if ctx.actor else None


def _today(ctx: StepContext) -> date:
    return ctx.now.astimezone(OFFICE_TZ).date()


def _not_in_future(ctx: StepContext, data: dict, field: str) -> date:
    day = date.fromisoformat(data[field])
    if day > _today(ctx):
        raise DomainError("repair_date_in_future", field=field)
    return day


def _the_asset(ctx: StepContext):
    found = assets.assets_of_case(ctx.session, ctx.instance.id)
    if len(found) != 1:
        raise RuntimeError(f"repair case {ctx.instance.id} holds {len(found)} assets")
    return found[0]


@start_check("external_repair")
@enforces("RRS.1", what_zh="维修申请：一台本科室在用或专人保管、不在其他未结案件中的涉密计算机，写明故障现象和维修方式",
          what_en="The repair application: one classified computer of the section, in use or in storage, in no other "
                  "open case, with its fault symptoms and the repair mode")
def validate_application(ctx: StepContext, data: dict) -> dict:
    asset_ids = list(dict.fromkeys(data["assets"]))
    if len(asset_ids) != 1:
        raise DomainError("repair_one_computer", field="assets")
    try:
        reserved = assets.reserve_for_case(ctx.session, asset_ids, ctx.instance, ctx.actor, {"in_use", "in_storage"})
    except DomainError as err:
        if err.code != "asset_not_in_use":
            raise
        raise DomainError("repair_asset_not_available", field="assets", number=err.params.get("number"),
                          status=assets.label(assets.STATUSES, err.params.get("status", ""), "zh_CN")) from None
    asset = reserved[0]
    if asset.kind not in COMPUTER_KINDS:
        raise DomainError("repair_not_a_computer", field="assets", number=asset.register_number)
    ctx.instance.title = f"{asset.register_number} {asset.make_model} 维修（{'外送' if data['mode'] == 'sent_out' else '现场'}）"
    return dict(data, assets=asset_ids, asset_number=asset.register_number, status_before=asset.status)


@step("external_repair")
@enforces("RRS.3", "CNET.7", what_zh="外送维修前必须拆除涉密存储部件或作不可恢复删除，否则拒绝外送，只能现场维修",
          what_en="Sending out needs the storage removed or the data irreversibly wiped; otherwise it is refused and "
                  "the repair can only be on site")
def check_data_protection(ctx: StepContext, data: dict) -> dict:
    protection = data["data_protection"]
    if data["mode"] == "sent_out" and protection not in PROTECTED:
        raise DomainError("repair_send_out_needs_data_protection", field="data_protection")
    data["data_protection_by"] = _actor_id(ctx)
    audit.record(ctx.session, "repair_data_protection_decided", _actor_id(ctx), ctx.instance.id,
                 asset=data["asset_number"], mode=data["mode"], data_protection=protection)
    return {"mode": data["mode"], "data_protection": protection}


# Every member of the security committee signs (会签, RRS.1), listed when the step starts (services/countersign.py).
step("external_repair")(list_signers)


@step("external_repair")
@enforces("RRS.3", "CNET.7", what_zh="维护人员确认已拆除存储部件（部件、保管人）或已转存并不可恢复删除（位置、方式），记录操作人和日期；设备转入维修中",
          what_en="The maintainer confirms the storage was removed (parts, keeper) or the data transferred and "
                  "irreversibly wiped (where, method), by whom and when; the computer is then under repair")
def record_preparation(ctx: StepContext, data: dict) -> dict:
    for field, (zh, _en) in _PREPARATION_FIELDS.get(data["data_protection"], []):
        value = data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DomainError("repair_preparation_incomplete", field=field, what=zh)
    _not_in_future(ctx, data, "prepared_on")
    asset = _the_asset(ctx)
    assets.move(ctx.session, asset, "under_repair", _actor_id(ctx), ctx.instance.id)
    preparation = {"data_protection": data["data_protection"], "prepared_by": data["prepared_by"],
                   "prepared_on": data["prepared_on"], "confirmed_by": _actor_id(ctx)}
    for field, _label in _PREPARATION_FIELDS.get(data["data_protection"], []):
        preparation[field] = data[field]
    data["preparation"] = preparation
    audit.record(ctx.session, "repair_prepared", _actor_id(ctx), ctx.instance.id, asset=asset.register_number,
                 **preparation)
    return {"under_repair": asset.register_number}


def _holders(session, user_ids: list[int], role: str) -> set[int]:
    return set(session.scalars(select(RoleAssignment.user_id).where(
        RoleAssignment.user_id.in_(user_ids), RoleAssignment.role == role, RoleAssignment.section_id.is_(None))))


@step("external_repair")
@enforces("RRS.1", "CNET.7", "CIS.9",
          what_zh="现场维修由保密办人员和系统维护人员全程监督，详细记录维修人员及单位、维修对象、维修内容、维修前后状况",
          what_en="An on-site repair is supervised throughout by the security office and the maintainer, and "
                  "recorded: repairer and company, object, work done, state before and after")
def record_supervision(ctx: StepContext, data: dict) -> dict:
    supervisors = list(dict.fromkeys(data["supervisors"]))
    if not _holders(ctx.session, supervisors, "security_office") or not _holders(ctx.session, supervisors, "maintainer"):
        raise DomainError("repair_supervisors_incomplete", field="supervisors")
    _not_in_future(ctx, data, "repaired_on")
    names = {u.id: u.display_name for u in ctx.session.scalars(select(User).where(User.id.in_(supervisors)))}
    record = {k: data[k] for k in ("repaired_on", "repairer_name", "repairer_company", "repair_object", "work_done",
                                   "state_before", "state_after")}
    record["supervisors"] = supervisors
    record["supervisor_names"] = [names[s] for s in supervisors]
    data["supervision_record"] = record
    audit.record(ctx.session, "repair_supervised_on_site", _actor_id(ctx), ctx.instance.id,
                 asset=data["asset_number"], **record)
    return {"supervisors": record["supervisor_names"]}


@step("external_repair")
@enforces("CIS.9", "CNET.7", "MED.5", what_zh="外送维修只送市保密局指定的维修点，且须已拆除存储部件或作不可恢复删除",
          what_en="A sent-out repair goes only to a unit designated by the bureau, and only once the storage is removed "
                  "or wiped")
def record_dispatch(ctx: StepContext, data: dict) -> dict:
    unit = ctx.session.get(ReferenceItem, data["repair_unit"])
    if unit is None or unit.kind != "repair_unit" or not unit.active:
        raise DomainError("repair_unit_not_designated", field="repair_unit")
    if data.get("preparation", {}).get("data_protection") not in PROTECTED:
        raise DomainError("repair_send_out_needs_data_protection", field="repair_unit")
    _not_in_future(ctx, data, "dispatched_on")
    data["repair_unit_name"] = unit.name_zh
    data["repair_unit_code"] = unit.code
    audit.record(ctx.session, "repair_dispatched", _actor_id(ctx), ctx.instance.id, asset=data["asset_number"],
                 unit=unit.code, dispatched_on=data["dispatched_on"], received_by=data["received_by"])
    return {"repair_unit": unit.code}


@step("external_repair")
def record_unit_return(ctx: StepContext, data: dict) -> dict:
    returned = _not_in_future(ctx, data, "returned_on")
    if returned < date.fromisoformat(data["dispatched_on"]):
        raise DomainError("repair_return_before_dispatch", field="returned_on", dispatched=data["dispatched_on"])
    audit.record(ctx.session, "repair_returned_from_unit", _actor_id(ctx), ctx.instance.id,
                 asset=data["asset_number"], unit=data.get("repair_unit_code"), returned_on=data["returned_on"])
    return {"returned_on": data["returned_on"]}


@step("external_repair")
@enforces("RRS.2", "MED.5", "CNET.7",
          what_zh="修复后故障现象、原因、维修内容和扩充情况记入维修档案；更换的存储部件收回；不能保证安全的故障存储部件列入销毁登记簿",
          what_en="On return, fault, cause, work done and upgrades go into the maintenance log; replaced storage is "
                  "taken back; a failed storage part that cannot be made safe enters the destruction register")
def record_repair_return(ctx: StepContext, data: dict) -> dict:
    session, actor_id = ctx.session, _actor_id(ctx)
    replaced = bool(data.get("storage_replaced"))
    unsafe = bool(data.get("failed_storage_unsafe"))
    part = (data.get("storage_part") or "").strip()
    if replaced:
        if not part:
            raise DomainError("repair_storage_part_missing", field="storage_part")
        if not data.get("replaced_storage_taken_back"):
            raise DomainError("repair_replaced_storage_not_taken_back", field="replaced_storage_taken_back")
    if unsafe and not part:
        raise DomainError("repair_storage_part_missing", field="storage_part")
    asset = _the_asset(ctx)
    instance_id = ctx.instance.id
    fault = (data.get("fault") or "").strip() or data["symptoms"]
    performed_by = data["performed_by"]
    entries = [MaintenanceLogEntry(asset_id=asset.id, instance_id=instance_id, kind="repair", fault=fault,
                                   cause=data["cause"], work_done=data["work_done"], performed_by=performed_by,
                                   recorded_by_id=actor_id)]
    upgrade = (data.get("upgrade") or "").strip()
    if upgrade:
        entries.append(MaintenanceLogEntry(asset_id=asset.id, instance_id=instance_id, kind="upgrade", fault=fault,
                                           cause=data["cause"], work_done=upgrade, performed_by=performed_by,
                                           recorded_by_id=actor_id))
    if replaced:
        entries.append(MaintenanceLogEntry(
            asset_id=asset.id, instance_id=instance_id, kind="storage_replaced", fault=fault, cause=data["cause"],
            work_done=f"更换存储部件：{part}；旧部件已收回（MED.5）", performed_by=performed_by, recorded_by_id=actor_id))
    session.add_all(entries)
    session.flush()
    result = {"maintenance_log": [e.id for e in entries]}
    if replaced:
        audit.record(session, "repair_storage_taken_back", actor_id, instance_id, asset=asset.register_number,
                     part=part)
        data["replaced_storage_taken_back_recorded"] = True
    if unsafe:
        # CNET.7: destroyed as a classified carrier, through the destruction register (P4).
        item = destruction_register.add_item(
            session, actor_id, item_type="media", category=FAILED_STORAGE_CATEGORY,
            classification=asset.classification, title=f"{asset.register_number} 故障存储部件：{part}",
            section_id=asset.section_id, source_instance_id=instance_id)
        data["destruction_item_id"] = item.id
        result["destruction_item"] = item.id
    back_to = data.get("return_to") or data.get("status_before") or "in_use"
    assets.move(session, asset, back_to, actor_id, instance_id, release=True)
    data["outcome"] = "repaired"
    audit.record(session, "repair_completed", actor_id, instance_id, asset=asset.register_number, status=back_to,
                 storage_replaced=replaced, failed_storage_destroyed=unsafe)
    return result


@step("external_repair")
def release_assets(ctx: StepContext, data: dict) -> dict:
    """Rejected before any preparation: the computer never left its status; it is free for other cases."""
    assets.release_from_case(ctx.session, ctx.instance.id)
    data["outcome"] = "rejected"
    return {}
