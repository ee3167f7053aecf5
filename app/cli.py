"""Flask CLI: sync-roles, seed, demo, prepare-broker."""
import click
from flask import current_app


def register(app):
    @app.cli.command("sync-roles")
    def sync_roles_command():
        """Create FAB permissions for every view and set each role's permissions (roles.py)."""
        sync_permissions()
        click.echo("roles synced")

    @app.cli.command("seed")
    def seed_command():
        """Load regions, dictionaries and default settings."""
        from app.seed import seed_all

        seed_all()
        click.echo("seed data loaded")

    @app.cli.command("demo")
    def demo_command():
        """Load the demo organisations, accounts and records (skipped when already present)."""
        from app.demo import load_demo

        click.echo(load_demo())

    @app.cli.command("prepare-broker")
    def prepare_broker_command():
        """Create the embedded broker's tables and default queue before the web, worker and beat processes start."""
        click.echo(prepare_broker())


def sync_permissions():
    """FAB's permission tables plus our role grants, in one go."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    from app.security.roles import sync_roles

    appbuilder = current_app.appbuilder
    BaseSecurityManager.create_db(appbuilder.sm)  # Admin / Public roles
    appbuilder.add_permissions(update_perms=True)
    sync_roles(appbuilder)


def prepare_broker():
    """Declare the default queue once, before several processes race to create it.

    kombu's SQLAlchemy transport creates its tables and queue rows on first use without handling a
    concurrent creator: the worker and its embedded beat starting together on a fresh file died with
    "UNIQUE constraint failed: kombu_queue.name". Redis needs nothing (its queues are keys).
    """
    celery = current_app.extensions["celery"]
    url = celery.conf.broker_url
    if not url.startswith("sqla+"):
        return "broker %s: nothing to prepare" % url.split("://", 1)[0]
    from sqlalchemy.exc import DBAPIError

    for attempt in range(3):
        try:
            with celery.connection_for_write() as connection:
                connection.default_channel.queue_declare(celery.conf.task_default_queue)
            if hasattr(celery.backend, "ResultSession"):  # the embedded result store's tables, created once too
                celery.backend.ResultSession().close()
            break
        except DBAPIError:  # another process created them a moment earlier: the next try finds them
            if attempt == 2:
                raise
    return "embedded broker ready (queue %s)" % celery.conf.task_default_queue
