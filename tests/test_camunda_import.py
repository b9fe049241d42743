"""BPMN drawn by other modelers, imported through the API: a Camunda Modeler file publishes with its candidate
groups as lanes drawn on the diagram; what Camunda-specific cannot be mapped is named element by element; a
bpmn.io demo diagram is refused with named reasons; never a crash."""
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from models import ProcessDefinition

DESIGNER = "hanmei"
API = "/api/v1/designer/processes/carry_out"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bpmn"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"


def import_file(api, name: str):
    return api(DESIGNER).post(f"{API}/import", data=(FIXTURES / name).read_bytes(),
                              headers={"Content-Type": "application/octet-stream"})


def bounds(root, element_id: str) -> tuple[float, float, float, float]:
    shape = next(s for s in root.iter(f"{DI}BPMNShape") if s.get("bpmnElement") == element_id)
    b = shape.find(f"{DC}Bounds")
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def inside(inner, outer) -> bool:
    return (outer[0] <= inner[0] and inner[0] + inner[2] <= outer[0] + outer[2]
            and outer[1] <= inner[1] and inner[1] + inner[3] <= outer[1] + outer[3])


def test_camunda_file_imports_with_its_lanes_drawn_and_publishes(api, db):
    response = import_file(api, "camunda_carry_out.bpmn")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    notes = {(n["element_id"], n["what"]) for n in body["notes"] if n["mapped"]}
    assert ("carry_out", "process Process_0carry1 → carry_out") in notes
    assert ("section_head_review", "candidateGroups section_head → lane section_head") in notes
    assert ("leader_approval", "candidateGroups leader → lane leader") in notes
    assert ("approval_late", 'timer P2D → "P2D"') in notes
    unmapped = {(n["element_id"], n["what"].split(":")[0] if n["what"].startswith("camunda:") else n["what"].split("=")[0])
                for n in body["notes"] if not n["mapped"]}
    assert unmapped == {("section_head_review", "formKey"), ("start_apply", "camunda"), ("carry_out", "camunda")}
    assert body["problems"] == []

    root = etree.fromstring(body["bpmn_xml"].encode("utf-8"))
    lanes = list(root.iter(f"{BPMN}lane"))
    assert {lane.get("name") for lane in lanes} == {"section_head", "leader"}
    pool = bounds(root, "carry_out_pool")
    for lane in lanes:  # every lane is drawn, inside the pool, around the tasks in it
        lane_box = bounds(root, lane.get("id"))
        assert inside(lane_box, pool)
        for ref in lane.iter(f"{BPMN}flowNodeRef"):
            assert inside(bounds(root, ref.text), lane_box), (ref.text, lane.get("id"))
    assert inside(bounds(root, "start_apply"), pool) and inside(bounds(root, "late_noted"), pool)
    plane = next(root.iter(f"{DI}BPMNPlane"))
    assert plane.get("bpmnElement") == next(root.iter(f"{BPMN}collaboration")).get("id")

    designer = api(DESIGNER)
    assert designer.post(f"{API}/validate", json={"bpmn_xml": body["bpmn_xml"]}).get_json() == {"problems": []}
    published = designer.post(f"{API}/publish", json={"bpmn_xml": body["bpmn_xml"], "forms": {}})
    assert published.status_code == 201, published.get_json()
    db.expire_all()
    assert db.scalar(select(ProcessDefinition.version).where(ProcessDefinition.process_id == "carry_out")
                     .order_by(ProcessDefinition.version.desc()).limit(1)) == 2


def test_what_camunda_cannot_map_is_named_by_element(api):
    response = import_file(api, "camunda_unmappable.bpmn")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    unmapped = {(n["element_id"], n["what"]) for n in body["notes"] if not n["mapped"]}
    whats = " | ".join(f"{e}: {w}" for e, w in sorted(unmapped))
    for element, words in [
        ("fill_in", "assignee=${initiator}: not mapped"),
        ("fill_in", "form field attachment of type file: not mapped"),
        ("review", "candidateGroups section_head, leader: not mapped; a task has exactly one lane"),
        ("approve", "candidateGroups management: not mapped"),
        ("approve", "camunda:taskListener: not mapped"),
        ("notify", "class=org.example.Notify: not mapped"),
        ("notify", "camunda:asyncBefore=true: not mapped"),
    ]:
        assert any(e == element and w.startswith(words) for e, w in unmapped), (element, words, whats)
    mapped = {(n["element_id"], n["what"]) for n in body["notes"] if n["mapped"]}
    assert ("Flow_no", "${!approved || !urgent} → not approved or not urgent (check it is Python)") in mapped
    # camunda:formData became the task's form, drafted with the import
    form = body["forms"]["fill_in"]
    assert [(f["name"], f["type"], f["required"]) for f in form["fields"]] == [
        ("device_number", "string", True), ("pages", "integer", False), ("urgent", "boolean", False),
        ("kind", "choice", False)]
    assert api(DESIGNER).get(f"{API}/forms/fill_in").get_json()["form"] == form
    codes = {(p["code"], p["element_id"]) for p in body["problems"]}
    assert {("bpmn_user_task_no_lane", "review"), ("bpmn_user_task_no_lane", "approve"),
            ("bpmn_no_form", "review"), ("bpmn_no_step", "notify")} <= codes
    assert ("bpmn_no_form", "fill_in") not in codes
    refused = api(DESIGNER).post(f"{API}/publish", json={"bpmn_xml": body["bpmn_xml"], "forms": body["forms"]})
    assert refused.status_code == 422


def test_bpmn_io_demo_diagram_is_refused_with_named_reasons_never_a_crash(api, db):
    raw = (FIXTURES / "bpmn_io_demo.bpmn").read_text(encoding="utf-8")
    designer = api(DESIGNER)
    as_is = designer.post(f"{API}/publish", json={"bpmn_xml": raw})
    assert as_is.status_code == 422
    assert [p["code"] for p in as_is.get_json()["problems"]] == ["bpmn_wrong_process"]
    assert "Process_1kx3o9d" in as_is.get_json()["problems"][0]["message"]

    response = import_file(api, "bpmn_io_demo.bpmn")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {n["what"] for n in body["notes"]} == {"process Process_1kx3o9d → carry_out", "isExecutable → true"}
    published = designer.post(f"{API}/publish", json={"bpmn_xml": body["bpmn_xml"], "forms": {}})
    assert published.status_code == 422
    codes = {(p["code"], p["element_id"]) for p in published.get_json()["problems"]}
    assert {("bpmn_user_task_no_lane", "Activity_1q7zt1f"), ("bpmn_user_task_no_lane", "Activity_0hx2k8c"),
            ("bpmn_no_form", "Activity_1q7zt1f"), ("bpmn_no_form", "Activity_0hx2k8c"),
            ("bpmn_gateway_no_default", "Gateway_0v0r8m2"), ("bpmn_flow_no_condition", "Flow_0yes4k1")} <= codes
    assert all(p["message"] for p in published.get_json()["problems"])
    db.expire_all()
    assert list(db.scalars(select(ProcessDefinition.version).where(ProcessDefinition.process_id == "carry_out"))) == [1]


def test_file_with_several_unknown_processes_is_not_guessed(api):
    raw = (FIXTURES / "bpmn_io_demo.bpmn").read_text(encoding="utf-8")
    two = raw.replace("</bpmn:definitions>", '<bpmn:process id="Process_other" isExecutable="false" />'
                                             "</bpmn:definitions>")
    response = api(DESIGNER).post(f"{API}/import", data=two.encode("utf-8"),
                                  headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 422
    assert [p["code"] for p in response.get_json()["problems"]] == ["bpmn_wrong_process"]
    assert not api(DESIGNER).get(f"{API}/source").get_json()["is_draft"]


def test_not_bpmn_and_malformed_files_are_refused_on_import(api):
    designer = api(DESIGNER)
    for data, code in [(b"\x89PNG\r\n\x1a\n\x00\x00", "bpmn_malformed"), (b"", "bpmn_malformed"),
                       (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "bpmn_doctype"),
                       (b'<definitions xmlns="http://www.omg.org/spec/DMN/20191111/MODEL/"/>', "bpmn_not_bpmn")]:
        response = designer.post(f"{API}/import", data=data, headers={"Content-Type": "application/octet-stream"})
        assert response.status_code == 422, (data, response.get_json())
        assert [p["code"] for p in response.get_json()["problems"]] == [code]
    assert not designer.get(f"{API}/source").get_json()["is_draft"]


def test_import_over_2_mb_is_refused_and_the_draft_kept(api):
    designer = api(DESIGNER)
    raw = (FIXTURES / "bpmn_io_demo.bpmn").read_text(encoding="utf-8")
    assert import_file(api, "bpmn_io_demo.bpmn").status_code == 200  # a draft to keep
    big = raw.replace("</bpmn:definitions>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>")
    response = designer.post(f"{API}/import", data={"file": (__import__("io").BytesIO(big.encode()), "big.bpmn")},
                             content_type="multipart/form-data")
    assert response.status_code == 413 and response.get_json()["code"] == "bpmn_too_large"
    assert "Activity_1q7zt1f" in designer.get(f"{API}/source").get_json()["bpmn_xml"]
