"""P2 carry-out of classified laptops and media (MED.3, MED.4)."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services import assets, audit, notifications
from services.ledgers import records
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
RETURN_DEADLINE = time(18, 0)


@start_check("carry_out")
def validate_application(ctx: StepContext, data: dict) -> dict:
    """Only classified assets of the applicant's own section, in use and in no other case (MED.3, MED.4)."""
    reserved = assets.reserve_for_case(ctx.session, data["assets"], ctx.instance, ctx.actor, {"in_use"})
    numbers = [a.register_number for a in reserved]
    ctx.instance.title = f"{', '.join(numbers)} → {data['destination']}"
    due = datetime.combine(date.fromisoformat(data["return_date"]), RETURN_DEADLINE, OFFICE_TZ)
    return dict(data, asset_numbers=numbers, return_due_at=due.isoformat())


@step("carry_out")
def record_handover(ctx: StepContext, data: dict) -> dict:
    """The security office hands the assets out: they are `carried_out`, held by the applicant."""
    previous = {}
    for asset in assets.assets_of_case(ctx.session, ctx.instance.id):
        previous[asset.register_number] = asset.holder_id
        assets.move(ctx.session, asset, "carried_out", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                    holder_id=ctx.instance.applicant_id)
    data["holders_before_carry_out"] = previous
    records.carry_out_handed_out(ctx.session, ctx.instance.id, data, ctx.actor.id if ctx.actor else None, ctx.now)
    return {"carried_out": sorted(previous)}


@step("carry_out")
def record_return(ctx: StepContext, data: dict) -> dict:
    """Checked back in: the assets are `in_use` again with their former holder and leave the case."""
    holders = data.get("holders_before_carry_out", {})
    for asset in assets.assets_of_case(ctx.session, ctx.instance.id):
        assets.move(ctx.session, asset, "in_use", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                    holder_id=holders.get(asset.register_number) or asset.holder_id, release=True)
    data["outcome"] = "returned"
    records.carry_out_returned(ctx.session, ctx.instance.id, data, ctx.actor.id if ctx.actor else None, ctx.now)
    return {"returned": sorted(holders)}


@step("carry_out")
def release_assets(ctx: StepContext, data: dict) -> dict:
    """Rejected or withdrawn: nothing was handed out, the assets are free for other cases."""
    assets.release_from_case(ctx.session, ctx.instance.id)
    data["outcome"] = "withdrawn" if data.get("decision") == "withdraw" else "rejected"
    return {}


@step("carry_out")
def flag_overdue_return(ctx: StepContext, data: dict) -> dict:
    """Not back by the agreed date: the holder is reminded, the security office told (MED.3)."""
    audit.record(ctx.session, "carry_out_overdue", None, ctx.instance.id,
                 assets=data.get("asset_numbers"), due=data.get("return_due_at"))
    users = [ctx.instance.applicant_id] + notifications.holders_of(ctx.session, "security_office")
    notifications.notify(ctx.session, users, "notify_carry_out_overdue", f"carry_out_overdue:{ctx.instance.id}",
                         ctx.instance.id, case=ctx.instance.business_key,
                         assets=", ".join(data.get("asset_numbers", [])))
    data["return_overdue"] = True
    records.carry_out_overdue(ctx.session, ctx.instance.id, ctx.now)
    return {"flagged_at": ctx.now.isoformat()}
