"""Routine duties: the monthly antivirus update (CIS.7) and backup (UNET.6), the re-check of each published
item (PUB.7): opened once, reminded, escalated, confirmed once by the right person."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import AuditEvent, Notification, RoutineDuty, User
from services import routine_duties, scheduler
from tests.test_publication_review_api import APPLICANT, SECTION_HEAD, SECURITY_OFFICE, complete, publication, \
    through_approval

MAINTAINER = "zhengqiang"
OFFICE_TZ = ZoneInfo("Asia/Shanghai")
NOV_1 = datetime(2026, 11, 1, 9, 0, tzinfo=OFFICE_TZ)


def _codes_of(db, username):
    db.expire_all()
    user_id = db.scalar(select(User.id).where(User.username == username))
    return sorted(db.scalars(select(Notification.code).where(Notification.user_id == user_id)))


def _duties(db, kind):
    db.expire_all()
    return list(db.scalars(select(RoutineDuty).where(RoutineDuty.kind == kind).order_by(RoutineDuty.id)))


def test_each_month_opens_one_antivirus_update_for_the_maintainers_CIS_7(db):
    assert routine_duties.open_monthly_duties(db, NOV_1) == 2
    assert routine_duties.open_monthly_duties(db, NOV_1 + timedelta(days=3)) == 0  # same month: nothing new
    db.commit()
    [duty] = _duties(db, "antivirus_update")
    assert duty.period == "2026-11"
    assert duty.due_at == datetime(2026, 11, 10, 17, 0, tzinfo=OFFICE_TZ)
    routine_duties.remind_duties(db, NOV_1)
    db.commit()
    assert _codes_of(db, MAINTAINER) == ["notify_duty_due", "notify_duty_due"]  # antivirus and backup
    assert _codes_of(db, SECURITY_OFFICE) == []
    assert routine_duties.open_monthly_duties(db, NOV_1 + timedelta(days=31)) == 2  # December
    db.commit()
    assert [d.period for d in _duties(db, "antivirus_update")] == ["2026-11", "2026-12"]


def test_unconfirmed_backup_goes_to_the_security_office_UNET_6(db):
    routine_duties.open_monthly_duties(db, NOV_1)
    [backup] = _duties(db, "data_backup")
    routine_duties.remind_duties(db, backup.due_at + routine_duties.ESCALATE_AFTER - timedelta(minutes=1))
    db.commit()
    assert _codes_of(db, SECURITY_OFFICE) == []
    routine_duties.remind_duties(db, backup.due_at + routine_duties.ESCALATE_AFTER)
    routine_duties.remind_duties(db, backup.due_at + routine_duties.ESCALATE_AFTER + timedelta(hours=1))
    db.commit()
    assert _codes_of(db, SECURITY_OFFICE) == ["notify_duty_overdue", "notify_duty_overdue"]  # once per duty


def test_confirmed_duty_is_no_longer_reminded_UNET_6(api, db):
    routine_duties.open_monthly_duties(db, NOV_1)
    db.commit()
    [backup] = _duties(db, "data_backup")
    done = api(MAINTAINER).post(f"/api/v1/duties/{backup.id}/confirm", json={"note": "备份至移动硬盘 BM-HD-002"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["duty"]["confirmed_at"]
    routine_duties.remind_duties(db, backup.due_at + timedelta(days=10))
    db.commit()
    overdue = db.scalars(select(Notification.params).where(Notification.code == "notify_duty_overdue")).all()
    assert all(routine_duties.DUTIES["data_backup"].name_zh not in p for p in overdue)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "routine_duty_confirmed"))
    assert "BM-HD-002" in event.details


def test_two_confirmations_give_one_success_and_one_conflict(api, db):
    routine_duties.open_monthly_duties(db, NOV_1)
    db.commit()
    [duty] = _duties(db, "antivirus_update")
    assert api(MAINTAINER).post(f"/api/v1/duties/{duty.id}/confirm", json={}).status_code == 200
    again = api(SECURITY_OFFICE).post(f"/api/v1/duties/{duty.id}/confirm", json={"note": "x"})
    assert again.status_code == 409
    assert again.get_json()["code"] == "duty_already_confirmed"
    assert _duties(db, "antivirus_update")[0].confirmed_by_id == db.scalar(
        select(User.id).where(User.username == MAINTAINER))


def test_only_the_duty_role_or_the_security_office_confirms(api, db):
    routine_duties.open_monthly_duties(db, NOV_1)
    db.commit()
    [duty] = _duties(db, "antivirus_update")
    refused = api(APPLICANT).post(f"/api/v1/duties/{duty.id}/confirm", json={})
    assert refused.status_code == 403 and refused.get_json()["code"] == "duty_not_yours"
    assert api(APPLICANT).get("/api/v1/duties").get_json()["duties"] == []
    assert api(MAINTAINER).post("/api/v1/duties/999999/confirm", json={}).status_code == 404
    too_long = api(MAINTAINER).post(f"/api/v1/duties/{duty.id}/confirm", json={"note": "x" * 501})
    assert too_long.status_code == 422 and "note" in too_long.get_json()["fields"]
    assert api(MAINTAINER).post(f"/api/v1/duties/{duty.id}/confirm", json=["x"]).status_code == 400
    unknown = api(MAINTAINER).post(f"/api/v1/duties/{duty.id}/confirm", json={"done_by": "x"})
    assert unknown.status_code == 422 and "done_by" in unknown.get_json()["fields"]
    assert _duties(db, "antivirus_update")[0].confirmed_at is None  # nothing was recorded by the refusals


def test_publication_recheck_falls_due_for_its_section_and_recurs_PUB_7(api, db):
    instance_id = through_approval(api)
    published_on = date.today() - timedelta(days=1)
    complete(api(APPLICANT), "record_publication", publication(published_on=published_on.isoformat()))
    [recheck] = _duties(db, "publication_recheck")
    assert recheck.instance_id == instance_id
    assert recheck.due_at.astimezone(OFFICE_TZ).date() == published_on + timedelta(
        days=routine_duties.PUBLICATION_RECHECK_DAYS)
    assert recheck.title.startswith("https://")

    routine_duties.remind_duties(db, recheck.due_at - timedelta(days=routine_duties.DUTIES['publication_recheck'].remind_days, minutes=1))
    db.commit()
    assert _codes_of(db, SECTION_HEAD) == []
    routine_duties.remind_duties(db, recheck.due_at)
    db.commit()
    assert _codes_of(db, SECTION_HEAD) == ["notify_duty_due"]
    assert _codes_of(db, "zhaolei") == []  # another section's head

    other_head = api("zhaolei").post(f"/api/v1/duties/{recheck.id}/confirm", json={})
    assert other_head.status_code == 403
    done = api(SECTION_HEAD).post(f"/api/v1/duties/{recheck.id}/confirm", json={"note": "复查未发现涉密内容"})
    assert done.status_code == 200, done.get_json()
    first, following = _duties(db, "publication_recheck")
    assert first.confirmed_at is not None and following.confirmed_at is None
    assert following.instance_id == instance_id
    assert following.due_at - first.confirmed_at >= timedelta(days=routine_duties.PUBLICATION_RECHECK_DAYS - 1)


def test_two_schedulers_open_a_month_once(sessions):
    for _ in range(2):
        with sessions() as session:
            routine_duties.open_monthly_duties(session, NOV_1)
            session.commit()
    with sessions() as session:
        assert len(list(session.scalars(select(RoutineDuty)))) == 2


def test_daily_checks_open_and_remind_the_duties(db):
    scheduler.daily_checks(db, NOV_1)
    db.commit()
    assert {d.kind for d in db.scalars(select(RoutineDuty))} == {"antivirus_update", "data_backup"}
    assert _codes_of(db, MAINTAINER) == ["notify_duty_due", "notify_duty_due"]


def test_duties_page_lists_and_confirms_in_chinese(as_user, db):
    routine_duties.open_monthly_duties(db, NOV_1)
    db.commit()
    client = as_user(MAINTAINER)
    html = client.get("/duties").get_data(as_text=True)
    assert "例行工作" in html and "杀毒软件升级" in html and "CIS.7" in html
    [duty] = _duties(db, "antivirus_update")
    from tests.conftest import csrf_from
    page = client.post(f"/duties/{duty.id}/confirm", data={"csrf_token": csrf_from(html), "note": "已升级病毒库"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已确认" in page
    assert _duties(db, "antivirus_update")[0].note == "已升级病毒库"
    again = client.post(f"/duties/{duty.id}/confirm", data={"csrf_token": csrf_from(html)},
                        follow_redirects=True).get_data(as_text=True)
    assert "已由他人确认" in again
    assert 'id="nav-duties"' in html
    assert 'id="nav-duties"' not in as_user(APPLICANT).get("/inbox").get_data(as_text=True)
