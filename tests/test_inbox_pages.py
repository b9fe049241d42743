"""The inbox page's lists: each a page and its count from one query (issue 8), paged past the first fifty, the
tabs showing how many tasks wait (not how many rows this page holds)."""
import re

from sqlalchemy import select

from models import User
from services import inbox
from tests.carry_out_helpers import APPLICANT, SECTION_HEAD, start

NUMBERS = ("BM-LT-001", "BM-HD-001", "BM-U-001")


def _three_cases(api, db) -> list[str]:
    return [start(api(APPLICANT), db, number).get_json()["instance"]["business_key"] for number in NUMBERS]


def _head(db) -> User:
    return db.scalar(select(User).where(User.username == SECTION_HEAD))


def _rows(html: str, kind: str) -> list[str]:
    table = html.split(f'id="{kind}-tasks"', 1)[1].split("</table>", 1)[0] if f'id="{kind}-tasks"' in html else ""
    return re.findall(r'data-case="([^"]+)"', table)


def test_overview_lists_and_counts_what_the_separate_queries_do(api, db):
    _three_cases(api, db)
    head = _head(db)
    lists = inbox.overview(db, head.id)
    assert [t.id for t in lists.group.tasks] == [t.id for t in inbox.group_tasks(db, head.id)]
    assert [t.id for t in lists.mine.tasks] == [t.id for t in inbox.my_tasks(db, head.id)] == []
    assert vars(lists.counts) == vars(inbox.counts(db, head.id)) == {"mine": 0, "group": 3, "capped": False}
    assert (lists.group.found, lists.mine.found) == (3, 0)
    # The applicant has none in either list: their own case is not theirs to approve.
    applicant = db.scalar(select(User).where(User.username == APPLICANT))
    assert inbox.overview(db, applicant.id).group.tasks == []


def test_the_inbox_pages_through_a_long_list(api, db, as_user, monkeypatch):
    keys = _three_cases(api, db)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    browser = as_user(SECTION_HEAD)

    first = browser.get("/inbox").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="group-total">3</span>' in first  # all three, not this page's 2
    assert _rows(first, "group") == keys[:2]
    assert "第 1–2 项，共 3 项" in first
    assert 'href="/inbox?mine_page=1&amp;group_page=2#group"' in first
    assert '<span class="page-link pager-previous">上一页</span>' in first  # no page before the first

    second = browser.get("/inbox?mine_page=1&group_page=2").get_data(as_text=True)
    assert _rows(second, "group") == keys[2:]
    assert "第 3–3 项，共 3 项" in second
    assert 'href="/inbox?mine_page=1&amp;group_page=1#group"' in second
    assert '<span class="page-link pager-next">下一页</span>' in second  # no page after the last

    past_the_end = browser.get("/inbox?group_page=9").get_data(as_text=True)
    assert _rows(past_the_end, "group") == [] and "本页没有任务" in past_the_end
    assert 'id="group-empty"' not in past_the_end  # three tasks do wait
    assert 'href="/inbox?mine_page=1&amp;group_page=2#group"' in past_the_end  # back to the last page
    assert '<span class="badge text-bg-secondary" id="group-total">3</span>' in past_the_end


def test_the_tab_says_999_plus_past_the_cap(api, db, as_user, monkeypatch):
    _three_cases(api, db)
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    page = as_user(SECTION_HEAD).get("/inbox").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="group-total">2+</span>' in page
    assert "第 1–2 项，共 2+ 项" in page and 'group_page=2#group"' in page
    # The last page still shows its task, though the count stopped before it.
    assert len(_rows(as_user(SECTION_HEAD).get("/inbox?group_page=2").get_data(as_text=True), "group")) == 1


def test_a_bad_page_number_is_refused_in_the_users_language(api, db, as_user):
    _three_cases(api, db)
    browser = as_user(SECTION_HEAD)
    for bad in ("0", "-1", "x", "201"):
        response = browser.get(f"/inbox?group_page={bad}")
        assert response.status_code == 422, bad
        assert "页码无效：页码为 1 到 200 的整数。" in response.get_data(as_text=True)
    assert browser.get("/inbox?group_page=200").status_code == 200
    assert browser.get("/inbox?utm_source=mail").status_code == 200  # another link's arguments are ignored
