"""The destruction manifests (涉密载体销毁清单台账, DES.2): each manifest the destruction officer compiled,
who signed it, who escorted it to which designated site, and how many items were destroyed or returned.
Manifests are office-wide papers: read by the office-wide readers and the destruction officer, not by a
section head (a manifest mixes the carriers of several sections)."""
from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from models import DestructionItem, ProcessInstance, ReferenceItem, User
from models.ledgers import DestructionManifest, DestructionManifestItem
from services.ledgers.base import (Column, Filters, Ledger, Scope, label, local_day, local_time,
                                   period_condition)

CompiledBy, SignedBy = aliased(User), aliased(User)
STATUSES = {
    "running": ("办理中", "In progress"),
    "completed": ("已办结", "Closed"),
    "rejected": ("未获批准", "Not approved"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "suspended": ("已暂停", "Suspended"),
    "terminated": ("已终止", "Terminated"),
    "error": ("出错", "Error"),
}


def _count(*conditions):
    return (select(func.count()).select_from(DestructionManifestItem)
            .join(DestructionItem, DestructionItem.id == DestructionManifestItem.item_id)
            .where(DestructionManifestItem.instance_id == DestructionManifest.instance_id, *conditions)
            .scalar_subquery())


def _has_item(*conditions):
    return exists().where(DestructionManifestItem.instance_id == DestructionManifest.instance_id,
                          DestructionItem.id == DestructionManifestItem.item_id, *conditions)


def _query(filters: Filters, scope: Scope):
    stmt = (select(DestructionManifest, ProcessInstance.business_key, ProcessInstance.created_at,
                   ProcessInstance.status, CompiledBy.display_name.label("compiled_by"),
                   SignedBy.display_name.label("signed_by"), ReferenceItem.name_zh.label("site_zh"),
                   ReferenceItem.name_en.label("site_en"), _count().label("items"),
                   _count(DestructionItem.status == "destroyed",
                          DestructionItem.manifest_instance_id == DestructionManifest.instance_id)
                   .label("destroyed"))
            .join(ProcessInstance, ProcessInstance.id == DestructionManifest.instance_id)
            .outerjoin(CompiledBy, CompiledBy.id == DestructionManifest.compiled_by_id)
            .outerjoin(SignedBy, SignedBy.id == DestructionManifest.signed_by_id)
            .outerjoin(ReferenceItem, ReferenceItem.id == DestructionManifest.site_id))
    for condition in (period_condition(ProcessInstance.created_at, filters, is_date=False),
                      _has_item(DestructionItem.section_id == filters.section_id) if filters.section_id else None,
                      _has_item(DestructionItem.classification == filters.classification)
                      if filters.classification else None,
                      ProcessInstance.status == filters.status if filters.status else None):
        if condition is not None:
            stmt = stmt.where(condition)
    return stmt  # office-wide only: no section scope to apply


def _context(session: Session) -> dict:
    # Escorts are a list of ids; the office's people are few, so one read serves a whole export.
    return {"names": dict(session.execute(select(User.id, User.display_name)).all())}


def escort_names(manifest: DestructionManifest, names: dict) -> list[str]:
    return [names.get(i, str(i)) for i in (manifest.escort_ids or [])]


def _cells(row, locale: str, context: dict) -> list:
    manifest: DestructionManifest = row.DestructionManifest
    site = row.site_en if locale.startswith("en") else row.site_zh
    return [row.business_key, local_day(row.created_at), row.compiled_by or "", local_day(manifest.planned_on),
            row.items, row.destroyed, row.signed_by or "", local_time(manifest.signed_at),
            "、".join(escort_names(manifest, context["names"])), site or "", local_day(manifest.delivered_on),
            label(STATUSES.get(row.status), locale, row.status)]


LEDGER = Ledger(
    key="destruction",
    title=("涉密载体销毁清单台账", "Destruction manifests of classified carriers"),
    articles=("DES.2", "DES.4"),
    columns=(Column("case", "清单编号", "Manifest"), Column("compiled_on", "编制日期", "Compiled on"),
             Column("compiled_by", "编制人", "Compiled by"), Column("planned_on", "计划送销日期", "Planned for"),
             Column("items", "载体件数", "Items"), Column("destroyed", "已销毁件数", "Destroyed"),
             Column("signed_by", "签字领导", "Signed by"), Column("signed_at", "签字时间", "Signed at"),
             Column("escorts", "护送人", "Escorts", text=True), Column("site", "销毁点", "Destruction site", text=True),
             Column("delivered_on", "送达日期", "Delivered on"), Column("status", "状态", "Status")),
    sorts={"compiled_on": (ProcessInstance.created_at, ProcessInstance.id), "case": (ProcessInstance.business_key,),
           "delivered_on": (DestructionManifest.delivered_on, ProcessInstance.id),
           "status": (ProcessInstance.status, ProcessInstance.id)},
    statuses=STATUSES,
    period_heading=("编制日期", "Compiled on"),
    office_roles=("destruction_officer",),
    section_roles=(),
    signatures=(("销毁工作专人", "Destruction officer"), ("审核人（保密办）", "Checked by (security office)")),
    query=_query, cells=_cells, context=_context, document_id=lambda row: row.DestructionManifest.instance_id,
)
