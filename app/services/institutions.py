"""培训机构: set-up, basic data, 注销/恢复, 师资及考评员 and manager accounts — each verb one transaction.

Who acts (SPEC §1, §3): the department that set an institution up creates, edits, 注销 and restores
it and manages its manager accounts; staff are kept by that department or by the institution itself;
the institution may change only its contact person, phone and address. Every verb validates before
writing, raises ServiceError (Chinese, with the form field when there is one) and writes the 操作日志.
"""
import datetime
import re
import string

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Institution, InstitutionCodeSequence, Staff
from app.models.exam import exam_plan_examiner
from app.models.org import STAFF_CATEGORIES
from app.models.user import AppUser
from app.security.scope import Actor
from app.services import ServiceError, transaction
from app.services.sequences import next_value
from app.services.settings import get_int, get_setting
from app.validators import (PHONE_MESSAGE, check_id_number, check_mobile, check_uscc, is_phone, normalize_id_number,
                            normalize_uscc)


def allocate_institution_code(region_code):
    """Next 机构代码 for a region: rule from settings, default 33 + city (01–11) + 3-digit serial."""
    if not region_code or len(region_code) != 6:
        raise ServiceError("请选择机构所在地区")
    city = int(region_code[2:4])
    rule = get_setting("institution_code_rule")
    prefix = rule.split("{serial")[0].format(city=city)
    serial = next_value(InstitutionCodeSequence, {"prefix": prefix})
    if serial > 999:
        raise ServiceError("该地区的机构代码已用完，请联系系统管理员调整编码规则")
    return rule.format(city=city, serial=serial)


_PLACEHOLDER_TEXT = {"city": "城市序号(01–11)"}


def institution_code_hint():
    """The 机构代码 rule in words, read from the setting (e.g. 33 + 城市序号(01–11) + 3位流水号)."""
    rule = get_setting("institution_code_rule")
    parts = []
    for literal, name, spec, _conversion in string.Formatter().parse(rule):
        if literal:
            parts.append(literal)
        if name == "serial":
            width = re.match(r"0?(\d+)", spec or "")
            parts.append("%s位流水号" % width.group(1) if width else "流水号")
        elif name:
            parts.append(_PLACEHOLDER_TEXT.get(name, name))
    try:
        example = rule.format(city=1, serial=1)
    except (KeyError, IndexError, ValueError):
        example = None
    text = "机构代码由系统按规则生成：%s，全省唯一" % " + ".join(parts)
    return text + ("，例如 %s" % example if example else "")


# --- who acts -------------------------------------------------------------------------------------

def sets_up(scope, institution):
    """The department that set the institution up: it edits, 注销/restores and manages accounts."""
    return scope.reviews_institution(institution)


def keeps_staff(scope, institution):
    """Staff are kept by the department that set the institution up, or by the institution itself."""
    return sets_up(scope, institution) or scope.owns_institution(institution.id)


def _visible_institution(scope, institution_id):
    institution = db.session.get(Institution, institution_id) if institution_id else None
    if institution is None or not scope.can_see(db.session, institution):
        raise ServiceError("培训机构不存在或不在您的管辖范围内")
    return institution


def _require_setter(scope, institution, what):
    if not sets_up(scope, institution):
        raise ServiceError("只有设立该培训机构的主管部门可以%s" % what)


def _require_active(institution, what):
    if not institution.is_active:
        raise ServiceError("培训机构“%s”已注销，不能%s；如需%s，请先恢复该机构" % (institution.name, what, what))


def editable_institutions(scope):
    """Active institutions whose staff this scope keeps, for form choices."""
    if scope.kind == "department":
        where = Institution.department_id == scope.department_id
    elif scope.kind == "institution":
        where = Institution.id == scope.institution_id
    else:
        return []
    return list(db.session.execute(
        select(Institution).where(where, Institution.status == "active").order_by(Institution.code)).scalars())


def managed_institutions(scope):
    """Active institutions whose manager accounts this scope manages (the ones it set up)."""
    if scope.kind != "department":
        return []
    return list(db.session.execute(
        select(Institution).where(Institution.department_id == scope.department_id, Institution.status == "active")
        .order_by(Institution.code)).scalars())


# --- basic data -----------------------------------------------------------------------------------

BASIC_FIELDS = ("name", "uscc", "institution_type", "region_code", "address", "legal_representative",
                "contact_person", "contact_phone")
INSTITUTION_EDITABLE = ("contact_person", "contact_phone", "address")
FIELD_LABELS = {
    "code": "机构代码", "name": "机构名称", "uscc": "统一社会信用代码", "institution_type": "机构类型",
    "region_code": "所在地区", "address": "地址", "legal_representative": "法定代表人", "contact_person": "联系人",
    "contact_phone": "联系电话", "department_id": "设立部门", "status": "状态",
}
MAX_LENGTH = {"name": 200, "address": 255, "legal_representative": 50, "contact_person": 50, "contact_phone": 30}


def _clean(data):
    """Trimmed strings; blanks become None."""
    values = {}
    for key, value in (data or {}).items():
        if isinstance(value, str):
            value = value.strip() or None
        values[key] = value
    return values


def _check_lengths(values, limits):
    for key, limit in limits.items():
        if values.get(key) and len(values[key]) > limit:
            raise ServiceError("%s不能超过%d个字" % (FIELD_LABELS.get(key) or STAFF_LABELS.get(key, key), limit),
                               field=key)


def _validate_basic(values, scope, institution=None):
    """Check basic data (the keys present); returns the cleaned values."""
    from app.services.dictionaries import has_item
    from app.services.regions import county_choices

    current = (lambda key: getattr(institution, key)) if institution is not None else (lambda key: None)
    required = {"name": "请填写机构名称", "uscc": "请填写统一社会信用代码", "institution_type": "请选择机构类型",
                "region_code": "请选择所在地区", "contact_person": "请填写联系人", "contact_phone": "请填写联系电话"}
    for key, message in required.items():
        if key in values and not values[key]:
            raise ServiceError(message, field=key)
    _check_lengths(values, MAX_LENGTH)
    if values.get("name"):
        # Operators find an institution by its name: a second one with the same name would be ambiguous.
        clash = select(Institution.code).where(Institution.name == values["name"])
        if institution is not None:
            clash = clash.where(Institution.id != institution.id)
        code = db.session.execute(clash.limit(1)).scalar()
        if code:
            raise ServiceError("机构名称“%s”已存在（机构代码 %s），请勿重复新增" % (values["name"], code), field="name")
    if "uscc" in values:
        problem = check_uscc(values["uscc"])
        if problem:
            raise ServiceError(problem, field="uscc")
        values["uscc"] = normalize_uscc(values["uscc"])
        clash = select(Institution.id).where(Institution.uscc == values["uscc"])
        if institution is not None:
            clash = clash.where(Institution.id != institution.id)
        if db.session.execute(clash.limit(1)).first():
            raise ServiceError("统一社会信用代码“%s”已被其他培训机构使用" % values["uscc"], field="uscc")
    if "institution_type" in values and values["institution_type"] != current("institution_type"):
        if not has_item("institution_type", values["institution_type"], enabled_only=True):
            raise ServiceError("所选机构类型不存在或已停用，请重新选择", field="institution_type")
    if "region_code" in values and values["region_code"] != current("region_code"):
        allowed = {code for code, _name in county_choices(scope.region_prefix)} if scope.region_prefix else set()
        if values["region_code"] not in allowed:
            raise ServiceError("所选地区不在本部门辖区内，请从列表中选择区县", field="region_code")
    if values.get("contact_phone") and not is_phone(values["contact_phone"]):
        raise ServiceError(PHONE_MESSAGE, field="contact_phone")
    return values


def _only(values, fields, message):
    """Refuse keys outside `fields` (a forged form); 机构代码 has its own message."""
    extra = [key for key in values if key not in fields]
    if "code" in extra:
        raise ServiceError("机构代码由系统按规则生成，不能填写或修改", field="code")
    if extra:
        raise ServiceError(message % "、".join(FIELD_LABELS.get(key) or STAFF_LABELS.get(key, key) for key in extra),
                           field=extra[0])


def create_institution(data, license_file, *, user=None):
    """培训机构新增 by a department: basic data in its jurisdiction, 营业执照, generated 机构代码."""
    from app.services import audit, uploads

    user, scope = Actor.of(user)
    if scope.kind != "department":
        raise ServiceError("只有主管部门可以新增培训机构")
    values = _clean({key: (data or {}).get(key) for key in BASIC_FIELDS})
    _only(_clean(data), BASIC_FIELDS, "不能填写：%s")
    values = _validate_basic(values, scope)
    if license_file is None or not getattr(license_file, "filename", ""):
        raise ServiceError("请上传营业执照", field="license_file")

    @transaction
    def work():
        institution = Institution(code=allocate_institution_code(values["region_code"]),
                                  department_id=scope.department_id, status="active", **values)
        db.session.add(institution)
        db.session.flush()
        try:
            stored = uploads.save_upload(license_file, owner_type="institution", owner_id=institution.id,
                                         purpose="license", user_id=getattr(user, "id", None), label="营业执照")
        except ServiceError as refused:
            raise ServiceError(refused.message, field="license_file")
        institution.license_file_id = stored.id
        changes = {key: [None, value] for key, value in values.items() if value is not None}
        changes["code"] = [None, institution.code]
        audit.record("add", institution, changes=changes, user=user,
                     detail="新增培训机构，机构代码 %s" % institution.code)
        return institution

    try:
        return work()
    except IntegrityError:
        # Two departments saving the same USCC at once: the unique constraint decides.
        raise ServiceError("统一社会信用代码“%s”已被其他培训机构使用" % values["uscc"], field="uscc")


def update_institution(institution_id, data, license_file=None, *, user=None):
    """Edit basic data: the setting-up department all but 机构代码; the institution its contact details."""
    from app.services import audit, uploads

    user, scope = Actor.of(user)
    institution = _visible_institution(scope, institution_id)
    values = _clean(data)
    if sets_up(scope, institution):
        _only(values, BASIC_FIELDS, "不能修改：%s")
    elif scope.owns_institution(institution.id):
        _only(values, INSTITUTION_EDITABLE,
              "%s由主管部门维护，培训机构只能修改联系人、联系电话和地址")
        if license_file is not None and getattr(license_file, "filename", ""):
            raise ServiceError("营业执照由主管部门上传，培训机构只能修改联系人、联系电话和地址", field="license_file")
    else:
        raise ServiceError("只有设立该培训机构的主管部门可以修改其基本信息")
    _require_active(institution, "修改")
    values = _validate_basic(values, scope, institution)

    @transaction
    def work():
        for key, value in values.items():
            setattr(institution, key, value)
        changes = audit.changes_of(institution)
        if license_file is not None and getattr(license_file, "filename", ""):
            try:
                stored = uploads.save_upload(license_file, owner_type="institution", owner_id=institution.id,
                                             purpose="license", user_id=getattr(user, "id", None), label="营业执照")
            except ServiceError as refused:
                raise ServiceError(refused.message, field="license_file")
            changes["license_file_id"] = [institution.license_file_id, stored.id]
            institution.license_file_id = stored.id
        if changes:
            audit.record("edit", institution, changes=changes, user=user)
        return institution

    try:
        return work()
    except IntegrityError:
        raise ServiceError("统一社会信用代码已被其他培训机构使用", field="uscc")


def cancel_institution(institution_id, reason, *, user=None):
    """注销 with a required reason: its users can no longer log in, nothing of it can be submitted."""
    from app.services import audit

    user, scope = Actor.of(user)
    institution = _visible_institution(scope, institution_id)
    _require_setter(scope, institution, "注销该机构")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写注销原因", field="reason")
    if len(reason) > 500:
        raise ServiceError("注销原因不能超过500个字", field="reason")

    @transaction
    def work():
        now = datetime.datetime.now().replace(microsecond=0)
        # Conditional UPDATE: of two concurrent 注销, exactly one changes the row and writes the log.
        moved = db.session.execute(
            update(Institution).where(Institution.id == institution.id, Institution.status == "active")
            .values(status="cancelled", cancel_reason=reason, cancelled_at=now,
                    cancelled_by_id=getattr(user, "id", None), updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise ServiceError("培训机构“%s”已注销" % institution.name)
        audit.record("cancel_institution", institution, user=user, detail="注销原因：%s" % reason,
                     changes={"status": ["active", "cancelled"], "cancel_reason": [None, reason]})
        return institution

    result = work()
    db.session.refresh(result)
    return result


def restore_institution(institution_id, reason=None, *, user=None):
    """恢复 a 注销 institution; the log keeps the original reason and the note given now."""
    from app.services import audit

    user, scope = Actor.of(user)
    institution = _visible_institution(scope, institution_id)
    _require_setter(scope, institution, "恢复该机构")
    note = (reason or "").strip()
    if len(note) > 500:
        raise ServiceError("恢复说明不能超过500个字", field="reason")
    previous = institution.cancel_reason

    @transaction
    def work():
        now = datetime.datetime.now().replace(microsecond=0)
        moved = db.session.execute(
            update(Institution).where(Institution.id == institution.id, Institution.status == "cancelled")
            .values(status="active", cancel_reason=None, cancelled_at=None, cancelled_by_id=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise ServiceError("培训机构“%s”未注销，无需恢复" % institution.name)
        detail = "恢复培训机构；原注销原因：%s" % (previous or "-")
        if note:
            detail += "；恢复说明：%s" % note
        audit.record("restore_institution", institution, user=user, detail=detail,
                     changes={"status": ["cancelled", "active"], "cancel_reason": [previous, None]})
        return institution

    result = work()
    db.session.refresh(result)
    return result


# --- 师资及考评员 -------------------------------------------------------------------------------------

STAFF_FIELDS = ("name", "id_number", "mobile", "category", "trade_code", "specialty", "title", "certificate_no")
STAFF_LABELS = {"name": "姓名", "id_number": "身份证号", "mobile": "手机号", "category": "类别", "trade_code": "工种",
                "specialty": "专业", "title": "职称", "certificate_no": "证书编号", "institution_id": "培训机构"}
STAFF_MAX_LENGTH = {"name": 50, "title": 50, "certificate_no": 100}


def _validate_staff(values, institution, staff=None):
    from app.services.dictionaries import has_item

    if not values.get("name"):
        raise ServiceError("请填写姓名", field="name")
    _check_lengths(values, STAFF_MAX_LENGTH)
    problem = check_id_number(values.get("id_number"))
    if problem:
        raise ServiceError(problem, field="id_number")
    values["id_number"] = normalize_id_number(values["id_number"])
    problem = check_mobile(values.get("mobile"))
    if problem:
        raise ServiceError(problem, field="mobile")
    category = values.get("category")
    if category not in STAFF_CATEGORIES:
        raise ServiceError("请选择人员类别", field="category")
    if category == "theory":
        trade = values.get("trade_code")
        if not trade:
            raise ServiceError("职业理论知识培训师资须选择工种", field="trade_code")
        if not (staff is not None and trade == staff.trade_code) and not has_item("trade", trade, enabled_only=True):
            raise ServiceError("所选工种不存在或已停用，请重新选择", field="trade_code")
    else:
        values["trade_code"] = None
    if category == "examiner":
        specialty = values.get("specialty")
        if not specialty:
            raise ServiceError("考评员须选择专业", field="specialty")
        if not (staff is not None and specialty == staff.specialty) and not has_item("specialty", specialty,
                                                                                     enabled_only=True):
            raise ServiceError("所选专业不存在或已停用，请重新选择", field="specialty")
    else:
        values["specialty"] = None
    clash = select(Staff.id).where(Staff.institution_id == institution.id, Staff.id_number == values["id_number"],
                                   Staff.category == category)
    if staff is not None:
        clash = clash.where(Staff.id != staff.id)
    if db.session.execute(clash.limit(1)).first():
        raise ServiceError("该人员已登记为本机构的“%s”" % STAFF_CATEGORIES[category], field="id_number")
    return values


def _staff_values(data):
    values = _clean({key: (data or {}).get(key) for key in STAFF_FIELDS})
    _only({k: v for k, v in _clean(data).items() if k != "institution_id"}, STAFF_FIELDS, "不能填写：%s")
    return values


def _staff_duplicate(values):
    return ServiceError("该人员已登记为本机构的“%s”" % STAFF_CATEGORIES.get(values.get("category"), ""),
                        field="id_number")


def add_staff(institution_id, data, *, user=None):
    """Add one 安全生产知识培训师资 / 职业理论知识培训师资 (with 工种) / 考评员 (with 专业)."""
    from app.services import audit

    user, scope = Actor.of(user)
    institution = _visible_institution(scope, institution_id)
    if not keeps_staff(scope, institution):
        raise ServiceError("只有设立该培训机构的主管部门或该培训机构本身可以维护其师资及考评员")
    _require_active(institution, "维护师资及考评员")
    values = _validate_staff(_staff_values(data), institution)

    @transaction
    def work():
        staff = Staff(institution_id=institution.id, **values)
        db.session.add(staff)
        db.session.flush()
        audit.record("add", staff, user=user, detail="培训机构：%s" % institution.name,
                     changes={key: [None, value] for key, value in values.items() if value is not None})
        return staff

    try:
        return work()
    except IntegrityError:
        raise _staff_duplicate(values)


def _visible_staff(scope, staff_id):
    staff = db.session.get(Staff, staff_id) if staff_id else None
    if staff is None or not scope.can_see(db.session, staff):
        raise ServiceError("师资及考评员记录不存在或不在您的管辖范围内")
    if not keeps_staff(scope, staff.institution):
        raise ServiceError("只有设立该培训机构的主管部门或该培训机构本身可以维护其师资及考评员")
    _require_active(staff.institution, "维护师资及考评员")
    return staff


def update_staff(staff_id, data, *, user=None):
    """Edit one staff record (its institution stays)."""
    from app.services import audit

    user, scope = Actor.of(user)
    staff = _visible_staff(scope, staff_id)
    values = _validate_staff(_staff_values(data), staff.institution, staff)

    @transaction
    def work():
        for key, value in values.items():
            setattr(staff, key, value)
        changes = audit.changes_of(staff)
        if changes:
            audit.record("edit", staff, changes=changes, user=user, detail="培训机构：%s" % staff.institution.name)
        return staff

    try:
        return work()
    except IntegrityError:
        raise _staff_duplicate(values)


def remove_staff(staff_id, *, user=None):
    """Remove one staff record; an examiner chosen for an exam plan stays (the plan's record needs it)."""
    from app.models import ExamPlan
    from app.services import audit

    user, scope = Actor.of(user)
    staff = _visible_staff(scope, staff_id)
    used = db.session.execute(
        select(ExamPlan.name).join(exam_plan_examiner, exam_plan_examiner.c.exam_plan_id == ExamPlan.id)
        .where(exam_plan_examiner.c.staff_id == staff.id).limit(1)).scalar()
    if used:
        raise ServiceError("“%s”已被考核计划“%s”选为考评员，不能删除" % (staff.name, used))

    @transaction
    def work():
        audit.record("delete", staff, user=user, detail="培训机构：%s；类别：%s" % (staff.institution.name,
                                                                             staff.category_label))
        db.session.delete(staff)

    work()


def staffing_summary(institution_id):
    """What the detail page shows: counts per category, 工种 and 专业, trained 工种 and the rule's gaps."""
    from app.services import staffing
    from app.services.dictionaries import label

    rows = db.session.execute(
        select(Staff.category, Staff.trade_code, Staff.specialty, func.count())
        .where(Staff.institution_id == institution_id)
        .group_by(Staff.category, Staff.trade_code, Staff.specialty)
    ).all()
    totals = {category: 0 for category in STAFF_CATEGORIES}
    theory, examiners = {}, {}
    for category, trade, specialty, count in rows:
        totals[category] = totals.get(category, 0) + count
        if category == "theory":
            theory[trade] = theory.get(trade, 0) + count
        elif category == "examiner":
            examiners[specialty] = examiners.get(specialty, 0) + count
    trades = staffing.trained_trades(institution_id)
    gaps = staffing.gaps(institution_id)
    return {
        "meets": not gaps,
        "gaps": gaps,
        "categories": [(key, name, totals.get(key, 0)) for key, name in STAFF_CATEGORIES.items()],
        "theory": sorted(((label("trade", code), count) for code, count in theory.items() if code),
                         key=lambda pair: pair[0]),
        "examiners": sorted((name, count) for name, count in examiners.items() if name),
        "trades": [label("trade", code) for code in trades],
        "minimums": {"safety": get_int("min_safety_teachers"),
                     "theory": get_int("min_theory_teachers_per_trade"),
                     "examiner": get_int("min_examiners_per_specialty")},
    }


# --- 管理人员账号 -------------------------------------------------------------------------------------

def _managed_account(scope, account_id):
    account = db.session.get(AppUser, account_id) if account_id else None
    if account is None or account.account_type != "institution" or account.institution is None:
        raise ServiceError("账号不存在或不是培训机构管理人员账号")
    if not sets_up(scope, account.institution):
        raise ServiceError("只有设立该培训机构的主管部门可以管理其账号")
    return account


def create_manager_account(institution_id, username, name, password, confirm=None, *, user=None):
    """A manager account of an institution, created by the department that set it up."""
    from app.services import accounts, audit

    user, scope = Actor.of(user)
    institution = _visible_institution(scope, institution_id)
    _require_setter(scope, institution, "设立其管理人员账号")
    _require_active(institution, "新增管理人员账号")
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写姓名", field="first_name")
    if len(name) > 64:
        raise ServiceError("姓名不能超过64个字", field="first_name")
    if confirm is not None and confirm != password:
        raise ServiceError("两次输入的密码不一致", field="confirm_password")

    @transaction
    def work():
        account = accounts.create_user(username, password, "institution", name=name, institution_id=institution.id,
                                       chosen_by_owner=False)
        audit.record("create_manager_account", account, user=user,
                     detail="培训机构：%s（%s）" % (institution.name, institution.code))
        return account

    try:
        return work()
    except IntegrityError:
        raise ServiceError("用户名“%s”已存在" % (username or "").strip(), field="username")


def set_manager_active(account_id, active, *, user=None):
    """停用 / 启用 a manager account (a 注销 institution's accounts may be disabled, not enabled)."""
    from app.services import accounts

    user, scope = Actor.of(user)
    account = _managed_account(scope, account_id)
    if active and not account.institution.is_active:
        _require_active(account.institution, "启用其账号")

    @transaction
    def work():
        accounts.set_active(account, active, user=user, detail="培训机构：%s" % account.institution.name)
        return account

    return work()


def reset_manager_password(account_id, password, confirm=None, *, user=None):
    """重置密码 of a manager account (password policy applies; a lockout is lifted)."""
    from app.services import accounts, audit

    user, scope = Actor.of(user)
    account = _managed_account(scope, account_id)
    _require_active(account.institution, "重置其账号密码")

    @transaction
    def work():
        accounts.set_password(account, password, confirm, chosen_by_owner=False)
        audit.record("reset_password", account, user=user, detail="培训机构：%s" % account.institution.name)
        return account

    return work()
