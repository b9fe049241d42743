"""The inbox counts: exact up to a cap, then "999+" (an office-wide group can hold tens of thousands of open
tasks, and counting them all made the inbox slow, issue 8)."""
from sqlalchemy import select

from models import Asset, User
from services import inbox
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, application


def _three_cases(api, db):
    applicant = db.scalar(select(User).where(User.username == APPLICANT))
    db.add_all(Asset(register_number=f"IC-{i}", kind="usb_stick", classification="secret", make_model="stick",
                     serial=f"IC{i}", section_id=applicant.section_id, holder_id=applicant.id, status="in_use")
               for i in range(3))
    db.commit()
    client = api(APPLICANT)
    for i in range(3):
        assert client.post("/api/v1/processes/carry_out/instances",
                           json=application(db, f"IC-{i}")).status_code == 201


def test_counts_are_exact_below_the_cap(api, db):
    _three_cases(api, db)
    counts = api(SECTION_HEAD).get("/api/v1/me").get_json()["inbox"]
    assert counts == {"mine": 0, "group": 3, "capped": False}
    head = db.scalar(select(User).where(User.username == SECTION_HEAD))
    assert inbox.counts(db, head.id).badge == "3"


def test_counts_stop_at_the_cap_and_say_so(api, db, as_user, monkeypatch):
    _three_cases(api, db)
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    counts = api(SECTION_HEAD).get("/api/v1/me").get_json()["inbox"]
    assert counts == {"mine": 0, "group": 2, "capped": True}
    page = as_user(SECTION_HEAD).get("/inbox")
    assert page.status_code == 200 and ">2+</span>" in page.get_data(as_text=True)
