"""Browser tests: the real app served on 127.0.0.1 in a thread, driven by Playwright + Debian's chromium.

The server runs the session `app` of tests/conftest.py, so it sees the same database as the fixtures
(`personas` …); whatever a test's fixtures wrote is committed before the browser logs in.

Without chromium or Playwright these tests are skipped with the reason, unless E2E_REQUIRED=1
(set by .ci/run and `make test-e2e`), which turns the skip into a failure.
"""
import os
import re
import shutil
import threading

import pytest
from flask import has_app_context
from werkzeug.serving import make_server

from tests.factories import PASSWORD

E2E_REQUIRED = os.environ.get("E2E_REQUIRED", "").lower() in ("1", "true", "yes", "on")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEFAULT_TIMEOUT_MS = 30_000
NOT_LOCAL = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)(:\d+)?(/|$))[a-z][a-z0-9+.-]*://", re.I)
SCREENSHOT_DIR = os.path.join(
    os.environ.get("APP_VAR_DIR") or os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "var"),
    "e2e-screenshots")


def pytest_collection_modifyitems(items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the `page` fixture knows whether the test failed."""
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


def _unavailable(reason):
    if E2E_REQUIRED:
        pytest.fail("E2E_REQUIRED=1 但浏览器测试无法运行：" + reason, pytrace=False)
    pytest.skip("浏览器测试已跳过：" + reason)


def chromium_path():
    return os.environ.get("E2E_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


class LiveServer:
    """werkzeug's server for the test app, on a free port, in a daemon thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name="e2e-live-server", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:  # pragma: no cover - depends on the machine
        _unavailable("未安装 Playwright（%s）" % missing)
    executable = chromium_path()
    if not executable:
        _unavailable("未找到 chromium（apt-get install -y chromium fonts-noto-cjk）")
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    executable = chromium_path()
    try:
        instance = playwright_instance.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception as failure:  # a broken chromium install is as good as none
        _unavailable("chromium 无法启动（%s）：%s" % (executable, str(failure).splitlines()[0]))
    yield instance
    instance.close()


@pytest.fixture
def page(browser, base_url, request):
    """A fresh browser context (zh-CN) per test; requests to other hosts are refused and recorded.

    `page.external_requests` lists them (the console must work offline, SPEC §12);
    `page.js_errors` lists uncaught JavaScript errors; anything the Content-Security-Policy blocks fails the
    test. A failing test leaves a screenshot in
    var/e2e-screenshots/.
    """
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    external = []

    def refuse(route):
        external.append(route.request.url)
        route.abort()

    # Only requests to other hosts are intercepted; the app's own go straight through.
    context.route(NOT_LOCAL, refuse)
    tab = context.new_page()
    tab.external_requests = external
    tab.js_errors = []
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
    # A script or style the Content-Security-Policy blocks shows only as a console error: any of them fails the test.
    csp_violations = []
    tab.on("console", lambda message: csp_violations.append(message.text)
           if message.type == "error" and "Content Security Policy" in message.text else None)
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:] + ".png"
        try:
            tab.screenshot(path=os.path.join(SCREENSHOT_DIR, name), full_page=True)
        except Exception:  # the screenshot is a courtesy; never hide the real failure
            pass
    context.close()
    assert csp_violations == [], "Content-Security-Policy 拦截了页面内容：%s" % csp_violations


def commit_fixture_data():
    """Make what the test's fixtures wrote visible to the server thread (its own app context and session)."""
    if has_app_context():
        from app.extensions import db

        db.session.commit()


def login_as(page, base_url, user, account_type, password=PASSWORD):
    """Log in through the real login form; `user` is a persona (or a username)."""
    username = user if isinstance(user, str) else user.username
    commit_fixture_data()
    page.goto(base_url + "/login/")
    page.check("input[name=account_type][value=%s]" % account_type)
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    return page


def switch_user(page, base_url, user, account_type):
    """Drop the session and log in as another persona; fails with the page's messages if refused."""
    page.context.clear_cookies()
    login_as(page, base_url, user, account_type)
    assert "/login" not in page.url, page.locator(".alert").all_inner_texts()


def click_and_wait(page, selector):
    """Click something that submits or navigates, and wait for the next page."""
    with page.expect_navigation():
        page.click(selector)


def alerts(page):
    """The flashed messages on the page, as one string."""
    return " ".join(page.locator(".alert").all_inner_texts())


def logout(page, base_url):
    """退出 as people do: the user menu's 退出 button (a POST with the CSRF token; GET /logout/ is refused)."""
    if page.locator("#user-menu").count() == 0:
        page.goto(base_url + "/")
    page.click("#user-menu > a.dropdown-toggle")
    with page.expect_navigation():
        page.click("#link-logout")


def top_menu(page):
    """The group labels of the side menu (the menus of the console), as the user sees them."""
    texts = page.locator("#side-menu .side-menu > li > a").all_inner_texts()
    return [t.replace("\xa0", " ").strip() for t in texts]


def open_menu(page, group, entry):
    """Side menu: open the group if it is folded, then follow the entry (exact label)."""
    toggle = page.locator("#side-menu .side-group-toggle", has_text=group)
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    link = page.locator("#side-menu .side-group", has=page.locator(".side-group-toggle", has_text=group)).locator(
        "a", has_text=re.compile(r"^\s*%s\s*$" % re.escape(entry)))
    link.wait_for(state="visible")
    with page.expect_navigation():
        link.click()
