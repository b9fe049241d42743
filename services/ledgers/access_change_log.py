"""The access-change log (涉密人员上岗、离岗权限变更登记, CNET.5): each application filed with the security
office, the person and the change, every system opened or closed with its account, and the successor who
took over (UNET.7)."""
from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.orm import aliased

from models import ProcessInstance, ReferenceItem, Section, User
from models.ledgers import AccessChangeRecord, AccessChangeSystem
from services.ledgers.base import Column, Filters, Ledger, Scope, label, local_day, period_condition, scoped
from services.ledgers.destruction_manifests import STATUSES

Person, Successor = aliased(User), aliased(User)
NewSection = aliased(Section)
CHANGES = {"start": ("上岗", "Start"), "stop": ("离岗", "Stop"), "transfer": ("调动", "Transfer")}
ACTIONS = {"open": ("开通", "open"), "close": ("关闭", "close")}
SEPARATOR = "\x1f"  # between the parts of one system's line, inside the aggregated text


def _systems():
    """Each system as `code<US>action<US>account`, aggregated into one text per application."""
    line = (ReferenceItem.code.concat(literal(SEPARATOR)).concat(AccessChangeSystem.action)
            .concat(literal(SEPARATOR)).concat(func.coalesce(AccessChangeSystem.account_name, "")))
    return (select(func.aggregate_strings(line, "\n")).select_from(AccessChangeSystem)
            .join(ReferenceItem, ReferenceItem.id == AccessChangeSystem.system_id)
            .where(AccessChangeSystem.instance_id == AccessChangeRecord.instance_id).scalar_subquery())


def _query(filters: Filters, scope: Scope):
    stmt = (select(AccessChangeRecord, ProcessInstance.business_key, ProcessInstance.created_at,
                   ProcessInstance.status, Person.display_name.label("person"),
                   Section.name_zh.label("section_zh"), Section.name_en.label("section_en"),
                   Successor.display_name.label("successor"), NewSection.name_zh.label("new_section_zh"),
                   NewSection.name_en.label("new_section_en"), _systems().label("systems"))
            .join(ProcessInstance, ProcessInstance.id == AccessChangeRecord.instance_id)
            .join(Person, Person.id == AccessChangeRecord.person_id)
            .outerjoin(Section, Section.id == AccessChangeRecord.section_id)
            .outerjoin(Successor, Successor.id == AccessChangeRecord.successor_id)
            .outerjoin(NewSection, NewSection.id == AccessChangeRecord.new_section_id))
    for condition in (period_condition(AccessChangeRecord.effective_on, filters, is_date=True),
                      AccessChangeRecord.section_id == filters.section_id if filters.section_id else None,
                      ProcessInstance.status == filters.status if filters.status else None):
        if condition is not None:
            stmt = stmt.where(condition)
    return scoped(stmt, AccessChangeRecord.section_id, scope)


def _system_lines(text: str | None, locale: str) -> str:
    lines = []
    for part in sorted((text or "").split("\n")):
        if not part:
            continue
        code, action, account = (part.split(SEPARATOR) + ["", ""])[:3]
        verb = label(ACTIONS.get(action), locale, action)
        lines.append(f"{verb} {code}" + (f" ({account})" if account else ""))
    return "; ".join(lines)


def _cells(row, locale: str, context: dict) -> list:
    record: AccessChangeRecord = row.AccessChangeRecord
    en = locale.startswith("en")
    return [row.business_key, local_day(row.created_at), row.person, (row.section_en if en else row.section_zh) or "",
            label(CHANGES.get(record.change), locale, record.change), local_day(record.effective_on),
            _system_lines(row.systems, locale), row.successor or "",
            (row.new_section_en if en else row.new_section_zh) or "",
            label(STATUSES.get(row.status), locale, row.status)]


LEDGER = Ledger(
    key="access_change",
    title=("涉密人员权限变更登记台账", "Access-change log of classified staff"),
    articles=("CNET.5", "UNET.7"),
    columns=(Column("case", "编号", "Case"), Column("filed_on", "申请日期", "Filed on"),
             Column("person", "涉密人员", "Person"), Column("section", "科室", "Section"),
             Column("change", "变更类型", "Change"), Column("effective_on", "生效日期", "Effective on"),
             Column("systems", "系统及账号", "Systems and accounts", text=True), Column("successor", "接管人", "Successor"),
             Column("new_section", "调入科室", "New section"), Column("status", "状态", "Status")),
    sorts={"effective_on": (AccessChangeRecord.effective_on, AccessChangeRecord.instance_id),
           "filed_on": (ProcessInstance.created_at, ProcessInstance.id), "case": (ProcessInstance.business_key,),
           "person": (Person.username, AccessChangeRecord.instance_id),
           "status": (ProcessInstance.status, AccessChangeRecord.instance_id)},
    statuses=STATUSES,
    period_heading=("生效日期", "Effective on"),
    has_classification=False,
    signatures=(("登记人（保密办）", "Filed by (security office)"), ("网络管理人员", "Network administrator"),
                ("审核人", "Checked by")),
    query=_query, cells=_cells,
)
