#!/usr/bin/env python3
"""The as-shipped walk: a running console driven over HTTP as the README's demo accounts, background work included.

    python .ci/walk.py http://127.0.0.1:5000 --worker-log var/run.log

hz_admin approves a 成绩报审, presses 生成证书 and waits for 已完成 from the worker, 拉取证书; admin lowers
export_sync_max_rows so zj_admin's 导出 becomes a background job, which its owner downloads (and nobody else can);
zj_admin asks 行业数据看板 to 重新统计; at last beat's sweep pushes the pulled certificates. Standard library only:
it talks to the product the way a browser does (forms, CSRF tokens, cookies), it never imports the app.
"""
import argparse
import html
import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

EXAM = "2026年第5期钢筋工（五级）考核"  # demo: its 成绩报审 waits 已受理 for hz_admin
ACCOUNTS = {"admin": ("admin", "Admin@2026"), "hz_admin": ("department", "Hangzhou2026"),
            "zj_admin": ("department", "Zhejiang2026")}


class Forms(HTMLParser):
    """Every <form> of a page with its action, id and the values a browser would send by default."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": html.unescape(attrs.get("action") or ""), "id": attrs.get("id", ""),
                          "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self._form["fields"].setdefault(attrs["name"], attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


class Client:
    """One person's browser: cookies, redirects followed, every answer kept for the checks."""

    def __init__(self, base, who):
        self.base, self.who = base.rstrip("/"), who
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.url = self.base + "/"  # the page last shown: a form without an action posts back to it

    def request(self, path, data=None, follow=True):
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for _ in range(10):
            try:
                with self.opener.open(urllib.request.Request(url, data=body), timeout=60) as answer:
                    self.url = url
                    return answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as answer:
                if answer.code in (301, 302, 303) and follow:
                    url, body = urllib.parse.urljoin(url, answer.headers["Location"]), None
                    continue
                return answer.code, answer.headers, answer.read()
        raise AssertionError("too many redirects from " + path)

    def page(self, path, data=None):
        status, _headers, body = self.request(path, data)
        text = body.decode("utf-8", "replace")
        check(status == 200, "%s %s answered %s" % (self.who, path, status))
        check("系统内部错误" not in text and "Traceback" not in text, "%s %s shows an error page" % (self.who, path))
        return text

    def submit(self, page_text, action_pattern, **values):
        """Post the form whose action matches, as a browser would: its own fields plus the given values."""
        parser = Forms()
        parser.feed(page_text)
        for form in parser.forms:
            action = urllib.parse.urljoin(self.url, form["action"])
            if re.search(action_pattern, urllib.parse.urlparse(action).path) or form["id"] == action_pattern:
                return self.page(action, dict(form["fields"], **values))
        raise AssertionError("%s: no form %r on the page" % (self.who, action_pattern))

    def login(self):
        account_type, password = ACCOUNTS[self.who]
        text = self.page("/login/")
        after = self.submit(text, "login-form", account_type=account_type, username=self.who, password=password)
        check("用户名或密码错误" not in after and 'id="login-form"' not in after, "%s could not log in" % self.who)
        return self


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by Client.request, which keeps POST → GET as browsers do."""

    def redirect_request(self, *args, **kwargs):
        return None


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def wait(what, seconds, probe):
    deadline = time.time() + seconds
    while True:
        value = probe()
        if value:
            return value
        check(time.time() < deadline, "timed out after %ds waiting for %s" % (seconds, what))
        time.sleep(1)


def step(message):
    print("[walk %s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def certificates_walk(base):
    hz = Client(base, "hz_admin").login()
    index = hz.page("/scores/")
    row = re.search(r'id="exam-row-(\d+)">\s*<td>%s<' % re.escape(EXAM), index)
    check(row, "hz_admin: the demo exam %s is not on 成绩导入" % EXAM)
    exam_id = int(row.group(1))
    exam_page = hz.page("/scores/exam/%d" % exam_id)
    report = re.search(r'href="(/scorereportreview/all/show/\d+)"', exam_page)
    check(report, "hz_admin: no link to the 成绩报审 review page")
    review = hz.page(report.group(1))
    after = hz.submit(review, "review-form", move="approve", opinion="同意")
    check("审核通过" in after, "hz_admin: 审核通过 did not take")
    step("hz_admin: 成绩报审 of %s 审核通过" % EXAM)
    after = hz.submit(hz.page("/scores/exam/%d" % exam_id), r"/generate$")
    check("证书生成任务已提交" in after, "hz_admin: 生成证书 was not queued (page said: %s)"
          % re.findall(r'后台任务服务暂不可用[^<]*', after))
    started = time.time()

    def finished():
        _status, _headers, body = hz.request("/scores/exam/%d/progress" % exam_id)
        job = json.loads(body)
        check(job.get("status") != "failed", "生成证书 failed: %s" % job.get("error"))
        return job if job.get("status") == "finished" else None

    job = wait("生成证书 to reach 已完成 on the worker", 180, finished)
    step("hz_admin: 生成证书 已完成 %s/%s by the worker in %.1fs" % (job["done"], job["total"], time.time() - started))
    check(job["total"] > 0 and job["done"] == job["total"], "生成证书 finished with %r" % job)
    after = hz.submit(hz.page("/scores/exam/%d" % exam_id), r"/pull$")
    pulled = re.search(r"已拉取证书 (\d+) 张", after)
    check(pulled and int(pulled.group(1)) == job["total"], "拉取证书 said %r" % (pulled and pulled.group(0)))
    step("hz_admin: 拉取证书 %s 张" % pulled.group(1))
    return hz, exam_id, job["total"]


def export_walk(base):
    admin = Client(base, "admin").login()
    edit = admin.page("/systemsettingview/edit/export_sync_max_rows")
    admin.submit(edit, r"/systemsettingview/edit/", value="1")
    step("admin: 系统设置 export_sync_max_rows = 1")
    zj = Client(base, "zj_admin").login()
    status, headers, body = zj.request("/enrollmentview/export", _form_fields(zj, "/enrollmentview/list/",
                                                                              r"/enrollmentview/export"),
                                       follow=False)
    check(status == 302 and "/exports/" in headers.get("Location", ""),
          "zj_admin: 导出 did not become a background job (%s)" % status)
    job_path = urllib.parse.urlparse(headers["Location"]).path
    page = zj.page(job_path)
    check("后台任务服务暂不可用" not in page, "zj_admin: the export job could not be queued")

    def done():
        _status, _headers, raw = zj.request(job_path + "/progress")
        progress = json.loads(raw)
        check(progress.get("status") != "failed", "the export failed")
        return progress if progress.get("download_url") else None

    progress = wait("the background export", 120, done)
    status, headers, data = zj.request(progress["download_url"])
    check(status == 200 and data[:2] == b"PK" and "attachment" in headers.get("Content-Disposition", ""),
          "zj_admin could not download the export (%s)" % status)
    step("zj_admin: background 导出 of %s rows downloaded by its owner (%d bytes)" % (progress["rows"], len(data)))
    other = Client(base, "hz_admin").login()
    status, _headers, _body = other.request(progress["download_url"])
    check(status == 404, "hz_admin reached zj_admin's export file (%s)" % status)
    step("hz_admin: zj_admin's export file answers 404")
    return zj


def _form_fields(client, page_path, action_pattern):
    parser = Forms()
    parser.feed(client.page(page_path))
    for form in parser.forms:
        if re.search(action_pattern, form["action"]):
            return form["fields"]
    raise AssertionError("no form %r on %s" % (action_pattern, page_path))


def dashboard_walk(zj, worker_log):
    before = log_count(worker_log, "app.refresh_dashboard_stats")
    page = zj.page("/dashboard/")
    after = zj.submit(page, r"/dashboard/refresh")
    check("已开始重新统计" in after, "zj_admin: 重新统计 was not queued")
    if worker_log:
        wait("the dashboard refresh on the worker", 120,
             lambda: log_count(worker_log, "app.refresh_dashboard_stats") > before)
    check('id="stats-time"' in zj.page("/dashboard/"), "the dashboard shows no statistics time")
    step("zj_admin: 行业数据看板 重新统计 done by the worker")


def push_walk(hz, exam_id, total, sweep_seconds):
    def pushed():
        text = hz.page("/scores/exam/%d" % exam_id)
        table = text.split('id="certificate-table"', 1)[-1]
        return table.count("证书已推送") >= total

    started = time.time()
    wait("beat's sweep to push the pulled certificates", sweep_seconds + 90, pushed)
    step("hz_admin: %d certificates 证书已推送 by beat's sweep after %.0fs" % (total, time.time() - started))


def log_count(path, task):
    if not path:
        return 0
    with open(path, encoding="utf-8", errors="replace") as log:
        return len(re.findall(r"%s\[[^]]+\] succeeded" % re.escape(task), log.read()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("--worker-log", default="", help="the worker's log, to see the dashboard refresh run there")
    parser.add_argument("--push-sweep-seconds", type=float, default=60)
    args = parser.parse_args()
    hz, exam_id, total = certificates_walk(args.base)
    zj = export_walk(args.base)
    dashboard_walk(zj, args.worker_log)
    push_walk(hz, exam_id, total, args.push_sweep_seconds)
    step("as shipped: every step passed on %s" % args.base)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("[walk] FAILED: %s" % failure, file=sys.stderr, flush=True)
        sys.exit(1)
