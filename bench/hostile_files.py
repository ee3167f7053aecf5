"""Hostile workbooks at the issue's sizes (issue 12, SPEC §12): time and peak RSS of each refusal.

    .venv/bin/python bench/hostile_files.py            # after: the guarded reader (app/documents/xlsx_in.py)
    .venv/bin/python bench/hostile_files.py --before   # also the old openpyxl paths, each cut off at --timeout s

Every case runs in its own process (peak RSS is per process); the files are built in code by
tests/hostile_corpus.py into a temporary folder first. Limits are the defaults: upload 10 MB, score import
5,000 rows, 学员名册 2,000 rows.
"""
import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MB = 1024 * 1024
SCORE_HEADERS = ["准考证号", "姓名", "身份证号", "理论成绩", "实操成绩", "是否缺考", "备注"]
ROSTER_HEADERS = ["身份证号", "姓名", "手机号", "学历"]
LIMITS = {"score": 5000, "roster": 2000}
UPLOAD = 10 * MB


def _openpyxl_book(headers, rows, title):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build(folder):
    """The case files: {name: (path, kind)}."""
    from tests import hostile_corpus as corpus

    score = _openpyxl_book(SCORE_HEADERS, [["T%04d" % i, "张三", "330106199001011237", 80, 90, "否", None]
                                           for i in range(30)], "成绩")
    roster = _openpyxl_book(ROSTER_HEADERS, [["330106199001011237", "张三", "13900001111", "大专"]], "学员")
    cases = {
        "score_bomb_200MB": (lambda: corpus.comment_bomb(score, 200 * MB), "score"),
        "roster_bomb_200MB": (lambda: corpus.comment_bomb(roster, 200 * MB), "roster"),
        "score_1048575_rows": (lambda: corpus.rows_workbook(
            SCORE_HEADERS, (["T%07d" % i, "张三", "330106199001011237", "80", "90", "否", ""]
                            for i in range(1_048_574)), "成绩"), "score"),
        "roster_300000_rows": (lambda: corpus.rows_workbook(
            ROSTER_HEADERS, (["330106199001011237", "张三", "13900001111", "大专"] for _ in range(300_000)),
            "学员"), "roster"),
    }
    from app.documents.xlsx_in import part_limit

    under = part_limit(LIMITS["score"]) - len(score) - 64 * 1024
    cases["score_comment_under_ceiling"] = (lambda: corpus.comment_bomb(score, under, incompressible=True), "score")
    cases["score_5000_rows_legal"] = (lambda: corpus.rows_workbook(
        SCORE_HEADERS, (["T%07d" % i, "张三", "330106199001011237", "80", "90", "否", "备注" * 10]
                        for i in range(5000)), "成绩"), "score")
    files = {}
    for name, (make, kind) in cases.items():
        path = os.path.join(folder, name + ".xlsx")
        with open(path, "wb") as handle:
            handle.write(make())
        files[name] = (path, kind)
    # the same million rows with the upload limit at its 64 MB ceiling: the sheet-size guard alone refuses it
    files["score_1048575_rows@64MB"] = (files["score_1048575_rows"][0], "score64")
    return files


def _old_score_read(data):
    """The score import before issue 12: openpyxl read-only, <dimension> check, then every row."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    sheet = book["成绩"] if "成绩" in book.sheetnames else book.worksheets[0]
    if sheet.max_row and sheet.max_row - 1 > LIMITS["score"]:
        return "超过上限（dimension）"
    sheet.reset_dimensions()
    count = 0
    for count, _row in enumerate(sheet.iter_rows(), start=1):
        if count > LIMITS["score"] + 1:
            return "成绩行数超过上限"
    return "%d 行" % count


def _old_roster_read(data):
    """The 学员名册 import before issue 12: a full (not read-only) openpyxl load, then the rows."""
    from openpyxl import load_workbook

    if len(data) > UPLOAD:
        return "超过10MB"
    book = load_workbook(io.BytesIO(data), data_only=True)
    count = 0
    for count, _row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        if count > LIMITS["roster"] + 1:
            return "超过2000行"
    return "%d 行" % count


def _peak_rss_mb():
    """VmHWM of this process (ru_maxrss would carry the parent's peak across fork + exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(path, kind, mode):
    """Child process: read the file, refuse it, print {seconds, rss_mb, delta_mb, result}."""
    from app.documents.xlsx_in import WorkbookRefused, read_workbook

    with open(path, "rb") as handle:
        data = handle.read()
    base = _peak_rss_mb()
    start = time.perf_counter()
    try:
        if mode == "before":
            result = (_old_score_read if kind.startswith("score") else _old_roster_read)(data)
        else:
            limit, upload = (LIMITS["score"], 64 * MB) if kind == "score64" else (LIMITS[kind], UPLOAD)
            read = read_workbook(data, filename="x.xlsx", max_rows=limit, max_bytes=upload,
                                 sheet_name="成绩" if kind.startswith("score") else None)
            result = "接受：读取 %d 行" % len(read.rows)
    except WorkbookRefused as refused:
        result = refused.reason
    seconds = time.perf_counter() - start
    peak = _peak_rss_mb()
    print(json.dumps({"seconds": round(seconds, 3), "rss_mb": round(peak), "delta_mb": round(peak - base),
                      "result": result}, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", action="store_true", help="also time the pre-issue-12 readers")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a 'before' run is cut off")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "KIND", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        files = build(folder)
        print("%-27s %-6s %9s %10s %14s  %s" % ("case", "mode", "size", "time", "+RSS (peak)", "result"))
        for name, (path, kind) in files.items():
            for mode in (("before", "after") if args.before and kind != "score64" else ("after",)):
                try:
                    output = subprocess.run([sys.executable, __file__, "--child", path, kind, mode], cwd=ROOT,
                                            capture_output=True, text=True, timeout=args.timeout)
                    report = json.loads(output.stdout.strip().splitlines()[-1]) if output.stdout.strip() else {
                        "seconds": 0, "delta_mb": 0, "rss_mb": 0, "result": output.stderr.strip().splitlines()[-1][:80]}
                    timing = "%.3f s" % report["seconds"]
                    delta = "%d MB (%d)" % (report["delta_mb"], report.get("rss_mb", 0))
                    result = report["result"]
                except subprocess.TimeoutExpired:
                    timing, delta, result = "> %d s" % args.timeout, "?", "无结果（已中止）"
                print("%-27s %-6s %7.1f MB %10s %14s  %s" % (name, mode, os.path.getsize(path) / MB, timing, delta,
                                                          result[:90]))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
