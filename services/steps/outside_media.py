"""P8 use of outside removable media or software (CIS.5, RRS.4).

Nothing from outside is used on an office computer before the maintainer has scanned it and found it clean
(CIS.5); software is installed by the designated maintainer only, never by the user (RRS.4). The target
computer is a registered computer of the applicant's section and is held by the case until it ends.
"""
from __future__ import annotations

from services import assets, assignment, audit
from services.enforcement import enforces
from services.errors import DomainError
from services.messages import register
from services.steps import StepContext, start_check, step

COMPUTER_KINDS = {"desktop", "laptop"}

register({
    "outside_media_target_not_computer": ("资产 {number} 不是计算机，请选择要使用该介质或软件的计算机。",
                                          "Asset {number} is not a computer: choose the computer it will be used on."),
    "outside_media_findings_required": ("发现病毒时须写明检查发现和处理情况（CIS.5）。",
                                        "An infected result needs its findings (CIS.5)."),
    "outside_media_not_maintainer": ("软件只能由指定的系统维护人员安装（RRS.4）。",
                                     "Software is installed by the designated maintainer only (RRS.4)."),
})


@start_check("outside_media")
@enforces("CIS.5", what_zh="外来介质、软件使用申请：写明来源和用途，指定本科室登记在用的计算机",
          what_en="Outside media or software: source and purpose stated, on a registered computer of the section")
def validate_request(ctx: StepContext, data: dict) -> dict:
    reserved = assets.reserve_for_case(ctx.session, data["assets"], ctx.instance, ctx.actor, {"in_use"})
    for asset in reserved:
        if asset.kind not in COMPUTER_KINDS:
            raise DomainError("outside_media_target_not_computer", field="assets", number=asset.register_number)
    numbers = [a.register_number for a in reserved]
    ctx.instance.title = f"{data['item_description']} → {', '.join(numbers)}"[:200]
    return dict(data, asset_numbers=numbers)


@step("outside_media")
@enforces("CIS.5", what_zh="维护人员防（杀）毒检查并登记结果；发现病毒须写明情况，不准使用",
          what_en="The maintainer scans and records the result; an infected item is refused with its findings")
def record_scan(ctx: StepContext, data: dict) -> dict:
    if data["scan_result"] == "infected" and not (data.get("scan_findings") or "").strip():
        raise DomainError("outside_media_findings_required", field="scan_findings")
    audit.record(ctx.session, "outside_media_scanned", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                 item=data["item_description"], result=data["scan_result"], tool=data["antivirus_tool"])
    return {"scan_result": data["scan_result"]}


@step("outside_media")
def refuse_use(ctx: StepContext, data: dict) -> dict:
    """Infected: not to be used; the reason is recorded and the computer is free again."""
    assets.release_from_case(ctx.session, ctx.instance.id)
    data["outcome"] = "rejected"
    data["refusal_reason"] = data.get("scan_findings") or data["scan_result"]
    return {"refused": True}


@step("outside_media")
@enforces("RRS.4", what_zh="外来软件只由指定维护人员安装：安装确认须出自维护人员",
          what_en="Outside software is installed by the designated maintainer only: the confirmation comes from a maintainer")
def record_allowed(ctx: StepContext, data: dict) -> dict:
    """Clean: the medium may be used; software has been installed by the maintainer (RRS.4)."""
    if data["item_kind"] == "software":
        actor = ctx.actor
        if actor is None or not assignment.holds_role(ctx.session, actor.id, "maintainer", None):
            raise DomainError("outside_media_not_maintainer")
        data["installed_by"] = actor.id
        audit.record(ctx.session, "outside_software_installed", actor.id, ctx.instance.id,
                     software=data.get("installed_version"), computers=data.get("asset_numbers"))
    assets.release_from_case(ctx.session, ctx.instance.id)
    data["outcome"] = "installed" if data["item_kind"] == "software" else "allowed"
    return {"outcome": data["outcome"]}
