"""The Baomi app factory: configuration, extensions, blueprints and CLI commands. Nothing else."""
import os

from flask import Flask

import config
from services import steps
from web import access_policy, cli, errors, extensions, security_headers, session, template_helpers


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask app; `overrides` replace configuration values (tests, deployments)."""
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static",
                instance_path=str(config.INSTANCE))
    app.config.from_mapping(config.load(overrides))
    session.init_app(app)
    access_policy.init_app(app)  # before CSRF and every view: the one declared policy
    extensions.init_app(app)
    errors.init_app(app)
    security_headers.init_app(app)
    template_helpers.init_app(app)

    from web.admin import bp as admin_bp
    from web.api import bp as api_bp
    from web.assets import api_bp as assets_api_bp, bp as assets_bp
    from web.auth import bp as auth_bp
    from web.cases import bp as cases_bp
    from web.collaboration import bp as collaboration_bp
    from web.compliance import bp as compliance_bp
    from web.destruction import bp as destruction_bp
    from web.destruction.pages import bp as destruction_pages_bp
    from web.designer import bp as designer_bp
    from web.duties import bp as duties_bp
    from web.inbox import bp as inbox_bp
    from web.notifications import bp as notifications_bp
    from web.org import bp as org_bp
    from web.org.api import api_bp as org_api_bp
    from web.passwords import bp as passwords_bp
    from web.portal import bp as portal_bp
    from web.registers import api_bp as registers_api_bp, bp as registers_bp

    for bp in (auth_bp, portal_bp, inbox_bp, cases_bp, api_bp, notifications_bp, passwords_bp, admin_bp,
               compliance_bp, assets_bp, assets_api_bp, destruction_bp, destruction_pages_bp, duties_bp,
               registers_bp, registers_api_bp, org_bp, org_api_bp, designer_bp):
        app.register_blueprint(bp)
    app.register_blueprint(collaboration_bp)  # readers, comments, attachments, the approval sheet
    from web.case_actions import api as case_actions_api, bp as case_actions_bp  # send back, withdraw, transfer, urge, delegation
    app.register_blueprint(case_actions_bp), app.register_blueprint(case_actions_api.bp)
    from web.added_approvers import bp as added_approvers_bp  # 加签, 减签
    app.register_blueprint(added_approvers_bp)
    from web.case_migration import bp as case_migration_bp  # moving a running case to a new version (issue 5)
    app.register_blueprint(case_migration_bp)
    cli.init_app(app)
    steps.load_all()
    if app.config["BAOMI_SCHEDULER"] == "inprocess" and _is_serving_process(app):
        cli.start_inprocess_scheduler(app)
    return app


def _is_serving_process(app: Flask) -> bool:
    # Flask's reloader runs the app twice; only the child (WERKZEUG_RUN_MAIN) serves requests.
    return not app.debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
