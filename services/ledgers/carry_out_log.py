"""The carry-out log (涉密笔记本和介质携带外出登记, MED.3): each hand-out of classified laptops or media, who
carried them where and why, when they were due back and when the security office checked them in."""
from __future__ import annotations

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from models import Asset, CaseAsset, ProcessInstance, Section, User, utcnow
from models.ledgers import CarryOutRecord
from services.ledgers.base import (Column, Filters, Ledger, Scope, label, local_day, local_time, period_condition,
                                   scoped)

Carrier, HandedOutBy, ReturnedBy = aliased(User), aliased(User), aliased(User)
STATUSES = {
    "out": ("外出中", "Out"),
    "overdue": ("逾期未还", "Overdue"),
    "returned": ("已归还", "Returned"),
}
CONDITIONS = {
    "intact": ("完好", "Intact"),
    "damaged": ("有损坏", "Damaged"),
    "suspected_outside_use": ("疑似外接使用", "Suspected outside use"),
}


def _status(now):
    """Out, overdue or returned, decided in SQL so that a filter and a sort agree with what is shown. Overdue
    once the due time has passed, or once the scheduler flagged it (its clock is the one that reminded)."""
    return case((CarryOutRecord.returned_on.is_not(None), literal("returned")),
                (or_(CarryOutRecord.return_due_at < now, CarryOutRecord.overdue_flagged_at.is_not(None)),
                 literal("overdue")), else_=literal("out"))


def _asset_numbers():
    return (select(func.aggregate_strings(Asset.register_number, ","))
            .join(CaseAsset, CaseAsset.asset_id == Asset.id)
            .where(CaseAsset.instance_id == CarryOutRecord.instance_id).scalar_subquery())


def _query(filters: Filters, scope: Scope):
    status = _status(utcnow()).label("status")
    stmt = (select(CarryOutRecord, ProcessInstance.business_key, Carrier.display_name.label("carrier"),
                   Section.name_zh.label("section_zh"), Section.name_en.label("section_en"),
                   HandedOutBy.display_name.label("handed_out_by"), ReturnedBy.display_name.label("returned_by"),
                   _asset_numbers().label("asset_numbers"), status)
            .join(ProcessInstance, ProcessInstance.id == CarryOutRecord.instance_id)
            .join(Carrier, Carrier.id == ProcessInstance.applicant_id)
            .join(Section, Section.id == ProcessInstance.section_id)
            .outerjoin(HandedOutBy, HandedOutBy.id == CarryOutRecord.handed_out_by_id)
            .outerjoin(ReturnedBy, ReturnedBy.id == CarryOutRecord.returned_by_id))
    conditions = [period_condition(CarryOutRecord.handed_out_on, filters, is_date=True)]
    if filters.section_id:
        conditions.append(ProcessInstance.section_id == filters.section_id)
    if filters.classification:
        conditions.append(exists().where(CaseAsset.instance_id == CarryOutRecord.instance_id,
                                         CaseAsset.asset_id == Asset.id,
                                         Asset.classification == filters.classification))
    if filters.status:
        conditions.append(_status(utcnow()) == filters.status)
    for condition in conditions:
        if condition is not None:
            stmt = stmt.where(condition)
    return scoped(stmt, ProcessInstance.section_id, scope)


def _cells(row, locale: str, context: dict) -> list:
    record: CarryOutRecord = row.CarryOutRecord
    numbers = "、".join(sorted((row.asset_numbers or "").split(","))) if row.asset_numbers else ""
    return [row.business_key, row.carrier, row.section_en if locale.startswith("en") else row.section_zh, numbers,
            record.destination, record.purpose, local_day(record.handed_out_on), row.handed_out_by or "",
            local_time(record.return_due_at), local_day(record.returned_on), row.returned_by or "",
            label(CONDITIONS.get(record.return_condition), locale, record.return_condition or ""),
            label(STATUSES.get(row.status), locale, row.status)]


LEDGER = Ledger(
    key="carry_out",
    title=("涉密笔记本和介质携带外出登记台账", "Carry-out log of classified laptops and media"),
    articles=("MED.3",),
    columns=(Column("case", "编号", "Case"), Column("carrier", "携带人", "Carried by"),
             Column("section", "科室", "Section"), Column("assets", "设备或介质", "Laptops or media", text=True),
             Column("destination", "前往地点", "Destination", text=True), Column("purpose", "外出事由", "Purpose", text=True),
             Column("handed_out_on", "发放日期", "Handed out on"), Column("handed_out_by", "发放人", "Handed out by"),
             Column("return_due", "应还时间", "Due back"), Column("returned_on", "归还日期", "Returned on"),
             Column("returned_by", "验收人", "Checked in by"), Column("condition", "检查结果", "Condition"),
             Column("status", "状态", "Status")),
    sorts={"handed_out_on": (CarryOutRecord.handed_out_on, CarryOutRecord.instance_id),
           "case": (ProcessInstance.business_key,),
           "return_due": (CarryOutRecord.return_due_at, CarryOutRecord.instance_id),
           "returned_on": (CarryOutRecord.returned_on, CarryOutRecord.instance_id),
           "section": (Section.code, CarryOutRecord.instance_id),
           "carrier": (Carrier.username, CarryOutRecord.instance_id)},
    statuses=STATUSES,
    period_heading=("发放日期", "Handed out on"),
    signatures=(("登记人（保密办）", "Recorded by (security office)"), ("审核人", "Checked by")),
    query=_query, cells=_cells,
)
