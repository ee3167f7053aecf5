"""企业: self-registration with the three qualification documents, correction and resubmission, and the
"only 审核通过 enterprises may enroll" rule that later screens call (require_approved)."""
import io
import os
import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Enterprise, Region, UploadedFile
from app.models.user import AppUser
from app.security.passwords import password_problem
from app.security.scope import responsible_department
from app.services import ServiceError, accounts, audit, dictionaries, review, reviewable, transaction
from app.services.reviewable import EDITABLE_STATES
from app.services.uploads import check_upload, save_upload
from app.validators import check_mobile, check_uscc, normalize_mobile, normalize_uscc
from app.workflow import state_label


def N_(text):
    """Mark a string for the catalogue; translated where it is shown."""
    return text


QUALIFICATION_DICT = "qualification_category"

# Enterprise column → (label, required); lengths come from the model's columns.
FIELDS = {
    "name": (N_("企业名称"), True),
    "uscc": (N_("统一社会信用代码"), True),
    "region_code": (N_("所属地区"), True),
    "address": (N_("地址"), True),
    "legal_representative": (N_("法定代表人"), True),
    "contact_person": (N_("联系人"), True),
    "contact_mobile": (N_("联系人手机"), True),
    "qualification_category": (N_("资质类别"), True),
    "qualification_grade": (N_("资质等级"), False),
    "qualification_cert_no": (N_("资质证书编号"), True),
}
# The three documents: Enterprise column (…_file_id without _id) → label; the UploadedFile purpose is the key.
DOCUMENTS = {
    "commitment_file": N_("企业承诺书"),
    "license_file": N_("营业执照"),
    "qualification_file": N_("企业资质证书"),
}
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{3,64}")


class EnterpriseInputError(ServiceError):
    """Bad registration or correction input: one Chinese message per form field."""

    def __init__(self, errors):
        self.errors = dict(errors)
        field, message = next(iter(self.errors.items()))
        super().__init__(message, field=field)


# --- reading the input ------------------------------------------------------------------------------

def _text(value):
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _column_length(name):
    return getattr(Enterprise.__table__.c[name].type, "length", None)


def _clean_enterprise(data, enterprise=None):
    """Normalised column values and {field: message} for the enterprise's own data."""
    values, errors = {}, {}
    for name, (label, required) in FIELDS.items():
        value = _text(data.get(name))
        if name == "uscc":
            value = normalize_uscc(value)
        elif name == "contact_mobile":
            value = normalize_mobile(value)
        values[name] = value or None
        if not value:
            if required:
                errors[name] = (_("请选择%(label)s", label=_(label)) if name in ("region_code", "qualification_category")
                                else _("请填写%(label)s", label=_(label)))
            continue
        length = _column_length(name)
        if length and len(value) > length:
            errors[name] = _("%(label)s不能超过%(length)d个字", label=_(label), length=length)
    if values["uscc"] and "uscc" not in errors:
        problem = check_uscc(values["uscc"])
        if problem:
            errors["uscc"] = problem
        else:
            taken = select(Enterprise.id).where(Enterprise.uscc == values["uscc"])
            if enterprise is not None and enterprise.id is not None:
                taken = taken.where(Enterprise.id != enterprise.id)
            if db.session.execute(taken.limit(1)).first():
                errors["uscc"] = _("统一社会信用代码“%(uscc)s”已注册，请勿重复注册；如忘记账号请联系所在地主管部门",
                                   uscc=values["uscc"])
    if values["contact_mobile"] and "contact_mobile" not in errors:
        problem = check_mobile(values["contact_mobile"])
        if problem:
            errors["contact_mobile"] = problem
    if values["region_code"] and "region_code" not in errors:
        region = db.session.get(Region, values["region_code"])
        if region is None or region.level != "county" or not region.selectable:
            errors["region_code"] = _("请选择企业所在的区县")
    category = values["qualification_category"]
    if category and "qualification_category" not in errors:
        kept = enterprise is not None and enterprise.qualification_category == category
        if not dictionaries.has_item(QUALIFICATION_DICT, category, enabled_only=not kept):
            errors["qualification_category"] = _("所选资质类别不存在或已停用，请重新选择")
    return values, errors


def _username_problem(username):
    username = _text(username)
    if not username:
        return _("请填写用户名")
    if not USERNAME_PATTERN.fullmatch(username):
        return _("用户名应为3至64位字母、数字或 _ . @ - 符号")
    if db.session.execute(select(AppUser.id).where(AppUser.username == username).limit(1)).first():
        return _("用户名“%(name)s”已存在", name=username)
    return None


def _check_account(username, password, confirm_password):
    """{field: message} for the new account (the password itself is checked by the policy)."""
    errors = {}
    problem = _username_problem(username)
    if problem:
        errors["username"] = problem
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    elif (confirm_password or "") != password:
        errors["confirm_password"] = _("两次输入的密码不一致")
    return errors


def _read_documents(files, required):
    """Validate the uploaded documents once: ({field: re-readable FileStorage}, {field: message}).

    `required` lists the documents that must be present (all at registration; at correction only
    those the enterprise does not have yet).
    """
    documents, errors = {}, {}
    for field, label in DOCUMENTS.items():
        upload = (files or {}).get(field)
        if upload is None or not getattr(upload, "filename", ""):
            if field in required:
                errors[field] = _("请上传%(label)s", label=_(label))
            continue
        try:
            data, content_type, _extension = check_upload(upload, _(label))
        except ServiceError as refused:
            errors[field] = refused.message
            continue
        documents[field] = FileStorage(io.BytesIO(data), filename=upload.filename, content_type=content_type)
    return documents, errors


def _merge(*error_dicts):
    merged = {}
    for errors in error_dicts:
        for field, message in errors.items():
            merged.setdefault(field, message)
    return merged


def registration_errors(data, files, *, username, password, confirm_password):
    """Every problem of a registration, without writing anything ({field: message}; empty when fine)."""
    _values, errors = _clean_enterprise(data)
    _documents, file_errors = _read_documents(files, required=DOCUMENTS)
    return _merge(errors, _check_account(username, password, confirm_password), file_errors)


# --- writing ----------------------------------------------------------------------------------------

def _store_documents(enterprise, documents, user_id, stored):
    """Save the documents and point the enterprise's columns at them; stored paths go into `stored`."""
    folder = current_app.config["UPLOAD_FOLDER"]
    for field, upload in documents.items():
        record = save_upload(upload, owner_type="enterprise", owner_id=enterprise.id, purpose=field,
                             user_id=user_id, label=_(DOCUMENTS[field]))
        stored.append(os.path.join(folder, record.stored_name))
        setattr(enterprise, field + "_id", record.id)


def _remove_files(stored):
    """After a rollback: remove the files the transaction had stored, so nothing is left behind."""
    for path in stored:
        try:
            os.remove(path)
        except OSError:
            pass


def _conflict_after_rollback(values, username=None, enterprise=None):
    """A concurrent registration won a unique constraint: say which field, as the form would have."""
    _values, errors = _clean_enterprise(values, enterprise)
    conflicts = {k: v for k, v in errors.items() if k == "uscc"}
    problem = _username_problem(username) if username is not None else None
    if problem:
        conflicts["username"] = problem
    if conflicts:
        return EnterpriseInputError(conflicts)
    return ServiceError(_("保存失败：数据已被他人修改，请稍后重试"))


def register_enterprise(data, files, *, username, password, confirm_password):
    """企业注册: the enterprise, its account and its three documents in one transaction, then 上报.

    Returns (enterprise, user). Any bad input raises EnterpriseInputError and writes nothing — no
    rows and no files.
    """
    values, errors = _clean_enterprise(data)
    documents, file_errors = _read_documents(files, required=DOCUMENTS)
    errors = _merge(errors, _check_account(username, password, confirm_password), file_errors)
    if errors:
        raise EnterpriseInputError(errors)
    return _register(values, documents, _text(username), password, stored=[])


def _registration_failed(error, values, documents, username, password, *, stored):
    _remove_files(stored)
    if isinstance(error, ServiceError) and error.field:
        raise EnterpriseInputError({error.field: error.message}) from error
    if isinstance(error, IntegrityError):
        raise _conflict_after_rollback(values, username=username) from error


@transaction(on_error=_registration_failed)
def _register(values, documents, username, password, *, stored):
    enterprise = Enterprise(review_state="draft", **values)
    db.session.add(enterprise)
    db.session.flush()
    user = accounts.create_user(username, password, "enterprise", name=values["name"], enterprise_id=enterprise.id)
    _store_documents(enterprise, documents, user.id, stored)
    audit.record("register_enterprise", enterprise, user=user,
                 changes={name: [None, value] for name, value in values.items() if value})
    review.move(enterprise, "submit", user=user)  # joins this transaction
    return enterprise, user


def editable(enterprise):
    """An enterprise may change its data and documents while 未上报 or 审核不通过."""
    return enterprise.review_state in EDITABLE_STATES


def update_enterprise(enterprise, data, files, *, user, submit=False):
    """修改资料: correct data and replace documents (only while 未上报/审核不通过); optionally 上报 too.

    A replaced document is uploaded as a new file and the column re-pointed; the old file stays
    (it is what the department reviewed before). Bad input raises EnterpriseInputError and changes
    nothing.
    """
    if not editable(enterprise):
        raise ServiceError(_("当前资质审核状态为“%(state)s”，不能修改企业资料；审核不通过或撤回后方可修改",
                             state=_(state_label(enterprise.review_state))))
    values, errors = _clean_enterprise(data, enterprise)
    missing = [field for field in DOCUMENTS if getattr(enterprise, field + "_id") is None]
    documents, file_errors = _read_documents(files, required=missing)
    errors = _merge(errors, file_errors)
    if errors:
        raise EnterpriseInputError(errors)
    return _save(enterprise, values, documents, user=user, submit=submit, stored=[])


def _saving_failed(error, enterprise, values, documents, *, user, submit, stored):
    _remove_files(stored)
    if isinstance(error, IntegrityError):
        raise _conflict_after_rollback(values, enterprise=enterprise) from error


@transaction(on_error=_saving_failed)
def _save(enterprise, values, documents, *, user, submit, stored):
    for name, value in values.items():
        setattr(enterprise, name, value)
    changes = audit.changes_of(enterprise)
    _store_documents(enterprise, documents, user.id, stored)
    for field in documents:
        changes[field] = [None, getattr(enterprise, field + "_id")]
    audit.record("edit", enterprise, user=user, changes=changes)
    db.session.flush()
    if submit:
        review.move(enterprise, "submit", user=user)  # joins this transaction
    return enterprise


# --- reading ----------------------------------------------------------------------------------------

def require_approved(enterprise):
    """Refuse (ServiceError) unless the enterprise's qualification is 审核通过: only those may enroll."""
    problem = approval_problem(enterprise)
    if problem:
        raise ServiceError(problem)


def approval_problem(enterprise):
    """Why an enterprise may not enroll workers yet (Chinese), or None when it is 审核通过."""
    if enterprise is None:
        return _("未找到所属企业，不能报名")
    if enterprise.review_state == "approved":
        return None
    state = _(state_label(enterprise.review_state))
    if enterprise.review_state == "rejected":
        hint = _("审核意见：%(opinion)s。请在“企业信息”中修改资料后重新上报",
                 opinion=enterprise.review_opinion or _("无"))
    elif enterprise.review_state == "draft":
        hint = _("请在“企业信息”中上报企业资质")
    else:
        hint = _("请等待主管部门审核")
    return _("企业资质尚未审核通过，不能报名（当前状态：%(state)s）。%(hint)s", state=state, hint=hint)


def documents_of(enterprise):
    """The three documents as [(field, label, UploadedFile or None)], in the order of the form."""
    ids = {field: getattr(enterprise, field + "_id") for field in DOCUMENTS}
    wanted = [pk for pk in ids.values() if pk]
    rows = {row.id: row for row in db.session.execute(
        select(UploadedFile).where(UploadedFile.id.in_(wanted))).scalars()} if wanted else {}
    return [(field, _(label), rows.get(ids[field])) for field, label in DOCUMENTS.items()]


def reviewing_department(enterprise):
    """The department that reviews the enterprise's qualification (SPEC §3), or None."""
    return responsible_department(db.session, enterprise.region_code) if enterprise.region_code else None


def county_groups():
    """County-level regions grouped by city for the region select: [(city name, [(code, county name)])]."""
    counties = db.session.execute(
        select(Region.code, Region.name, Region.parent_code)
        .where(Region.level == "county", Region.selectable.is_(True)).order_by(Region.code)
    ).all()
    parents = {parent for _code, _name, parent in counties if parent}
    city_names = dict(db.session.execute(
        select(Region.code, Region.name).where(Region.code.in_(parents))).all()) if parents else {}
    groups = []
    for code, name, parent in counties:
        city = city_names.get(parent, parent or "")
        if not groups or groups[-1][0] != city:
            groups.append((city, []))
        groups[-1][1].append((code, name))
    return groups


# --- review (the moves go through app.services.review) ----------------------------------------------

def _roles(scope, document):
    """The enterprise owns its qualification; the department of its region (or the nearest above) reviews it."""
    if scope.kind == "enterprise" and scope.enterprise_id == document.id:
        return "owner"
    if scope.reviews_enterprise(db.session, document):
        return "reviewer"
    return None


reviewable.register(reviewable.DocumentKind("enterprise", "企业资质", Enterprise, implicit_accept=True, roles=_roles))
