"""P6 review before publishing on a public network (PUB.2, PUB.6, PUB.7, CIS.3).

The section's self-check names each forbidden category of PUB.6 on its own; the security office reviews for
the confidentiality leading group (CIS.3), the leader in charge approves (PUB.2); once published, the case
records where, when, and the date of the periodic re-check (PUB.7(2)), which goes on the section's list
of routine duties (services/routine_duties.py) to be reminded, escalated and confirmed.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services import audit, routine_duties
from services.enforcement import enforces
from services.errors import DomainError
from services.messages import register
from services.steps import StepContext, start_check, step

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
RECHECK_AT = time(9, 0)
DEFAULT_RECHECK_DAYS = routine_duties.PUBLICATION_RECHECK_DAYS

# The forbidden categories of PUB.6 (第六条 禁止网上发布信息的基本范围), one self-check field each.
FORBIDDEN_CATEGORIES = {
    "pub6_no_classified": ("（一）标有密级的国家秘密", "(1) state secrets marked with a classification level"),
    "pub6_no_sensitive": ("（二）未经有关部门批准的，涉及国家安全、社会政治和经济稳定等敏感信息",
                          "(2) sensitive information on national security or social, political and economic "
                          "stability not approved by the competent authority"),
    "pub6_no_internal_marking": ("（三）未经制文单位批准，标注有“内部文件（资料）”和“注意保存”（保管、保密）等警示字样的信息",
                                 "(3) information marked “internal document (material)” or “keep safe” (keep, keep "
                                 "confidential) without the issuing unit's approval"),
    "pub6_no_internal_affairs": ("（四）本办认定不宜公开的内部办公事项",
                                 "(4) internal office matters the office deems unfit for publication"),
}

register({
    "publication_review_category_not_checked": (
        "请逐项自查并确认不含第六条禁止发布的信息：{category_zh}（PUB.6）。",
        "Self-check each forbidden category of PUB.6 and confirm the text contains none: {category_en}."),
    "publication_review_published_in_future": (
        "发布日期不能晚于今天：请在实际发布后登记。", "The publication date cannot be in the future: record it once published."),
})


def _require_self_check(data: dict) -> None:
    """Every forbidden category of PUB.6 confirmed "does not contain", one by one."""
    for key, (zh, en) in FORBIDDEN_CATEGORIES.items():
        if data.get(key) is not True:
            raise DomainError("publication_review_category_not_checked", field=key, category_zh=zh, category_en=en)


@start_check("publication_review")
@enforces("PUB.6", what_zh="上网信息逐项自查：第六条四类禁止发布的信息每一类都须确认不含",
          what_en="Self-check before publishing: each of the four forbidden categories of PUB.6 confirmed absent")
def validate_application(ctx: StepContext, data: dict) -> dict:
    _require_self_check(data)
    ctx.instance.title = data["title"][:200]
    return dict(data, self_checked_at=ctx.now.isoformat())


@step("publication_review")
def reset_self_check(ctx: StepContext, data: dict) -> dict:
    """Sent back: the text may change, so the self-check of PUB.6 must be done again before resubmitting."""
    for key in FORBIDDEN_CATEGORIES:
        data[key] = False
    return {"self_check_reset": sorted(FORBIDDEN_CATEGORIES)}


@step("publication_review")
@enforces("PUB.6", what_zh="退回修改后重新提交：须重新逐项自查第六条四类禁止发布的信息",
          what_en="Resubmitted after a send-back: each forbidden category of PUB.6 checked again")
def check_resubmission(ctx: StepContext, data: dict) -> dict:
    _require_self_check(data)
    data["self_checked_at"] = ctx.now.isoformat()
    ctx.instance.title = data["title"][:200]
    return {}


@step("publication_review")
def close_rejected(ctx: StepContext, data: dict) -> dict:
    """Not approved, or withdrawn: nothing is published."""
    data["outcome"] = "withdrawn" if data.get("decision") == "withdraw" else "rejected"
    return {}


@step("publication_review")
@enforces("PUB.7", what_zh="发布后登记网址、日期，并记录定期保密复查日期（第七条第二项）",
          what_en="Once published: address and date recorded, and the date of the periodic re-check (PUB.7(2))")
def schedule_recheck(ctx: StepContext, data: dict) -> dict:
    published_on = date.fromisoformat(data["published_on"])
    if published_on > ctx.now.astimezone(OFFICE_TZ).date():
        raise DomainError("publication_review_published_in_future", field="published_on")
    if data.get("recheck_due_on"):
        due_day = date.fromisoformat(data["recheck_due_on"])
    else:
        due_day = published_on + timedelta(days=DEFAULT_RECHECK_DAYS)
    data["recheck_due_at"] = datetime.combine(due_day, RECHECK_AT, OFFICE_TZ).isoformat()
    data["outcome"] = "published"
    routine_duties.schedule_publication_recheck(ctx.session, ctx.instance, data["published_url"],
                                                datetime.fromisoformat(data["recheck_due_at"]), ctx.now)
    audit.record(ctx.session, "publication_published", ctx.actor.id if ctx.actor else None, ctx.instance.id,
                 url=data["published_url"], on=data["published_on"], recheck_due_at=data["recheck_due_at"])
    return {"recheck_due_at": data["recheck_due_at"]}
