"""The register of classified computers and media (涉密计算机和存储介质登记台账, MED.1, UNET.4): every
classified asset with its number, kind, level, section, custodian and holder, as the security office files it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from models import Asset, Section, User
from services import assets
from services.ledgers.base import Column, Filters, Ledger, Scope, label, local_day, period_condition, scoped

Custodian, Holder = aliased(User), aliased(User)


def _query(filters: Filters, scope: Scope):
    stmt = (select(Asset.id, Asset.register_number, Asset.kind, Asset.classification, Asset.make_model,
                   Asset.serial, Asset.status, Asset.created_at, Section.name_zh.label("section_zh"),
                   Section.name_en.label("section_en"), Custodian.display_name.label("custodian"),
                   Holder.display_name.label("holder"))
            .join(Section, Section.id == Asset.section_id)
            .outerjoin(Custodian, Custodian.id == Asset.custodian_id)
            .outerjoin(Holder, Holder.id == Asset.holder_id)
            # The register of classified assets: unclassified ones are kept apart (MED.4).
            .where(Asset.classification != "unclassified"))
    period = period_condition(Asset.created_at, filters, is_date=False)
    for condition in (period,
                      Asset.section_id == filters.section_id if filters.section_id else None,
                      Asset.classification == filters.classification if filters.classification else None,
                      Asset.status == filters.status if filters.status else None):
        if condition is not None:
            stmt = stmt.where(condition)
    return scoped(stmt, Asset.section_id, scope)


def _cells(row, locale: str, context: dict) -> list:
    return [row.register_number, label(assets.KINDS.get(row.kind), locale, row.kind),
            label(assets.CLASSIFICATIONS.get(row.classification), locale, row.classification),
            row.make_model, row.serial, row.section_en if locale.startswith("en") else row.section_zh,
            row.custodian or "", row.holder or "", label(assets.STATUSES.get(row.status), locale, row.status),
            local_day(row.created_at)]


LEDGER = Ledger(
    key="computers_and_media",
    title=("涉密计算机和存储介质登记台账", "Register of classified computers and media"),
    articles=("MED.1", "UNET.4"),
    columns=(Column("register_number", "登记编号", "Register number"), Column("kind", "类别", "Kind"),
             Column("classification", "密级", "Classification"), Column("make_model", "品牌型号", "Make and model", text=True),
             Column("serial", "序列号", "Serial number"), Column("section", "所属科室", "Section"),
             Column("custodian", "保管人", "Custodian"), Column("holder", "使用人", "Holder"),
             Column("status", "状态", "Status"), Column("registered_on", "登记日期", "Registered on")),
    sorts={"register_number": (Asset.register_number,), "kind": (Asset.kind, Asset.register_number),
           "classification": (Asset.classification, Asset.register_number),
           "section": (Section.code, Asset.register_number), "status": (Asset.status, Asset.register_number),
           "registered_on": (Asset.created_at, Asset.id)},
    statuses=assets.STATUSES,
    period_heading=("登记日期", "Registered on"),
    query=_query, cells=_cells,
)
