"""The maintenance log of the classified computers (涉密计算机维修登记, RRS.2): for each repair, upgrade or
replaced storage part, the fault, its cause, the work done and who did it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from models import Asset, MaintenanceLogEntry, ProcessInstance, Section, User
from services import assets
from services.ledgers.base import Column, Filters, Ledger, Scope, label, local_time, period_condition, scoped

RecordedBy = aliased(User)
# The kind of each line is what the log's "status" filter chooses among.
ENTRY_KINDS = {
    "repair": ("维修", "Repair"),
    "upgrade": ("升级", "Upgrade"),
    "storage_replaced": ("更换存储部件", "Storage part replaced"),
    "inspection": ("检查", "Inspection"),
}


def _query(filters: Filters, scope: Scope):
    stmt = (select(MaintenanceLogEntry, Asset.register_number, Asset.kind.label("asset_kind"),
                   Asset.classification, Section.name_zh.label("section_zh"), Section.name_en.label("section_en"),
                   RecordedBy.display_name.label("recorded_by"), ProcessInstance.business_key)
            .join(Asset, Asset.id == MaintenanceLogEntry.asset_id)
            .join(Section, Section.id == Asset.section_id)
            .outerjoin(RecordedBy, RecordedBy.id == MaintenanceLogEntry.recorded_by_id)
            .outerjoin(ProcessInstance, ProcessInstance.id == MaintenanceLogEntry.instance_id))
    for condition in (period_condition(MaintenanceLogEntry.at, filters, is_date=False),
                      Asset.section_id == filters.section_id if filters.section_id else None,
                      Asset.classification == filters.classification if filters.classification else None,
                      MaintenanceLogEntry.kind == filters.status if filters.status else None):
        if condition is not None:
            stmt = stmt.where(condition)
    return scoped(stmt, Asset.section_id, scope)


def _cells(row, locale: str, context: dict) -> list:
    entry: MaintenanceLogEntry = row.MaintenanceLogEntry
    return [local_time(entry.at), row.register_number, label(assets.KINDS.get(row.asset_kind), locale, row.asset_kind),
            label(assets.CLASSIFICATIONS.get(row.classification), locale, row.classification),
            row.section_en if locale.startswith("en") else row.section_zh,
            label(ENTRY_KINDS.get(entry.kind), locale, entry.kind), entry.fault, entry.cause, entry.work_done,
            entry.performed_by, row.recorded_by or "", row.business_key or ""]


LEDGER = Ledger(
    key="maintenance",
    title=("涉密计算机维修登记台账", "Maintenance log of classified computers"),
    articles=("RRS.2",),
    columns=(Column("at", "时间", "Time"), Column("register_number", "登记编号", "Register number"),
             Column("kind", "类别", "Kind"), Column("classification", "密级", "Classification"),
             Column("section", "科室", "Section"), Column("entry_kind", "事项", "Entry"),
             Column("fault", "故障现象", "Fault", text=True), Column("cause", "故障原因", "Cause", text=True),
             Column("work_done", "维修内容", "Work done", text=True), Column("performed_by", "维修人及单位", "Performed by", text=True),
             Column("recorded_by", "登记人", "Recorded by"), Column("case", "案件编号", "Case")),
    sorts={"at": (MaintenanceLogEntry.at, MaintenanceLogEntry.id),
           "register_number": (Asset.register_number, MaintenanceLogEntry.at, MaintenanceLogEntry.id),
           "section": (Section.code, MaintenanceLogEntry.at, MaintenanceLogEntry.id),
           "entry_kind": (MaintenanceLogEntry.kind, MaintenanceLogEntry.at, MaintenanceLogEntry.id)},
    statuses=ENTRY_KINDS,
    status_heading=("事项", "Entry"),
    period_heading=("时间", "Time"),
    office_roles=("maintainer",),
    signatures=(("登记人", "Recorded by"), ("设备维护专人", "Maintainer"), ("审核人（保密办）", "Checked by (security office)")),
    query=_query, cells=_cells,
)
