"""学员管理: an approved enterprise's worker roster — add (by 身份证号), edit, delete, 转入本企业, xlsx import.

Rules (SPEC §2 Worker, §9, §12):
- a worker is identified by the 身份证号 (GB 11643); gender and birth date derive from it;
- 姓名 and 手机号 are required, 学历 is an enabled item of the dictionary ``education``; the photo is optional
  (PDF/JPG/PNG checked by content through app.services.uploads);
- only 审核通过 enterprises keep a roster (require_approved);
- a worker in another enterprise's roster is never taken silently: adding them raises WorkerElsewhere
  (the other enterprise's name masked) and only transfer_worker (转入本企业) moves them, logged;
- the import is all-or-nothing: any bad row → nothing is written; every error comes back with its row,
  column and Chinese reason, plus the workbook with an added 错误信息 column.
Every operation runs in one transaction and raises ServiceError with a Chinese message.
"""
import datetime
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from app.documents.xlsx_in import WorkbookRefused, cell_text, read_workbook
from app.documents.xlsx_out import append_row, marked_workbook
from app.extensions import db
from app.models import Certificate, Enrollment, Enterprise, UploadedFile, Worker
from app.services import InvalidFields, ServiceError, audit, dictionaries, error_files, transaction
from app.services.enterprises import require_approved
from app.services.settings import get_int
from app.services.uploads import read_limited, save_upload, upload_limit_bytes
from app.validators import (
    check_id_number, check_mobile, id_number_birth_date, id_number_gender, mask_id_number, normalize_id_number,
    normalize_mobile,
)

EDUCATION_DICT = "education"
IMPORT_MAX_ROWS = "worker_import_max_rows"  # a setting of 系统设置 (app/services/settings.py)
audit.ACTION_LABELS.setdefault("transfer", _l("转入本企业"))
audit.ACTION_LABELS.setdefault("import", _l("批量导入"))

FIELDS = ("id_number", "name", "mobile", "education")
LABELS = {"id_number": "身份证号", "name": "姓名", "mobile": "手机号", "education": "学历", "photo": "照片"}
TEMPLATE_HEADERS = ["身份证号", "姓名", "手机号", "学历"]
ERROR_HEADER = "错误信息"


class WorkerInvalid(InvalidFields):
    """Validation failed: ``errors`` maps each field (None = the worker as a whole) to its message."""


class WorkerElsewhere(ServiceError):
    """The 身份证号 is in another enterprise's roster: it may only be moved by 转入本企业."""

    def __init__(self, worker, owner_name):
        self.worker_id = worker.id
        self.id_number = worker.id_number
        self.owner_masked = mask_name(owner_name)
        super().__init__("身份证号为 %s 的学员已在“%s”的学员名单中；如该学员已到本企业工作，可点击“转入本企业”"
                         % (mask_id_number(worker.id_number), self.owner_masked), field="id_number")


def mask_name(name):
    """An enterprise name as another enterprise may see it: first 2 and last 4 characters (杭州****有限公司)."""
    name = name or ""
    if len(name) <= 6:
        return name[:1] + "*" * max(len(name) - 1, 0)
    return name[:2] + "*" * min(len(name) - 6, 6) + name[-4:]


# --- validation ----------------------------------------------------------------------------------

def education_value(text):
    """The dictionary value for a 学历 given by value or by label (enabled items only), or None."""
    text = cell_text(text)
    if not text:
        return None
    for value, label in dictionaries.items(EDUCATION_DICT):
        if text in (value, label):
            return value
    return None


def check_fields(data, *, partial=False, current=None):
    """Normalised values and {field: message} for the worker's own data (Chinese messages)."""
    values, errors = {}, {}
    if not partial or "id_number" in data:
        id_number = normalize_id_number(data.get("id_number"))
        problem = check_id_number(id_number)
        if problem:
            errors["id_number"] = problem
        values["id_number"] = id_number
    if not partial or "name" in data:
        name = cell_text(data.get("name"))
        if not name:
            errors["name"] = "请填写姓名"
        elif len(name) > 50:
            errors["name"] = "姓名不能超过50个字"
        values["name"] = name
    if not partial or "mobile" in data:
        mobile = normalize_mobile(cell_text(data.get("mobile")))
        problem = check_mobile(mobile)
        if problem:
            errors["mobile"] = problem
        values["mobile"] = mobile
    if not partial or "education" in data:
        raw = cell_text(data.get("education"))
        value = education_value(raw)
        if value is None and raw and current is not None and raw == current:
            value = raw  # a since-disabled 学历 stays on the record that has it
        if not raw:
            errors["education"] = "请选择学历"
        elif value is None:
            errors["education"] = "学历“%s”不存在或已停用，请从数据字典中选择" % raw
        values["education"] = value
    return values, errors


def derived(id_number):
    """Gender and birth date from a valid ID number."""
    return {"gender": id_number_gender(id_number), "birth_date": id_number_birth_date(id_number)}


# --- lookups -------------------------------------------------------------------------------------

def _enterprise(enterprise_id):
    enterprise = db.session.get(Enterprise, enterprise_id) if enterprise_id else None
    require_approved(enterprise)
    return enterprise


def find_by_id_number(id_number):
    return db.session.execute(
        select(Worker).where(Worker.id_number == normalize_id_number(id_number))).scalar_one_or_none()


def roster_conflict(worker, enterprise_id):
    """Why `worker` (an existing row for the ID number) cannot simply be added to the roster, or None."""
    if worker is None or worker.enterprise_id is None:
        return None
    if worker.enterprise_id == enterprise_id:
        return ServiceError("身份证号为 %s 的学员已在本企业学员名单中" % mask_id_number(worker.id_number),
                            field="id_number")
    return WorkerElsewhere(worker, worker.enterprise.name if worker.enterprise else "")


# --- operations ----------------------------------------------------------------------------------

def _jsonable(value):
    return str(value) if isinstance(value, datetime.date) else value


def _save_photo(worker, photo, user):
    if photo is None or not getattr(photo, "filename", ""):
        return None
    try:
        record = save_upload(photo, owner_type="worker", owner_id=worker.id, purpose="photo",
                             user_id=getattr(user, "id", None), label="照片")
    except ServiceError as refused:
        raise WorkerInvalid({"photo": refused.message})
    worker.photo_file_id = record.id
    return record


def _added_meanwhile(error, enterprise_id, data, **_kwargs):
    """The same 身份证号 added at the same moment (a double click, two tabs): one wins, the other is told."""
    if isinstance(error, IntegrityError):
        id_number = check_fields(data)[0]["id_number"]
        raise roster_conflict(find_by_id_number(id_number), enterprise_id) or ServiceError(
            "身份证号为 %s 的学员刚刚已被添加，请刷新学员名单查看" % mask_id_number(id_number),
            field="id_number") from error


@transaction(on_error=_added_meanwhile)
def add_worker(enterprise_id, data, *, user=None, photo=None):
    """A worker into the enterprise's roster; returns the Worker. WorkerElsewhere when another has them."""
    enterprise = _enterprise(enterprise_id)
    values, errors = check_fields(data)
    if errors:
        raise WorkerInvalid(errors)
    existing = find_by_id_number(values["id_number"])
    conflict = roster_conflict(existing, enterprise.id)
    if conflict:
        raise conflict
    if existing is None:
        worker = Worker(enterprise_id=enterprise.id, **values, **derived(values["id_number"]))
        db.session.add(worker)
        db.session.flush()
        action = "add"
        changes = {name: [None, _jsonable(getattr(worker, name))] for name in FIELDS + ("gender", "birth_date")}
    else:  # a worker left without an enterprise: take them into this roster
        worker = existing
        changes = {name: [_jsonable(getattr(worker, name)), _jsonable(values[name])]
                   for name in ("name", "mobile", "education") if getattr(worker, name) != values[name]}
        changes["enterprise_id"] = [None, enterprise.id]
        for name in ("name", "mobile", "education"):
            setattr(worker, name, values[name])
        worker.enterprise_id = enterprise.id
        action = "edit"
    _save_photo(worker, photo, user)
    db.session.flush()
    _sync_copies(worker)
    audit.record(action, worker, user=user, changes=changes)
    return worker


@transaction
def update_worker(worker, data, *, user=None, photo=None):
    """Change 姓名 / 手机号 / 学历 (and the photo); the 身份证号 never changes. Returns the changes."""
    _enterprise(worker.enterprise_id)
    data = {name: data[name] for name in ("name", "mobile", "education") if name in data}
    values, errors = check_fields(data, partial=True, current=worker.education)
    if errors:
        raise WorkerInvalid(errors)
    changes = {name: [getattr(worker, name), value] for name, value in values.items()
               if getattr(worker, name) != value}
    for name, value in values.items():
        setattr(worker, name, value)
    if _save_photo(worker, photo, user) is not None:
        changes["photo_file_id"] = ["", worker.photo_file_id]
    if changes:
        db.session.flush()
        _sync_copies(worker)
        audit.record("edit", worker, user=user, changes=changes)
    return changes


def delete_refusal(worker):
    if db.session.execute(select(exists().where(Enrollment.worker_id == worker.id))).scalar():
        return "该学员已有报名记录，不能删除"
    return None


@transaction
def delete_worker(worker, *, user=None):
    refusal = delete_refusal(worker)
    if refusal:
        raise ServiceError(refusal)
    audit.record("delete", worker, user=user)
    db.session.delete(worker)


@transaction
def transfer_worker(enterprise_id, id_number, *, user=None):
    """转入本企业: move a worker from another enterprise's roster into this one, recorded in the 操作日志."""
    enterprise = _enterprise(enterprise_id)
    problem = check_id_number(id_number)
    if problem:
        raise ServiceError(problem, field="id_number")
    worker = find_by_id_number(id_number)
    if worker is None:
        raise ServiceError("未找到身份证号为 %s 的学员" % mask_id_number(id_number), field="id_number")
    if worker.enterprise_id == enterprise.id:
        raise ServiceError("该学员已在本企业学员名单中", field="id_number")
    before = worker.enterprise_id
    before_name = worker.enterprise.name if worker.enterprise else ""
    # Conditional: two enterprises transferring at once → one move, the other re-reads.
    result = db.session.execute(
        update(Worker).where(Worker.id == worker.id, Worker.enterprise_id.is_(before) if before is None
                             else Worker.enterprise_id == before)
        .values(enterprise_id=enterprise.id, updated_at=datetime.datetime.now().replace(microsecond=0))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ServiceError("该学员刚被其他企业处理，请刷新后重试")
    audit.record("transfer", worker, user=user, changes={"enterprise_id": [before, enterprise.id]},
                 detail="转入本企业：由“%s”转入“%s”" % (before_name, enterprise.name))
    return worker


def _sync_copies(worker):
    """Keep the worker columns copied onto its enrollments and certificates in step (SPEC §12)."""
    db.session.execute(
        update(Enrollment).where(Enrollment.worker_id == worker.id)
        .values(worker_name=worker.name, mobile=worker.mobile).execution_options(synchronize_session=False))
    # 证书查询 searches the certificate's copy while every screen, the PDF and the push show the worker's name:
    # a corrected name must find the certificate it is printed on.
    db.session.execute(
        update(Certificate).where(Certificate.worker_id == worker.id, Certificate.worker_name != worker.name)
        .values(worker_name=worker.name).execution_options(synchronize_session=False))


# --- xlsx template and import ----------------------------------------------------------------------

def template_workbook():
    """The import template (xlsx bytes): the four columns as text, with the 学历 choices on a second sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "学员"
    append_row(sheet, TEMPLATE_HEADERS)
    for column, width in zip("ABCD", (24, 14, 16, 14)):
        sheet.column_dimensions[column].width = width
        for row in range(2, 1002):
            sheet["%s%d" % (column, row)].number_format = "@"
    notes = book.create_sheet("填写说明")
    append_row(notes, ["说明"])
    append_row(notes, ["身份证号、姓名、手机号、学历均为必填；身份证号和手机号请按文本填写。"])
    append_row(notes, ["学历可填写以下名称之一："])
    for _value, label in dictionaries.items(EDUCATION_DICT):
        append_row(notes, [label])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@dataclass
class ImportResult:
    """What an import did: `created` workers, or `errors` [(row, column, reason)] and the marked workbook."""

    created: int = 0
    errors: list = field(default_factory=list)
    workbook: bytes = None
    filename: str = None

    @property
    def ok(self):
        return not self.errors


def _load_rows(file_storage):
    """What the guarded reader read of an uploaded template (SheetRows), or ServiceError (file level)."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise ServiceError("请选择要导入的文件")
    filename = file_storage.filename
    try:
        read = read_workbook(read_limited(file_storage), filename=filename, max_rows=get_int(IMPORT_MAX_ROWS),
                             max_bytes=upload_limit_bytes())
    except WorkbookRefused as refused:
        raise ServiceError("文件“%s”未导入：%s" % (filename, refused.reason))
    header = [cell_text(cell) for cell in read.header]
    while header and not header[-1]:
        header.pop()
    if header and header[-1].startswith(ERROR_HEADER):  # the error workbook, corrected, comes back as it is
        header.pop()
    if header != TEMPLATE_HEADERS:
        raise ServiceError("表头不正确：第1行应依次为“%s”，请下载模板填写" % "”“".join(TEMPLATE_HEADERS))
    if not read.rows:
        raise ServiceError("文件中没有学员数据，请在模板第2行起填写")
    return read


def _imported_meanwhile(error, *_args, **_kwargs):
    """Another import (or 新增) took some of these 身份证号 meanwhile: all or nothing."""
    if isinstance(error, IntegrityError):
        raise ServiceError("未导入任何学员：文件中的部分学员刚刚已被加入学员名单（同一名单可能被同时导入了两次），"
                           "请刷新学员名单核对后，只导入尚未加入的学员") from error


@transaction(on_error=_imported_meanwhile)
def import_workers(enterprise_id, file_storage, *, user=None):
    """All-or-nothing import of the template; returns ImportResult (file-level problems: ServiceError)."""
    enterprise = _enterprise(enterprise_id)
    read = _load_rows(file_storage)
    rows = [(number, (list(values) + [None] * 4)[:4], formulas) for number, values, formulas in read.rows]
    errors, parsed, seen = [], [], {}
    numbers = {normalize_id_number(cell_text(values[0])) for _number, values, _f in rows}
    existing = {w.id_number: w for w in db.session.execute(
        select(Worker).where(Worker.id_number.in_([n for n in numbers if n]))).scalars()}
    for number, values, formulas in rows:
        raw = dict(zip(FIELDS, values))
        row_errors = []
        if isinstance(raw["id_number"], (int, float)):
            row_errors.append(("id_number", "身份证号请按文本格式填写（数字格式会丢失末位）"))
        cleaned, problems = check_fields({name: cell_text(value) for name, value in raw.items()})
        for index in sorted(i for i in formulas if i < len(FIELDS)):  # the formula, not "请填写…", is the reason
            problems[FIELDS[index]] = "单元格含公式，请直接填写%s" % LABELS[FIELDS[index]]
        row_errors += list(problems.items())
        id_number = cleaned["id_number"]
        if "id_number" not in problems and not any(name == "id_number" for name, _m in row_errors):
            if id_number in seen:
                row_errors.append(("id_number", "与第%d行的身份证号重复" % seen[id_number]))
            else:
                seen[id_number] = number
                conflict = roster_conflict(existing.get(id_number), enterprise.id)
                if isinstance(conflict, WorkerElsewhere):
                    row_errors.append(("id_number", "该学员已在“%s”的学员名单中，请在学员管理中逐个“转入本企业”"
                                       % conflict.owner_masked))
                elif conflict is not None:
                    row_errors.append(("id_number", "该学员已在本企业学员名单中"))
        for name, message in row_errors:
            errors.append((number, LABELS[name], message))
        if not row_errors:
            parsed.append(cleaned)
    if errors:
        return ImportResult(errors=errors, workbook=_marked_workbook(read, errors),
                            filename="学员导入错误信息.xlsx")
    for values in parsed:
        worker = existing.get(values["id_number"])
        if worker is None:
            worker = Worker(enterprise_id=enterprise.id, **values, **derived(values["id_number"]))
            db.session.add(worker)
        else:  # left without an enterprise
            for name in ("name", "mobile", "education"):
                setattr(worker, name, values[name])
            worker.enterprise_id = enterprise.id
    db.session.flush()
    audit.record("import", None, user=user, object_type="worker",
                 detail="“%s”批量导入学员%d人（%s）" % (enterprise.name, len(parsed), file_storage.filename))
    return ImportResult(created=len(parsed))


def _marked_workbook(read, errors):
    """The rows read, with a 错误信息 column naming every problem of each row (the file is not parsed again)."""
    by_row = {}
    for number, label, message in errors:
        by_row.setdefault(number, []).append("%s：%s" % (label, message))
    return marked_workbook(read, len(TEMPLATE_HEADERS), ERROR_HEADER, by_row)


def photo_of(worker):
    return db.session.get(UploadedFile, worker.photo_file_id) if worker.photo_file_id else None


# --- the marked workbook of a refused import, for its importer only -------------------------------------------

IMPORT_ERRORS = "worker-import"  # the folder under EXPORT_FOLDER


def keep_import_errors(result, user_id):
    """Keep a refused import's marked workbook for `user_id`; returns the token naming it."""
    return error_files.keep(IMPORT_ERRORS, result.workbook, owner_id=user_id)


def import_errors_workbook(token, user_id):
    """The path of the workbook kept for `user_id` under `token`; None for anyone else's or a file gone."""
    return error_files.workbook_path(IMPORT_ERRORS, token, owner_id=user_id)
