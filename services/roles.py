"""The roles of DOMAIN.md. A BPMN lane's name is one of these keys."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    key: str
    name_zh: str
    name_en: str
    # Section-scoped roles act only for their own section's cases (the applicant's section head).
    section_scoped: bool = False

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


ROLES = {
    r.key: r
    for r in [
        Role("employee", "工作人员", "Employee"),
        Role("custodian", "科室指定专人", "Section custodian", section_scoped=True),
        Role("section_head", "科室负责人", "Section head", section_scoped=True),
        Role("security_office", "办公室保密办", "Security office"),
        Role("security_committee", "保密工作领导小组", "Security committee"),
        Role("leader", "分管领导", "Leader in charge"),
        Role("network_admin", "网络管理人员", "Network administrator"),
        Role("maintainer", "系统维护人员", "Maintainer"),
        Role("destruction_officer", "销毁工作专人", "Destruction officer"),
        Role("designer", "流程设计人员", "Process designer"),
        Role("admin", "系统管理员", "System administrator"),
        Role("security_admin", "安全保密管理员", "Security administrator"),
        Role("security_auditor", "安全审计员", "Security auditor"),
    ]
}

# The three administrators of a classified system (三员分立): users and configuration; roles and security
# settings; the audit log. Nobody holds two of them, so none can do another's work or cover it up.
THREE_ADMINISTRATORS = ("admin", "security_admin", "security_auditor")

# Tasks in this lane belong to the case's applicant, not to a group.
APPLICANT_LANE = "employee"
