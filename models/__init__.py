"""Baomi's tables: the organisation, process definitions and cases, tasks, audit, assets."""
from models.base import Base, utcnow
from models.org import Section, User, RoleAssignment
from models.workflow import ProcessDefinition, ProcessInstance, HumanTask, SchedulerLease
from models.audit import AuditEvent
from models.security import CompletionRequest, SignInThrottle
from models.security_settings import SecuritySetting, SignInAddressThrottle
from models.asset import Asset, CaseAsset
from models.notification import GeneratedReport, Notification
from models.reference import ReferenceItem
from models.registers import DestructionItem, MaintenanceLogEntry
from models.duties import RoutineDuty
from models.ledgers import (AccessChangeRecord, AccessChangeSystem, CarryOutRecord, DestructionManifest,
                            DestructionManifestItem)
from models.designer import DesignerDraft, ProcessForm
from models.delegation import CaseUrge, Delegation
from models.collaboration import CaseAttachment, CaseComment, CaseReader
from models.added_approver import AddedApprover

__all__ = [
    "Base", "utcnow", "Section", "User", "RoleAssignment", "ProcessDefinition",
    "ProcessInstance", "HumanTask", "SchedulerLease", "AuditEvent", "Asset", "CaseAsset",
    "ReferenceItem", "DestructionItem", "MaintenanceLogEntry", "Notification",
    "GeneratedReport", "RoutineDuty", "CompletionRequest", "SignInThrottle", "AccessChangeRecord",
    "AccessChangeSystem", "CarryOutRecord", "DestructionManifest", "DestructionManifestItem", "DesignerDraft",
    "ProcessForm",
]
