"""The registers (台账) through the JSON API and the XLSX export: who may read which register, each
register's filters, and every export read back with openpyxl and compared line by line (MED.1, MED.3,
RRS.2, DES.2, CNET.5)."""
from datetime import date, datetime, time, timedelta, timezone
import json

import pytest
from sqlalchemy import select, update

from models import Asset, AuditEvent, Section, User
from models.ledgers import CarryOutRecord
from services.ledgers.base import OFFICE_TZ
from tests import registers_helpers as h

ALL = ["computers_and_media", "carry_out", "maintenance", "destruction", "access_change"]


def section_id(db, code: str) -> int:
    return db.scalar(select(Section.id).where(Section.code == code))


def export(client, key: str, **params):
    return client.get(f"/registers/{key}.xlsx", query_string=params)


# --- who reads which register ----------------------------------------------------------------------------

@pytest.mark.parametrize("username, expected", [
    (h.SECURITY_OFFICE, ALL),
    ("liuyang", ALL),              # the leader inspects
    ("zhoumin", ALL),              # the security committee
    (h.SECTION_HEAD, ["computers_and_media", "carry_out", "maintenance", "access_change"]),
    (h.OFFICER, ["destruction"]),
    (h.MAINTAINER, ["maintenance"]),
    (h.EMPLOYEE, []),
    (h.ADMIN, []),
])
def test_who_reads_which_register(api, username, expected):
    listed = api(username).get("/api/v1/registers").get_json()["registers"]
    assert [r["key"] for r in listed] == expected


@pytest.mark.parametrize("username, key", [
    (h.EMPLOYEE, "computers_and_media"), (h.EMPLOYEE, "carry_out"), (h.ADMIN, "maintenance"),
    (h.SECTION_HEAD, "destruction"), (h.OFFICER, "carry_out"), (h.MAINTAINER, "access_change"),
])
def test_a_register_out_of_reach_is_refused_as_json_and_export(api, db, username, key):
    client = api(username)
    response = client.get(f"/api/v1/registers/{key}")
    assert response.status_code == 403 and response.get_json()["code"] == "ledger_not_readable"
    assert export(client, key).status_code == 403
    assert client.get(f"/registers/{key}/print").status_code == 403
    taken_out = select(AuditEvent).where(AuditEvent.action.in_(("ledger_exported", "ledger_printed")))
    assert db.scalars(taken_out).all() == []  # a refusal takes nothing out and records nothing


def test_an_unknown_register_is_not_found(api):
    assert api(h.SECURITY_OFFICE).get("/api/v1/registers/secrets").status_code == 404


def test_a_section_head_reads_only_their_sections_lines_MED_1(api, db):
    general = db.scalar(select(Section).where(Section.code == "general"))
    rows = h.api_rows(api(h.SECTION_HEAD), "computers_and_media")
    expected = db.scalars(select(Asset.register_number).where(
        Asset.section_id == general.id, Asset.classification != "unclassified")).all()
    assert sorted(r[0] for r in rows) == sorted(expected) and len(rows) > 3
    assert {r[5] for r in rows} == {general.name_zh}
    # Asking for another section gives nothing rather than its lines.
    assert h.api_rows(api(h.SECTION_HEAD), "computers_and_media", section_id=section_id(db, "secretariat")) == []


# --- the register of classified computers and media (MED.1) ------------------------------------------------

def test_computers_and_media_filters_and_order_MED_1(api, db):
    office = api(h.SECURITY_OFFICE)
    everything = h.api_rows(office, "computers_and_media")
    classified = db.scalars(select(Asset.register_number).where(Asset.classification != "unclassified")).all()
    assert [r[0] for r in everything] == sorted(classified)  # unclassified assets are kept apart (MED.4)

    assert [r[0] for r in h.api_rows(office, "computers_and_media", classification="top_secret")] == ["BM-HD-003"]
    assert [r[0] for r in h.api_rows(office, "computers_and_media", status="in_storage")] == ["BM-HD-003", "BM-MC-001"]
    secretariat = h.api_rows(office, "computers_and_media", section_id=section_id(db, "secretariat"))
    assert {r[5] for r in secretariat} == {"秘书科"} and len(secretariat) == 6
    backwards = h.api_rows(office, "computers_and_media", sort="register_number", dir="desc")
    assert [r[0] for r in backwards] == sorted(classified, reverse=True)

    # The period is office-local days: registered at 23:30 Beijing time on 1 March is a 1 March line.
    late = datetime.combine(date(2026, 3, 1), time(23, 30), OFFICE_TZ).astimezone(timezone.utc)
    db.execute(update(Asset).where(Asset.register_number == "BM-LT-002").values(created_at=late))
    db.commit()
    march = h.api_rows(office, "computers_and_media", period_from="2026-03-01", period_to="2026-03-01")
    assert [(r[0], r[9]) for r in march] == [("BM-LT-002", "2026-03-01")]
    assert h.api_rows(office, "computers_and_media", period_from="2026-03-02", period_to="2026-03-31") == []


def test_a_filter_that_means_nothing_is_refused(api):
    office = api(h.SECURITY_OFFICE)
    for params, field in (({"status": "sold"}, "status"), ({"period_from": "1 March"}, "period_from"),
                          ({"period_from": "2026-03-02", "period_to": "2026-03-01"}, "period_to"),
                          ({"section_id": "x"}, "section_id"), ({"sort": "password"}, "sort")):
        response = office.get("/api/v1/registers/computers_and_media", query_string=params)
        assert response.status_code == 422 and field in response.get_json()["fields"], params


# --- the carry-out log (MED.3) -------------------------------------------------------------------------------

def test_carry_out_log_follows_hand_out_and_return_MED_3(api, db):
    office = api(h.SECURITY_OFFICE)
    assert h.api_rows(office, "carry_out") == []  # applying is not carrying out
    instance_id = h.carried_out(api, db, "BM-LT-001", "BM-U-001")
    [line] = h.api_rows(office, "carry_out")
    assert line[1:6] == ["张伟", "综合科", "BM-LT-001、BM-U-001", "北京市国家会议中心", "参加全市保密工作会议"]
    assert line[6] == date.today().isoformat() and line[7] == "陈静"
    assert line[12] == "外出中" and line[9] == ""
    due = (date.today() + timedelta(days=3)).isoformat()
    assert line[8] == f"{due} 18:00"  # the agreed return day at 18:00, Beijing time

    h.checked_back_in(api)
    [line] = h.api_rows(office, "carry_out")
    assert (line[9], line[10], line[11], line[12]) == (date.today().isoformat(), "陈静", "完好", "已归还")
    record = db.get(CarryOutRecord, instance_id)
    assert record.returned_on == date.today()


def test_carry_out_log_filters_MED_3(api, db):
    office = api(h.SECURITY_OFFICE)
    first = h.carried_out(api, db, "BM-LT-001")
    h.checked_back_in(api)
    h.carried_out(api, db, "BM-HD-002", applicant="wangfang", head=h.OTHER_HEAD)
    third = h.carried_out(api, db, "BM-U-001")
    # The third is past its due time: overdue until it comes back.
    db.execute(update(CarryOutRecord).where(CarryOutRecord.instance_id == third)
               .values(return_due_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    db.execute(update(CarryOutRecord).where(CarryOutRecord.instance_id == first)
               .values(handed_out_on=h.days_ago(40)))
    db.commit()

    def cases(**params):
        return {r[0] for r in h.api_rows(office, "carry_out", **params)}

    key_of = {r[3]: r[0] for r in h.api_rows(office, "carry_out")}
    assert cases(status="returned") == {key_of["BM-LT-001"]}
    assert cases(status="overdue") == {key_of["BM-U-001"]}
    assert cases(status="out") == {key_of["BM-HD-002"]}
    assert cases(section_id=section_id(db, "secretariat")) == {key_of["BM-HD-002"]}
    assert cases(classification="confidential") == {key_of["BM-HD-002"]}
    assert cases(period_from=h.days_ago(1).isoformat()) == {key_of["BM-HD-002"], key_of["BM-U-001"]}
    assert cases(period_to=h.days_ago(30).isoformat()) == {key_of["BM-LT-001"]}
    # A section head sees their section's carry-outs only.
    assert {r[3] for r in h.api_rows(api(h.OTHER_HEAD), "carry_out")} == {"BM-HD-002"}


# --- the maintenance log (RRS.2) -----------------------------------------------------------------------------

def test_maintenance_log_filters_RRS_2(api, db):
    old = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
    h.maintenance_entry(db, "BM-PC-001", "repair", at=old)
    h.maintenance_entry(db, "BM-PC-001", "upgrade", work_done="内存升级至 16GB")
    h.maintenance_entry(db, "BM-PC-002", "storage_replaced")
    h.maintenance_entry(db, "BM-LT-004", "repair")
    office = api(h.MAINTAINER)

    everything = h.api_rows(office, "maintenance")
    assert len(everything) == 4 and everything[0][:2] == ["2026-01-05 10:00", "BM-PC-001"]
    assert [r[1] for r in h.api_rows(office, "maintenance", status="repair")] == ["BM-PC-001", "BM-LT-004"]
    assert [r[5] for r in h.api_rows(office, "maintenance", status="storage_replaced")] == ["更换存储部件"]
    assert [r[1] for r in h.api_rows(office, "maintenance", section_id=section_id(db, "information"))] == ["BM-LT-004"]
    assert {r[1] for r in h.api_rows(office, "maintenance", classification="confidential")} == {"BM-PC-001"}
    assert len(h.api_rows(office, "maintenance", period_from="2026-01-05", period_to="2026-01-05")) == 1
    assert [r[1] for r in h.api_rows(api(h.SECTION_HEAD), "maintenance")] == ["BM-PC-001", "BM-PC-001"]


# --- the destruction manifests (DES.2) -----------------------------------------------------------------------

def test_destruction_manifest_line_names_signer_escorts_and_site_DES_2(api, db):
    instance_id, _items = h.escorted_manifest(api, db, destroy=False)
    [line] = h.api_rows(api(h.OFFICER), "destruction")
    assert line[2] == "冯雪" and line[4:7] == [2, 1, "刘洋"]  # two items, one destroyed, one returned
    assert line[8] == "冯雪、陈静" and line[9] == "市保密局指定销毁点（市涉密载体销毁中心）"
    assert line[10] == date.today().isoformat() and line[11] == "已办结"
    response = api(h.OFFICER).get("/api/v1/registers/destruction")
    assert response.get_json()["document_ids"] == [instance_id]


def test_destruction_manifest_filters_DES_2(api, db):
    h.escorted_manifest(api, db)
    office = api(h.SECURITY_OFFICE)
    assert len(h.api_rows(office, "destruction", status="completed")) == 1
    assert h.api_rows(office, "destruction", status="running") == []
    assert len(h.api_rows(office, "destruction", classification="confidential")) == 1
    assert h.api_rows(office, "destruction", classification="top_secret") == []
    general = section_id(db, "general")  # the officer registered the documents for their own section
    assert len(h.api_rows(office, "destruction", section_id=general)) == 1
    assert h.api_rows(office, "destruction", section_id=section_id(db, "information")) == []
    assert h.api_rows(office, "destruction", period_to=h.days_ago(1).isoformat()) == []


# --- the access-change log (CNET.5) --------------------------------------------------------------------------

def test_access_change_log_with_systems_and_accounts_CNET_5(api, db):
    h.access_changed(api, db)
    [line] = h.api_rows(api(h.SECURITY_OFFICE), "access_change")
    assert line[2:5] == ["张伟", "综合科", "上岗"]
    assert line[5] == (date.today() + timedelta(days=3)).isoformat()
    systems = sorted(line[6].split("; "))
    assert [s.rsplit(" (", 1)[0] for s in systems] == ["开通 SYS-DOC", "开通 SYS-OA"]
    assert sorted(s.rsplit(" (", 1)[1] for s in systems) == ["acct0)", "acct1)"]  # each system's own account
    assert line[9] == "已办结"


def test_access_change_log_filters_CNET_5(api, db):
    h.access_changed(api, db)
    office = api(h.SECURITY_OFFICE)
    effective = (date.today() + timedelta(days=3)).isoformat()
    assert len(h.api_rows(office, "access_change", period_from=effective, period_to=effective)) == 1
    assert h.api_rows(office, "access_change", period_to=date.today().isoformat()) == []
    assert len(h.api_rows(office, "access_change", status="completed")) == 1
    assert h.api_rows(office, "access_change", status="rejected") == []
    assert h.api_rows(office, "access_change", section_id=section_id(db, "secretariat")) == []
    assert len(h.api_rows(api(h.SECTION_HEAD), "access_change")) == 1
    assert h.api_rows(api(h.OTHER_HEAD), "access_change") == []


# --- the XLSX export, read back line by line ------------------------------------------------------------------

def _populate(api, db):
    h.carried_out(api, db, "BM-LT-001")
    h.maintenance_entry(db, "BM-PC-001")
    h.escorted_manifest(api, db)
    h.access_changed(api, db)


@pytest.mark.parametrize("key", ALL)
def test_export_matches_the_register_line_by_line(api, db, key):
    _populate(api, db)
    client = api(h.SECURITY_OFFICE)
    expected = h.api_rows(client, key)
    assert expected, f"{key} has no lines to compare"
    response = export(client, key)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    header, headings, lines = h.read_xlsx(response.data)
    assert headings[0] == "序号" and headings[1:] == client.get(f"/api/v1/registers/{key}").get_json()["headings"]
    assert [line[0] for line in lines] == list(range(1, len(expected) + 1))
    assert [line[1:] for line in lines] == expected
    assert header["单位"] == "市人民政府办公室" and header["导出人"] == "陈静" and header["期间"] == "全部日期"
    assert header["台账名称"] == client.get("/api/v1/registers").get_json()["registers"][ALL.index(key)]["name"]
    exported_at = datetime.strptime(header["导出时间"], "%Y-%m-%d %H:%M").replace(tzinfo=OFFICE_TZ)
    assert abs(exported_at - datetime.now(timezone.utc)) < timedelta(minutes=2)  # Beijing time, not UTC


def test_export_keeps_the_filters_and_order_and_is_audited(api, db):
    office = api(h.SECURITY_OFFICE)
    params = {"status": "in_use", "classification": "secret", "section_id": section_id(db, "general"),
              "period_from": "2020-01-01", "period_to": "2099-12-31", "sort": "register_number", "dir": "desc"}
    expected = h.api_rows(office, "computers_and_media", **params)
    header, _headings, lines = h.read_xlsx(export(office, "computers_and_media", **params).data)
    assert [line[1:] for line in lines] == expected and len(expected) >= 3
    assert header["期间"] == "2020-01-01 — 2099-12-31"
    assert header["筛选条件"] == "科室：综合科；密级：秘密；状态：在用"
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "ledger_exported")).all()
    details = json.loads(event.details)
    assert event.actor_id == db.scalar(select(User.id).where(User.username == h.SECURITY_OFFICE))
    assert details["ledger"] == "computers_and_media" and details["format"] == "xlsx"
    assert details["filters"] == {"period_from": "2020-01-01", "period_to": "2099-12-31",
                                  "section_id": params["section_id"], "classification": "secret",
                                  "status": "in_use"}
    assert details["lines"] == len(expected)


def test_a_section_heads_export_holds_only_their_section(api, db):
    client = api(h.SECTION_HEAD)
    _header, _headings, lines = h.read_xlsx(export(client, "computers_and_media").data)
    assert {line[6] for line in lines} == {"综合科"}
    assert [line[1:] for line in lines] == h.api_rows(client, "computers_and_media")


def test_a_carry_out_the_scheduler_flagged_is_overdue_in_the_log_MED_3(api, db, sessions, clock):
    from services import scheduler

    instance_id = h.carried_out(api, db, "BM-LT-001")
    clock["delta"] = timedelta(days=5)
    assert scheduler.fire_due_timers(sessions, holder="test") == 1
    db.expire_all()
    assert db.get(CarryOutRecord, instance_id).overdue_flagged_at is not None
    [line] = h.api_rows(api(h.SECURITY_OFFICE), "carry_out", status="overdue")
    assert line[12] == "逾期未还"
