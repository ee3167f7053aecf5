"""导出 (SPEC §9): the xlsx (headers, masked and neutralised cells, row count), scope, the log, background jobs."""
import datetime
import io
import os
import time
import zipfile

import openpyxl
import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app.documents.xlsx_out import XlsxStreamWriter, clean_cell, looks_like_formula
from app.extensions import db
from app.models import AuditLog, ExportJob, SystemSetting
from app.security.scope import Scope
from app.services import ServiceError
from app.services import exports
from app.services.enrollees import EnrolleeFilters
from tests.services.test_enrollee_query import EXPECT, build_enrollee_world, names_of

HEADERS = ["姓名", "身份证号", "手机号", "企业名称", "培训机构名称", "培训计划名称", "考核计划名称", "报名时间",
           "培训计划", "考核计划", "成绩报审", "培训证书"]
REAL_WORKER = os.environ.get("TEST_REAL_WORKER", "").lower() in ("1", "true", "yes", "on")


@pytest.fixture
def world(personas):
    return build_enrollee_world(personas)


def read_rows(data):
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def export_bytes(scope, filters=EnrolleeFilters(), limit=None):
    buffer = io.BytesIO()
    count = exports.write_enrollees(buffer, db.session, scope, filters, limit=limit)
    return buffer.getvalue(), count


@pytest.mark.parametrize("value, expected, quoted", [
    ("=1+2", "=1+2", True), ("+86 138", "+86 138", True), ("-1", "-1", True), ("@SUM(A1)", "@SUM(A1)", True),
    ("=HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\")", True), ("张三", "张三", False), ("a=b", "a=b", False),
    ("陈\x07控制", "陈控制", False), ("a\tb\r\nc", "a b c", False), ("\x00=1", "=1", True), ("\t=1", " =1", False),
    (None, "", False), (datetime.datetime(2026, 11, 28, 9, 5, 7), "2026-11-28 09:05", False),
    (datetime.date(2026, 11, 28), "2026-11-28", False), (True, "是", False), (42, "42", False),
])
def test_clean_cell(value, expected, quoted):
    """The one cell rule: the text as typed (controls gone), and whether it gets the quote-prefix (text) mark."""
    assert clean_cell(value) == expected
    assert looks_like_formula(clean_cell(value)) is quoted


def test_the_file_has_chinese_headers_masked_ids_and_safe_cells(personas, world):
    data, count = export_bytes(Scope.for_user(personas.county))
    rows = read_rows(data)
    assert rows[0] == HEADERS
    body = rows[1:]
    assert len(body) == count == len(EXPECT["county"])
    ids = [r[1] for r in body]
    assert all(len(v) == 18 and v[6:14] == "********" for v in ids), ids
    for worker in (world.w_a, world.w_b):
        assert worker.id_number not in {c for r in body for c in r}
    names = [r[0] for r in body]
    assert "=HYPERLINK(\"http://x\")" in names  # kept as typed, stored as text (below), never a formula
    assert "陈控制" in names  # the control character is gone
    done = next(r for r in body if r[5] == "杭州建工钢筋工培训计划" and r[0] == "张西湖")
    assert done[6:] == ["杭州建工钢筋工培训计划考核", world.e_done.enrolled_at.strftime("%Y-%m-%d %H:%M"),
                        "培训结束", "已审核", "已审核", "证书已推送"]
    # the xml really holds no formula cell
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "\x07" not in sheet
    full = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cell = next(c for c in full["A"] if c.value == "=HYPERLINK(\"http://x\")")
    assert cell.data_type == "s" and cell.quotePrefix  # Excel shows it as text and keeps it text on edit


def test_a_county_export_holds_only_its_county(personas, world):
    data, _count = export_bytes(Scope.for_user(personas.county))
    plans = {r[5] for r in read_rows(data)[1:]}
    assert plans == {"杭州建工砌筑工培训计划", "杭州建工钢筋工培训计划"}  # no 余杭, no 宁波 plan
    institutions = {r[4] for r in read_rows(data)[1:]}
    assert institutions == {personas.inst_a.name}
    data, _count = export_bytes(Scope.for_user(personas.other_city))
    assert {(r[0], r[5]) for r in read_rows(data)[1:]} == {("李海曙", "杭州建工砌筑工培训计划"), ("李海曙", "宁波电工培训计划")}


def test_the_export_follows_the_filters(personas, world):
    data, count = export_bytes(Scope.for_user(personas.province), EnrolleeFilters.from_mapping({"name": "西湖"}))
    assert count == 2 and {r[0] for r in read_rows(data)[1:]} == {"张西湖"}
    data, count = export_bytes(Scope.for_user(personas.province), limit=3)
    assert count == 3 and len(read_rows(data)) == 4


def test_chunks_do_not_lose_or_repeat_rows(personas, world):
    scope = Scope.for_user(personas.province)
    chunks = list(exports.iter_enrollee_rows(db.session, scope, EnrolleeFilters(), chunk=2))
    ids = [i for chunk_ids, _cells in chunks for i in chunk_ids]
    assert len(ids) == len(set(ids)) == 7 and [len(cells) for _ids, cells in chunks] == [2, 2, 2, 1]
    assert ids == sorted(ids, reverse=True)
    assert names_of(world, ids) == EXPECT["province"]


def test_export_now_is_logged(personas, world):
    filters = EnrolleeFilters.from_mapping({"plan_name": "钢筋工", "id_number": world.w_a.id_number})
    buffer, rows = exports.export_now(db.session, Scope.for_user(personas.county), filters, personas.county)
    assert rows == 1 and len(read_rows(buffer.getvalue())) == 2
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "export")).scalar_one()
    assert log.user_id == personas.county.id and log.username == "county"
    assert "1 行" in log.detail and "培训计划名称=钢筋工" in log.detail and "直接下载" in log.detail
    assert world.w_a.id_number not in log.detail  # the ID number is masked in the log too
    assert log.at is not None


def test_small_results_download_directly_large_ones_run_in_the_background(personas, world):
    scope = Scope.for_user(personas.province)
    assert not exports.runs_in_background(db.session, scope, EnrolleeFilters())
    db.session.get(SystemSetting, "export_sync_max_rows").value = "3"
    db.session.commit()
    assert exports.runs_in_background(db.session, scope, EnrolleeFilters())
    assert not exports.runs_in_background(db.session, scope, EnrolleeFilters.from_mapping({"name": "西湖"}))


def wait_for(job_id, timeout=60):
    """Eager tasks are done at once; a real worker (TEST_REAL_WORKER=1) gets a little time."""
    deadline = time.time() + timeout
    while True:
        db.session.expire_all()
        job = db.session.get(ExportJob, job_id)
        if job.status in ("finished", "failed") or time.time() > deadline:
            return job
        time.sleep(0.5)


def test_background_job_writes_the_file_with_progress_and_logs_it(personas, world):
    scope = Scope.for_user(personas.city)
    filters = EnrolleeFilters.from_mapping({"cert_status": "证书未生成"})
    job = exports.start_job(db.session, scope, filters, personas.city)
    job = wait_for(job.id)
    assert (job.status, job.progress, job.kind) == ("finished", 100, "enrollees")
    expected = {n for n in EXPECT["city"] if n != "e_done"}
    assert job.rows == len(expected)
    assert job.expires_at > datetime.datetime.now() + datetime.timedelta(hours=23)
    with open(job.file_path, "rb") as handle:
        rows = read_rows(handle.read())
    assert rows[0] == HEADERS and len(rows) == len(expected) + 1
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "export")).scalar_one()
    assert log.user_id == personas.city.id and "后台导出任务 #%d" % job.id in log.detail
    assert "培训证书=证书未生成" in log.detail
    # the owner may download; the same job run again changes nothing
    assert exports.job_for_download(db.session, scope, job.id).id == job.id
    if not REAL_WORKER:
        assert exports.run_job(job.id) == "already finished"
        assert db.session.query(AuditLog).filter_by(action="export").count() == 1


def test_the_job_reads_with_its_owners_scope(personas, world):
    """A job stores its owner's id: a county's job exports the county, whatever the filter says."""
    job = exports.start_job(db.session, Scope.for_user(personas.county), EnrolleeFilters(), personas.county)
    job = wait_for(job.id)
    with open(job.file_path, "rb") as handle:
        rows = read_rows(handle.read())
    assert job.rows == len(EXPECT["county"]) == len(rows) - 1
    assert {r[4] for r in rows[1:]} == {personas.inst_a.name}


def test_only_the_owner_downloads_and_only_until_it_expires(personas, world):
    owner = Scope.for_user(personas.county)
    job = wait_for(exports.start_job(db.session, owner, EnrolleeFilters(), personas.county).id)
    for other in (personas.city, personas.province, personas.inst_a_user, personas.admin):
        with pytest.raises(NotFound):
            exports.job_for_download(db.session, Scope.for_user(other), job.id)
    job.expires_at = datetime.datetime.now() - datetime.timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        exports.job_for_download(db.session, owner, job.id)
    assert refused.value.message == "下载链接已过期，请重新导出"
    # the purge removes the expired file and marks the job
    path = job.file_path
    exports.purge_expired(db.session)
    db.session.commit()
    assert not os.path.exists(path) and db.session.get(ExportJob, job.id).status == "expired"
    with pytest.raises(ServiceError):
        exports.job_for_download(db.session, owner, job.id)


def test_unfinished_and_failed_jobs_are_refused_in_chinese(personas, world):
    scope = Scope.for_user(personas.county)
    pending = ExportJob(user_id=personas.county.id, kind="enrollees", status="pending")
    failed = ExportJob(user_id=personas.county.id, kind="enrollees", status="failed", error="boom")
    db.session.add_all([pending, failed])
    db.session.commit()
    with pytest.raises(ServiceError, match="导出尚未完成"):
        exports.job_for_download(db.session, scope, pending.id)
    with pytest.raises(ServiceError, match="导出失败"):
        exports.job_for_download(db.session, scope, failed.id)


def test_the_writer_makes_standard_multi_sheet_workbooks():
    buffer = io.BytesIO()
    with XlsxStreamWriter(buffer) as book:
        book.start_sheet("概览: [一]", ["指标", "数值"], [10, 10])
        book.write_row(["报名人数", 12])
        book.write_row(["<b>&", " 前后空格 "])
        book.start_sheet("按地区", ["地区"])
        for index in range(30):
            book.write_row(["地区%d" % index])
    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert workbook.sheetnames == ["概览 一", "按地区"]
    first = [[c.value for c in row] for row in workbook["概览 一"].iter_rows()]
    assert first == [["指标", "数值"], ["报名人数", "12"], ["<b>&", " 前后空格 "]]
    assert workbook["概览 一"]["A1"].font.b and not workbook["概览 一"]["A2"].font.b
    assert workbook["按地区"].max_row == 31
