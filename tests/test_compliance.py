"""Traceability: every actionable article of DOMAIN.md has a step or check that enforces it and a test
that proves it, and nothing in processes/ or the enforcement registry names an article the regulations
lack."""
import re
from pathlib import Path

import pytest

from services import compliance
from services.articles import ALL_ARTICLE_IDS, ARTICLES, REGULATIONS, is_known, normalize
from services.enforcement import Enforcement

# Articles not covered yet (no enforcing step or check, or no test naming them), with what is missing.
# Keep this list exact: the test fails when a new gap appears AND when one is closed without removing it.
KNOWN_GAPS: dict[str, str] = {}


def _domain_md() -> Path:
    beside_repo = Path(__file__).resolve().parents[2] / "shared" / "docs" / "DOMAIN.md"
    for path in (beside_repo, Path("/work/shared/docs/DOMAIN.md")):
        if path.is_file():
            return path
    pytest.fail(f"DOMAIN.md not found at {beside_repo} nor /work/shared/docs/DOMAIN.md: the article list "
                "cannot be checked against the domain description")


def _domain_table() -> dict[str, str]:
    """DOMAIN.md's "Actionable articles" table: article → "enforced by"."""
    text = _domain_md().read_text(encoding="utf-8")
    section = text.split("## Actionable articles", 1)
    assert len(section) == 2, "DOMAIN.md has no '## Actionable articles' section"
    body = section[1].split("\n## ", 1)[0]
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and re.fullmatch(r"[A-Z]+\.\d+", cells[0]):
            rows[cells[0]] = cells[1]
    return rows


BOGUS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs">
  <bpmn:process id="bogus" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="approve" name="Approve">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="articles" value="MED.3,CIS.13" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:subProcess id="sub" name="Per item">
      <bpmn:serviceTask id="record" name="Record">
        <bpmn:extensionElements><spiffworkflow:properties>
          <spiffworkflow:property name="articles" value="DES.3(4), FOO.1" />
        </spiffworkflow:properties></bpmn:extensionElements>
      </bpmn:serviceTask>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>
"""


# --- (a) unknown articles -----------------------------------------------------------------------------

def test_regulations_hold_the_article_counts_of_the_seed():
    assert {k: r.article_count for k, r in REGULATIONS.items()} == {
        "CIS": 12, "MED": 7, "CNET": 10, "UNET": 8, "RRS": 5, "DES": 6, "PUB": 9}
    assert len(ALL_ARTICLE_IDS) == 57
    assert is_known("CIS.12") and is_known("DES.3(4)") and not is_known("CIS.13") and not is_known("FOO.1")
    assert normalize("DES.3(4)") == "DES.3"


def test_a_bpmn_naming_an_article_the_regulations_lack_is_flagged():
    steps = compliance.bpmn_steps(BOGUS_BPMN, "bogus.bpmn")
    assert [(s.process_id, s.element_id, s.element_name, s.element_type) for s in steps] == [
        ("bogus", "approve", "Approve", "userTask"), ("bogus", "record", "Record", "serviceTask")]
    unknown = compliance.unknown_articles(steps, [])
    assert [(u.article, u.source, u.where) for u in unknown] == [
        ("CIS.13", "bpmn", "bogus.bpmn#approve"), ("FOO.1", "bpmn", "bogus.bpmn#record")]
    # The known ones still count for their articles; a sub-item counts for its article.
    matrix = compliance.build_matrix(steps, [], [])
    by_id = {r.article.id: r for r in matrix.rows}
    assert [s.element_id for s in by_id["MED.3"].steps] == ["approve"]
    assert [s.element_id for s in by_id["DES.3"].steps] == ["record"]
    assert {u.article for u in matrix.unknown} == {"CIS.13", "FOO.1"}


def test_a_check_or_test_naming_an_article_the_regulations_lack_is_flagged():
    check = Enforcement("CNET.11", "services.x.check", what_zh="…", what_en="…")
    proof = compliance.Proof("tests/test_x.py", "test_y_PUB_10", ("PUB.10",))
    unknown = compliance.unknown_articles([], [check], [proof])
    assert [(u.article, u.source) for u in unknown] == [("CNET.11", "code"), ("PUB.10", "test")]


def test_test_names_map_back_to_articles():
    assert compliance.articles_in_test_name("test_manifest_needs_two_distinct_escorts_DES_2") == ("DES.2",)
    assert compliance.articles_in_test_name("test_transfer_hands_over_CNET_5_UNET_7") == ("CNET.5", "UNET.7")
    assert compliance.articles_in_test_name("test_utf_8_is_fine") == ()
    assert compliance.articles_in_test_name("test_med_3_in_lower_case") == ()


def test_the_real_processes_and_registry_name_no_unknown_article():
    matrix = compliance.matrix()
    assert compliance.bpmn_steps_in(), "no BPMN step names an article: is processes/ where it should be?"
    assert [(u.article, u.source, u.where) for u in matrix.unknown] == []


# --- (b) coverage -------------------------------------------------------------------------------------

def test_every_actionable_article_is_enforced_and_tested_except_the_known_gaps():
    gaps = compliance.matrix().gaps()
    new = {a: s for a, s in gaps.items() if KNOWN_GAPS.get(a) != s}
    closed = sorted(set(KNOWN_GAPS) - set(gaps))
    assert not new, f"new or changed gaps (enforce and test them, or list them in KNOWN_GAPS): {new}"
    assert not closed, f"these gaps are closed: remove them from KNOWN_GAPS: {closed}"
    assert gaps == KNOWN_GAPS


def test_known_gaps_name_actionable_articles_only():
    assert set(KNOWN_GAPS) <= set(ARTICLES)
    assert set(KNOWN_GAPS.values()) <= {compliance.NO_ENFORCER, compliance.NO_TEST}


# --- (c) DOMAIN.md and services/articles.py agree -----------------------------------------------------

def test_domain_table_and_articles_module_agree():
    table = _domain_table()
    assert len(table) == 33
    assert list(table) == list(ARTICLES), "the same articles, in the same order"
    assert {a: ARTICLES[a].enforced_by for a in table} == table
    for article in ARTICLES.values():
        assert article.id in ALL_ARTICLE_IDS
        assert article.rule_zh and article.rule_en and article.rule_zh != article.rule_en


# --- (d) the page and its JSON twin -------------------------------------------------------------------

def test_security_office_sees_the_compliance_page(as_user):
    client = as_user("chenjing")
    response = client.get("/compliance")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(re.findall(r'data-article="[A-Z]+\.\d+"', page)) == 33
    assert 'id="compliance-summary"' in page and 'id="nav-compliance"' in page
    assert ARTICLES["MED.3"].rule_zh in page  # Chinese by default
    assert "test_carry_out_api.py::test_carry_out_passes_every_approver_and_comes_back_MED_3" in page
    assert "/compliance/processes/carry_out?article=MED.3" in page


def test_procedure_diagram_marks_the_enforcing_steps(as_user):
    client = as_user("chenjing")
    page = client.get("/compliance/processes/carry_out?article=MED.4").get_data(as_text=True)
    assert 'data-marked="start_apply"' in page
    diagram = client.get("/compliance/processes/carry_out/diagram.bpmn")
    assert diagram.status_code == 200 and b'id="carry_out"' in diagram.data
    assert client.get("/compliance/processes/no_such_process").status_code == 404
    # A procedure not published yet is drawn from its file; nothing outside processes/ is ever read.
    assert 'id="carry_out"' in compliance.process_file_xml("carry_out")
    assert compliance.process_file_xml("../app") is None and compliance.process_file_xml("nothing") is None


@pytest.mark.parametrize("username", ["liuyang", "zhoumin", "admin"])
def test_leader_committee_and_admin_see_the_page_too(as_user, username):
    assert as_user(username).get("/compliance").status_code == 200


def test_an_employee_is_refused_and_sees_no_link(as_user, api):
    client = as_user("zhangwei")
    assert client.get("/compliance").status_code == 403
    assert client.get("/compliance/processes/carry_out/diagram.bpmn").status_code == 403
    assert 'id="nav-compliance"' not in client.get("/").get_data(as_text=True)
    response = api("zhangwei").get("/api/v1/compliance")
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_json_endpoint_answers_with_the_matrix(api):
    response = api("chenjing").get("/api/v1/compliance")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 33 and len(body["articles"]) == 33
    assert body["covered"] == sum(1 for a in body["articles"] if a["status"] == "covered")
    assert body["gaps"] == KNOWN_GAPS and body["unknown"] == []
    med3 = next(a for a in body["articles"] if a["article"] == "MED.3")
    assert {"process_id": "carry_out", "element_id": "leader_approval"}.items() <= next(
        s for s in med3["steps"] if s["element_id"] == "leader_approval").items()
    assert any(t["function"].endswith("_MED_3") for t in med3["tests"])
