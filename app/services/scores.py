"""成绩: the standard score template (xlsx) of an approved exam plan and its all-or-nothing import.

Also keeps Enrollment.score_status (SPEC §7) in step with the 成绩报审 review moves.
"""
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.documents.xlsx_in import WorkbookRefused, cell_text, read_workbook
from app.documents.xlsx_out import XLSX_MIMETYPE as XLSX_MIME, append_row, clean_cell, marked_workbook
from app.extensions import db
from app.models import Enrollment, ExamCandidate, Score, ScoreReport
from app.security.scope import Actor
from app.services import ServiceError, transaction
from app.services import audit, error_files
from app.services.reviewable import DocumentKind, institution_active, register
from app.services.settings import get_int
from app.services.uploads import upload_limit_bytes

HEADERS = ["准考证号", "姓名", "身份证号", "理论成绩", "实操成绩", "是否缺考", "备注"]
DATA_SHEET = "成绩"
HELP_SHEET = "填写说明"
ERROR_HEADER = "错误信息"
ABSENT_VALUES = {"是": True, "否": False, "": False}

# SPEC §7 成绩报审 wording, kept on every candidate's enrollment.
SCORE_STATUS_OF_STATE = {"draft": "未上报", "submitted": "未上报", "accepted": "已受理", "approved": "已审核",
                         "rejected": "未通过"}
INSTRUCTIONS = [
    "成绩导入填写说明",
    "1. 本表由系统按考核计划的考生名单生成，请勿修改表头、准考证号、姓名和身份证号，也不要增删考生行。",
    "2. 理论成绩、实操成绩填写 0–100 之间的数字，最多两位小数。",
    "3. 是否缺考填写“是”或“否”（留空视为“否”）；缺考考生的两项成绩必须留空。",
    "4. 单元格中不能使用公式，请直接填写数值。",
    "5. 理论成绩和实操成绩均达到合格线（{pass_line} 分）且未缺考的考生为“合格”。",
    "6. 导入为整体操作：任何一行有误，全部不导入，系统返回带“错误信息”列的表格供修改后重新导入。",
    "7. 成绩上报前可以重新导入，重新导入将覆盖之前导入的成绩。",
]


@dataclass
class ImportProblem:
    row: object  # sheet row number, or None for the file as a whole
    column: str
    reason: str

    def __str__(self):
        where = "第%s行" % self.row if self.row else "文件"
        return "%s%s：%s" % (where, "【%s】" % self.column if self.column else "", self.reason)


class ScoreImportError(ServiceError):
    """An import refused as a whole: every problem, and (when readable) the workbook with 错误信息."""

    def __init__(self, problems, workbook=None):
        super().__init__("成绩导入失败，共 %d 处错误，未导入任何成绩" % len(problems))
        self.problems = problems
        self.workbook = workbook


def roster(exam):
    """(candidate, enrollment) of the exam plan's examinees holding a 准考证号, by ticket."""
    return db.session.execute(
        select(ExamCandidate, Enrollment).join(Enrollment, Enrollment.id == ExamCandidate.enrollment_id)
        .where(ExamCandidate.exam_plan_id == exam.id, ExamCandidate.removed.is_(False),
               ExamCandidate.ticket_no.isnot(None))
        .order_by(ExamCandidate.ticket_no)
    ).all()


def report_of(exam, create=False):
    report = db.session.execute(select(ScoreReport).where(ScoreReport.exam_plan_id == exam.id)).scalar_one_or_none()
    if report is None and create:
        report = ScoreReport(exam_plan_id=exam.id, institution_id=exam.institution_id, review_state="draft")
        db.session.add(report)
        db.session.flush()
    return report


def _require_importable(exam):
    if exam.review_state != "approved":
        raise ServiceError("考核计划审核通过后才能下载成绩模板、导入成绩")
    if exam.institution.status != "active":
        raise ServiceError("培训机构已注销，不能导入成绩")
    report = report_of(exam)
    if report is not None and report.review_state not in ("draft", "rejected"):
        raise ServiceError("成绩已上报（当前状态：%s），不能重新导入" % report.review_state_label)


def build_template(exam):
    """The standard score template of an approved exam plan, as xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if exam.review_state != "approved":
        raise ServiceError("考核计划审核通过后才能下载成绩模板")
    rows = roster(exam)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    append_row(ws, HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for candidate, enrollment in rows:
        append_row(ws, [candidate.ticket_no, enrollment.worker_name, enrollment.id_number, None, None, "否", None])
    last = max(len(rows) + 1, 2)
    score_rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                                showErrorMessage=True, errorTitle="成绩有误", error="成绩必须是 0–100 之间的数字")
    score_rule.add("D2:E%d" % last)
    absent_rule = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                                 errorTitle="是否缺考有误", error="请选择“是”或“否”")
    absent_rule.add("F2:F%d" % last)
    ws.add_data_validation(score_rule)
    ws.add_data_validation(absent_rule)
    for column, width in zip("ABCDEFG", (20, 12, 22, 10, 10, 10, 24)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet(HELP_SHEET)
    for line in INSTRUCTIONS:
        append_row(help_ws, [line.format(pass_line=_fmt(exam.pass_line))])
    help_ws["A1"].font = Font(bold=True, size=14)
    help_ws.column_dimensions["A"].width = 100
    for row in help_ws.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_filename(exam):
    return "%s_成绩导入模板.xlsx" % exam.name


def _fmt(value):
    if value is None:
        return ""
    value = Decimal(value)
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value.normalize())


def _score(value, column, row, problems):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(ImportProblem(row, column, "成绩必须是数字"))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        problems.append(ImportProblem(row, column, "成绩必须是数字，不能填写“%s”" % cell_text(value)[:20]))
        return None
    if not number.is_finite() or number < 0 or number > 100:
        problems.append(ImportProblem(row, column, "成绩必须在 0–100 之间，不能是 %s" % cell_text(value)[:20]))
        return None
    if number != number.quantize(Decimal("0.01")):
        problems.append(ImportProblem(row, column, "成绩最多保留两位小数"))
        return None
    return number


def parse(exam, data, filename=""):
    """Check an uploaded workbook against the exam plan's roster.

    Returns [{candidate, enrollment, theory, practical, absent, remark}] or raises ScoreImportError
    listing every problem (with the rows read and an added 错误信息 column when the file could be read).
    The file goes through the one guarded reader (app.documents.xlsx_in): size, zip and row limits first.
    """
    try:
        read = read_workbook(data, filename=filename, max_rows=get_int("score_import_max_rows"),
                             max_bytes=upload_limit_bytes(), sheet_name=DATA_SHEET)
    except WorkbookRefused as refused:
        raise ScoreImportError([ImportProblem(None, "", refused.reason)])

    def marked(by_row):
        return marked_workbook(read, len(HEADERS), ERROR_HEADER, by_row)

    _check_header(read, marked)
    by_ticket = {candidate.ticket_no: (candidate, enrollment) for candidate, enrollment in roster(exam)}
    seen, problems, parsed = {}, [], []
    for row, values, formulas in read.rows:
        row_problems, scores = _parse_row(row, values, formulas, by_ticket, seen)
        problems.extend(row_problems)
        if scores is not None:
            parsed.append(scores)
    problems.extend(ImportProblem(None, "准考证号", "考生名单中的准考证号 %s（%s）没有成绩行"
                                  % (ticket, by_ticket[ticket][1].worker_name))
                    for ticket in by_ticket if ticket not in seen)
    if problems:
        by_row = {}
        for problem in problems:
            by_row.setdefault(problem.row or 1, []).append(str(problem))
        raise ScoreImportError(problems, marked(by_row))
    return parsed


def _check_header(read, marked):
    """Refuse an empty file, a header other than the template's (one trailing 错误信息 column allowed) and no rows."""
    trimmed = [cell_text(v) for v in read.header]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    if not trimmed and not read.rows:
        raise ScoreImportError([ImportProblem(None, "", "文件为空，请使用系统下载的成绩模板")])
    extra = trimmed[len(HEADERS):]
    if trimmed[:len(HEADERS)] != HEADERS or (extra and (len(extra) > 1 or not extra[0].startswith(ERROR_HEADER))):
        problem = ImportProblem(1, "", "表头与标准模板不一致（应为：%s），请重新下载模板填写" % "、".join(HEADERS))
        raise ScoreImportError([problem], marked({1: [str(problem)]}))
    if not read.rows:
        raise ScoreImportError([ImportProblem(None, "", "文件中没有成绩数据")], marked({}))


def _parse_row(row, values, formulas, by_ticket, seen):
    """(problems, scores dict or None) of one data row; `seen` collects the tickets read so far."""
    values = (values + [None] * len(HEADERS))[:len(HEADERS)]
    problems = [ImportProblem(row, HEADERS[i], "单元格含公式，请直接填写数值") for i in formulas if i < len(HEADERS)]
    ticket, name, id_number = cell_text(values[0]), cell_text(values[1]), cell_text(values[2]).upper()
    entry = by_ticket.get(ticket)
    if not ticket:
        problems.append(ImportProblem(row, "准考证号", "准考证号不能为空"))
    elif entry is None:
        problems.append(ImportProblem(row, "准考证号", "准考证号“%s”不在本考核计划的考生名单中" % ticket[:32]))
    elif ticket in seen:
        problems.append(ImportProblem(row, "准考证号", "与第%d行重复" % seen[ticket]))
    else:
        seen[ticket] = row
        _candidate, enrollment = entry
        if name != cell_text(clean_cell(enrollment.worker_name)):  # as the template wrote it (controls removed)
            problems.append(ImportProblem(row, "姓名", "姓名与考生名单不一致（应为：%s）" % enrollment.worker_name))
        if id_number != enrollment.id_number.upper():
            problems.append(ImportProblem(row, "身份证号", "身份证号与考生名单不一致"))
    absent_text = cell_text(values[5])
    if absent_text not in ABSENT_VALUES:
        problems.append(ImportProblem(row, "是否缺考", "只能填写“是”或“否”"))
    absent = ABSENT_VALUES.get(absent_text, False)
    theory, practical = _row_scores(row, values, formulas, absent, problems)
    remark = cell_text(values[6])
    if len(remark) > 255:
        problems.append(ImportProblem(row, "备注", "备注不能超过255个字"))
    if problems:
        return problems, None
    candidate, enrollment = entry
    return problems, {"candidate": candidate, "enrollment": enrollment, "theory": theory,
                      "practical": practical, "absent": absent, "remark": remark or None}


def _row_scores(row, values, formulas, absent, problems):
    """(理论成绩, 实操成绩) of a row: none for an absent candidate, both filled in for the others."""
    formula_columns = {HEADERS[i] for i in formulas if i < len(HEADERS)}
    scores = []
    for i, column in ((3, "理论成绩"), (4, "实操成绩")):
        if absent:
            if cell_text(values[i]):
                problems.append(ImportProblem(row, column, "缺考考生不能填写成绩"))
            scores.append(None)
        elif column in formula_columns:
            scores.append(None)  # already reported as a formula
        elif not cell_text(values[i]):
            problems.append(ImportProblem(row, column, "未填写成绩（缺考请在“是否缺考”填写“是”）"))
            scores.append(None)
        else:
            scores.append(_score(values[i], column, row, problems))
    return tuple(scores)


def passed(exam, theory, practical, absent):
    line = Decimal(exam.pass_line)
    return bool(not absent and theory is not None and practical is not None and theory >= line and practical >= line)


def _imported_meanwhile(error, *_args, **_kwargs):
    """The same scores imported twice at once (double click, two tabs): the first stands."""
    if isinstance(error, IntegrityError):
        raise ServiceError("成绩刚刚已由另一次导入写入（可能是重复提交），本次未导入；请刷新页面查看已导入的成绩") from error


@transaction(on_error=_imported_meanwhile)
def import_scores(exam, data, filename="", *, user=None):
    """Replace the exam plan's scores with the uploaded workbook's, all or nothing; returns the count."""
    user = Actor.of(user).user
    _require_importable(exam)
    rows = parse(exam, data, filename)
    report = report_of(exam, create=True)
    db.session.execute(delete(Score).where(Score.exam_plan_id == exam.id))
    for row in rows:
        db.session.add(Score(
            exam_plan_id=exam.id, enrollment_id=row["enrollment"].id, theory_score=row["theory"],
            practical_score=row["practical"], absent=row["absent"], remark=row["remark"],
            passed=passed(exam, row["theory"], row["practical"], row["absent"])))
    report.imported_at = datetime.datetime.now().replace(microsecond=0)
    report.imported_by_id = user.id
    _set_score_status(exam.id, "未上报")
    audit.record("import_scores", report, user=user, detail="导入成绩 %d 条（%s）" % (len(rows), filename))
    return len(rows)


def scores_of(exam):
    return db.session.execute(
        select(Score, Enrollment, ExamCandidate).join(Enrollment, Enrollment.id == Score.enrollment_id)
        .join(ExamCandidate, (ExamCandidate.enrollment_id == Score.enrollment_id)
              & (ExamCandidate.exam_plan_id == Score.exam_plan_id))
        .where(Score.exam_plan_id == exam.id).order_by(ExamCandidate.ticket_no)
    ).all()


def _set_score_status(exam_plan_id, status):
    enrollment_ids = select(ExamCandidate.enrollment_id).where(ExamCandidate.exam_plan_id == exam_plan_id,
                                                               ExamCandidate.removed.is_(False))
    db.session.execute(update(Enrollment).where(Enrollment.id.in_(enrollment_ids))
                       .values(score_status=status).execution_options(synchronize_session=False))


# --- hooks into the review engine (the score report's DocumentKind) -------------------------------------------

def _can_submit(report):
    institution_active(report)
    if report.imported_at is None:
        raise ServiceError("请先导入成绩再上报")


def _status_follows(report):
    _set_score_status(report.exam_plan_id, SCORE_STATUS_OF_STATE.get(report.review_state, "未上报"))


register(DocumentKind("score_report", "成绩报审", ScoreReport, before={"submit": _can_submit},
                     after=dict.fromkeys(("submit", "withdraw", "accept", "approve", "reject"), _status_follows)))


# --- a refused import's errors, for the importer to read and download ----------------------------------------

IMPORT_ERRORS = "score_import_errors"  # the folder under EXPORT_FOLDER
SHOWN_PROBLEMS = 500


def keep_import_errors(refused):
    """Keep a refused import's message, problems (the first 500) and marked workbook; returns their token."""
    return error_files.keep(IMPORT_ERRORS, refused.workbook, {
        "message": refused.message, "workbook": bool(refused.workbook),
        "items": [[p.row or "", p.column, p.reason] for p in refused.problems[:SHOWN_PROBLEMS]],
        "more": max(len(refused.problems) - SHOWN_PROBLEMS, 0)})


def import_errors(token):
    """What keep_import_errors kept under `token` (its "token" set only when there is a workbook), or None."""
    errors = error_files.details(IMPORT_ERRORS, token)
    if errors is not None:
        errors["token"] = token if errors.get("workbook") else None
    return errors


def import_errors_workbook(token):
    """The path of the marked workbook kept under `token`, or None."""
    return error_files.workbook_path(IMPORT_ERRORS, token)
