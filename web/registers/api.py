"""The registers as JSON under /api/v1/registers: the same lines, filters and refusals as the pages."""
from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from services import ledgers
from web.extensions import select_locale
from web.registers import query as ledger_query
from web.session import db

bp = Blueprint("registers_api", __name__, url_prefix="/api/v1/registers")
MAX_LIMIT = 500


@bp.get("")
@login_required
def list_registers():
    locale = select_locale()
    return jsonify({"registers": [{"key": led.key, "name": led.name(locale), "articles": list(led.articles)}
                                  for led in ledgers.readable(db(), current_user)]})


@bp.get("/<key>")
@login_required
def lines(key: str):
    """One page of a register: `?limit=&offset=` besides the page's filters and order."""
    session, locale = db(), select_locale()
    led = ledgers.ledger(key)
    ledgers.scope(session, current_user, key)
    wanted = ledger_query.parse(led, request.args)
    limit = min(ledger_query.number(request.args, "limit", 100), MAX_LIMIT)
    offset = int(request.args.get("offset", "0")) if request.args.get("offset", "0").isdigit() else 0
    found = ledgers.page(session, current_user, key, wanted.filters, locale, wanted.sort, wanted.descending,
                         limit=limit, offset=offset)
    return jsonify({"register": led.key, "name": led.name(locale), "columns": [c.key for c in led.columns],
                    "headings": led.headings(locale), "rows": found.rows, "total": found.total,
                    "document_ids": found.document_ids, "filters": wanted.filters.as_dict(),
                    "sort": wanted.sort, "descending": wanted.descending, "limit": limit, "offset": offset})
