"""The procedures Baomi runs: their names, business-key prefixes and articles (DOMAIN.md)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Procedure:
    process_id: str
    key_prefix: str
    name_zh: str
    name_en: str
    articles: tuple[str, ...]

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


PROCEDURES = {
    p.process_id: p
    for p in [
        Procedure("carry_out", "CO", "涉密笔记本和介质携带外出", "Carry-out of classified laptops and media",
                  ("MED.3", "MED.4")),
        Procedure("external_repair", "RP", "涉密计算机维修", "External repair of classified computers",
                  ("RRS.1", "RRS.2", "RRS.3", "CNET.7", "CIS.9", "MED.5")),
        Procedure("scrapping", "SC", "涉密设备报废与更换", "Scrapping and replacement",
                  ("RRS.5", "CNET.8", "CNET.9", "MED.5")),
        Procedure("destruction", "DS", "涉密载体销毁", "Destruction of classified carriers",
                  ("DES.2", "DES.3", "DES.4", "MED.6", "CIS.11")),
        Procedure("access_change", "AC", "涉密人员上岗离岗权限变更", "Access grant and revoke on a job change",
                  ("CNET.5", "UNET.7", "DES.3")),
        Procedure("publication_review", "PB", "上网信息保密审查", "Review before publishing online",
                  ("PUB.2", "PUB.6", "PUB.7", "CIS.3")),
        Procedure("leak_report", "LK", "泄密事件报告", "Leak incident report", ("CIS.10", "PUB.8")),
        Procedure("outside_media", "OM", "外来介质和软件使用", "Use of outside media or software",
                  ("CIS.5", "RRS.4")),
        Procedure("network_device", "ND", "网络设备安装审批", "Network device installation", ("CIS.1",)),
    ]
}
