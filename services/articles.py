"""The seven regulations and the 33 actionable articles of DOMAIN.md, as data: what each rule says and
what in Baomi enforces it. A process step, a check and a test name an article as `REG.N` (e.g. MED.3);
a sub-item such as DES.3(4) belongs to its article, DES.3."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Regulation:
    key: str
    title_zh: str
    title_en: str
    article_count: int  # articles in the seed text (第一条 … 第N条)

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh


REGULATIONS = {
    r.key: r
    for r in [
        Regulation("CIS", "计算机信息安全保密管理制度", "Computer information security", 12),
        Regulation("MED", "涉密和非涉密移动存储介质保密管理制度",
                   "Classified and unclassified removable media (and classified laptops)", 7),
        Regulation("CNET", "涉密计算机网络安全保密管理制度", "Classified computers and networks", 10),
        Regulation("UNET", "非涉密计算机网络安全保密管理制度", "Unclassified computers and networks", 8),
        Regulation("RRS", "涉密计算机维修、更换、报废保密管理制度",
                   "Repair, replacement and scrapping of classified computers", 5),
        Regulation("DES", "涉密载体销毁管理制度", "Destruction of classified carriers", 6),
        Regulation("PUB", "在公共信息网络上发布信息保密管理制度", "Publishing on public networks", 9),
    ]
}

# Every article the seven regulations contain, actionable or not: CIS.1 … CIS.12, MED.1 … MED.7, …
ALL_ARTICLE_IDS = frozenset(f"{r.key}.{n}" for r in REGULATIONS.values() for n in range(1, r.article_count + 1))


@dataclass(frozen=True)
class Article:
    id: str  # "MED.3"
    rule_zh: str
    rule_en: str
    enforced_by: str  # DOMAIN.md's "enforced by" column, verbatim

    @property
    def regulation(self) -> str:
        return self.id.split(".")[0]

    @property
    def number(self) -> int:
        return int(self.id.split(".")[1])

    def rule(self, locale: str) -> str:
        return self.rule_en if locale.startswith("en") else self.rule_zh


_ACTIONABLE = [
    Article("CIS.1", "各科室未经批准不得擅自安装网络设备",
            "No section installs network equipment without approval",
            "P9 network device installation"),
    Article("CIS.3", "在国际互联网公布的信息须经保密工作领导小组审查：涉密信息不上网，上网信息不涉密",
            "What goes on the internet is reviewed by the security committee first: nothing classified goes online",
            "P6 publication review"),
    Article("CIS.5", "外来移动存储介质、软件原则上不得使用；确需使用的先杀毒，证实无病毒后方可使用",
            "Outside removable media and software are not used; when needed, they are virus-scanned and found clean first",
            "P8 outside media or software"),
    Article("CIS.7", "接入网络的计算机一律安装杀毒软件，并定时升级",
            "Networked computers run antivirus software, updated regularly",
            "periodic antivirus-update reminder"),
    Article("CIS.9", "涉密计算机设备出现故障，送市保密局指定的维修点维修，并派技术人员现场监督",
            "Classified computers are repaired only at a unit designated by the municipal secrecy bureau, "
            "with technical staff supervising on site",
            "P1 repair at a designated unit, supervised"),
    Article("CIS.10", "发现计算机系统泄密后，及时向保密工作领导小组报告，并采取补救措施",
            "A leak from a computer system is reported to the security committee at once and remedied",
            "P7 leak report"),
    Article("CIS.11", "涉密打印输出按相应密级文件管理，打印中产生的残、次、废页及时销毁",
            "Classified printouts are handled at their classification; spoiled pages are destroyed promptly",
            "P4 registration of printed rejects"),
    Article("MED.1", "保密办对涉密与非涉密移动存储介质及涉密笔记本电脑登记造册，并监督检查",
            "The security office registers classified and unclassified removable media and classified laptops, "
            "and inspects their use",
            "asset register (security office registers)"),
    Article("MED.2", "各科室指定专人管理涉密笔记本电脑和涉密介质；暂停使用的交由指定专人保管",
            "Each section names a custodian for classified laptops and media; those not in use are held by the custodian",
            "asset register: custodian, `in_storage`"),
    Article("MED.3", "涉密笔记本电脑和涉密介质只在本单位使用；携带外出须经分管领导批准并履行手续；严禁借给外单位",
            "Classified laptops and media stay in the office; carrying them out needs the leader's approval and a "
            "record; never lent to an outside unit",
            "P2 carry-out approval; never lent outside"),
    Article("MED.4", "非涉密与涉密笔记本电脑、移动存储介质不得混用；严禁将私人笔记本电脑、介质带入单位使用",
            "Unclassified and classified laptops and media are never mixed; private devices are not brought in",
            "P2 and register: no mixing of classified and unclassified"),
    Article("MED.5", "涉密笔记本电脑、介质到有保密资质的指定单位维修，废旧存储介质收回；涉密介质报废前清除信息",
            "Classified laptops and media are repaired only by a qualified designated unit and old storage is taken "
            "back; media are cleared before scrapping",
            "P1 qualified repair, old media taken back; P3 clearing before scrapping"),
    Article("MED.6", "涉密笔记本电脑硬盘、涉密介质的销毁须经保密领导小组批准，到指定销毁点销毁；不得擅自销毁，不得作为废品出售",
            "Destroying classified laptop disks and media needs the security committee's approval and a designated "
            "site; never by a section, never sold as scrap",
            "P4 committee approval for laptop disks and classified media"),
    Article("CNET.4", "涉密计算机专人专用、定期更换口令：秘密级不少于8位、不超过30天，机密级不少于10位、不超过7天",
            "Classified computers have one user each and rotate passwords: secret level at least 8 characters every "
            "30 days at most, confidential level at least 10 every 7 days at most",
            "periodic password-rotation check (30 / 7 days)"),
    Article("CNET.5", "涉密人员开始或停止使用涉密计算机和网络，报保密办备案登记，经分管领导批准后由网络管理人员开通或关闭权限",
            "Starting or stopping use of classified computers and networks is filed with the security office, "
            "approved by the leader, then opened or closed by the network administrator",
            "P5 access change"),
    Article("CNET.7", "涉密设备到指定单位维修；送修前拆除涉密存储部件；外来人员维修全程监督；不能保证安全的故障存储部件按涉密载体销毁",
            "Classified equipment is repaired at a designated unit; storage is removed before sending out; outside "
            "repairers are supervised throughout; failed storage that cannot be made safe is destroyed",
            "P1 storage removed or wiped, supervision, failed storage destroyed"),
    Article("CNET.8", "禁止将涉密计算机转为非涉密环境使用，禁止公益捐赠或销售",
            "A classified computer never becomes unclassified and is never donated or sold",
            "register invariant: never unclassified, never donated or sold"),
    Article("CNET.9", "报废、销毁涉密设备须履行审批、清点、登记手续，送指定单位销毁，各科室不得擅自销毁",
            "Scrapping classified equipment needs approval, a count and registration, and destruction at a "
            "designated unit; a section never destroys it itself",
            "P3 approval, count, register, designated destruction"),
    Article("UNET.4", "磁盘、光盘、U盘等存储介质由相关责任人编号建档，严格保管",
            "Disks, optical discs and USB sticks are numbered and filed by a responsible person and kept safe",
            "register: media numbered and filed"),
    Article("UNET.6", "重要数据定期备份，备份介质妥善保管",
            "Important data are backed up regularly and the backups are kept safe",
            "periodic backup reminder, and the system's own backup"),
    Article("UNET.7", "操作人员调离时移交材料、档案和软件；接管人员重新设置用户名和密码",
            "Staff who leave hand over materials, archives and software; the successor resets user names and passwords",
            "P5 handover and password reset"),
    Article("RRS.1", "涉密计算机维修须向保密工作领导小组申请，经批准到指定维修点；无法转存、删除时现场监督并详细记录",
            "Repairs are applied for to the security committee and done at a designated unit once approved; when the "
            "data cannot be moved, the repair is supervised on site and recorded in detail",
            "P1 application, approval, supervision record"),
    Article("RRS.2", "故障现象、故障原因、扩充情况记入设备维修档案",
            "Fault symptoms, cause and upgrades go into the equipment's maintenance log",
            "P1 maintenance log"),
    Article("RRS.3", "外送修理须经保密工作领导小组和分管领导批准，并对涉密信息作不可恢复删除",
            "Sending equipment out for repair needs the security committee and the leader, and irreversible "
            "deletion of the classified data",
            "P1 committee and leader approve sending out; irreversible deletion"),
    Article("RRS.4", "指定专人负责软件安装和设备维护，严禁使用者私自安装软件或拆卸设备",
            "Only the designated maintainer installs software and maintains equipment; users never do",
            "P8 software installation by the designated maintainer only"),
    Article("RRS.5", "需报废的涉密计算机由保密办安排专人定点销毁",
            "Scrapped classified computers are destroyed at a designated site by a person the security office names",
            "P3 destruction by the designated person"),
    Article("DES.2", "指定专人负责销毁，不定期登记造册并经领导签字，派2人以上送指定地点销毁",
            "A designated person registers carriers for destruction; a leader signs the manifest; at least two "
            "people take it to a designated site",
            "P4 manifest, leader's signature, two escorts"),
    Article("DES.3", "涉密载体的销毁范围（七项）",
            "What classified carriers are to be destroyed (seven categories)",
            "P4 item categories"),
    Article("DES.4", "禁止未经批准销毁、非法捐赠或转送、作为废品出售、送非指定单位销毁",
            "Never destroyed without approval, donated or passed on, sold as scrap, or destroyed at an "
            "undesignated unit",
            "P4 refusals: unapproved, undesignated site, donation, sale"),
    Article("PUB.2", "上网发布信息须经保密审查，报分管领导审批；提供信息的科室落实登记和审核制度",
            "What is published online is reviewed for secrecy and approved by the leader; supplying sections "
            "register and review it",
            "P6 review and leader approval"),
    Article("PUB.6", "禁止网上发布：标有密级的信息、未经批准的敏感信息、标注内部字样的信息、不宜公开的内部事项",
            "Never published: classified items, unapproved sensitive information, items marked internal, internal "
            "matters not fit for the public",
            "P6 forbidden-category checklist"),
    Article("PUB.7", "提供信息的科室发布前审查，对已发布信息定期检查，发现涉密立即补救并报告",
            "Supplying sections review before publishing, re-check published items periodically, and remedy and "
            "report any classified item found",
            "P6 pre-review, periodic re-check, remedy"),
    Article("PUB.8", "保密工作领导小组发现国家秘密上网立即补救并报告市保密局；定期通报网上发布信息保密管理情况",
            "The security committee remedies classified items found online and reports them to the municipal "
            "bureau; it reports on publishing regularly",
            "P7 report to the bureau; the quarterly report"),
]

# The actionable articles in DOMAIN.md's order; the compliance page holds the system to exactly these.
ARTICLES: dict[str, Article] = {a.id: a for a in _ACTIONABLE}

_SUB_ITEM = re.compile(r"\s*[(（][^)）]*[)）]\s*$")


def normalize(article_id: str) -> str:
    """`DES.3(4)` → `DES.3`; surrounding blanks dropped."""
    return _SUB_ITEM.sub("", article_id.strip())


def is_known(article_id: str) -> bool:
    """Whether the regulations contain this article (actionable or not)."""
    return normalize(article_id) in ALL_ARTICLE_IDS


def split_ids(value: str) -> list[str]:
    """The article ids of a property value such as "DES.2, DES.4" (commas, 、 or blanks between)."""
    return [part for part in re.split(r"[,，、;\s]+", value or "") if part]
