"""`create_app`: wires configuration, extensions and blueprints, and nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from registry import config, errors, i18n, keys, limits, numbers, validation
from registry.config import PROJECT_ROOT
from registry.db import db as sqla  # not `db`: that name is the registry.db module
from registry.db import ping_when_idle
from registry.jobs.models import alembic_include_name
from registry.storage import config as storage_config

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate(render_as_batch=True, compare_type=True, include_name=alembic_include_name)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(config.instance_path()),
    )
    app.config.from_mapping(config.from_environment())
    app.config.update(overrides or {})
    app.url_map.converters["int"] = validation.BoundedInt  # before any route: ids fit the database

    sqla.init_app(app)
    with app.app_context():
        ping_when_idle(sqla.engine, app.config.get("DB_PING_IDLE_SECONDS", 2.0))
    migrate.init_app(app, sqla, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    numbers.init_app(app)
    keys.init_app(app)
    limits.init_app(app)
    storage_config.init_app(app)
    _init_login(app)

    from registry import api, commands
    from registry.accounts.views import bp as accounts_bp
    from registry.calculator.views import bp as calculator_bp
    from registry.labels.views import bp as labels_bp
    from registry.ledger.views import bp as ledger_bp
    from registry.public.label_page import bp as label_page_bp
    from registry.public.register import bp as register_bp
    from registry.public.resolver import bp as resolver_bp
    from registry.public.scan_views import bp as scans_bp
    from registry.public.views import bp as public_bp
    from registry.reports.views import bp as reports_bp
    from registry.trace.batch_views import bp as batches_bp
    from registry.trace.import_views import bp as trace_import_bp
    from registry.trace.map_views import bp as maps_bp
    from registry.trace.offline import bp as offline_bp
    from registry.trace.views import bp as trace_bp
    from registry.training.views import bp as training_bp
    from registry.verify.recompute_views import bp as recompute_bp
    from registry.verify.verifier_views import bp as verifier_bp
    from registry.verify.views import bp as verify_bp

    api.init_app(app, csrf)
    app.register_blueprint(public_bp)
    app.register_blueprint(scans_bp)
    app.register_blueprint(resolver_bp)
    app.register_blueprint(label_page_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(calculator_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(trace_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(verifier_bp)
    app.register_blueprint(recompute_bp)
    app.register_blueprint(trace_import_bp)
    app.register_blueprint(maps_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(batches_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(labels_bp)
    errors.init_app(app)  # after the Api, so that our handlers win over flask-smorest's
    commands.init_app(app)
    _init_jobs(app)
    _init_security_headers(app)
    _serve_status_reads_first(app)
    return app


def _init_jobs(app: Flask) -> None:
    """The background-job queue (registry/jobs), its pages and `registry worker`."""
    from registry.jobs import queue
    from registry.jobs.cli import worker_command
    from registry.jobs.views import bp as jobs_bp

    queue.init_app(app)
    app.register_blueprint(jobs_bp)
    app.cli.add_command(worker_command)


def _serve_status_reads_first(app: Flask) -> None:
    """The label-status read in front of Flask (registry/labels/fast_status.py)."""
    from registry.keys import keystore
    from registry.labels.fast_status import StatusFastPath

    with app.app_context():
        app.wsgi_app = StatusFastPath(  # type: ignore[method-assign]
            app.wsgi_app, sqla.engine, keystore(), SECURITY_HEADERS
        )


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from registry.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return sqla.session.get(User, int(user_id)) if user_id.isdigit() else None


def _init_security_headers(app: Flask) -> None:
    """The headers every response carries; a configured remote basemap's host is the one
    addition to the Content-Security-Policy (a misconfigured basemap stops the start here)."""
    from registry.trace.maps import basemap_from_config, with_map_sources

    basemap = basemap_from_config(app.config)
    app.extensions["basemap"] = basemap
    headers = with_map_sources(SECURITY_HEADERS, basemap)

    def security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    app.after_request(security_headers)
