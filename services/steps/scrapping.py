"""P3 scrapping and replacement of classified equipment (RRS.5, CNET.8, CNET.9, MED.5).

A section applies to scrap classified assets; the security office counts them against the register (清点)
and records them (登记): they are `pending_scrap`; the maintainer clears their storage (MED.5); the leader
and every member of the security committee approve
(会签: one rejection rejects, CNET.9); the security office hands them to the destruction officer and
each one enters the destruction register, `pending_destruction` (RRS.5). Nothing here destroys an asset:
only the destruction procedure (P4) confirms it `destroyed`, so a section can never destroy it itself.
A rejection, or a count that does not match the register, puts every asset back where it was."""
from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from services import assets, audit, destruction_register
from services.countersign import list_signers
from services.enforcement import enforces
from services.errors import DomainError
from services.messages import register
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
# DES.3 (2): retired or scrapped computers, media and office equipment that processed classified information.
SCRAP_CATEGORY = "2"
_NUMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")

register({
    "scrapping_disposal_forbidden": (
        "涉密设备不得转为非涉密使用，不得捐赠或出售，只能交保密办安排送指定销毁点销毁（CNET.8）。",
        "Classified equipment is never turned to unclassified use, donated or sold; it is only destroyed at a "
        "designated site through the security office (CNET.8)."),
    "scrapping_self_destruction_forbidden": (
        "各科室不得擅自销毁涉密设备，由保密办安排专人定点销毁（RRS.5、CNET.9）。",
        "A section never destroys classified equipment itself; the security office has the designated person "
        "destroy it at a designated site (RRS.5, CNET.9)."),
    "scrapping_asset_not_available": (
        "资产 {number} 当前状态为“{status}”，只有在用或专人保管的资产可以申请报废。",
        "Asset {number} is {status}; only assets in use or in storage can be scrapped."),
    "scrapping_count_mismatch": (
        "清点结果与登记簿不符（缺少：{missing}；多出：{extra}），请逐件核对登记编号；确实不符的请选择“账物不符”（CNET.9）。",
        "The count does not match the register (missing: {missing}; extra: {extra}); check each register number, "
        "or choose 'discrepancy' (CNET.9)."),
    "scrapping_discrepancy_needs_comment": (
        "账物不符时请写明情况。", "Describe the discrepancy."),
    "scrapping_date_in_future": ("日期不能晚于今天。", "The date cannot be in the future."),
})


def _actor_id(ctx: StepContext) -> int | None:
    return ctx.actor.id if ctx.actor else None


def _not_in_future(ctx: StepContext, data: dict, field: str) -> None:
    if date.fromisoformat(data[field]) > ctx.now.astimezone(OFFICE_TZ).date():
        raise DomainError("scrapping_date_in_future", field=field)


@start_check("scrapping")
@enforces("CNET.8", "CNET.9", what_zh="报废申请只收本科室在用或专人保管的涉密资产；处置方式只能是交保密办送指定销毁点销毁，不得转为非涉密、捐赠、出售或自行销毁",
          what_en="A scrapping application takes only classified assets of the section, in use or in storage; the "
                  "only disposal is destruction through the security office, never declassification, donation, sale "
                  "or destruction by the section")
def validate_application(ctx: StepContext, data: dict) -> dict:
    try:
        reserved = assets.reserve_for_case(ctx.session, data["assets"], ctx.instance, ctx.actor,
                                           {"in_use", "in_storage"})
    except DomainError as err:
        if err.code != "asset_not_in_use":
            raise
        raise DomainError("scrapping_asset_not_available", field="assets", number=err.params.get("number"),
                          status=assets.label(assets.STATUSES, err.params.get("status", ""), "zh_CN")) from None
    numbers = [a.register_number for a in reserved]
    ctx.instance.title = f"报废 {', '.join(numbers)}"[:300]
    return dict(data, assets=[a.id for a in reserved], asset_numbers=numbers,
                statuses_before={a.register_number: a.status for a in reserved})


@step("scrapping")
@enforces("CNET.9", what_zh="保密办逐件清点登记编号，与登记簿核对相符后登记，资产转为待报废；不符则终止报废",
          what_en="The security office counts each register number against the register and records the assets "
                  "(pending scrap); a discrepancy stops the scrapping")
def record_count(ctx: StepContext, data: dict) -> dict:
    expected = data["asset_numbers"]
    counted = [n for n in _NUMBER_SEPARATORS.split(data["counted_numbers"].upper()) if n]
    _not_in_future(ctx, data, "registered_on")
    if data["count_result"] != "all_match":
        if not (data.get("discrepancy") or "").strip():
            raise DomainError("scrapping_discrepancy_needs_comment", field="discrepancy")
        audit.record(ctx.session, "scrapping_count_discrepancy", _actor_id(ctx), ctx.instance.id,
                     expected=expected, counted=counted, discrepancy=data["discrepancy"])
        return {"count_result": "discrepancy"}
    missing = [n for n in expected if n not in counted]
    extra = sorted(set(counted) - set(expected))
    if missing or extra:
        raise DomainError("scrapping_count_mismatch", field="counted_numbers",
                          missing="、".join(missing) or "—", extra="、".join(extra) or "—")
    for asset in assets.assets_of_case(ctx.session, ctx.instance.id):
        assets.move(ctx.session, asset, "pending_scrap", _actor_id(ctx), ctx.instance.id)
    data["counted_by"] = _actor_id(ctx)
    audit.record(ctx.session, "scrapping_counted_and_registered", _actor_id(ctx), ctx.instance.id,
                 assets=expected, registered_on=data["registered_on"])
    return {"pending_scrap": expected}


# Every member of the security committee signs (会签, CNET.9): listed when the step starts (services/countersign.py).
step("scrapping")(list_signers)


@step("scrapping")
@enforces("MED.5", what_zh="报废前由系统维护人员清除存储信息，记录操作人、日期和方式",
          what_en="Before scrapping, the maintainer clears the storage; who, when and how are recorded")
def record_clearing(ctx: StepContext, data: dict) -> dict:
    _not_in_future(ctx, data, "cleared_on")
    data["clearing"] = {"cleared_by": data["cleared_by"], "cleared_on": data["cleared_on"],
                        "method": data["clearing_method"], "confirmed_by": _actor_id(ctx)}
    audit.record(ctx.session, "scrapping_information_cleared", _actor_id(ctx), ctx.instance.id,
                 assets=data["asset_numbers"], **data["clearing"])
    return {"cleared": data["asset_numbers"]}


@step("scrapping")
@enforces("RRS.5", "CNET.9", "CNET.8",
          what_zh="经批准后保密办移交销毁工作专人：每件资产列入销毁登记簿（第三条第（二）项），状态为待销毁；只有销毁流程（P4）确认后才为已销毁，科室不能自行销毁",
          what_en="Once approved, the security office hands the assets to the destruction officer: each enters the "
                  "destruction register under DES.3 (2), pending destruction; only the destruction procedure (P4) "
                  "makes it destroyed, never the section")
def hand_to_destruction_register(ctx: StepContext, data: dict) -> dict:
    _not_in_future(ctx, data, "handed_over_on")
    session, actor_id, instance_id = ctx.session, _actor_id(ctx), ctx.instance.id
    items = []
    for asset in assets.assets_of_case(session, instance_id):
        assets.move(session, asset, "pending_destruction", actor_id, instance_id)
        item_type = "media" if asset.kind in destruction_register.MEDIA_KINDS else "equipment"
        item = destruction_register.add_item(session, actor_id, item_type=item_type, category=SCRAP_CATEGORY,
                                             asset_id=asset.id, source_instance_id=instance_id)
        items.append(item.id)
    # The assets leave this case: the destruction procedure (P4) takes them from the register.
    assets.release_from_case(session, instance_id)
    data["destruction_items"] = items
    data["outcome"] = "handed_to_destruction"
    audit.record(session, "scrapping_handed_to_destruction", actor_id, instance_id, assets=data["asset_numbers"],
                 items=items, received_by=data["received_by"], handed_over_on=data["handed_over_on"])
    return {"destruction_items": items}


@step("scrapping")
def restore_assets(ctx: StepContext, data: dict) -> dict:
    """Rejected, or the count did not match: each asset goes back to its status before the case, released."""
    before = data.get("statuses_before", {})
    actor_id = _actor_id(ctx)
    for asset in assets.assets_of_case(ctx.session, ctx.instance.id):
        target = before.get(asset.register_number, "in_use")
        if asset.status == "pending_scrap":
            assets.move(ctx.session, asset, target, actor_id, ctx.instance.id)
    assets.release_from_case(ctx.session, ctx.instance.id)
    data["outcome"] = "rejected"
    return {"restored": before}
