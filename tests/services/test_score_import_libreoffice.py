"""成绩导入 of files saved by LibreOffice (SPEC §9): the real template, filled with openpyxl, opened and saved
again by a real `soffice --headless`, imports exactly like the openpyxl file; its errors are refused with
the same row, column and reason; an .ods or .xls (also renamed to .xlsx) gets a clear Chinese message.

The tests that run soffice are skipped without it, unless LIBREOFFICE_REQUIRED=1 (then a failure). See
tests/libreoffice.py for what LibreOffice writes differently (shared strings instead of openpyxl's inline
strings, its own styles).
"""
import io
import random
import re
import zipfile
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Score
from app.services import scores as score_service
from app.services.scores import ScoreImportError
from tests import libreoffice
from tests.exam_helpers import ticketed_exam

ROWS = [[88, 91.5, "否", None], [59, 90, "否", "补考"], [None, None, "是", "病假"], [60, 79.99, None, "复核"]]


@pytest.fixture
def soffice():
    return libreoffice.require_soffice()


@pytest.fixture
def exam(personas):
    """An approved exam plan of inst_a with 4 ticketed candidates."""
    p = personas
    exam, _roster = ticketed_exam(p, 4, random.Random(11))
    return exam


def filled(exam, rows=ROWS, cells=None):
    """The real downloaded template, filled with openpyxl (rows: [theory, practical, 是否缺考, 备注])."""
    wb = load_workbook(io.BytesIO(score_service.build_template(exam)))
    ws = wb["成绩"]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=4):
            ws.cell(row=r, column=c, value=value)
    for (row, column), value in (cells or {}).items():
        ws.cell(row=row, column=column, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def stored(exam):
    """What an import left in the database, by 准考证号."""
    db.session.expire_all()
    return [(candidate.ticket_no, score.theory_score, score.practical_score, score.absent, score.remark, score.passed)
            for score, _, candidate in score_service.scores_of(exam)]


def refused(exam, data, user, filename="成绩.xlsx"):
    with pytest.raises(ScoreImportError) as info:
        score_service.import_scores(exam, data, filename, user=user)
    db.session.rollback()
    assert db.session.query(Score).count() == 0, "a refused import writes nothing"
    report = score_service.report_of(exam)
    assert report is None or report.imported_at is None
    return info.value


def problems(error):
    return [(p.row, p.column, p.reason) for p in error.problems]


def test_template_saved_by_libreoffice_imports_like_the_openpyxl_file(soffice, exam, personas):
    user = personas.inst_a_user
    original = filled(exam)
    resaved = libreoffice.resave_xlsx(original)

    # really rewritten by LibreOffice: its name in app.xml, shared strings instead of inline ones, other styles
    before, after = libreoffice.describe(original), libreoffice.describe(resaved)
    assert "openpyxl" in before["application"].lower() and after["application"].startswith("LibreOffice"), after
    assert before["inline_cells"] and not before["shared_strings"]
    assert after["shared_strings"] and after["shared_cells"] and not after["inline_cells"]
    assert after["styles"] != before["styles"] and after["cell_formats"] != before["cell_formats"]

    assert score_service.import_scores(exam, original, "成绩.xlsx", user=user) == 4
    from_openpyxl = stored(exam)
    tickets = [candidate.ticket_no for candidate, _ in score_service.roster(exam)]
    assert from_openpyxl == [
        (tickets[0], D("88"), D("91.5"), False, None, True),
        (tickets[1], D("59"), D("90"), False, "补考", False),
        (tickets[2], None, None, True, "病假", False),
        (tickets[3], D("60"), D("79.99"), False, "复核", True),
    ]

    # the LibreOffice file replaces them with exactly the same scores and results
    assert score_service.import_scores(exam, resaved, "成绩（LibreOffice）.xlsx", user=user) == 4
    assert stored(exam) == from_openpyxl
    assert db.session.query(Score).count() == 4

    # and so does the same LibreOffice file with its strings stored inline (as other producers write them)
    inline = libreoffice.inline_strings(resaved)
    described = libreoffice.describe(inline)
    assert described["inline_cells"] == after["shared_cells"] and not described["shared_strings"]
    assert described["styles"] == after["styles"]
    assert score_service.import_scores(exam, inline, "成绩.xlsx", user=user) == 4
    assert stored(exam) == from_openpyxl


def test_errors_in_a_libreoffice_file_are_refused_like_in_the_openpyxl_file(soffice, exam, personas):
    user = personas.inst_a_user
    # row 2: a formula in 理论成绩; row 3: 120 in 实操成绩; row 4: 缺考 with a score; row 5: text as score
    original = filled(exam, [["=40+40", 80, "否", None], [70, 120, "否", None], [50, None, "是", None],
                             ["八十", 60, "否", None]])
    resaved = libreoffice.resave_xlsx(original)
    assert libreoffice.describe(resaved)["application"].startswith("LibreOffice")
    assert b"<f" in libreoffice.parts(resaved)["xl/worksheets/sheet1.xml"], "LibreOffice kept the formula"

    expected = refused(exam, original, user)
    got = refused(exam, resaved, user)
    assert problems(got) == problems(expected)
    assert got.message == expected.message
    assert {(2, "理论成绩", "单元格含公式，请直接填写数值"), (3, "实操成绩", "成绩必须在 0–100 之间，不能是 120"),
            (4, "理论成绩", "缺考考生不能填写成绩"), (5, "理论成绩", "成绩必须是数字，不能填写“八十”")} <= set(problems(got))

    # the LibreOffice file comes back with the 错误信息 column too
    marked = load_workbook(io.BytesIO(got.workbook))["成绩"]
    assert marked.cell(row=1, column=8).value == "错误信息"
    assert "第3行【实操成绩】：成绩必须在 0–100 之间" in marked.cell(row=3, column=8).value
    assert "单元格含公式" in marked.cell(row=2, column=8).value


def test_ods_and_xls_files_get_a_clear_message_whatever_their_name(soffice, exam, personas):
    user = personas.inst_a_user
    original = filled(exam)
    ods = libreoffice.convert(original, libreoffice.ODS)
    xls = libreoffice.convert(original, libreoffice.XLS)
    assert ods.startswith(b"PK") and b"application/vnd.oasis.opendocument.spreadsheet" in ods[:100]
    assert xls.startswith(b"\xd0\xcf\x11\xe0")

    ods_is, xls_is = "OpenDocument 表格（.ods）", "Excel 97-2003 工作簿（.xls）"
    for data, filename, what in ((ods, "成绩.ods", ods_is), (ods, "成绩.xlsx", ods_is),
                                 (xls, "成绩.xls", xls_is), (xls, "成绩.xlsx", xls_is)):
        error = refused(exam, data, user, filename)
        assert len(error.problems) == 1 and error.workbook is None, filename
        reason = error.problems[0].reason
        assert reason.startswith("文件类型错误：这是 " + what), (filename, reason)
        assert "系统只接受 Excel 工作簿（.xlsx）" in reason and "“另存为”Excel 工作簿（.xlsx）后再导入" in reason
        assert str(error.problems[0]).startswith("文件：文件类型错误")

    # saved as .xlsx again, the same content imports
    back = libreoffice.convert(ods, libreoffice.XLSX, ".ods")
    assert score_service.import_scores(exam, back, "成绩.xlsx", user=user) == 4
    assert [row[5] for row in stored(exam)] == [True, False, False, True]


def _with_dimension(data, ref):
    """The package with the data sheet's <dimension> replaced (ref None: removed), as some producers write it."""
    files = libreoffice.parts(data)
    sheet = "xl/worksheets/sheet1.xml"
    files[sheet] = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="%s"/>' % ref.encode() if ref else b"",
                          files[sheet], count=1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in files.items():
            package.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("ref", ["A1", "A1:G1", "A1:C3", None])
def test_a_wrong_or_missing_sheet_dimension_does_not_hide_rows_or_columns(exam, personas, ref):
    """Read-only openpyxl trusts <dimension>: a stale one used to hide every score row ("文件中没有成绩数据")
    or every column but 准考证号. No soffice needed: the openpyxl file with its dimension rewritten."""
    user = personas.inst_a_user
    # an error in such a file is found at its row and column (checked first: nothing imported yet)
    error = refused(exam, _with_dimension(filled(exam, cells={(3, 5): 120}), ref), user)
    assert problems(error) == [(3, "实操成绩", "成绩必须在 0–100 之间，不能是 120")]
    original = filled(exam)
    score_service.import_scores(exam, original, "成绩.xlsx", user=user)
    expected = stored(exam)
    changed = _with_dimension(original, ref)
    assert changed != original
    assert score_service.import_scores(exam, changed, "成绩.xlsx", user=user) == 4
    assert stored(exam) == expected
