"""P5 access grant and revoke on a job change (CNET.5, UNET.7, DES.3(4)).

The application names the person, the change (start, stop, transfer), the systems and the effective
date; the security office files it, the leader approves it, and the network admin opens or closes
each system in its own task. On a stop or transfer the person's materials, archives and software go
to a named successor, their classified documents and media go back to the section custodian or to
the destruction register, and the successor resets user names and passwords."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from models import (Asset, CaseAsset, DestructionItem, ProcessInstance, ReferenceItem, RoleAssignment, Section,
                    User)
from services import assets, audit, org_follow_through
from services.enforcement import enforces
from services.errors import DomainError
from services.ledgers import records
from services.messages import register
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
# Access must be changed by the end of the effective day; after that the admin's task is overdue.
EFFECTIVE_DEADLINE = time(18, 0)
HANDOVER_CHANGES = ("stop", "transfer")
CHANGE_LABELS = {"start": ("上岗", "start"), "stop": ("离岗", "stop"), "transfer": ("调动", "transfer")}
ACTION_LABELS = {"open": ("开通", "open"), "close": ("关闭", "close")}
# DES.3 (4): classified documents and materials returned when a classified person leaves the post.
DESTRUCTION_CATEGORY = "4"
CLASSIFIED_LEVELS = {"绝密": "top_secret", "机密": "confidential", "秘密": "secret",
                     "top_secret": "top_secret", "confidential": "confidential", "secret": "secret"}
MEDIA_KINDS = {"hard_disk", "usb_stick", "optical_disc", "memory_card"}
# What a person can still hold and hand back (not already on its way out of the register).
RETURNABLE_STATUSES = ("in_use", "in_storage", "carried_out", "under_repair")

register({
    "access_successor_required": ("停止使用或调动时必须指定接管人，由其接收移交并重新设置用户名和密码（UNET.7）。",
                                  "A stop or transfer needs a named successor, who takes over and resets user names "
                                  "and passwords (UNET.7)."),
    "access_successor_is_person": ("接管人不能是涉密人员本人（UNET.7）。",
                                   "The successor cannot be the person concerned (UNET.7)."),
    "access_new_section_required": ("调动时必须填写调入科室。", "A transfer needs the new section."),
    "access_new_section_unknown": ("没有名为“{name}”的科室。", "There is no section “{name}”."),
    "access_new_section_same": ("调入科室与该人员现在的科室相同，不是调动。",
                                "The new section is the person's current section: that is not a transfer."),
    "access_asset_not_held": ("资产 {number} 不是该人员持有的涉密资产，不能作为其清退物品登记。",
                              "Asset {number} is not a classified asset held by this person and cannot be "
                              "recorded as returned by them."),
    "access_asset_in_open_case": ("该人员持有的资产 {number} 仍在未结案件 {case} 中，请先办结该案件再清退。",
                                  "Asset {number} held by this person is still in the open case {case}; finish that "
                                  "case before the return."),
    "access_document_line_invalid": ("第 {line} 行格式有误：应为“文号 | 标题 | 密级（绝密、机密、秘密） | 份数 | 页数”。",
                                     "Line {line} is malformed: expected “number | title | classification (top "
                                     "secret, confidential, secret) | copies | pages”."),
})


def _label(table: dict, key: str) -> str:
    return table[key][0]


@start_check("access_change")
@enforces("CNET.5", "UNET.7", what_zh="权限变更申请：每个系统单独开通或关闭；离岗、调动须指定接管人且不能是本人",
          what_en="Access change application: each system opened or closed on its own; a stop or transfer needs "
                  "a successor other than the person")
def validate_application(ctx: StepContext, data: dict) -> dict:
    """Check what the form alone cannot (successor, new section) and lay out one change per system."""
    session = ctx.session
    person = session.get(User, data["person"])
    change = data["change"]
    data = dict(data)
    if change in HANDOVER_CHANGES:
        if data.get("successor") is None:
            raise DomainError("access_successor_required", field="successor")
        if data["successor"] == person.id:
            raise DomainError("access_successor_is_person", field="successor")
        data["successor_name"] = session.get(User, data["successor"]).display_name
    else:
        # A start hands nothing over: no successor takes part.
        data.pop("successor", None)
    if change == "transfer":
        wanted = (data.get("new_section") or "").strip()
        if not wanted:
            raise DomainError("access_new_section_required", field="new_section")
        section = session.scalar(select(Section).where(or_(
            func.lower(Section.code) == wanted.lower(), Section.name_zh == wanted,
            func.lower(Section.name_en) == wanted.lower())))
        if section is None:
            raise DomainError("access_new_section_unknown", field="new_section", name=wanted)
        if section.id == person.section_id:
            raise DomainError("access_new_section_same", field="new_section")
        data["new_section_id"] = section.id
        data["new_section_name"] = section.name_zh
    else:
        data.pop("new_section", None)

    action = "open" if change == "start" else "close"
    systems = {s.id: s for s in session.scalars(select(ReferenceItem).where(ReferenceItem.id.in_(data["systems"])))}
    data["system_changes"] = [
        {"system_id": sid, "code": systems[sid].code, "name_zh": systems[sid].name_zh,
         "name_en": systems[sid].name_en, "action": action,
         "label": f"{_label(ACTION_LABELS, action)} {systems[sid].name_zh}（{systems[sid].code}）"}
        for sid in dict.fromkeys(data["systems"])
    ]
    data["person_name"] = person.display_name
    data["person_section_id"] = person.section_id
    effective = datetime.combine(date.fromisoformat(data["effective_date"]), EFFECTIVE_DEADLINE, OFFICE_TZ)
    data["effective_at"] = effective.isoformat()
    codes = ", ".join(c["code"] for c in data["system_changes"])
    ctx.instance.title = f"{person.display_name} {_label(CHANGE_LABELS, change)}：{codes}"
    records.access_change_filed(ctx.session, ctx.instance.id, data)
    return data


@step("access_change")
def close_rejected(ctx: StepContext, data: dict) -> dict:
    """The leader did not approve: no access is changed."""
    data["outcome"] = "rejected"
    return {}


@step("access_change")
def record_access_changes(ctx: StepContext, data: dict) -> dict:
    """Every system was opened or closed and confirmed with its account and time (CNET.5)."""
    results = data.get("system_results") or []
    done = {r["system_id"] for r in results}
    missing = [c["code"] for c in data["system_changes"] if c["system_id"] not in done]
    if missing:  # the engine runs this step only after every per-system task; a gap is a defect
        raise RuntimeError(f"access change without confirmation for {missing}")
    for r in results:
        audit.record(ctx.session, "access_system_changed", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                     person=data["person_name"], system=r["code"], change=r["action"],
                     account=r["account_name"], on=r["changed_on"], time=r["changed_time"])
    data["access_changed"] = {r["code"]: r["action"] for r in results}
    records.access_systems_confirmed(ctx.session, ctx.instance.id, results)
    return {"systems": sorted(data["access_changed"])}


def _document_lines(text: str | None, field: str) -> list[dict]:
    """`number | title | classification | copies | pages`, one classified document a line."""
    docs = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        try:
            number, title, level, copies, pages = parts
            copies, pages = int(copies), int(pages)
        except ValueError:
            raise DomainError("access_document_line_invalid", field=field, line=n) from None
        if not number or not title or level not in CLASSIFIED_LEVELS or copies < 1 or pages < 0:
            raise DomainError("access_document_line_invalid", field=field, line=n)
        docs.append({"doc_number": number, "title": title, "classification": CLASSIFIED_LEVELS[level],
                     "copies": copies, "pages": pages})
    return docs


def _section_custodian(session, section_id: int | None) -> int | None:
    return session.scalar(select(RoleAssignment.user_id).where(
        RoleAssignment.role == "custodian", RoleAssignment.section_id == section_id).order_by(RoleAssignment.id))


@step("access_change")
@enforces("DES.3", what_zh="离岗、调动时清退的涉密文件和介质逐项登记去向：退回保管人或列入销毁登记（第三条第四项）",
          what_en="Classified documents and media returned on leaving are each recorded: back to the custodian "
                  "or onto the destruction register (item 4)")
def record_returns(ctx: StepContext, data: dict) -> dict:
    """Each classified item the person held goes to the custodian or to the destruction register (DES.3(4))."""
    session = ctx.session
    person_id = data["person"]
    actor_id = ctx.actor.id if ctx.actor else None
    held = list(session.scalars(select(Asset).where(
        Asset.holder_id == person_id, Asset.classification != "unclassified",
        Asset.status.in_(RETURNABLE_STATUSES)).order_by(Asset.register_number)))
    held_ids = {a.id for a in held}
    to_destroy = set(data.get("media_to_destruction") or [])
    for asset_id in to_destroy - held_ids:
        asset = session.get(Asset, asset_id)
        raise DomainError("access_asset_not_held", field="media_to_destruction",
                          number=asset.register_number if asset else asset_id)
    for asset in held:
        if asset.open_case_id not in (None, ctx.instance.id) or asset.status not in ("in_use", "in_storage"):
            other = session.get(ProcessInstance, asset.open_case_id) if asset.open_case_id else None
            raise DomainError("access_asset_in_open_case", field="media_to_destruction",
                              number=asset.register_number, case=other.business_key if other else asset.status)
    docs_back = _document_lines(data.get("documents_to_custodian"), "documents_to_custodian")
    docs_destroy = _document_lines(data.get("documents_to_destruction"), "documents_to_destruction")

    custodian_id = _section_custodian(session, data.get("person_section_id"))
    returns = []
    for asset in held:
        session.add(CaseAsset(instance_id=ctx.instance.id, asset_id=asset.id))
        if asset.id in to_destroy:
            # The register knows no shortcut to pending_destruction: through pending_scrap, both recorded.
            assets.move(session, asset, "pending_scrap", actor_id, ctx.instance.id)
            assets.move(session, asset, "pending_destruction", actor_id, ctx.instance.id)
            item = DestructionItem(
                category=DESTRUCTION_CATEGORY, item_type="media" if asset.kind in MEDIA_KINDS else "equipment",
                asset_id=asset.id, title=f"{asset.register_number} {asset.make_model}",
                classification=asset.classification, section_id=asset.section_id,
                source_instance_id=ctx.instance.id, registered_by_id=actor_id, registered_at=ctx.now)
            session.add(item)
            session.flush()
            returns.append({"item": asset.register_number, "type": "asset", "to": "destruction_register",
                            "destruction_item_id": item.id})
        else:
            keeper = asset.custodian_id or custodian_id
            if asset.status == "in_storage":
                asset.holder_id = keeper
                audit.record(session, "asset_holder_changed", actor_id, ctx.instance.id,
                             asset=asset.register_number, holder=keeper)
            else:
                assets.move(session, asset, "in_storage", actor_id, ctx.instance.id, holder_id=keeper)
            returns.append({"item": asset.register_number, "type": "asset", "to": "custodian",
                            "custodian_id": keeper})
    for doc in docs_back:
        returns.append({"item": f"{doc['doc_number']} {doc['title']}", "type": "document", "to": "custodian",
                        "custodian_id": custodian_id, **doc})
    for doc in docs_destroy:
        item = DestructionItem(
            category=DESTRUCTION_CATEGORY, item_type="document", section_id=data.get("person_section_id"),
            source_instance_id=ctx.instance.id, registered_by_id=actor_id, registered_at=ctx.now, **doc)
        session.add(item)
        session.flush()
        returns.append({"item": f"{doc['doc_number']} {doc['title']}", "type": "document",
                        "to": "destruction_register", "destruction_item_id": item.id, **doc})
    audit.record(session, "classified_carriers_returned", actor_id, ctx.instance.id,
                 person=data["person_name"], returns=[(r["item"], r["to"]) for r in returns])
    data["carrier_returns"] = returns
    return {"to_custodian": sum(r["to"] == "custodian" for r in returns),
            "to_destruction_register": sum(r["to"] == "destruction_register" for r in returns)}


@step("access_change")
def record_handover_done(ctx: StepContext, data: dict) -> dict:
    """Handed over, returned, and the successor has reset the credentials (UNET.7)."""
    audit.record(ctx.session, "access_handover_completed", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                 person=data["person_name"], successor=data.get("successor_name"))
    # Baomi's own records follow the job change: roles, section, open tasks and custodianships.
    data["org_changes"] = org_follow_through.follow_job_change(ctx.session, ctx.actor, ctx.instance.id, data)
    data["outcome"] = "handed_over"
    return {"successor": data.get("successor")}
