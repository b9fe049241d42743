"""The rows the registers need, written by the procedures' steps as they happen (MED.3, DES.2, CNET.5).

A step calls one of these with its case and data; afterwards the ledgers read tables only, never the
case's workflow state. Nothing here commits: the step's transaction does."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from models.ledgers import (AccessChangeRecord, AccessChangeSystem, CarryOutRecord, DestructionManifest,
                            DestructionManifestItem)


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else value or None


# --- Carry-out log (MED.3) ------------------------------------------------------------------------------------

def carry_out_handed_out(session: Session, instance_id: int, data: dict, actor_id: int | None,
                         now: datetime) -> CarryOutRecord:
    """The security office handed the assets out: the line enters the log with what was approved."""
    record = session.get(CarryOutRecord, instance_id) or CarryOutRecord(instance_id=instance_id)
    record.destination = data.get("destination") or ""
    record.purpose = data.get("purpose") or ""
    record.security_measures = data.get("security_measures") or ""
    record.handed_out_on = _day(data.get("handed_out_on")) or now.date()
    record.handed_out_by_id = actor_id
    record.return_due_at = datetime.fromisoformat(data["return_due_at"])
    session.add(record)
    return record


def carry_out_returned(session: Session, instance_id: int, data: dict, actor_id: int | None,
                       now: datetime) -> None:
    record = session.get(CarryOutRecord, instance_id)
    if record is not None:  # a case handed out before the log existed has no line to close
        record.returned_on = _day(data.get("returned_on")) or now.date()
        record.returned_by_id = actor_id
        record.return_condition = data.get("condition")


def carry_out_overdue(session: Session, instance_id: int, now: datetime) -> None:
    record = session.get(CarryOutRecord, instance_id)
    if record is not None and record.overdue_flagged_at is None:
        record.overdue_flagged_at = now


# --- Destruction manifests (DES.2) ----------------------------------------------------------------------------

def manifest_compiled(session: Session, instance_id: int, item_ids: list[int], compiled_by_id: int,
                      planned_on) -> None:
    session.add(DestructionManifest(instance_id=instance_id, compiled_by_id=compiled_by_id,
                                    planned_on=_day(planned_on)))
    session.add_all(DestructionManifestItem(instance_id=instance_id, item_id=i) for i in item_ids)


def manifest_signed(session: Session, instance_id: int, signer_id: int | None, at: datetime) -> None:
    manifest = session.get(DestructionManifest, instance_id)
    if manifest is not None:
        manifest.signed_by_id, manifest.signed_at = signer_id, at


def manifest_escorted(session: Session, instance_id: int, escort_ids: list[int], site_id: int,
                      delivered_on) -> None:
    manifest = session.get(DestructionManifest, instance_id)
    if manifest is not None:
        manifest.escort_ids, manifest.site_id = list(escort_ids), site_id
        manifest.delivered_on = _day(delivered_on)


# --- Access-change log (CNET.5) -------------------------------------------------------------------------------

def access_change_filed(session: Session, instance_id: int, data: dict) -> None:
    """The application, as filed with the security office: the person, the change, each system."""
    session.add(AccessChangeRecord(
        instance_id=instance_id, person_id=data["person"], section_id=data.get("person_section_id"),
        change=data["change"], effective_on=_day(data["effective_date"]), successor_id=data.get("successor"),
        new_section_id=data.get("new_section_id")))
    session.add_all(AccessChangeSystem(instance_id=instance_id, system_id=c["system_id"], action=c["action"])
                    for c in data["system_changes"])


def access_systems_confirmed(session: Session, instance_id: int, results: list[dict]) -> None:
    """The network admin's confirmation of each system: the account and the day."""
    for r in results:
        line = session.get(AccessChangeSystem, (instance_id, r["system_id"]))
        if line is not None:
            line.account_name = r.get("account_name")
            line.changed_on = _day(r.get("changed_on"))
