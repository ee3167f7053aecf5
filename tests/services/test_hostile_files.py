"""Hostile files against both imports (成绩导入, 学员名册导入): each refused with its Chinese reason, nothing written.

The files are built in code by tests/hostile_corpus.py at small sizes; bench/hostile_files.py times the issue's
sizes (a 200 MB bomb, a million rows). Formula-looking names go out as text and the system's own template imports.
"""
import io
from decimal import Decimal
from unittest import mock

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import AuditLog, Score, ScoreReport, SystemSetting, Worker
from app.services import ServiceError
from app.services import scores as score_service
from app.services import workers as worker_service
from tests import hostile_corpus as corpus
from tests.services.test_scores import exam, filled, reasons  # noqa: F401 — `exam` is a fixture
from tests.services.test_workers import ID_A, ID_B, xlsx

MB = 1024 * 1024


def setting(key, value):
    row = db.session.get(SystemSetting, key)
    if row is None:
        db.session.add(SystemSetting(key=key, value=str(value)))
    else:
        row.value = str(value)
    db.session.commit()


def snapshot():
    db.session.expire_all()
    imports = db.session.query(AuditLog).filter(AuditLog.action.in_(("import", "import_scores"))).count()
    return (db.session.query(Score).count(), db.session.query(Worker).count(), imports,
            [r.imported_at for r in db.session.query(ScoreReport)])


def refuse_scores(exam, data, user, filename="成绩.xlsx"):
    before = snapshot()
    with pytest.raises(score_service.ScoreImportError) as info:
        score_service.import_scores(exam, data, filename, user=user)
    assert snapshot() == before, "a refused import changes nothing"
    return reasons(info.value)[0], info.value


def refuse_roster(enterprise, data, user, filename="学员.xlsx"):
    before = snapshot()
    with pytest.raises(ServiceError) as info:
        worker_service.import_workers(enterprise.id, FileStorage(io.BytesIO(data), filename), user=user)
    assert snapshot() == before, "a refused import changes nothing"
    return info.value.message


def roster_book(rows=None):
    return xlsx(rows or [[ID_A, "张三", "13900001111", "大专"], [ID_B, "李四", "13900002222", "大专"]])


# (case, build(base bytes) → bytes, filename, expected part of the Chinese reason)
CASES = [
    ("comment bomb", lambda base: corpus.comment_bomb(base, 30 * MB), "x.xlsx", "文件过大"),
    ("one huge XML token", lambda base: corpus.attribute_bomb(base, 6 * MB), "x.xlsx", "文件过大"),
    ("declared size lies", lambda base: corpus.declared_size(base, corpus.SHEET, 100), "x.xlsx", "文件已损坏"),
    ("many members", lambda base: corpus.many_members(base, 300), "x.xlsx", "文件过大"),
    ("over the upload limit", lambda base: corpus.padded(base, MB + 4096), "x.xlsx", "文件过大：超过 1 MB"),
    ("rows far below (gaps)", lambda base: corpus.sparse_rows(base, 1_000_000), "x.xlsx", "行数超过上限"),
    ("truncated download", corpus.truncated, "x.xlsx", "文件已损坏"),
    ("corrupted sheet", corpus.corrupted, "x.xlsx", "文件已损坏"),
    ("renamed PDF", lambda base: corpus.PDF, "x.xlsx", "文件类型错误：这是 PDF 文件"),
    ("renamed ODS", lambda base: corpus.ods_renamed(), "x.xlsx", "OpenDocument"),
    ("renamed XLS", lambda base: corpus.XLS, "x.xlsx", ".xls"),
    ("not named .xlsx", lambda base: base, "x.csv", "文件类型错误"),
    ("empty", lambda base: b"", "x.xlsx", "文件为空"),
]


@pytest.fixture
def small_upload_limit(personas):
    setting("upload_max_mb", 1)


@pytest.mark.parametrize("case, build, filename, expected", CASES, ids=[c[0] for c in CASES])
def test_score_import_refuses(exam, personas, small_upload_limit, case, build, filename, expected):  # noqa: F811
    reason, error = refuse_scores(exam, build(filled(exam)), personas.inst_a_user, filename)
    assert expected in reason, reason
    assert error.workbook is None  # nothing was read: no error workbook to hand back


@pytest.mark.parametrize("case, build, filename, expected", CASES, ids=[c[0] for c in CASES])
def test_roster_import_refuses(personas, small_upload_limit, case, build, filename, expected):
    message = refuse_roster(personas.ent_a, build(roster_book()), personas.ent_a_user, filename)
    assert expected in message, message


def test_rows_stop_at_the_limit_while_streaming(exam, personas):  # noqa: F811
    setting("score_import_max_rows", 3)
    setting("worker_import_max_rows", 3)
    rows = [["T%03d" % i, "某", "x", 60, 60, "否", None] for i in range(10)]
    reason, _error = refuse_scores(exam, corpus.rows_workbook(score_service.HEADERS, rows, "成绩"),
                                   personas.inst_a_user)
    assert "行数超过上限 3 行" in reason
    roster = corpus.rows_workbook(worker_service.TEMPLATE_HEADERS, [[ID_A, "张三", "13900001111", "大专"]] * 10)
    assert "行数超过上限 3 行" in refuse_roster(personas.ent_a, roster, personas.ent_a_user)


def test_a_sheet_too_big_for_the_row_limit_is_refused_by_size(exam, personas):  # noqa: F811
    """20,000 rows against a limit of 100: the sheet XML alone exceeds what 100 rows can need."""
    setting("score_import_max_rows", 100)
    rows = (["T%06d" % i, "某", "x", 60, 60, "否", None] for i in range(20_000))
    reason, _error = refuse_scores(exam, corpus.rows_workbook(score_service.HEADERS, rows, "成绩"),
                                   personas.inst_a_user)
    assert "文件过大" in reason and "行数上限 100 行" in reason


def test_the_upload_limit_applies_to_score_import_over_http(exam, personas, login, small_upload_limit):  # noqa: F811
    before = snapshot()
    response = login(personas.inst_a_user).post(
        "/scores/exam/%d/import" % exam.id, content_type="multipart/form-data",
        data={"file": (io.BytesIO(corpus.padded(filled(exam), 2 * MB)), "成绩.xlsx")}, follow_redirects=True)
    assert response.status_code == 200 and "文件过大：超过 1 MB" in response.text
    assert snapshot() == before


def test_a_bomb_over_http_to_the_roster_import(personas, login):
    before = snapshot()
    response = login(personas.ent_a_user).post(
        "/workerview/import", content_type="multipart/form-data",
        data={"file": (io.BytesIO(corpus.comment_bomb(roster_book(), 30 * MB)), "学员.xlsx")})
    assert response.status_code == 200 and "文件过大" in response.text
    assert snapshot() == before


# --- formulas, control characters and truer messages -------------------------------------------------------

def _rename_first_examinee(exam, name):  # noqa: F811
    _candidate, enrollment = score_service.roster(exam)[0]
    worker_service.update_worker(enrollment.worker, {"name": name})
    db.session.expire_all()


@pytest.mark.parametrize("name", ['=HYPERLINK("http://example.com","点我")', "+8613900001111", "-张", "@SUM(A1)",
                                  "陈\x07控制", "制表\t符"])
def test_the_system_template_imports_unchanged_whatever_the_names(exam, personas, name):  # noqa: F811
    _rename_first_examinee(exam, name)
    template = load_workbook(io.BytesIO(score_service.build_template(exam)))["成绩"]
    cell = template["B2"]
    assert cell.data_type == "s", "user text is written as text, never as a formula"
    assert cell.quotePrefix is (name[0] in "=+-@")
    assert score_service.import_scores(exam, filled(exam), "成绩.xlsx", user=personas.inst_a_user) == 4


def test_the_error_workbook_is_built_from_the_rows_read_not_by_parsing_again(exam, personas):  # noqa: F811
    _rename_first_examinee(exam, '=HYPERLINK("http://example.com","点我")')
    data = filled(exam, cells={(3, 4): 101})
    import openpyxl

    with mock.patch.object(openpyxl, "load_workbook", wraps=openpyxl.load_workbook) as opened, \
            mock.patch("openpyxl.load_workbook", opened):
        _reason, error = refuse_scores(exam, data, personas.inst_a_user)
    assert opened.call_count == 1
    marked = load_workbook(io.BytesIO(error.workbook))["成绩"]
    assert marked["B2"].value == '=HYPERLINK("http://example.com","点我")' and marked["B2"].data_type == "s"
    assert "0–100" in marked["H3"].value and marked["H1"].value == "错误信息"


def test_roster_formula_and_id_spaces_get_their_true_reason(personas):
    result = worker_service.import_workers(personas.ent_a.id, FileStorage(io.BytesIO(roster_book([
        [ID_A, '=HYPERLINK("http://x","点我")', "13900001111", "大专"],
        [ID_B[:6] + " " + ID_B[6:], "李四", "13900002222", "大专"]])), "学员.xlsx"), user=personas.ent_a_user)
    reasons_by_cell = {(row, column): reason for row, column, reason in result.errors}
    assert "单元格含公式" in reasons_by_cell[(2, "姓名")]
    assert reasons_by_cell[(3, "身份证号")] == "身份证号中间不能有空格，请删除空格后重新填写"
    assert db.session.query(Worker).count() == 0
    marked = load_workbook(io.BytesIO(result.workbook)).worksheets[0]
    assert marked["B2"].data_type == "s" and marked["B2"].quotePrefix  # echoed back as text


def test_summary_sheet_writes_names_as_text(exam, personas):  # noqa: F811
    from app.documents.exam_docs import summary_xlsx
    from app.services import exams as exam_service
    from app.security.scope import Scope

    _rename_first_examinee(exam, '=HYPERLINK("http://example.com","点我")')
    data = summary_xlsx(exam, exam_service.visible_candidates(exam, Scope.for_user(personas.inst_a_user)))
    sheet = load_workbook(io.BytesIO(data))["考生名单"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://example.com","点我")']
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_nan_amount_and_long_opinion(personas):
    from app.services import enrollment, review
    from tests import factories

    enrollee = factories.enrollee(factories.training_plan(personas.inst_a, state="approved", owner=personas.inst_a_user,
                                                          reviewer=personas.city))
    for value in ("NaN", "Infinity", "-inf"):
        with pytest.raises(ServiceError, match="缴费金额应为数字"):
            enrollment.confirm_payment([enrollee], amount=value, user=personas.inst_a_user)
    enrollment.confirm_payment([enrollee], amount="12.50", user=personas.inst_a_user)
    assert enrollee.paid_amount == Decimal("12.50")
    plan = factories.training_plan(personas.inst_a, state="accepted", owner=personas.inst_a_user,
                                   reviewer=personas.city)
    with pytest.raises(ServiceError, match="审核意见不能超过500个字"):
        review.move(plan, "reject", user=personas.city, opinion="意" * 501)
    db.session.expire_all()
    assert plan.review_state == "accepted" and plan.review_opinion is None
    review.move(plan, "reject", user=personas.city, opinion="意" * 500)
    assert plan.review_state == "rejected"
