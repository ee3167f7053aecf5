"""In a real browser at 1366×768: every demo account visits every page it can reach from its menus.

Each distinct page (a list, one record's detail, one add/edit form …) is visited once per account, found by
following the links on the pages already seen. On every page: no English word outside a short allowed list,
no Python object text (`object at 0x`, `None`), every form control with a label a screen reader can find,
every button with words, and navigation that fits (a one-row top bar and the side menu).
"""
import re
import time
from urllib.parse import urljoin, urlsplit

import pytest

from app.demo import PASSWORDS
from tests.e2e.conftest import commit_fixture_data

# Words an operator may meet in Latin letters: file types, the language switch, units and codes.
ALLOWED_WORDS = {"xlsx", "xls", "pdf", "jpg", "jpeg", "png", "english", "id", "qr", "excel", "url", "https", "http",
                 "www", "cn", "com", "mb", "kb", "gb", "ip"}
# Links that download, change state or leave the console: not pages to read.
SKIP = re.compile(r"^/back$|/(logout|lang|delete|action|download|export|template|tickets?|desk|signin|summary|pdf|file|"
                  r"import_errors|api|static|appbuilder|swagger)(/|$)|\.(pdf|xlsx|png|jpg)$|^/certificate", re.I)
# One account per kind (the city department reviews hz_school's plans, so it sees every review page filled).
ROLES = ["admin", "hz_admin", "hz_school", "xh_build"]
MAX_PAGES = 60

PAGE_FACTS = """() => {
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  // Identifiers an operator types or copies (account names, dictionary codes) are marked translate="no".
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[translate="no"], code, script, style').forEach(el => el.remove());
  document.body.appendChild(body); body.style.position = 'absolute'; body.style.left = '-99999px';
  const words = [body.innerText];
  body.remove();
  document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach(
      el => words.push(el.getAttribute('placeholder')));
  document.querySelectorAll('[title]').forEach(el => { if (visible(el)) words.push(el.getAttribute('title')); });
  document.querySelectorAll('input[type=submit], input[type=button]').forEach(el => words.push(el.value));
  document.querySelectorAll('select option').forEach(el => words.push(el.textContent));
  const unlabelled = [];
  document.querySelectorAll('input, select, textarea').forEach(el => {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) return;
    if (el.closest('.select2-container')) return;  // select2's own search box belongs to a labelled select
    const byLabel = Array.from(el.labels || []).some(l => l.textContent.trim());
    const byAria = (el.getAttribute('aria-label') || '').trim()
        || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
            id => id && document.getElementById(id) && document.getElementById(id).textContent.trim());
    if (!byLabel && !byAria && !(el.getAttribute('title') || '').trim()) {
      unlabelled.push(el.outerHTML.slice(0, 160));
    }
  });
  const wordless = [];
  document.querySelectorAll('a.btn, button').forEach(el => {
    if (!visible(el) || el.closest('.datepicker') || el.classList.contains('close')) return;
    // words a sighted operator sees: screen-reader-only text (clipped away) does not count
    const copy = el.cloneNode(true);
    Array.from(el.querySelectorAll('*')).forEach((child, i) => {
      if (getComputedStyle(child).position === 'absolute' || getComputedStyle(child).display === 'none') {
        copy.querySelectorAll('*')[i].setAttribute('data-unseen', '1');
      }
    });
    copy.querySelectorAll('[data-unseen]').forEach(child => child.remove());
    if (!copy.textContent.trim()) wordless.push(el.outerHTML.slice(0, 160));
  });
  const header = document.querySelector('header.top');
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
  return {words: words.join('\\n'), unlabelled, wordless, links,
          headerHeight: header ? header.getBoundingClientRect().height : 0,
          sideMenu: document.querySelectorAll('#side-menu a[href]').length,
          pageWidth: document.documentElement.scrollWidth};
}"""


def endpoint_of(path):
    """/x/show/12?a=b → /x/show/{id}: one visit per kind of page."""
    path = re.sub(r"/(show|edit|records|resetpassword|revoke)/[^/]+", r"/\1/{id}", path.rstrip("/") or "/")
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def problems_on(facts, path):
    found = []
    # Letters inside codes (统一社会信用代码, certificate numbers, e-mail, file names) are data, not words.
    # (a comma-separated list of field names counts as one identifier when one of them has an underscore)
    tokens = re.findall(r"[A-Za-z0-9_@.,\-]*[A-Za-z][A-Za-z0-9_@.,\-]*", facts["words"])
    words = [w.strip(".-") for t in tokens if not re.search(r"[0-9_@]|\w\.\w", t) for w in t.split(",")]
    english = sorted({w for w in words if len(w) > 1 and w.lower() not in ALLOWED_WORDS})
    if english:
        found.append("%s: English words %s" % (path, english[:12]))
    for raw in ("object at 0x", r"(?<![A-Za-z])None(?![A-Za-z])"):
        if re.search(raw, facts["words"]):
            found.append("%s: raw Python text %r" % (path, raw))
    for control in facts["unlabelled"][:3]:
        found.append("%s: control without a label %s" % (path, control))
    for button in facts["wordless"][:3]:
        found.append("%s: button without words %s" % (path, button))
    if facts["headerHeight"] > 60:
        found.append("%s: top bar %dpx tall (more than one row)" % (path, facts["headerHeight"]))
    if facts["sideMenu"] == 0:
        found.append("%s: no side menu" % path)
    if facts["pageWidth"] > 1366:
        found.append("%s: page %dpx wide at 1366" % (path, facts["pageWidth"]))
    return found


@pytest.fixture
def demo(app, ctx):
    from app.demo import load_demo

    load_demo()
    commit_fixture_data()


@pytest.mark.parametrize("username", ROLES)
def test_every_reachable_page_is_chinese_labelled_and_fits(page, base_url, demo, username):
    page.set_viewport_size({"width": 1366, "height": 768})
    started = time.monotonic()
    page.goto(base_url + "/login/")
    account_type = {"admin": "admin", "hz_school": "institution", "xh_build": "enterprise"}.get(username, "department")
    page.check("input[name=account_type][value=%s]" % account_type)
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    with page.expect_navigation():
        page.click("#login-submit")
    assert "/login" not in page.url, page.locator(".alert").all_inner_texts()

    host = urlsplit(base_url).netloc
    queue, seen, problems, visited = ["/"], set(), [], []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        key = endpoint_of(urlsplit(path).path)
        if key in seen:
            continue
        seen.add(key)
        try:
            response = page.goto(base_url + path)
        except Exception as failure:  # a link that turns out to be a download
            if "Download is starting" in str(failure):
                continue
            raise
        visited.append(path)
        if response is None or response.status >= 400:
            problems.append("%s: HTTP %s" % (path, response and response.status))
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        facts = page.evaluate(PAGE_FACTS)
        problems.extend(problems_on(facts, path))
        for href in facts["links"]:
            if not href or href.startswith(("#", "javascript:", "mailto:")):
                continue
            target = urlsplit(urljoin(base_url + path, href))
            if target.netloc != host or SKIP.search(target.path):
                continue
            link = target.path + ("?" + target.query if target.query else "")
            if endpoint_of(target.path) not in seen:
                queue.append(link)

    assert len(visited) >= 3, "%s reached only %s" % (username, visited)
    assert not problems, "%s (%d pages, %.0fs):\n%s" % (username, len(visited), time.monotonic() - started,
                                                         "\n".join(problems))
