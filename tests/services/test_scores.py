"""成绩导入 (SPEC §9): the template, every refusal (message, nothing written), re-import, 成绩报审 statuses."""
import io
import random
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from app.extensions import db
from app.models import Enrollment, Score, ScoreReport
from app.services import ServiceError, review
from app.services import scores as score_service
from app.services.scores import HEADERS, ScoreImportError
from tests import factories
from tests.exam_helpers import ticketed_exam


@pytest.fixture
def exam(personas):
    """An approved exam plan of inst_a with 4 ticketed candidates (准考证号 from the exam approval)."""
    p = personas
    exam, _roster = ticketed_exam(p, 4, random.Random(7))
    return exam


def filled(exam, rows=None, **edit):
    """The downloaded template with scores filled in (rows: list of [theory, practical, absent, remark])."""
    wb = load_workbook(io.BytesIO(score_service.build_template(exam)))
    ws = wb["成绩"]
    rows = rows or [[80, 90, "否", None], [59, 90, "否", None], [None, None, "是", "病假"], [60, 60, "否", None]]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=4):
            ws.cell(row=r, column=c, value=value)
    for (row, col), value in edit.get("cells", {}).items():
        ws.cell(row=row, column=col, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def refused(exam, data, user, filename="成绩.xlsx"):
    with pytest.raises(ScoreImportError) as info:
        score_service.import_scores(exam, data, filename, user=user)
    assert db.session.query(Score).count() == 0, "an import with errors writes nothing"
    return info.value


def set_max_rows(value):
    from app.models import SystemSetting

    row = db.session.get(SystemSetting, "score_import_max_rows")
    if row is None:
        db.session.add(SystemSetting(key="score_import_max_rows", value=str(value)))
    else:
        row.value = str(value)
    db.session.commit()


def reasons(error):
    return [str(p) for p in error.problems]


def test_template_has_roster_headers_validation_and_instructions(exam):
    wb = load_workbook(io.BytesIO(score_service.build_template(exam)))
    ws = wb["成绩"]
    assert [c.value for c in ws[1]] == HEADERS
    roster = score_service.roster(exam)
    assert [ws.cell(row=i + 2, column=1).value for i in range(4)] == [c.ticket_no for c, _ in roster]
    assert ws.cell(row=2, column=2).value == roster[0][1].worker_name
    assert ws.cell(row=2, column=3).value == roster[0][1].id_number
    kinds = sorted(v.type for v in ws.data_validations.dataValidation)
    assert kinds == ["decimal", "list"]
    assert "填写说明" in wb.sheetnames and "合格线" in "".join(str(c.value) for c in wb["填写说明"]["A"])


def test_template_refused_before_approval(personas):
    p = personas
    plan = factories.training_plan(p.inst_a, state="approved", owner=p.inst_a_user, reviewer=p.city)
    exam = factories.exam_plan(plan, state="submitted", owner=p.inst_a_user, reviewer=p.city)
    with pytest.raises(ServiceError, match="审核通过后"):
        score_service.build_template(exam)


def test_import_writes_scores_with_result_and_reimport_replaces(exam, personas):
    user = personas.inst_a_user
    assert score_service.import_scores(exam, filled(exam), "成绩.xlsx", user=user) == 4
    rows = score_service.scores_of(exam)
    assert [(s.passed, s.absent) for s, _, _ in rows] == [(True, False), (False, False), (False, True), (True, False)]
    assert rows[2][0].theory_score is None and rows[2][0].remark == "病假"
    # re-import before 上报 replaces the previous scores
    score_service.import_scores(exam, filled(exam, [[50, 50, "否", None], [70, 70, "否", None],
                                                    [70, 70, "否", None], [70, 59.5, "否", None]]), "成绩.xlsx", user=user)
    assert [s.passed for s, _, _ in score_service.scores_of(exam)] == [False, True, True, False]
    assert db.session.query(Score).count() == 4


def test_pass_line_comes_from_the_exam_plan(exam, personas):
    exam.pass_line = 80
    db.session.commit()
    score_service.import_scores(exam, filled(exam, [[80, 80, "否", None], [79.99, 100, "否", None],
                                                    [None, None, "是", None], [90, 90, None, None]]), "a.xlsx",
                                user=personas.inst_a_user)
    assert [s.passed for s, _, _ in score_service.scores_of(exam)] == [True, False, False, True]


def test_wrong_file_type_renamed_pdf(exam, personas):
    error = refused(exam, b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", personas.inst_a_user, "成绩.xlsx")
    assert "文件类型错误" in reasons(error)[0] and error.workbook is None


def test_empty_file_and_template_without_rows(exam, personas):
    assert "文件为空" in reasons(refused(exam, b"", personas.inst_a_user))[0]
    wb = Workbook()
    wb.active.title = "成绩"
    wb.active.append(HEADERS)
    out = io.BytesIO()
    wb.save(out)
    assert "没有成绩数据" in reasons(refused(exam, out.getvalue(), personas.inst_a_user))[0]


def test_headers_changed(exam, personas):
    data = filled(exam, cells={(1, 4): "理论分数"})
    error = refused(exam, data, personas.inst_a_user)
    assert error.problems[0].row == 1 and "表头与标准模板不一致" in error.problems[0].reason
    marked = load_workbook(io.BytesIO(error.workbook))["成绩"]
    assert marked.cell(row=1, column=8).value.startswith("错误信息：第1行：表头与标准模板不一致")


def test_every_row_problem_reported_with_row_column_reason(exam, personas):
    roster = score_service.roster(exam)
    data = filled(exam, [[101, "八十", "否", None], [-1, 90, "否", None], [80, None, "是", None], [60, 60, "也许", None]],
                  cells={(6, 1): "2099999999999", (6, 2): "某人", (6, 3): "330106199001011234", (6, 4): 70, (6, 5): 70,
                         (7, 1): roster[0][0].ticket_no, (7, 2): roster[0][1].worker_name,
                         (7, 3): roster[0][1].id_number, (7, 4): 80, (7, 5): 80})
    wb = load_workbook(io.BytesIO(data))
    ws = wb["成绩"]
    ws.cell(row=3, column=2, value="改过的名字")
    ws.cell(row=5, column=3, value="330106199001011234")
    out = io.BytesIO()
    wb.save(out)
    error = refused(exam, out.getvalue(), personas.inst_a_user)
    found = {(p.row, p.column) for p in error.problems}
    assert {(2, "理论成绩"), (2, "实操成绩"), (3, "理论成绩"), (3, "姓名"), (4, "理论成绩"), (5, "是否缺考"),
            (5, "身份证号"), (6, "准考证号"), (7, "准考证号")} <= found
    text = "\n".join(reasons(error))
    for phrase in ("成绩必须在 0–100 之间", "成绩必须是数字", "缺考考生不能填写成绩", "只能填写“是”或“否”",
                   "不在本考核计划的考生名单中", "与第2行重复", "姓名与考生名单不一致", "身份证号与考生名单不一致"):
        assert phrase in text, phrase
    marked = load_workbook(io.BytesIO(error.workbook))["成绩"]
    assert marked.cell(row=1, column=8).value == "错误信息"
    assert "姓名" in marked.cell(row=3, column=8).value and marked.cell(row=7, column=8).value


def test_missing_roster_row_and_formula(exam, personas):
    wb = load_workbook(io.BytesIO(filled(exam)))
    ws = wb["成绩"]
    ws.cell(row=2, column=4, value="=40+40")
    ws.delete_rows(5)
    out = io.BytesIO()
    wb.save(out)
    error = refused(exam, out.getvalue(), personas.inst_a_user)
    text = "\n".join(reasons(error))
    assert "第2行【理论成绩】：单元格含公式" in text
    assert "没有成绩行" in text


def test_too_many_rows_refused_without_loading(exam, personas):
    set_max_rows(100)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("成绩")
    ws.append(HEADERS)
    for i in range(100_000):
        ws.append(["T%06d" % i, "某", "x", 60, 60, "否", None])
    out = io.BytesIO()
    wb.save(out)
    error = refused(exam, out.getvalue(), personas.inst_a_user)
    # The sheet XML a 100-row template can need is bounded: refused by size before a row is parsed.
    assert "文件过大" in reasons(error)[0] and "行数上限 100 行" in reasons(error)[0]


def _inline_string_xlsx(rows):
    """A minimal hand-written workbook: inline strings (t="inlineStr", as WPS and other writers save), no styles,
    no dimension; LibreOffice itself writes shared strings (see test_score_import_libreoffice.py)."""
    def cell(ref, value):
        if isinstance(value, (int, float)):
            return '<c r="%s"><v>%s</v></c>' % (ref, value)
        return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, value)
    sheet_rows = []
    for r, values in enumerate(rows, start=1):
        cells = "".join(cell("%s%d" % ("ABCDEFG"[c], r), v) for c, v in enumerate(values) if v is not None)
        sheet_rows.append('<row r="%d">%s</row>' % (r, cells))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><dimension ref="A1:G%d"/><sheetData>%s</sheetData></worksheet>'
             % (len(rows), "".join(sheet_rows)))
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="成绩" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()


def test_minimal_inline_string_workbook_imports_like_excel(exam, personas):
    rows = [HEADERS]
    for (candidate, enrollment), (t, pr, a) in zip(score_service.roster(exam),
                                                   [(88, 77, "否"), (None, None, "是"), ("61", "62", "否"), (60, 50, "否")]):
        rows.append([candidate.ticket_no, enrollment.worker_name, enrollment.id_number, t, pr, a, None])
    assert score_service.import_scores(exam, _inline_string_xlsx(rows), "libre.xlsx", user=personas.inst_a_user) == 4
    assert [s.passed for s, _, _ in score_service.scores_of(exam)] == [True, False, True, False]


def test_report_moves_keep_enrollment_score_status(exam, personas):
    p = personas
    report = score_service.report_of(exam, create=True)
    db.session.commit()
    with pytest.raises(ServiceError, match="请先导入成绩"):
        review.move(report, "submit", user=p.inst_a_user)
    score_service.import_scores(exam, filled(exam), "a.xlsx", user=p.inst_a_user)

    def statuses():
        db.session.expire_all()
        return {e.score_status for e in db.session.query(Enrollment).filter_by(exam_plan_id=exam.id)}

    review.move(report, "submit", user=p.inst_a_user)
    assert statuses() == {"未上报"}
    with pytest.raises(ServiceError):
        score_service.import_scores(exam, filled(exam), "a.xlsx", user=p.inst_a_user)
    review.move(report, "withdraw", user=p.inst_a_user)
    review.move(report, "submit", user=p.inst_a_user)
    review.move(report, "accept", user=p.city)
    assert statuses() == {"已受理"}
    review.move(report, "reject", user=p.city, opinion="成绩有误")
    assert statuses() == {"未通过"}
    score_service.import_scores(exam, filled(exam), "a.xlsx", user=p.inst_a_user)  # re-import after 审核不通过
    review.move(report, "submit", user=p.inst_a_user)
    review.move(report, "accept", user=p.city)
    review.move(report, "approve", user=p.city)
    assert statuses() == {"已审核"}
    assert db.session.get(ScoreReport, report.id).review_state == "approved"


def test_a_refused_import_s_errors_are_kept_for_its_token_only(exam, personas):
    """成绩导入 refused: the message, the problems and the marked workbook are kept under a token the view puts in
    the session; nothing else (a forged or path-like token) names a file."""
    error = refused(exam, filled(exam, [[101, 90, "否", None]] * 4), personas.inst_a_user)
    token = score_service.keep_import_errors(error)
    kept = score_service.import_errors(token)
    assert kept["message"] == error.message and kept["token"] == token and kept["more"] == 0
    assert [2, "理论成绩"] in [item[:2] for item in kept["items"]]
    with open(score_service.import_errors_workbook(token), "rb") as kept_workbook:
        assert kept_workbook.read() == error.workbook
    for forged in (None, "", "../" + token, token.upper(), token + "x", "0" * 32):
        assert score_service.import_errors(forged) is None and score_service.import_errors_workbook(forged) is None
    without_workbook = score_service.keep_import_errors(ScoreImportError(error.problems))
    assert score_service.import_errors(without_workbook)["token"] is None
    assert score_service.import_errors_workbook(without_workbook) is None
