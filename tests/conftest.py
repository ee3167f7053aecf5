"""Test app on SQLite by default, on PostgreSQL with TEST_DATABASE_URL; schema from the Alembic migrations."""
import os

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db

STATIC_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role", "ab_permission_view_role",
                 "alembic_version"}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite:///%s" % (var / "test.db")
    if url.startswith("postgresql") and os.environ.get("PYTEST_XDIST_WORKER"):
        url = _database_of_this_xdist_worker(url, os.environ["PYTEST_XDIST_WORKER"])
    flask_app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(var / "uploads"),
                           EXPORT_FOLDER=str(var / "exports"))
    with flask_app.app_context():
        _fresh_schema()
        from app.cli import sync_permissions

        sync_permissions()
    yield flask_app


def _database_of_this_xdist_worker(url, worker):
    """`<database>_<gw0…>`, created (UTF-8) when missing: parallel test processes must not wipe each other's rows.

    Tests that need the shared real Celery worker (marked real_worker) run in one process on `<database>` itself.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = "%s_%s" % (base.database, worker)
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(text('CREATE DATABASE "%s" ENCODING \'UTF8\' LC_COLLATE \'C.UTF-8\' LC_CTYPE \'C.UTF-8\' '
                              "TEMPLATE template0" % name))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _fresh_schema():
    """Drop whatever is there and build the schema by running the migrations."""
    from flask_migrate import upgrade

    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            from flask_appbuilder import Model

            Model.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Every test starts from seed data only; the roles and permissions stay."""
    from flask_appbuilder import Model

    from app.seed import seed_all

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Model.metadata.sorted_tables):
                if table.name not in STATIC_TABLES:
                    conn.execute(table.delete())
        seed_all()
        db.session.remove()
    yield


@pytest.fixture(autouse=True)
def _eager_tasks_unless_real_worker_test(app, request):
    """With TEST_REAL_WORKER=1 only tests marked `real_worker` go through the broker.

    The others check outcomes right after the call and share the database the next test wipes,
    so they run their tasks eagerly; tests/test_tasks.py proves the real worker round trip.
    """
    from app.extensions import celery

    if app.config["CELERY_TASK_ALWAYS_EAGER"] or request.node.get_closest_marker("real_worker"):
        yield
        return
    celery.conf.task_always_eager = True
    yield
    celery.conf.task_always_eager = False


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def personas(app, ctx):
    from tests.factories import build_personas

    return build_personas()


class PersonaClient:
    """A test client logged in through the real login form.

    Each request runs in a fresh app context (as on a real server), so flask.g and the
    SQLAlchemy session are not shared with the test's own context or other personas.
    """

    def __init__(self, app, user, account_type):
        from tests.factories import PASSWORD

        self.app = app
        self.client = app.test_client()
        self.username = user.username
        response = self.post("/login/", data={"account_type": account_type, "username": user.username,
                                              "password": PASSWORD})
        assert response.status_code == 302, response.text

    def open(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.open(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)


@pytest.fixture
def login(app, personas):
    """login(persona_user) → a client logged in as that user."""
    def _login(user):
        return PersonaClient(app, user, user.account_type)
    return _login
