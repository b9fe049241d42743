"""process forms: each published definition version carries its own forms

Revision ID: 0015_process_forms
Revises: 0014_security_admin

Versions published before this revision took their forms from forms/<process>/<task>.json at run time; they
get a copy of those files now (the forms they were running with), for the start form and each of their user
tasks. From here on a version's forms are written with it and never change.
"""
import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = '0015_process_forms'
down_revision = '0014_security_admin'
branch_labels = None
depends_on = None

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _form_names(bpmn_xml: str, process_id: str) -> set[str]:
    # Frozen here on purpose: a migration must not change when services/ does.
    root = etree.fromstring(bpmn_xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    names = {"start"}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            names |= {task.get("id") for task in process.iter(f"{{{BPMN_NS}}}userTask")}
    return names


def upgrade() -> None:
    process_form = op.create_table(
        'process_form',
        sa.Column('definition_id', sa.Integer(), nullable=False),
        sa.Column('task_bpmn_id', sa.String(length=80), nullable=False),
        sa.Column('form_json', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'],
                                name=op.f('fk_process_form_definition_id_process_definition'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('definition_id', 'task_bpmn_id', name=op.f('pk_process_form')),
    )
    connection = op.get_bind()
    rows = []
    for definition_id, process_id, bpmn_xml in connection.execute(
            sa.text("SELECT id, process_id, bpmn_xml FROM process_definition")):
        for name in sorted(_form_names(bpmn_xml, process_id)):
            path = FORMS_DIR / process_id / f"{name}.json"
            if path.is_file():
                raw = json.loads(path.read_text(encoding="utf-8"))
                rows.append({"definition_id": definition_id, "task_bpmn_id": name,
                             "form_json": json.dumps(raw, ensure_ascii=False)})
    if rows:
        op.bulk_insert(process_form, rows)


def downgrade() -> None:
    op.drop_table('process_form')
