"""P7 leak incident report (CIS.10, PUB.8(3)).

A section reports a leak at once with the measures it took (CIS.10); the security committee is told and
triages it; the security office records the remedial actions and the cause; the committee reports to the
municipal secrecy bureau (PUB.8(3)) and closes the case with its findings.
"""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from models import Asset, CaseAsset
from services import audit, notifications
from services.enforcement import enforces
from services.errors import DomainError
from services.messages import register
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")

register({
    "leak_report_discovered_in_future": ("发现日期不能晚于今天。", "The discovery date cannot be in the future."),
    "leak_report_severity_required": ("确认泄密时须评定严重程度（CIS.10）。",
                                      "A confirmed leak needs its severity (CIS.10)."),
    "leak_report_notify_reported": ("{section}报告泄密事件 {case}：{summary}。请领导小组及时研判并督促补救（CIS.10）。",
                                    "{section} reported a leak, {case}: {summary}. The committee triages it and "
                                    "sees to the remedy (CIS.10)."),
})


@start_check("leak_report")
@enforces("CIS.10", what_zh="泄密事件报告：发现即报领导小组，写明已采取的应急措施；领导小组成员即时收到通知",
          what_en="Leak report: reported to the security committee at once with the measures taken; its members "
                  "are notified immediately")
def validate_report(ctx: StepContext, data: dict) -> dict:
    session = ctx.session
    today = ctx.now.astimezone(OFFICE_TZ).date()
    if date.fromisoformat(data["discovered_on"]) > today:
        raise DomainError("leak_report_discovered_in_future", field="discovered_on")
    numbers = []
    # The assets concerned are linked to the case for the record; a leak report does not hold them.
    for asset_id in dict.fromkeys(data.get("assets") or []):
        asset = session.get(Asset, asset_id)
        if asset is None:
            raise DomainError("asset_unknown", field="assets", number=asset_id)
        if asset.section_id != ctx.actor.section_id:
            raise DomainError("asset_other_section", field="assets", number=asset.register_number)
        session.add(CaseAsset(instance_id=ctx.instance.id, asset_id=asset.id))
        numbers.append(asset.register_number)
    ctx.instance.title = data["summary"][:200]
    section = ctx.actor.section.name_zh if ctx.actor.section is not None else ""
    committee = [u for u in notifications.holders_of(session, "security_committee") if u != ctx.actor.id]
    notifications.notify(session, committee,
                         "leak_report_notify_reported", f"leak_reported:{ctx.instance.id}", ctx.instance.id,
                         case=ctx.instance.business_key, section=section, summary=data["summary"])
    audit.record(session, "leak_reported", ctx.actor.id, ctx.instance.id, summary=data["summary"],
                 classification=data["classification"], assets=numbers)
    return dict(data, asset_numbers=numbers)


@step("leak_report")
@enforces("CIS.10", what_zh="领导小组研判：确认泄密须评定严重程度", what_en="Triage: a confirmed leak gets its severity")
def record_triage(ctx: StepContext, data: dict) -> dict:
    if data["triage_result"] == "confirmed" and not data.get("severity"):
        raise DomainError("leak_report_severity_required", field="severity")
    audit.record(ctx.session, "leak_triaged", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                 result=data["triage_result"], severity=data.get("severity"))
    return {"triage_result": data["triage_result"], "severity": data.get("severity")}


@step("leak_report")
def record_closure(ctx: StepContext, data: dict) -> dict:
    """Closed with the committee's findings; an unfounded report closes without remedy or bureau report."""
    data["outcome"] = "unfounded" if data.get("triage_result") == "unfounded" else "closed"
    audit.record(ctx.session, "leak_closed", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                 outcome=data["outcome"], bureau_reference=data.get("bureau_reference"))
    return {"outcome": data["outcome"]}
