"""Who may call which endpoint: ONE declared policy, enforced for every request before the view runs.

Each Flask endpoint has one line: ANYONE (not even signed in), SIGNED_IN (any signed-in user) or
roles(...) (a signed-in user holding at least one of these roles, for any section or office-wide). An
endpoint without a line is refused to everyone: deny by default. What the policy cannot see, such as a case
of another section or a task the user is not a candidate for, stays in the services (services.cases,
services.assignment ...), which answer 404 or 403 for the object. tests/test_authorization_matrix.py walks
every rule of the app against this table, for every role and for an anonymous visitor."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Flask, request
from flask_login import current_user

from services.assignment import roles_of
from services.errors import Forbidden
from web.extensions import login_manager
from web.session import db


@dataclass(frozen=True)
class Access:
    anonymous: bool = False
    roles: frozenset[str] | None = None  # None: any signed-in user
    # The message a refused user reads: the domain's own where one names the rule (MED.1, DES.2 ...).
    refusal: str = "forbidden"

    def allows(self, signed_in: bool, held: set[str]) -> bool:
        if self.anonymous:
            return True
        if not signed_in:
            return False
        return self.roles is None or bool(self.roles & held)


ANYONE = Access(anonymous=True)
SIGNED_IN = Access()


def roles(*keys: str, refusal: str = "forbidden") -> Access:
    return Access(roles=frozenset(keys), refusal=refusal)


# Groups of roles that several endpoints share, named after what they do (DOMAIN.md, services/*).
SYSTEM_ADMIN = roles("admin")
SECURITY_ADMIN = roles("security_admin")
SECURITY_AUDITOR = roles("security_auditor")
ORG_READERS = roles("admin", "security_admin")  # the security administrator finds people to give roles to
ASSET_REGISTRAR = roles("security_office", refusal="register_security_office_only")  # MED.1
REFERENCE_KEEPERS = roles("admin", "security_office")
OVERSEERS = roles("security_office", "security_committee", "leader", "admin")  # compliance
DESTRUCTION_REGISTRARS = roles("destruction_officer", "security_office",
                               refusal="destruction_register_not_allowed")  # DES.2
DESTRUCTION_READERS = roles("destruction_officer", "security_office", "security_committee", "leader", "admin",
                            refusal="destruction_register_not_readable")
LEDGER_READERS = roles("security_office", "security_committee", "leader", "section_head", "destruction_officer",
                       "maintainer", refusal="ledger_not_readable")
MANIFEST_READERS = roles("security_office", "security_committee", "leader", "destruction_officer")
DESIGNER = roles("designer")

POLICY: dict[str, Access] = {
    # Static files and signing in: open to everyone, by name.
    "static": ANYONE,
    "compliance.static": ANYONE,
    "registers.static": ANYONE,
    "auth.login": ANYONE,
    "auth.set_language": ANYONE,
    "api.sign_in": ANYONE,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "api.sign_out": SIGNED_IN,
    "org_api.change_password": SIGNED_IN,
    "api.openapi": ANYONE,  # the description of the API, no data
    # Everyone's own work: cases and tasks are scoped to the user in services.cases / services.inbox.
    "portal.home": SIGNED_IN,
    "portal.start": SIGNED_IN,
    "inbox.index": SIGNED_IN,
    "inbox.task": SIGNED_IN,
    "inbox.claim": SIGNED_IN,
    "inbox.unclaim": SIGNED_IN,
    # Bulk approve, added approvers (加签/减签): who may act on which task is decided in services.bulk_approval
    # and services.added_approvers.
    "inbox.bulk_approve": SIGNED_IN,
    "api.bulk_approve": SIGNED_IN,
    "added_approvers.add": SIGNED_IN,
    "added_approvers.remove": SIGNED_IN,
    "added_approvers.api_list": SIGNED_IN,
    "added_approvers.api_add": SIGNED_IN,
    "added_approvers.api_remove": SIGNED_IN,
    "cases.show": SIGNED_IN,
    "cases.diagram": SIGNED_IN,
    "notifications.index": SIGNED_IN,
    "notifications.mark_all_read": SIGNED_IN,
    "notifications.api_list": SIGNED_IN,
    "notifications.api_mark_read": SIGNED_IN,
    "passwords.index": SIGNED_IN,
    "passwords.confirm": SIGNED_IN,
    "passwords.api_confirm": SIGNED_IN,
    "duties.index": SIGNED_IN,
    "duties.confirm": SIGNED_IN,
    "duties.api_list": SIGNED_IN,
    "duties.api_confirm": SIGNED_IN,
    "api.me": SIGNED_IN,
    "api.processes": SIGNED_IN,
    "api.start_instance": SIGNED_IN,
    "api.my_instances": SIGNED_IN,
    "api.get_instance": SIGNED_IN,
    "api.list_tasks": SIGNED_IN,
    "api.get_task": SIGNED_IN,
    "api.claim": SIGNED_IN,
    "api.unclaim": SIGNED_IN,
    "api.complete": SIGNED_IN,
    "api.eligible_assets": SIGNED_IN,
    # Case actions: who may send back, transfer, withdraw or urge is decided per task and case in
    # services.send_back / transfer / withdrawal / urging; a delegation is one's own (services.delegation).
    "case_actions.send_back_task": SIGNED_IN,
    "case_actions.transfer_task": SIGNED_IN,
    "case_actions.withdraw": SIGNED_IN,
    "case_actions.urge": SIGNED_IN,
    "case_actions.resubmit": SIGNED_IN,
    "case_actions.delegation_page": SIGNED_IN,
    "case_actions.revoke_delegation": SIGNED_IN,
    "case_actions_api.send_back_targets": SIGNED_IN,
    "case_actions_api.send_back_task": SIGNED_IN,
    "case_actions_api.transfer_task": SIGNED_IN,
    "case_actions_api.withdraw": SIGNED_IN,
    "case_actions_api.urge": SIGNED_IN,
    "case_actions_api.list_delegations": SIGNED_IN,
    "case_actions_api.create_delegation": SIGNED_IN,
    "case_actions_api.revoke_delegation": SIGNED_IN,
    # Readers copied in, comments, attachments, the approval sheet: each checks the case in services.case_*.
    "collaboration.static": ANYONE,
    "collaboration.copied_to_me": SIGNED_IN,
    "collaboration.add_readers": SIGNED_IN,
    "collaboration.remove_reader": SIGNED_IN,
    "collaboration.add_comment": SIGNED_IN,
    "collaboration.upload": SIGNED_IN,
    "collaboration.download": SIGNED_IN,
    "collaboration.sheet": SIGNED_IN,
    "collaboration.sheet_pdf": SIGNED_IN,
    "collaboration.api_copied_to_me": SIGNED_IN,
    "collaboration.api_readers": SIGNED_IN,
    "collaboration.api_add_readers": SIGNED_IN,
    "collaboration.api_remove_reader": SIGNED_IN,
    "collaboration.api_comments": SIGNED_IN,
    "collaboration.api_add_comment": SIGNED_IN,
    "collaboration.api_attachments": SIGNED_IN,
    "collaboration.api_upload": SIGNED_IN,
    "collaboration.api_download": SIGNED_IN,
    # The asset register: everyone reads what their reach allows (services.asset_register); MED.1 writes.
    "assets.index": SIGNED_IN,
    "assets.show": SIGNED_IN,
    "assets_api.list_assets": SIGNED_IN,
    "assets_api.get_asset": SIGNED_IN,
    "assets_api.list_reference": SIGNED_IN,
    "assets.new": ASSET_REGISTRAR,
    "assets.edit": ASSET_REGISTRAR,
    "assets.disposal": ASSET_REGISTRAR,
    "assets_api.create_asset": ASSET_REGISTRAR,
    "assets_api.patch_asset": ASSET_REGISTRAR,
    "assets_api.request_disposal": ASSET_REGISTRAR,
    "assets.reference": REFERENCE_KEEPERS,
    "assets.add_reference": REFERENCE_KEEPERS,
    "assets.set_reference_active": REFERENCE_KEEPERS,
    "assets_api.add_reference": REFERENCE_KEEPERS,
    "assets_api.deactivate_reference": REFERENCE_KEEPERS,
    "assets_api.reactivate_reference": REFERENCE_KEEPERS,
    # The destruction register (DES.2) and the ledgers (which ledger: services.ledgers).
    "destruction.register_item": DESTRUCTION_REGISTRARS,
    "destruction_pages.register_item": DESTRUCTION_REGISTRARS,
    "destruction.list_items": DESTRUCTION_READERS,
    "destruction.get_item": DESTRUCTION_READERS,
    "destruction_pages.index": DESTRUCTION_READERS,
    "registers.index": LEDGER_READERS,
    "registers.show": LEDGER_READERS,
    "registers.export": LEDGER_READERS,
    "registers.print_view": LEDGER_READERS,
    "registers_api.list_registers": SIGNED_IN,  # the registers this user may read: none for most
    "registers_api.lines": LEDGER_READERS,
    "registers.manifest": MANIFEST_READERS,
    "compliance.index": OVERSEERS,
    "compliance.process": OVERSEERS,
    "compliance.diagram": OVERSEERS,
    "compliance.api_index": OVERSEERS,
    # The process designer.
    "designer.index": DESIGNER,
    "designer.edit": DESIGNER,
    "designer.source": DESIGNER,
    "designer.form": DESIGNER,
    "designer.diff": DESIGNER,
    "designer.export": DESIGNER,
    "designer.save_draft": DESIGNER,
    "designer.validate": DESIGNER,
    "designer.publish": DESIGNER,
    "designer.republish": DESIGNER,
    "designer.import_file": DESIGNER,
    # The system administrator (三员: users, sections, configuration, the console of cases).
    "admin.index": SYSTEM_ADMIN,
    "admin.case": SYSTEM_ADMIN,
    "admin.case_action": SYSTEM_ADMIN,
    "admin.reassign": SYSTEM_ADMIN,
    "admin.statistics": SYSTEM_ADMIN,
    "admin.statistics_diagram": SYSTEM_ADMIN,
    "admin.reports": SYSTEM_ADMIN,
    "admin.report": SYSTEM_ADMIN,
    "admin.api_cases": SYSTEM_ADMIN,
    "admin.api_case_action": SYSTEM_ADMIN,
    "admin.api_reassign": SYSTEM_ADMIN,
    "case_migration.preview": SYSTEM_ADMIN,
    "case_migration.migrate": SYSTEM_ADMIN,
    "case_migration.api_preview": SYSTEM_ADMIN,
    "case_migration.api_migrate": SYSTEM_ADMIN,
    "org.index": ORG_READERS,
    "org.users": ORG_READERS,
    "org.user": ORG_READERS,
    "org.sections": SYSTEM_ADMIN,
    "org.create_user": SYSTEM_ADMIN,
    "org.update_user": SYSTEM_ADMIN,
    "org.user_action": SYSTEM_ADMIN,
    "org.create_section": SYSTEM_ADMIN,
    "org.update_section": SYSTEM_ADMIN,
    "org.import_file": ORG_READERS,  # each row by the one entitled: people and sections, or roles
    "org_api.users": ORG_READERS,
    "org_api.user": ORG_READERS,
    "org_api.sections": ORG_READERS,
    "org_api.create_section": SYSTEM_ADMIN,
    "org_api.update_section": SYSTEM_ADMIN,
    "org_api.create_user": SYSTEM_ADMIN,
    "org_api.update_user": SYSTEM_ADMIN,
    "org_api.delete_user": SYSTEM_ADMIN,
    "org_api.deactivate": SYSTEM_ADMIN,
    "org_api.reactivate": SYSTEM_ADMIN,
    "org_api.reset_password": SYSTEM_ADMIN,
    "org_api.absence": SYSTEM_ADMIN,
    "org_api.import_file": ORG_READERS,
    # The security administrator (三员: roles, security settings, locked accounts).
    "org.assign_role": SECURITY_ADMIN,
    "org.role_action": SECURITY_ADMIN,
    "org_api.assign_role": SECURITY_ADMIN,
    "org_api.update_role": SECURITY_ADMIN,
    "org_api.remove_role": SECURITY_ADMIN,
    "admin.security": SECURITY_ADMIN,
    "admin.security_save": SECURITY_ADMIN,
    "admin.unlock": SECURITY_ADMIN,
    "admin.api_security_settings": SECURITY_ADMIN,
    "admin.api_save_security_settings": SECURITY_ADMIN,
    "admin.api_locks": SECURITY_ADMIN,
    "admin.api_unlock_account": SECURITY_ADMIN,
    "admin.api_unlock_address": SECURITY_ADMIN,
    # The security auditor (三员: reads, exports and verifies the audit log, the other two's actions too).
    "admin.audit_log": SECURITY_AUDITOR,
    "admin.audit_export": SECURITY_AUDITOR,
    "admin.audit_verify": SECURITY_AUDITOR,
    "admin.api_audit": SECURITY_AUDITOR,
    "admin.api_audit_verify": SECURITY_AUDITOR,
}


def access_for(endpoint: str | None) -> Access | None:
    """The policy's line for an endpoint; None: no line, so nobody may call it."""
    return POLICY.get(endpoint) if endpoint else None


def allowed(endpoint: str, user) -> bool:
    """Whether `user` (or an anonymous visitor: None) may call `endpoint`."""
    access = access_for(endpoint)
    if access is None:
        return False
    signed_in = bool(user is not None and getattr(user, "is_authenticated", False))
    return access.allows(signed_in, roles_of(db(), user.id) if signed_in and access.roles else set())


def _refusal():
    """None if this request may go on, else the answer that refuses it."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no rule matched: Flask answers 404 or 405 itself
    if allowed(endpoint, current_user):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    raise Forbidden(access_for(endpoint).refusal if access_for(endpoint) else "forbidden")


def required(view):
    """The same check again on the view itself, so a view stays guarded even where the app-wide hook is not
    installed (a blueprint reused elsewhere, a test app)."""
    @wraps(view)
    def guarded(*args, **kwargs):
        return _refusal() or view(*args, **kwargs)
    return guarded


def may_visit(endpoint: str) -> bool:
    """For templates: whether the signed-in user may open `endpoint` (the nav shows only what opens)."""
    return allowed(endpoint, current_user)


def init_app(app: Flask) -> None:
    """Check every request against the policy before any view runs."""
    app.before_request(_refusal)
    app.jinja_env.globals["may_visit"] = may_visit
