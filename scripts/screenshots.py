#!/usr/bin/env python3
"""README 界面预览: screenshots of the main screens, taken from the demo data in a throw-away database.

    .venv/bin/python scripts/screenshots.py        (or: make screenshots)

Builds the demo (migrations, roles, seed, demo data) under a temporary APP_VAR_DIR, serves the console on a
free local port in a thread, logs in as the demo accounts with Playwright + the system's chromium, and writes
PNGs to docs/. Nothing outside docs/ is touched.
"""
import os
import shutil
import sys
import tempfile
import threading

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
DOCS = os.path.join(ROOT, "docs")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}

# file, account, account type, page, what the shot must show (waited for before the shot)
SHOTS = [
    ("screenshot-home.png", "hz_admin", "department", "/", "#todo"),
    ("screenshot-review-list.png", "hz_admin", "department", "/trainingplanreview/all/list/", "tr[id^=plan-row-]"),
    ("screenshot-enrollees.png", "hz_admin", "department", "/enrollmentview/list/", "#enrollee-table"),
    ("screenshot-dashboard.png", "zj_admin", "department", "/dashboard/", "#chart-months canvas"),
]


def build_demo(var_dir):
    """The console's app on a fresh SQLite database holding the demo data (as `make db` builds it)."""
    os.environ["APP_VAR_DIR"] = var_dir
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    sys.path.insert(0, ROOT)
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import sync_permissions
    from app.demo import load_demo
    from app.seed import seed_all

    app = create_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(var_dir, "app.db"),
                     UPLOAD_FOLDER=os.path.join(var_dir, "uploads"), EXPORT_FOLDER=os.path.join(var_dir, "exports"),
                     CELERY_TASK_ALWAYS_EAGER=True, AUTH_RATE_LIMITED=False)
    with app.app_context():
        upgrade(directory=os.path.join(ROOT, "migrations"))
        sync_permissions()
        seed_all()
        load_demo()
    return app


def main():
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not from_path:
        sys.exit("需要 chromium（apt-get install -y chromium fonts-noto-cjk）")
    with tempfile.TemporaryDirectory(prefix="screenshots-") as var_dir:
        app = build_demo(var_dir)
        from app.demo import PASSWORDS

        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = "http://127.0.0.1:%d" % server.server_port
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        os.makedirs(DOCS, exist_ok=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=from_path, headless=True, args=CHROMIUM_ARGS)
                for filename, username, account_type, path, ready in SHOTS:
                    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=VIEWPORT)
                    page = context.new_page()
                    page.goto(base + "/login/")
                    page.check("input[name=account_type][value=%s]" % account_type)
                    page.fill("#username", username)
                    page.fill("#password", PASSWORDS[username])
                    with page.expect_navigation():
                        page.click("#login-submit")
                    page.goto(base + path)
                    page.wait_for_selector(ready)
                    page.wait_for_timeout(500)  # charts finish their animation
                    page.screenshot(path=os.path.join(DOCS, filename))
                    print("docs/" + filename)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
