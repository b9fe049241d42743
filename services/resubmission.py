"""The applicant resubmits a case sent back to them: the application is vetted again as at the start."""
from __future__ import annotations

from sqlalchemy import delete, select

from models import Asset, CaseAsset
from services import assets, steps


def vet_again(ctx: steps.StepContext, data: dict) -> dict:
    """Free what the case reserved, then run the procedure's start check on the revised application, so
    that changed assets and dates (a carry-out's return deadline) are checked and derived anew."""
    session, instance = ctx.session, ctx.instance
    held = set(session.scalars(select(Asset.id).where(Asset.open_case_id == instance.id)))
    assets.release_from_case(session, instance.id)
    if held:
        session.execute(delete(CaseAsset).where(CaseAsset.instance_id == instance.id,
                                                CaseAsset.asset_id.in_(held)))
    session.flush()
    return steps.check_start(instance.process_id, ctx, data)


def current_application(instance_data: dict, form) -> dict:
    """The application as the case holds it now, to fill in the start form again."""
    return {f.name: instance_data[f.name] for f in form.fields if f.name in instance_data}
