"""Configuration: embedded defaults (SQLite + Celery's SQLAlchemy broker), overridden by environment."""
import os

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
VAR_DIR = os.environ.get("APP_VAR_DIR", os.path.join(BASE_DIR, "var"))


def _env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


class Config:
    """Settings shared by every environment."""

    # No key in the code: the embedded default generates one into VAR_DIR at first start (app.secret_key);
    # a PostgreSQL deployment must set SECRET_KEY (the same on every node) or it refuses to start.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = os.path.join(VAR_DIR, "secret_key")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(VAR_DIR, "app.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Celery: the embedded default needs no server; REDIS_URL / CELERY_BROKER_URL switch to Redis.
    CELERY_BROKER_URL = os.environ.get(
        "CELERY_BROKER_URL",
        os.environ.get("REDIS_URL") or "sqla+sqlite:///" + os.path.join(VAR_DIR, "celery-broker.db"),
    )
    CELERY_RESULT_BACKEND = os.environ.get(
        "CELERY_RESULT_BACKEND",
        os.environ.get("REDIS_URL") or "db+sqlite:///" + os.path.join(VAR_DIR, "celery-results.db"),
    )
    CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER")
    # Redis keeps a delivered, unacknowledged message hidden this long; a worker killed mid-task gets its
    # message back after it (acks late). Longer than any task, or a slow task would run twice.
    CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600))
    # Seconds a page waits for an unreachable broker before the task stays in the outbox for the sweep.
    CELERY_BROKER_CONNECT_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", 2))
    # Celery beat sends tasks recorded while the broker was down, and re-sends jobs without progress, this often.
    TASK_SWEEP_SECONDS = float(os.environ.get("TASK_SWEEP_SECONDS", 30))
    # An export job without progress this long is taken as lost and sent again (it can run twice without harm).
    EXPORT_JOB_STALE_SECONDS = int(os.environ.get("EXPORT_JOB_STALE_SECONDS", 600))
    # Statement timeout of a name search on PostgreSQL: 报名人员查询 and every FAB list with a name filter
    # (app/services/list_queries.py guard(); the name stays for existing deployments)
    ENROLLEE_QUERY_TIMEOUT_MS = int(os.environ.get("ENROLLEE_QUERY_TIMEOUT_MS", 2000))
    # ... of its first try, the walk along the key; a search slower than this is retried the collecting way
    ENROLLEE_WALK_TIMEOUT_MS = int(os.environ.get("ENROLLEE_WALK_TIMEOUT_MS", 400))
    # Parallel workers a name search may use (max_parallel_workers_per_gather inside the guard): 0, because a walk
    # along the key read 4× the rows with workers and they take cores from the other operators (list_queries.py)
    SEARCH_PARALLEL_WORKERS = int(os.environ.get("SEARCH_PARALLEL_WORKERS", 0))
    # Seconds between certificates in 生成证书: 0 in production; drills and the kill test slow a job with it.
    CERTIFICATE_ISSUE_PAUSE = float(os.environ.get("CERTIFICATE_ISSUE_PAUSE", 0))
    # A 生成证书 job without progress this long is taken as abandoned: pressing 生成证书 queues it again.
    CERTIFICATE_JOB_STALE_SECONDS = int(os.environ.get("CERTIFICATE_JOB_STALE_SECONDS", 600))

    APP_NAME = "建筑技能工人培训管理系统"
    APP_THEME = ""
    APP_ICON = ""
    FAB_BASE_TEMPLATE = "base_layout.html"
    FAB_INDEX_VIEW = "app.views.home.HomeView"
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.AppSecurityManager"
    FAB_UPDATE_PERMS = False  # permissions and roles are synced by `flask sync-roles` (roles.py)
    FAB_CREATE_DB = False  # the schema comes from Alembic migrations
    FAB_ADD_SECURITY_VIEWS = True
    # Raw permission tables are not for operators: roles are data in app/security/roles.py.
    FAB_ADD_SECURITY_PERMISSION_VIEW = False
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
    FAB_API_SWAGGER_UI = False
    FAB_API_MAX_PAGE_SIZE = 100
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 1 minute")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    FAB_PASSWORD_COMPLEXITY_ENABLED = True

    # Chinese first; English switchable.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # On (SESSION_COOKIE_SECURE=1) whenever the console is served over HTTPS: the browser then never sends the
    # session cookie over plain HTTP.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", os.path.join(VAR_DIR, "uploads"))
    EXPORT_FOLDER = os.environ.get("EXPORT_FOLDER", os.path.join(VAR_DIR, "exports"))
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024  # hard ceiling; the upload limit proper is a setting

    # Login lockout: after this many consecutive failures the account is locked for a while.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))
    LIST_PAGE_SIZE_MAX = 100
    PASSWORD_HASH_METHOD = "scrypt"

    # 证书推送 to the national system (SPEC §6): "local" records the push here; "http" POSTs to PUSH_ENDPOINT.
    PUSH_ADAPTER = os.environ.get("PUSH_ADAPTER", "local")
    PUSH_ENDPOINT = os.environ.get("PUSH_ENDPOINT", "")
    PUSH_TOKEN = os.environ.get("PUSH_TOKEN", "")
    PUSH_TIMEOUT_SECONDS = float(os.environ.get("PUSH_TIMEOUT_SECONDS", 10))
    PUSH_MAX_ATTEMPTS = int(os.environ.get("PUSH_MAX_ATTEMPTS", 8))
    PUSH_BACKOFF_SECONDS = float(os.environ.get("PUSH_BACKOFF_SECONDS", 60))  # doubled after every failure
    PUSH_BACKOFF_MAX_SECONDS = float(os.environ.get("PUSH_BACKOFF_MAX_SECONDS", 6 * 3600))
    # Celery beat sweeps the outbox this often: retries whose back-off has passed go out with no one pressing 推送.
    PUSH_SWEEP_SECONDS = float(os.environ.get("PUSH_SWEEP_SECONDS", 60))


class TestConfig(Config):
    """Settings for the test-suite: isolated database, eager tasks unless a real worker is asked for."""

    TESTING = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "test-only-key-of-the-suite-never-served-0123456789"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    CELERY_TASK_ALWAYS_EAGER = not _env_bool("TEST_REAL_WORKER")
    SERVER_NAME = None
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for personas; production keeps scrypt
    APP_VAR_DIR = None


configs = {"default": Config, "test": TestConfig}
