"""The compliance page: for each actionable article, the steps and checks that enforce it and the tests
that prove it; gaps in red. For the security office, the security committee, the leader and the admin."""
from functools import wraps

from flask import Blueprint, Response, jsonify, render_template, request
from flask_login import current_user, login_required

from services import assignment, compliance, definitions
from services.articles import REGULATIONS, normalize
from services.errors import Forbidden, NotFound
from services.procedures import PROCEDURES
from web.extensions import select_locale
from web.session import db

bp = Blueprint("compliance", __name__, template_folder="templates", static_folder="static",
               static_url_path="/compliance/static")

# Who oversees the rules: the office-wide overseers of DOMAIN.md and the system administrator.
COMPLIANCE_ROLES = frozenset({"security_office", "security_committee", "leader", "admin"})


def _may_see() -> bool:
    return bool(current_user and current_user.is_authenticated
                and COMPLIANCE_ROLES & assignment.roles_of(db(), current_user.id))


@bp.app_context_processor
def _compliance_flag():
    """Whether the nav shows the compliance link."""
    return {"can_see_compliance": _may_see()}


def overseers_only(view):
    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not _may_see():
            raise Forbidden("forbidden")
        return view(*args, **kwargs)
    return guarded


def _procedure_name(process_id: str, locale: str) -> str:
    procedure = PROCEDURES.get(process_id)
    return procedure.name(locale) if procedure else process_id


def _rows(matrix: compliance.Matrix, locale: str) -> list[dict]:
    """The matrix in the user's language, the same for the page and the JSON."""
    return [{
        "article": row.article.id,
        "regulation": row.article.regulation,
        "regulation_title": REGULATIONS[row.article.regulation].title(locale),
        "rule": row.article.rule(locale),
        "enforced_by": row.article.enforced_by,
        "status": row.status,
        "steps": [{"process_id": s.process_id, "process_name": _procedure_name(s.process_id, locale),
                   "element_id": s.element_id, "element_name": s.element_name, "element_type": s.element_type,
                   "source": s.source} for s in row.steps],
        "checks": [{"where": c.where, "what": c.what_en if locale.startswith("en") else c.what_zh}
                   for c in row.checks],
        "tests": [{"file": t.file, "function": t.function, "node_id": t.node_id} for t in row.tests],
    } for row in matrix.rows]


@bp.get("/compliance")
@overseers_only
def index():
    matrix = compliance.matrix()
    return render_template("compliance/index.html", rows=_rows(matrix, select_locale()), covered=matrix.covered,
                           total=len(matrix.rows), gaps=matrix.gaps(), unknown=matrix.unknown)


def _diagram(process_id: str) -> tuple[str, int | None]:
    """The BPMN cases run (the latest published version), else the file in processes/ not published yet."""
    definition = definitions.latest_definition(db(), process_id, required=False)
    if definition is not None:
        return definition.bpmn_xml, definition.version
    xml = compliance.process_file_xml(process_id)
    if xml is None:
        raise NotFound("process_not_found", process_id=process_id)
    return xml, None


@bp.get("/compliance/processes/<process_id>")
@overseers_only
def process(process_id: str):
    """A procedure's diagram, its enforcing steps marked (those of `?article=` only, if given)."""
    xml, version = _diagram(process_id)
    article = request.args.get("article") or None
    steps = [s for s in compliance.bpmn_steps(xml) if article is None or article in map(normalize, s.articles)]
    return render_template("compliance/process.html", process_id=process_id, version=version,
                           name=_procedure_name(process_id, select_locale()), steps=steps, article=article)


@bp.get("/compliance/processes/<process_id>/diagram.bpmn")
@overseers_only
def diagram(process_id: str):
    return Response(_diagram(process_id)[0], mimetype="application/xml")


# The JSON twin of the page.
@bp.get("/api/v1/compliance")
@overseers_only
def api_index():
    matrix = compliance.matrix()
    return jsonify({
        "total": len(matrix.rows), "covered": matrix.covered, "gaps": matrix.gaps(),
        "articles": _rows(matrix, select_locale()),
        "unknown": [{"article": u.article, "source": u.source, "where": u.where} for u in matrix.unknown],
    })
