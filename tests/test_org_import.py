"""Bulk import of sections, users and roles from CSV and XLSX: the dry run lists every change and every
refusal with its reason and changes nothing; applying it changes exactly that; the same file again
changes nothing."""
import io
import json

from openpyxl import Workbook
from sqlalchemy import func, select

from models import AuditEvent, RoleAssignment, Section, User
from services.org_import import COLUMNS

ROWS = [
    {"record": "section", "code": "finance", "name_zh": "财务科", "name_en": "Finance", "head": "fin.head",
     "deputy": "fin.clerk"},
    {"record": "user", "username": "fin.head", "display_name": "财务科长", "section": "finance"},
    {"record": "user", "username": "fin.clerk", "display_name": "财务干事", "section": "finance",
     "email": "clerk@example.org"},
    {"record": "user", "username": "zhangwei", "display_name": "张伟", "section": "secretariat"},  # a transfer
    {"record": "role", "username": "fin.clerk", "role": "custodian", "section": "finance",
     "start_date": "2026-01-01"},
    {"record": "role", "username": "fin.head", "role": "security_committee", "end_date": "2030-12-31"},
    {"record": "role", "username": "nobody", "role": "leader"},  # refused: unknown user
    {"record": "role", "username": "fin.clerk", "role": "astronaut"},  # refused: unknown role
    {"record": "user", "username": "bad.section", "display_name": "某人", "section": "nowhere"},  # refused
    {"record": "role", "username": "fin.clerk", "role": "custodian", "section": "finance",
     "start_date": "2026-01-01"},  # refused: the same row twice
]


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    for row in rows:
        out.write(",".join(row.get(c, "") for c in COLUMNS) + "\n")
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # with the BOM a spreadsheet program writes


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row.get(c, "") or None for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, name: str, dry_run: bool):
    return client.client.post(f"/api/v1/org/import?dry_run={'true' if dry_run else 'false'}",
                              data={"file": (io.BytesIO(content), name)}, headers={"X-CSRFToken": client.token},
                              content_type="multipart/form-data")


def snapshot(db) -> tuple:
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(User)), db.scalar(select(func.count()).select_from(Section)),
            db.scalar(select(func.count()).select_from(RoleAssignment).execution_options(all_role_terms=True)),
            db.scalar(select(func.count()).select_from(AuditEvent)))


def test_dry_run_lists_every_change_and_every_refusal_and_changes_nothing(api, db):
    before = snapshot(db)
    answer = upload(api("admin"), csv_bytes(ROWS), "office.csv", dry_run=True)
    assert answer.status_code == 200, answer.get_json()
    plan = answer.get_json()
    assert snapshot(db) == before
    changed = {(c["row"], c["record"], c["action"]) for c in plan["changes"]}
    assert {(2, "section", "create"), (3, "user", "create"), (4, "user", "create"), (5, "user", "update"),
            (2, "section", "update")} == changed
    refused = {r["row"]: r["reason"] for r in plan["refused"]}
    assert set(refused) == {6, 7, 8, 9, 10, 11}
    assert "安全保密管理员" in refused[6]  # roles are the security administrator's (三员分立)
    assert "nobody" in refused[8] and "astronaut" in refused[9] and "nowhere" in refused[10]
    assert "6" in refused[11]  # names the row it repeats
    transfer = next(c for c in plan["changes"] if c["row"] == 5)
    assert transfer["fields"] == {"section": ["general", "secretariat"]}
    posts = [c for c in plan["changes"] if c["row"] == 2 and c["action"] == "update"][0]
    assert posts["fields"] == {"head": [None, "fin.head"], "deputy": [None, "fin.clerk"]}
    assert plan["temporary_passwords"] == {}  # nothing was created


def test_applying_changes_what_the_dry_run_listed_and_the_same_file_again_changes_nothing(api, db):
    admin = api("admin")
    dry = upload(admin, csv_bytes(ROWS), "office.csv", dry_run=True).get_json()
    applied = upload(admin, csv_bytes(ROWS), "office.csv", dry_run=False).get_json()
    assert applied["changes"] == dry["changes"] and applied["refused"] == dry["refused"]
    assert set(applied["temporary_passwords"]) == {"fin.head", "fin.clerk"}
    # The same file by the security administrator gives its roles (三员分立); the people are there already.
    roles = upload(api("secadmin"), csv_bytes(ROWS), "office.csv", dry_run=False).get_json()
    assert {(c["row"], c["record"]) for c in roles["changes"]} == {(6, "role"), (7, "role")}

    finance = db.scalar(select(Section).where(Section.code == "finance"))
    assert (finance.head.username, finance.deputy.username) == ("fin.head", "fin.clerk")
    zhangwei = db.scalar(select(User).where(User.username == "zhangwei"))
    assert zhangwei.section.code == "secretariat"
    custodian = db.scalar(select(RoleAssignment).where(RoleAssignment.role == "custodian",
                                                       RoleAssignment.section_id == finance.id))
    assert custodian.user.username == "fin.clerk" and custodian.start_date.isoformat() == "2026-01-01"
    audit_actions = {e.action for e in db.scalars(select(AuditEvent))}
    assert {"section_created", "user_created", "user_transferred", "role_assigned"} <= audit_actions

    before = snapshot(db)
    again = upload(admin, csv_bytes(ROWS), "office.csv", dry_run=False).get_json()
    assert again["changes"] == []
    assert again["unchanged"] == 6 and len(again["refused"]) == 4
    assert snapshot(db) == before  # not even an audit event


def test_xlsx_and_csv_give_the_same_plan(api):
    admin = api("admin")
    from_csv = upload(admin, csv_bytes(ROWS), "office.csv", dry_run=True).get_json()
    from_xlsx = upload(admin, xlsx_bytes(ROWS), "office.xlsx", dry_run=True).get_json()
    assert from_xlsx["changes"] == from_csv["changes"]
    assert from_xlsx["refused"] == from_csv["refused"]


def test_a_changed_row_is_listed_with_before_and_after(api, db):
    admin = api("admin")
    upload(admin, csv_bytes(ROWS[:3]), "office.csv", dry_run=False)
    renamed = [dict(ROWS[0], name_zh="财务审计科"), ROWS[1], dict(ROWS[2], email="new@example.org")]
    plan = upload(admin, csv_bytes(renamed), "office.csv", dry_run=True).get_json()
    fields = {c["row"]: c["fields"] for c in plan["changes"]}
    assert fields == {2: {"name_zh": ["财务科", "财务审计科"]}, 4: {"email": ["clerk@example.org", "new@example.org"]}}


def test_an_unreadable_file_is_refused(api):
    answer = upload(api("admin"), b"\x00\x01garbage", "office.xlsx", dry_run=True)
    assert answer.status_code == 422 and answer.get_json()["code"] == "import_unreadable"
    missing = upload(api("admin"), "username,display_name\nx,y\n".encode(), "office.csv", dry_run=True)
    assert missing.get_json()["code"] == "import_missing_columns"


def test_only_the_administrator_may_import(api):
    assert upload(api("chenjing"), csv_bytes(ROWS), "office.csv", dry_run=True).status_code == 403


def test_the_import_page_shows_the_dry_run_then_applies_it(as_user, db):
    client = as_user("admin")
    page = client.post("/org/import", data={"csrf_token": client.csrf, "file": (io.BytesIO(csv_bytes(ROWS)),
                                                                                "office.csv")},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="import-apply"' in html and "astronaut" in html
    assert db.scalar(select(Section).where(Section.code == "finance")) is None
    content = html.split('name="content" value="')[1].split('"')[0]
    applied = client.post("/org/import", data={"csrf_token": client.csrf, "apply": "1", "filename": "office.csv",
                                               "content": content})
    assert applied.status_code == 200 and 'id="import-passwords"' in applied.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(Section).where(Section.code == "finance")) is not None
    assert json.loads(db.scalars(select(AuditEvent.details).where(AuditEvent.action == "section_created")).one())[
        "section"] == "finance"
