"""Flask CLI: sync-roles, seed, demo."""
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
    @click.option("--reset", is_flag=True, help="drop business data first (never on production)")
    def demo_command(reset):
        """Load the demo organisations, accounts and records (skipped when already present)."""
        from app.demo import load_demo

        click.echo(load_demo())


def sync_permissions():
    """FAB's permission tables plus our role grants, in one go."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    from app.security.roles import sync_roles

    appbuilder = current_app.appbuilder
    BaseSecurityManager.create_db(appbuilder.sm)  # Admin / Public roles
    appbuilder.add_permissions(update_perms=True)
    sync_roles(appbuilder)
