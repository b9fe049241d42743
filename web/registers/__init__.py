"""The registers (台账) pages: each register with its filters, order and pages; its XLSX export; its print
view in the layout an office files on paper; and a destruction manifest as the document the escorts carry.
Who may read which register is decided in services.ledgers; every export and print is in the audit log."""
import tempfile

from flask import Blueprint, render_template, request, send_file
from flask_login import current_user, login_required

from models import utcnow
from services import asset_register, audit, ledger_export, ledgers
from services.errors import Forbidden
from services.ledgers import manifest_document
from web.extensions import select_locale
from web.registers import query as ledger_query
from web.session import db

bp = Blueprint("registers", __name__, template_folder="templates", static_folder="static",
               static_url_path="/registers/static")
PAGE_SIZE = 50
# A print view is paper: past this many lines the reader narrows the filters or exports to XLSX instead.
PRINT_LIMIT = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_context_processor
def _nav_flag():
    """Whether the nav shows the registers: only to someone who may read at least one."""
    if current_user and current_user.is_authenticated:
        return {"may_read_registers": bool(ledgers.readable(db(), current_user))}
    return {"may_read_registers": False}


@bp.get("/registers")
@login_required
def index():
    readable = ledgers.readable(db(), current_user)
    if not readable:
        raise Forbidden("ledger_not_readable")
    return render_template("registers/index.html", registers=readable)


@bp.get("/registers/<key>")
@login_required
def show(key: str):
    session, locale = db(), select_locale()
    led = ledgers.ledger(key)
    ledgers.scope(session, current_user, key)
    wanted = ledger_query.parse(led, request.args)
    found = ledgers.page(session, current_user, key, wanted.filters, locale, wanted.sort, wanted.descending,
                         limit=PAGE_SIZE, offset=(wanted.page - 1) * PAGE_SIZE)
    return render_template("registers/ledger.html", led=led, found=found, wanted=wanted, locale=locale,
                           number_heading=_number_heading(locale),
                           first_number=(wanted.page - 1) * PAGE_SIZE + 1,
                           pages=max(1, -(-found.total // PAGE_SIZE)), sections=asset_register.sections(session),
                           classifications=ledgers.CLASSIFICATIONS)


@bp.get("/registers/<key>.xlsx")
@login_required
def export(key: str):
    """The register as XLSX, written to a temporary file a line at a time (in memory up to 4 MB, then on disk),
    then sent. The export's audit event is committed before the file leaves."""
    session, locale = db(), select_locale()
    led = ledgers.ledger(key)
    ledgers.scope(session, current_user, key)
    wanted = ledger_query.parse(led, request.args)
    now = utcnow()
    header = ledger_export.header_for(
        led, locale, ledger_export.period_text(wanted.filters, locale),
        ledger_export.filters_text(session, led, wanted.filters, locale), current_user.display_name, now)
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    lines = ledger_export.write_xlsx(
        out, led, header, ledgers.stream(session, current_user, key, wanted.filters, locale, wanted.sort,
                                         wanted.descending), locale)
    _record(session, "ledger_exported", led, wanted, lines, "xlsx")
    out.seek(0)
    return send_file(out, mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=f"{key}-{now.astimezone(ledgers.OFFICE_TZ):%Y%m%d-%H%M}.xlsx")


@bp.get("/registers/<key>/print")
@login_required
def print_view(key: str):
    session, locale = db(), select_locale()
    led = ledgers.ledger(key)
    ledgers.scope(session, current_user, key)
    wanted = ledger_query.parse(led, request.args)
    found = ledgers.page(session, current_user, key, wanted.filters, locale, wanted.sort, wanted.descending,
                         limit=PRINT_LIMIT, offset=0)
    _record(session, "ledger_printed", led, wanted, len(found.rows), "print")
    return render_template("registers/print.html", led=led, found=found, locale=locale, wanted=wanted,
                           number_heading=_number_heading(locale),
                           period=ledger_export.period_text(wanted.filters, locale),
                           filters=ledger_export.filters_text(session, led, wanted.filters, locale),
                           office=ledgers.base.label(ledger_export.OFFICE, locale), printed_at=utcnow(),
                           limit=PRINT_LIMIT)


@bp.get("/registers/destruction/<int:instance_id>/manifest")
@login_required
def manifest(instance_id: int):
    """A destruction manifest as the escorts carry it (DES.2)."""
    session, locale = db(), select_locale()
    doc = manifest_document.document(session, current_user, instance_id, locale)
    audit.record(session, "destruction_manifest_printed", current_user.id, instance_id, manifest=doc.number)
    session.commit()
    return render_template("registers/manifest.html", doc=doc, locale=locale, number_heading=_number_heading(locale),
                           office=ledgers.base.label(ledger_export.OFFICE, locale), printed_at=utcnow())


def _number_heading(locale: str) -> str:
    # The same 序号 heading as the XLSX export's, from the one table of paper wording.
    return ledgers.base.label(ledger_export.HEADER_LABELS["number"], locale)


def _record(session, action: str, led, wanted, lines: int, form: str) -> None:
    """Who took which register out, with which filters, how many lines: one audit event, committed now."""
    audit.record(session, action, current_user.id, ledger=led.key, format=form, filters=wanted.filters.as_dict(),
                 sort=wanted.sort, descending=wanted.descending, lines=lines)
    session.commit()


from web.registers.api import bp as api_bp  # noqa: E402  (the JSON routes, a blueprint of their own)
