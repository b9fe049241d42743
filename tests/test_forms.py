"""Forms: one definition per user task, validated by marshmallow, errors per field in the user's language."""
import pytest

from services import forms
from services.definitions import PROCESSES_DIR
from services.engine import parse
from services.errors import ValidationFailed


def test_every_user_task_of_every_process_has_a_form():
    import re
    for path in PROCESSES_DIR.glob("*.bpmn"):
        xml = path.read_text(encoding="utf-8")
        parse(xml, path.stem)
        for bpmn_id in re.findall(r'<bpmn:userTask id="([^"]+)"', xml):
            assert forms.file_exists(path.stem, bpmn_id), f"{path.stem}/{bpmn_id} has no form"
            forms.from_file(path.stem, bpmn_id)
        assert forms.file_exists(path.stem, "start"), f"{path.stem} has no start form"


def test_errors_come_per_field_in_chinese_and_in_english():
    form = forms.from_file("carry_out", "start")
    with pytest.raises(ValidationFailed) as zh:
        form.validate({"destination": ""}, "zh_CN")
    assert zh.value.fields["purpose"] == ["此项为必填项。"]
    assert "assets" in zh.value.fields and "acknowledge_rules" in zh.value.fields
    with pytest.raises(ValidationFailed) as en:
        form.validate({"destination": ""}, "en")
    assert en.value.fields["purpose"] == ["This field is required."]


def test_unknown_fields_are_refused():
    form = forms.from_file("carry_out", "section_head_review")
    with pytest.raises(ValidationFailed) as err:
        form.validate({"decision": "approve", "approved_by": "me"}, "en")
    assert err.value.fields == {"approved_by": ["Unknown field."]}


def test_decision_forms_offer_approve_reject_and_send_back():
    for task in ("section_head_review", "leader_approval"):
        form = forms.from_file("carry_out", task)
        assert [c[0] for c in form.field("decision").choices] == ["approve", "reject", "send_back"]
        assert form.kind == "approval" and form.is_decision_only


def test_valid_data_comes_back_json_ready():
    form = forms.from_file("carry_out", "hand_out")
    data = form.validate({"handed_out_on": "2026-12-01", "checked_before_handout": True}, "zh_CN")
    assert data == {"handed_out_on": "2026-12-01", "checked_before_handout": True}
