"""The registers in the browser's pages: the nav, a register's page against its service lines, the print
view on paper terms (numbered lines, signature lines), the destruction manifest the escorts carry, English
headings with the language switch, and the refusals (MED.1, MED.3, DES.2, CNET.5)."""
from html.parser import HTMLParser
import json

from sqlalchemy import select

from models import AuditEvent, User
from services import ledgers
from services.ledgers.base import Filters
from tests import registers_helpers as h


class _Tables(HTMLParser):
    """The text of every cell of the table with the given id, row by row."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (dict(attrs).get("id") == self.table_id or self.depth):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows


def service_rows(db, username: str, key: str, locale: str = "zh_CN", **filters) -> list[list[str]]:
    user = db.scalar(select(User).where(User.username == username))
    return [[str(v) for v in row] for row in ledgers.rows(db, user, key, Filters(**filters), locale)]


def switch_to_english(client) -> None:
    response = client.post("/language", data={"locale": "en", "csrf_token": client.csrf})
    assert response.status_code in (302, 303)


# --- the nav and the index --------------------------------------------------------------------------------

def test_the_nav_offers_the_registers_only_to_their_readers(as_user):
    assert 'id="nav-registers"' in as_user(h.SECURITY_OFFICE).get("/").get_data(as_text=True)
    assert 'id="nav-registers"' in as_user(h.OFFICER).get("/").get_data(as_text=True)
    assert 'id="nav-registers"' not in as_user(h.EMPLOYEE).get("/").get_data(as_text=True)


def test_the_index_lists_the_readable_registers(as_user):
    html = as_user(h.SECTION_HEAD).get("/registers").get_data(as_text=True)
    assert 'data-register="carry_out"' in html and 'data-register="destruction"' not in html
    assert as_user(h.EMPLOYEE).get("/registers").status_code == 403


def test_pages_are_refused_to_those_out_of_reach(as_user):
    for username, key in ((h.EMPLOYEE, "computers_and_media"), (h.SECTION_HEAD, "destruction"),
                          (h.ADMIN, "access_change")):
        client = as_user(username)
        for path in (f"/registers/{key}", f"/registers/{key}/print", f"/registers/{key}.xlsx"):
            response = client.get(path)
            assert response.status_code == 403, path
            assert "您无权查看或导出此台账" in response.get_data(as_text=True)


# --- a register's page -------------------------------------------------------------------------------------

def test_the_page_shows_the_service_lines_numbered_MED_1(as_user, db):
    html = as_user(h.SECURITY_OFFICE).get("/registers/computers_and_media?classification=secret").get_data(as_text=True)
    rows = table(html, "ledger")
    expected = service_rows(db, h.SECURITY_OFFICE, "computers_and_media", classification="secret")
    assert rows[0][0] == "序号" and rows[0][1].startswith("登记编号")
    assert [r[1:] for r in rows[1:]] == expected
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(1, len(expected) + 1)]


def test_the_page_sorts_and_pages(as_user, db, monkeypatch):
    import web.registers
    monkeypatch.setattr(web.registers, "PAGE_SIZE", 5)
    client = as_user(h.SECURITY_OFFICE)
    expected = [r[0] for r in service_rows(db, h.SECURITY_OFFICE, "computers_and_media")][::-1]
    first = table(client.get("/registers/computers_and_media?sort=register_number&dir=desc").get_data(as_text=True),
                  "ledger")
    second = table(client.get("/registers/computers_and_media?sort=register_number&dir=desc&page=2")
                   .get_data(as_text=True), "ledger")
    assert [r[1] for r in first[1:]] == expected[:5]
    assert [r[1] for r in second[1:]] == expected[5:10]
    assert [r[0] for r in second[1:]] == ["6", "7", "8", "9", "10"]  # numbering goes on across pages


def test_the_carry_out_page_in_english_with_beijing_times_MED_3(api, as_user, db):
    h.carried_out(api, db, "BM-LT-001")
    client = as_user(h.SECURITY_OFFICE)
    switch_to_english(client)
    rows = table(client.get("/registers/carry_out").get_data(as_text=True), "ledger")
    assert rows[0][1:6] == ["Case", "Carried by", "Section", "Laptops or media", "Destination"]
    [line] = rows[1:]
    assert line[1:] == service_rows(db, h.SECURITY_OFFICE, "carry_out", locale="en")[0]
    assert line[3] == "General Affairs" and line[13] == "Out"
    assert line[9].endswith(" 18:00")  # the return deadline is 18:00 office time, not 10:00 UTC


# --- the print view -------------------------------------------------------------------------------------------

def test_the_print_view_numbers_lines_and_leaves_signature_lines(as_user, db):
    client = as_user(h.SECURITY_OFFICE)
    response = client.get("/registers/computers_and_media/print?status=in_storage")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "print.css" in html
    rows = table(html, "print-ledger")
    expected = service_rows(db, h.SECURITY_OFFICE, "computers_and_media", status="in_storage")
    assert [r[1:] for r in rows[1:]] == expected and [r[0] for r in rows[1:]] == ["1", "2"]
    assert "制表人" in html and "审核人" in html and html.count('class="line"') == 3
    assert "涉密计算机和存储介质登记台账" in html and "市人民政府办公室" in html
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "ledger_printed")).all()
    assert json.loads(event.details)["filters"] == {"status": "in_storage"}


def test_the_print_stylesheet_is_served(as_user):
    css = as_user(h.SECURITY_OFFICE).get("/registers/static/print.css").get_data(as_text=True)
    assert "@page" in css and "table-header-group" in css


# --- the destruction manifest the escorts carry (DES.2) ---------------------------------------------------------

def test_the_manifest_prints_items_counts_signer_escorts_site_and_confirmation_DES_2(api, as_user, db):
    instance_id, (first, second) = h.escorted_manifest(api, db, destroy=False)
    client = as_user(h.OFFICER)
    page = client.get("/registers/destruction").get_data(as_text=True)
    assert f"/registers/destruction/{instance_id}/manifest" in page
    html = client.get(f"/registers/destruction/{instance_id}/manifest").get_data(as_text=True)
    items = table(html, "manifest-items")
    assert [r[0] for r in items[1:]] == ["1", "2"]
    assert items[1][1].startswith(f"#{first} 办密〔2025〕12号") and items[1][2] == "（一）"
    assert items[2][1].startswith(f"#{second} 办密〔2025〕13号") and items[2][2] == "（六）"
    assert items[1][5:7] == ["2", "8"] and items[2][5:7] == ["3", "5"]
    assert items[2][7] == "已退回登记簿"  # returned later, still on the manifest it travelled with
    counts = table(html, "manifest-counts")
    assert counts[-1][1:] == ["2", "5", "13"]  # the totals line
    assert [r[1:] for r in counts[1:-1]] == [["1", "2", "8"], ["1", "3", "5"]]
    assert "刘洋" in html and "冯雪" in html and "陈静" in html  # signer, officer, escorts
    assert html.count('class="signature escort"') == 2
    assert "市保密局指定销毁点（市涉密载体销毁中心）" in html and 'id="site-confirmation"' in html
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "destruction_manifest_printed"))


def test_a_manifest_is_refused_to_a_section_head_DES_2(api, as_user, db):
    instance_id, _items = h.escorted_manifest(api, db)
    assert as_user(h.SECTION_HEAD).get(f"/registers/destruction/{instance_id}/manifest").status_code == 403
    assert as_user(h.SECURITY_OFFICE).get("/registers/destruction/999999/manifest").status_code == 404


# --- the access-change log (CNET.5) ---------------------------------------------------------------------------

def test_the_access_change_page_matches_the_service_CNET_5(api, as_user, db):
    h.access_changed(api, db)
    rows = table(as_user(h.SECTION_HEAD).get("/registers/access_change").get_data(as_text=True), "ledger")
    assert [r[1:] for r in rows[1:]] == service_rows(db, h.SECTION_HEAD, "access_change")
    assert "Classification" not in rows[0] and "密级" not in rows[0]


def test_an_english_export_has_english_headings_and_header_block(api, as_user, db):
    h.carried_out(api, db, "BM-LT-001")
    client = as_user(h.SECURITY_OFFICE)
    switch_to_english(client)
    header, headings, lines = h.read_xlsx(client.get("/registers/carry_out.xlsx?status=out").data)
    assert headings[:4] == ["No.", "Case", "Carried by", "Section"]
    assert header["Office"] == "Municipal Government Office" and header["Period"] == "All dates"
    assert header["Filters"] == "Status: Out" and header["Exported by"] == "陈静"
    assert [line[1:] for line in lines] == service_rows(db, h.SECURITY_OFFICE, "carry_out", locale="en")
