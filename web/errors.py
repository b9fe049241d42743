"""Refusals become a page with a message, or JSON ({"error", "code", "fields"}) under /api."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from services.errors import DomainError, ValidationFailed
from services.messages import message
from web.extensions import select_locale

HTTP_CODES = {400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
              409: "case_changed", 413: "bad_request"}


def is_api() -> bool:
    return request.path.startswith("/api/")


def domain_error_body(err: DomainError) -> dict:
    locale = select_locale()
    body = {"error": message(err.code, locale, **err.params), "code": err.code}
    if isinstance(err, ValidationFailed):
        body["fields"] = err.fields
    elif err.field:
        body["fields"] = {err.field: [body["error"]]}
    return body


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(err: DomainError):
        from web.session import db
        db().rollback()
        body = domain_error_body(err)
        if is_api():
            return jsonify(body), err.status
        return render_template("error.html", message=body["error"], status=err.status), err.status

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(_err):
        # A number past the database's integer range in a path or body (an id nobody has): a bad request.
        from web.session import db
        db().rollback()
        text = message("bad_request", select_locale())
        if is_api():
            return jsonify({"error": text, "code": "bad_request"}), 400
        return render_template("error.html", message=text, status=400), 400

    @app.errorhandler(CSRFError)
    def _csrf_error(err):
        text = message("csrf", select_locale())
        if is_api():
            return jsonify({"error": text, "code": "csrf"}), 400
        return render_template("error.html", message=text, status=400), 400

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        code = HTTP_CODES.get(err.code, "bad_request")
        text = message(code, select_locale())
        if is_api():
            return jsonify({"error": text, "code": code}), err.code
        return render_template("error.html", message=text, status=err.code), err.code
