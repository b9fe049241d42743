"""P9 network device installation (CIS.1): no section installs network equipment without approval.

The section head reviews, the security committee approves, the network administrator installs and confirms.
A classified network is physically isolated from the internet (CIS.2): a device on it never connects to the
internet, and it takes no wireless access point [practice].
"""
from __future__ import annotations

from services import audit
from services.enforcement import enforces
from services.errors import DomainError
from services.messages import register
from services.steps import StepContext, start_check, step

DEVICE_LABELS = {"switch": "交换机", "router": "路由器", "firewall": "防火墙", "wireless_ap": "无线接入点",
                 "modem": "调制解调器", "other": "网络设备"}

register({
    "network_device_classified_internet": ("涉密网络必须与国际互联网（外网）物理隔离，涉密网络设备不得连接互联网（CIS.2）。",
                                           "A classified network is physically isolated from the internet: a device "
                                           "on it never connects to the internet (CIS.2)."),
    "network_device_classified_wireless": ("涉密网络不得使用无线接入设备。",
                                           "No wireless access device on a classified network."),
})


def _check_network(data: dict) -> None:
    if data.get("network") == "classified":
        if data.get("connects_to_internet"):
            raise DomainError("network_device_classified_internet", field="connects_to_internet")
        if data.get("device_type") == "wireless_ap":
            raise DomainError("network_device_classified_wireless", field="device_type")


def _title(data: dict) -> str:
    return f"{DEVICE_LABELS.get(data['device_type'], '网络设备')} {data['device_model']} @ {data['location']}"[:200]


@start_check("network_device")
@enforces("CIS.1", what_zh="网络设备安装申请：写明设备、位置、用途和接入网络；涉密网络设备不得连接互联网",
          what_en="Network device application: device, location, purpose and network; a classified network "
                  "device never connects to the internet")
def validate_application(ctx: StepContext, data: dict) -> dict:
    _check_network(data)
    ctx.instance.title = _title(data)
    return data


@step("network_device")
@enforces("CIS.1", what_zh="退回修改后重新提交：再次核对接入网络的限制",
          what_en="Resubmitted after a send-back: the network rules are checked again")
def check_resubmission(ctx: StepContext, data: dict) -> dict:
    _check_network(data)
    ctx.instance.title = _title(data)
    return {}


@step("network_device")
def close_rejected(ctx: StepContext, data: dict) -> dict:
    """Not approved, or withdrawn: nothing is installed."""
    data["outcome"] = "withdrawn" if data.get("decision") == "withdraw" else "rejected"
    return {}


@step("network_device")
def record_installation(ctx: StepContext, data: dict) -> dict:
    """Installed by the network administrator as approved (CIS.1)."""
    data["outcome"] = "installed"
    audit.record(ctx.session, "network_device_installed", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                 device=data["device_type"], model=data["device_model"], serial=data["device_serial"],
                 location=data["location"], network=data["network"])
    return {"installed_on": data["installed_on"]}
