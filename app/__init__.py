"""建筑技能工人培训管理系统: create_app() wires config, extensions, security, views and CLI."""
import logging
import os

from flask import Flask

from app.extensions import appbuilder, csrf, db, migrate


def create_app(config_name=None, **overrides):
    """Build the Flask app; nothing is registered at import time."""
    from config import configs

    app = Flask(__name__)
    app.config.from_object(configs[config_name or os.environ.get("APP_CONFIG", "default")])
    app.config.update(overrides)
    from app.security.secret import ensure_secret_key

    ensure_secret_key(app)
    from app.security.passwords import check_password_policy

    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = check_password_policy  # FAB calls it: a callable, not a path
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    os.makedirs(app.config["EXPORT_FOLDER"], exist_ok=True)
    for key in ("SQLALCHEMY_DATABASE_URI", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        # Embedded default: the SQLite files of the database, broker and results need their folder.
        url = app.config.get(key) or ""
        if "sqlite:///" in url and ":memory:" not in url:
            os.makedirs(os.path.dirname(url.split("sqlite:///", 1)[1]), exist_ok=True)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)

    from app import models  # noqa: F401  (register every table)

    db.init_app(app)
    csrf.init_app(app)
    _route_wtforms_messages_through_our_catalogue()
    from app.security import filters

    filters.install()  # before the views build their search filters
    from app.security.manager import AppSecurityManager
    from app.services import accounts

    AppSecurityManager.accounts = accounts  # security sits below the services: the login checks are handed in
    with app.app_context():
        _install_sqlite_pragmas(app)
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(appbuilder)
        appbuilder.post_init()
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    from app.tasks import init_celery

    init_celery(app)
    from app import cli, web
    from app.security import headers
    from app.views import menu_cache, template_i18n

    cli.register(app)
    web.register(app)
    menu_cache.register(app)
    template_i18n.register(app)
    headers.register(app)
    return app


def _route_wtforms_messages_through_our_catalogue():
    """WTForms' built-in messages (此项为必填项 …) come from our catalogue, in zh and en alike.

    Flask-WTF otherwise loads WTForms' own catalogue, which misses several messages; this uses a
    private hook of Flask-WTF (checked by tests/views/test_i18n.py).
    """
    import flask_babel
    import flask_wtf.i18n

    flask_wtf.i18n._get_translations = flask_babel.get_translations


def _install_sqlite_pragmas(app):
    """SQLite: enforce foreign keys and wait for locks instead of failing (web + worker share a file)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    @event.listens_for(db.engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
