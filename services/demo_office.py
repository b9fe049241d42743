"""The demo office of `make run`: three sections, a user for every role, about twenty assets."""
import zlib
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Asset, ReferenceItem, RoleAssignment, Section, User
from services.auth import hash_password

DEMO_PASSWORD = "Baomi@2026"

SECTIONS = [
    ("general", "综合科", "General Affairs"),
    ("secretariat", "秘书科", "Secretariat"),
    ("information", "信息科", "Information"),
]

# username, display name, section, roles as (role, scope): scope "section" = their own section, None = office-wide
USERS = [
    ("zhangwei", "张伟", "general", [("employee", "section")]),
    ("lihua", "李华", "general", [("employee", "section"), ("section_head", "section")]),
    ("qianyu", "钱宇", "general", [("employee", "section"), ("custodian", "section")]),
    ("wangfang", "王芳", "secretariat", [("employee", "section"), ("custodian", "section")]),
    ("zhaolei", "赵磊", "secretariat", [("employee", "section"), ("section_head", "section")]),
    ("sunli", "孙丽", "information", [("employee", "section"), ("section_head", "section")]),
    ("chenjing", "陈静", "general", [("employee", "section"), ("security_office", None)]),
    ("liuyang", "刘洋", "general", [("employee", "section"), ("leader", None)]),
    ("zhoumin", "周敏", "general", [("employee", "section"), ("security_committee", None)]),
    ("wujun", "吴军", "information", [("employee", "section"), ("network_admin", None), ("custodian", "section")]),
    ("zhengqiang", "郑强", "information", [("employee", "section"), ("maintainer", None)]),
    ("fengxue", "冯雪", "general", [("employee", "section"), ("destruction_officer", None)]),
    ("hanmei", "韩梅", "information", [("employee", "section"), ("designer", None)]),
    ("admin", "系统管理员", None, [("admin", None)]),
    ("secadmin", "安全保密管理员", None, [("security_admin", None)]),
    ("auditor", "安全审计员", None, [("security_auditor", None)]),
]

# register number, kind, classification, make/model, section, holder
ASSETS = [
    ("BM-LT-001", "laptop", "secret", "ThinkPad X1 Carbon", "general", "zhangwei"),
    ("BM-LT-002", "laptop", "confidential", "ThinkPad T14", "general", "lihua"),
    ("BM-LT-003", "laptop", "secret", "Huawei MateBook X", "secretariat", "wangfang"),
    ("BM-LT-004", "laptop", "secret", "Lenovo ThinkBook 14", "information", "sunli"),
    ("BM-PC-001", "desktop", "confidential", "Lenovo M920t", "general", "qianyu"),
    ("BM-PC-002", "desktop", "secret", "Great Wall GW-T500", "secretariat", "zhaolei"),
    ("BM-PC-003", "desktop", "secret", "Inspur CE520", "information", "wujun"),
    ("BM-HD-001", "hard_disk", "secret", "WD Elements 1TB", "general", "zhangwei"),
    ("BM-HD-002", "hard_disk", "confidential", "Seagate Expansion 2TB", "secretariat", "wangfang"),
    ("BM-HD-003", "hard_disk", "top_secret", "Netac K390 encrypted", "general", "qianyu"),
    ("BM-U-001", "usb_stick", "secret", "Netac U228 encrypted", "general", "zhangwei"),
    ("BM-U-002", "usb_stick", "secret", "Aigo U330 encrypted", "general", "qianyu"),
    ("BM-U-003", "usb_stick", "confidential", "Netac U228 encrypted", "secretariat", "zhaolei"),
    ("BM-U-004", "usb_stick", "secret", "Kingston IronKey", "information", "zhengqiang"),
    ("BM-CD-001", "optical_disc", "secret", "DVD-R archive 2025-11", "secretariat", "wangfang"),
    ("BM-CD-002", "optical_disc", "confidential", "CD-R budget 2026", "general", "qianyu"),
    ("BM-MC-001", "memory_card", "secret", "SanDisk SD 64GB (camera)", "general", "qianyu"),
    ("BM-PR-001", "printer", "secret", "HP LaserJet M1005", "general", "qianyu"),
    ("BM-PR-002", "printer", "confidential", "Pantum P3300", "secretariat", "zhaolei"),
    ("FM-LT-010", "laptop", "unclassified", "Dell Latitude 5440", "general", "zhangwei"),
    ("FM-U-011", "usb_stick", "unclassified", "Kingston DataTraveler", "general", "zhangwei"),
]
IN_STORAGE = {"BM-HD-003", "BM-MC-001"}

# kind, code, Chinese name, English name: the bureau's designated units (CIS.9, DES.4) and our systems (CNET.5)
REFERENCE = [
    ("repair_unit", "RU-01", "市保密局指定维修点（信息中心维修部）", "Bureau-designated repair unit (IT Centre workshop)"),
    ("repair_unit", "RU-02", "市保密局指定维修点（涉密设备维修中心）", "Bureau-designated repair unit (classified equipment centre)"),
    ("destruction_site", "DS-01", "市保密局指定销毁点（市涉密载体销毁中心）", "Bureau-designated destruction site (city carrier destruction centre)"),
    ("system", "SYS-OA", "涉密办公系统", "Classified office automation system"),
    ("system", "SYS-DOC", "涉密公文交换系统", "Classified document exchange"),
    ("system", "SYS-MAIL", "涉密内网邮件", "Classified intranet mail"),
    ("system", "SYS-FILE", "涉密文件服务器", "Classified file server"),
]


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # One hash for every demo user: scrypt is slow on purpose, and the demo password is shared.
    return hash_password(DEMO_PASSWORD)


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def load(session: Session) -> None:
    """Insert the demo office; the caller commits."""
    sections = {code: Section(code=code, name_zh=zh, name_en=en) for code, zh, en in SECTIONS}
    session.add_all(sections.values())
    session.flush()
    users = {}
    for username, name, section, roles in USERS:
        user = User(username=username, display_name=name, password_hash=_password_hash(), locale="zh_CN",
                    section_id=sections[section].id if section else None)
        session.add(user)
        session.flush()
        users[username] = user
        for role, scope in roles:
            session.add(RoleAssignment(user_id=user.id, role=role,
                                       section_id=user.section_id if scope == "section" else None))
    # Each section's head (who holds section_head for it) and, for General Affairs, a deputy.
    for code, head, deputy in (("general", "lihua", "fengxue"), ("secretariat", "zhaolei", None),
                               ("information", "sunli", None)):
        sections[code].head_id = users[head].id
        sections[code].deputy_id = users[deputy].id if deputy else None
    custodians = {"general": "qianyu", "secretariat": "wangfang", "information": "wujun"}
    for number, kind, level, model, section, holder in ASSETS:
        custodian = users.get(custodians.get(section, ""))
        session.add(Asset(
            register_number=number, kind=kind, classification=level, make_model=model,
            serial=f"SN{zlib.crc32(number.encode()) % 10**8:08d}", section_id=sections[section].id,
            custodian_id=custodian.id if custodian else None, holder_id=users[holder].id,
            status="in_storage" if number in IN_STORAGE else "in_use",
        ))
    session.flush()
    session.add_all(ReferenceItem(kind=kind, code=code, name_zh=zh, name_en=en) for kind, code, zh, en in REFERENCE)
    session.flush()
