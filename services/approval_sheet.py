"""The approval sheet (审批单) of a case: the paper the security office files. One document, built here from
the case, its forms and its tasks, is what both the print page and the PDF show, so they cannot differ."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from models import HumanTask, ProcessInstance, User, utcnow
from services import assets, audit, case_attachments, form_checks, forms
from services.ledger_export import OFFICE
from services.ledgers.base import label, local_time
from services.roles import ROLES

# The sheet's own wording, (zh_CN, en): shared by the HTML and the PDF.
LABELS = {
    "sheet": ("审批单", "Approval sheet"),
    "case": ("案件编号", "Case"),
    "procedure": ("事项", "Procedure"),
    "version": ("流程版本", "Process version"),
    "status": ("状态", "Status"),
    "applicant": ("申请人", "Applicant"),
    "section": ("科室", "Section"),
    "submitted": ("提交时间", "Submitted"),
    "closed": ("办结时间", "Closed"),
    "application": ("申请内容", "Application"),
    "recorded": ("办理中登记的内容", "Recorded by later steps"),
    "assets": ("涉及的设备和介质", "Assets"),
    "register_number": ("登记编号", "Register number"),
    "kind": ("类别", "Kind"),
    "classification": ("密级", "Classification"),
    "chain": ("审批意见", "Approval chain"),
    "number": ("序号", "No."),
    "step": ("环节", "Step"),
    "role": ("办理角色", "Role"),
    "person": ("办理人", "By"),
    "decision": ("意见", "Decision"),
    "comment": ("说明", "Comment"),
    "time": ("时间", "Time"),
    "submitted_step": ("提交申请", "Application submitted"),
    "waiting": ("待办理", "Waiting"),
    "cancelled": ("已取消", "Cancelled"),
    "attachments": ("附件", "Attachments"),
    "printed_by": ("打印人", "Printed by"),
    "printed_at": ("打印时间", "Printed at"),
    "filed_by": ("保密办归档（签名）", "Filed by the security office (signature)"),
    "date": ("日期", "Date"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "acknowledged": ("已确认知悉相关规定", "Rules acknowledged"),
}


@dataclass(frozen=True)
class ChainLine:
    step: str
    role: str
    person: str
    decision: str
    comment: str
    time: str
    status: str  # completed, open, cancelled, submitted


@dataclass
class ApprovalSheet:
    locale: str
    office: str
    title: str
    business_key: str
    procedure: str
    version: int
    status: str
    applicant: str
    section: str
    submitted: str
    closed: str
    case_title: str
    data: list[tuple[str, str]] = field(default_factory=list)
    recorded: list[tuple[str, str, str]] = field(default_factory=list)  # (label, value, step)
    assets: list[tuple[str, str, str]] = field(default_factory=list)  # (number and model, kind, classification)
    chain: list[ChainLine] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    printed_by: str = ""
    printed_at: str = ""

    def label(self, key: str) -> str:
        return label(LABELS[key], self.locale)


def document(session: Session, instance: ProcessInstance, tasks: list[HumanTask], data: dict, earlier_steps: list,
             status_label: str, printed_by: User, locale: str) -> ApprovalSheet:
    """The sheet of a case the caller has checked the user may see. `earlier_steps`: the (form, fields) the
    case page shows as recorded by later steps; `status_label`: the case status in the reader's language."""
    start_form = forms.of_case(instance, "start")
    procedure = instance.definition.name(locale)
    sheet = ApprovalSheet(
        locale=locale, office=label(OFFICE, locale), title=_title(procedure, locale),
        business_key=instance.business_key, procedure=procedure, version=instance.definition.version,
        status=status_label, applicant=instance.applicant.display_name, section=instance.section.name(locale),
        submitted=local_time(instance.created_at), closed=local_time(instance.completed_at),
        case_title=instance.title or "", printed_by=printed_by.display_name, printed_at=local_time(utcnow()))
    for f in start_form.fields:
        if f.type == "asset_list" or f.name not in data:
            continue
        name = label(LABELS["acknowledged"], locale) if f.type == "boolean" else f.label(locale)
        sheet.data.append((name, value_text(session, f, data[f.name], locale)))
    for step_form, fields in earlier_steps:
        for f in fields:
            sheet.recorded.append((f.label(locale), value_text(session, f, data[f.name], locale),
                                   step_form.title(locale)))
    sheet.assets = [(f"{a.register_number} {a.make_model or ''}".strip(), assets.label(assets.KINDS, a.kind, locale),
                     assets.label(assets.CLASSIFICATIONS, a.classification, locale))
                    for a in assets.assets_of_case(session, instance.id)]
    sheet.chain = [ChainLine(label(LABELS["submitted_step"], locale), label(LABELS["applicant"], locale),
                             instance.applicant.display_name, "", "", local_time(instance.created_at), "submitted")]
    sheet.chain += [_chain_line(instance, t, locale) for t in tasks]
    sheet.attachments = [a.filename for a in case_attachments.attachments_of(session, instance.id)]
    return sheet


def _title(procedure: str, locale: str) -> str:
    return f"{procedure}: approval sheet" if locale.startswith("en") else f"{procedure}审批单"


def _role(key: str, locale: str) -> str:
    role = ROLES.get(key)
    return role.name(locale) if role else key


def _chain_line(instance: ProcessInstance, task: HumanTask, locale: str) -> ChainLine:
    form = forms.of_case(instance, task.bpmn_id)
    step = form.title(locale) + (f"（{task.subject}）" if task.subject else "")
    decision_field = form.field("decision")
    decision = decision_field.choice_label(task.decision, locale) if task.decision and decision_field else ""
    if task.status == "completed":
        person = task.completed_by.display_name if task.completed_by else ""
        when, decision = local_time(task.completed_at), decision or label(("已办理", "Done"), locale)
    elif task.status == "open":
        person = task.assignee.display_name if task.assignee else ""
        when, decision = "", label(LABELS["waiting"], locale)
    else:
        person, when, decision = "", local_time(task.created_at), label(LABELS["cancelled"], locale)
    return ChainLine(step, _role(task.role, locale), person, decision, task.comment or "", when, task.status)


def value_text(session: Session, f, value, locale: str) -> str:
    """One submitted value as text, as the case page shows it (web/templates/field_value.html)."""
    if f.type == "boolean":
        return label(LABELS["yes" if value else "no"], locale)
    if f.type in ("choice", "decision"):
        return f.choice_label(value, locale)
    if f.type in ("user", "user_list", "reference", "reference_list", "destruction_item_list"):
        return form_checks.names(session, f, value, locale)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)


def record_printed(session: Session, user: User, instance: ProcessInstance, form: str) -> None:
    """Who took the sheet out, and how (print view or PDF): one audit event; the caller commits."""
    audit.record(session, "approval_sheet_printed" if form == "print" else "approval_sheet_exported", user.id,
                 instance.id, format=form, business_key=instance.business_key)
