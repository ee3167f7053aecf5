"""SECRET_KEY: never a key from the code; generated once for the embedded default, required on PostgreSQL."""
import os
import secrets
import time


class MissingSecretKey(RuntimeError):
    """A deployment on a database server started without SECRET_KEY."""


MISSING_KEY_MESSAGE = (
    "未设置 SECRET_KEY：使用 PostgreSQL 等数据库服务器部署时，必须在环境变量 SECRET_KEY 中提供随机密钥"
    "（各网页节点与后台任务节点相同，例如 python -c \"import secrets; print(secrets.token_hex(32))\" 生成）。"
    " / SECRET_KEY is not set: a deployment on a database server needs the same random SECRET_KEY on every node."
)


def ensure_secret_key(app):
    """Fill app.config["SECRET_KEY"] when the environment gave none.

    The embedded default (SQLite) keeps a random key in the var folder (mode 600), created by whichever
    process starts first (web or worker) and read by the others; anything else refuses to start, as each
    node would otherwise sign sessions, certificate QR links and API tokens with a key of its own.
    """
    if app.config.get("SECRET_KEY"):
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise MissingSecretKey(MISSING_KEY_MESSAGE)
    app.config["SECRET_KEY"] = _key_in_file(app.config["SECRET_KEY_FILE"])


def _key_in_file(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        # O_EXCL: when web and worker start together exactly one writes the key, the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as key_file:
            key_file.write(secrets.token_hex(32))
    key = ""
    for _attempt in range(50):  # the other process may be between its open() and its write()
        with open(path) as key_file:
            key = key_file.read().strip()
        if key:
            break
        time.sleep(0.1)
    if len(key) < 32:
        raise MissingSecretKey("密钥文件 %s 内容无效：删除该文件后重新启动将生成新密钥 / invalid key file" % path)
    return key
