"""培训计划 as the institution writes it: create, update and delete, each validated and in one transaction.

Review moves (上报 / 撤回 / 受理 / 审核 …) go through app.services.review; this module owns the plan's own
data. Every refusal is a ServiceError with a Chinese message (PlanInvalid carries one message per
field, for the form) and changes nothing.

Rules (SPEC §2, §4, issue 4):
- dates in order: 报名开始 ≤ 报名截止, 培训开始 ≤ 培训结束, and the enrollment window ends before training ends;
- 计划人数 > 0, 学时 > 0, 培训费用 ≥ 0; 工种 / 技能等级 / 培训类型 are enabled dictionary items;
- the institution is staffed for the 工种 (staffing rule) and not 注销;
- the plan is edited only while 未上报 or 审核不通过; once 审核通过 only the fields named in the setting
  ``plan_editable_fields_after_approval`` (none by default); never while 未受理 / 已受理;
- only a draft that was never submitted may be deleted.
"""
import datetime
import re
from decimal import Decimal

from sqlalchemy import delete, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Institution, TrainingPlan
from app.services import InvalidFields, ServiceError, audit, transaction
from app.services import dictionaries
from app.services import reviewable
from app.services import submissions
from app.services.reviewable import EDITABLE_STATES, as_date, as_decimal, as_int, blank, typed_values
from app.services.settings import get_setting
from app.services.staffing import gaps, require_staffed_for
from app.validators import PHONE_MESSAGE, is_phone

# The plan's own data, in form order.
FIELDS = ("name", "trade_code", "skill_level", "training_type", "capacity", "fee", "hours", "enroll_start",
          "enroll_end", "train_start", "train_end", "location", "contact_person", "contact_phone")
LABELS = {
    "name": "计划名称", "trade_code": "工种", "skill_level": "技能等级", "training_type": "培训类型",
    "capacity": "计划人数", "fee": "培训费用", "hours": "学时", "enroll_start": "报名开始日期",
    "enroll_end": "报名截止日期", "train_start": "培训开始日期", "train_end": "培训结束日期",
    "location": "培训地点", "contact_person": "联系人", "contact_phone": "联系电话",
}
REQUIRED = ("name", "trade_code", "skill_level", "training_type", "capacity", "fee", "hours", "enroll_start",
            "enroll_end", "train_start", "train_end")
MAX_LENGTH = {"name": 200, "location": 255, "contact_person": 50, "contact_phone": 30}
DICT_TYPES = {"trade_code": "trade", "skill_level": "skill_level", "training_type": "training_type"}

EDITABLE_AFTER_APPROVAL = "plan_editable_fields_after_approval"  # app.services.settings


class PlanInvalid(InvalidFields):
    """Validation failed: ``errors`` maps each field (None = the plan as a whole) to its message."""


# --- what may be done now ---------------------------------------------------------------------

def fields_editable_after_approval():
    """Field names the setting allows on approved plans (empty by default; 无 also means none)."""
    value = get_setting(EDITABLE_AFTER_APPROVAL) or ""
    names = [name for name in re.split(r"[\s,，、]+", value) if name]
    return [name for name in FIELDS if name in names]


def editable_fields(plan):
    """The fields the owner may change on this plan now (all, some after approval, or none)."""
    if plan.review_state in EDITABLE_STATES:
        return list(FIELDS)
    if plan.review_state == "approved":
        return fields_editable_after_approval()
    return []


def edit_refusal(plan):
    """Why the plan cannot be edited now (a Chinese sentence), or None."""
    return reviewable.edit_refusal(plan, editable=bool(editable_fields(plan)))


delete_refusal = reviewable.delete_refusal  # only a draft never submitted, of an institution not 注销


# --- validation ----------------------------------------------------------------------------------

def _typed(name, value):
    if name in ("capacity", "hours"):
        return as_int(value)
    if name == "fee":
        return as_decimal(value)
    if name in ("enroll_start", "enroll_end", "train_start", "train_end"):
        return as_date(value)
    return str(value).strip()


def _format_error(name):
    return ("%s应为日期，格式如 2026-11-28" if name.endswith(("_start", "_end")) else "%s应为数字") % LABELS[name]


def normalise(data):
    """Typed values for the known fields of `data` plus per-field format errors ({field: message})."""
    return typed_values(data, FIELDS, _typed, _format_error)


def check(values, institution, plan=None, *, check_staffing=True):
    """Every rule on the complete data of a plan; returns {field: message} (empty when valid).

    `values` holds typed values (see normalise) for all FIELDS; `plan` is the plan being edited.
    """
    errors = {}
    if institution is None:
        return {None: "培训机构不存在"}
    if institution.status != "active":
        errors[None] = "培训机构已注销，不能新增或修改培训计划"
    for name in REQUIRED:
        if blank(values.get(name)):
            errors[name] = ("请选择%s" if name in DICT_TYPES else "请填写%s") % LABELS[name]
    for name, limit in MAX_LENGTH.items():
        value = values.get(name)
        if name not in errors and isinstance(value, str) and len(value) > limit:
            errors[name] = "%s不能超过%d个字" % (LABELS[name], limit)
    for name, dict_type in DICT_TYPES.items():
        value = values.get(name)
        if name in errors or blank(value):
            continue
        # A disabled item stays valid on the record that already has it, and only there.
        kept = plan is not None and getattr(plan, name) == value
        if not dictionaries.has_item(dict_type, value, enabled_only=not kept):
            errors[name] = "所选%s不存在或已停用，请重新选择" % LABELS[name]
    for name in ("capacity", "hours"):
        value = values.get(name)
        if name not in errors and value is not None and value <= 0:
            errors[name] = "%s应大于0" % LABELS[name]
    if "capacity" not in errors and values.get("capacity") is not None and values["capacity"] > 100000:
        errors["capacity"] = "计划人数不能超过100000"
    if "hours" not in errors and values.get("hours") is not None and values["hours"] > 10000:
        errors["hours"] = "学时不能超过10000"
    fee = values.get("fee")
    if "fee" not in errors and fee is not None:
        if fee < 0:
            errors["fee"] = "培训费用不能为负数"
        elif fee >= Decimal("100000000"):
            errors["fee"] = "培训费用过大"
        elif fee != fee.quantize(Decimal("0.01")):
            errors["fee"] = "培训费用最多保留两位小数"
    enroll_start, enroll_end = values.get("enroll_start"), values.get("enroll_end")
    train_start, train_end = values.get("train_start"), values.get("train_end")
    if enroll_start and enroll_end and enroll_start > enroll_end and "enroll_end" not in errors:
        errors["enroll_end"] = "报名截止日期不能早于报名开始日期"
    if train_start and train_end and train_start > train_end and "train_end" not in errors:
        errors["train_end"] = "培训结束日期不能早于培训开始日期"
    if enroll_end and train_end and enroll_end >= train_end and "enroll_end" not in errors:
        errors["enroll_end"] = "报名截止日期应早于培训结束日期"
    phone = values.get("contact_phone")
    if "contact_phone" not in errors and phone and not is_phone(phone):
        errors["contact_phone"] = PHONE_MESSAGE
    trade = values.get("trade_code")
    if check_staffing and trade and "trade_code" not in errors and institution.status == "active":
        missing = gaps(institution.id, [trade])
        if missing:
            errors["trade_code"] = "本机构师资及考评员不满足该工种的要求：" + "；".join(missing)
    return errors


def validate(data, institution, plan=None):
    """Typed, complete values for a plan or PlanInvalid; `data` may be partial when editing."""
    values, errors = normalise(data)
    if plan is not None:
        values = {**{name: getattr(plan, name) for name in FIELDS}, **values}
    else:
        values = {**{name: None for name in FIELDS}, **values}
    staffing = plan is None or plan.review_state in EDITABLE_STATES or values.get("trade_code") != plan.trade_code
    for name, message in check(values, institution, plan, check_staffing=staffing).items():
        errors.setdefault(name, message)
    if errors:
        raise PlanInvalid(errors)
    return values


# --- operations ----------------------------------------------------------------------------------

def _institution(institution_id):
    return db.session.get(Institution, institution_id) if institution_id else None


def _jsonable(value):
    if isinstance(value, (datetime.date, Decimal)):
        return str(value)
    return value


@transaction
def create_plan(institution_id, data, *, user, form_token=None):
    """A new plan (未上报) of an institution; returns it. Raises PlanInvalid / ServiceError.

    `form_token` is the add form's one-time token: the same form posted twice creates one plan (AlreadySubmitted).
    """
    submission = submissions.claim(form_token, user.id, "training_plan")
    institution = _institution(institution_id)
    values = validate(data, institution)
    plan = TrainingPlan(institution_id=institution.id, review_state="draft", review_version=0,
                        **{name: values[name] for name in FIELDS})
    db.session.add(plan)
    db.session.flush()
    if submission is not None:
        submission.object_id = plan.id
    audit.record("add", plan, user=user,
                 changes={name: [None, _jsonable(values[name])] for name in FIELDS if values[name] is not None})
    return plan


@transaction
def update_plan(plan, data, *, user, expected_version=None):
    """Change the plan's data where its state allows; returns {field: [before, after]} of what changed.

    Only the fields editable now may change (others in `data` must keep their value). The UPDATE
    is conditional on the state and version the caller saw, so an edit racing a 上报 or a review
    move changes nothing and gets a message.
    """
    refusal = edit_refusal(plan)
    if refusal:
        raise ServiceError(refusal)
    if expected_version not in (None, "") and str(expected_version).strip() != str(plan.review_version):
        raise ServiceError("该培训计划已被他人处理，请刷新页面后重试")
    allowed = set(editable_fields(plan))
    typed, _errors = normalise(data)
    locked = [name for name, value in typed.items()
              if name not in allowed and value != getattr(plan, name)
              and not (value is None and getattr(plan, name) in (None, ""))]
    if locked:
        raise PlanInvalid({name: "审核通过的培训计划不能修改%s" % LABELS[name] for name in locked})
    values = validate({name: data[name] for name in data if name in allowed}, plan.institution, plan)
    changes = {name: [_jsonable(getattr(plan, name)), _jsonable(values[name])]
               for name in allowed if values[name] != getattr(plan, name)}
    if not changes:
        return {}
    now = datetime.datetime.now().replace(microsecond=0)
    assignments = {name: values[name] for name in changes}
    result = db.session.execute(
        update(TrainingPlan)
        .where(TrainingPlan.id == plan.id, TrainingPlan.review_state == plan.review_state,
               TrainingPlan.review_version == plan.review_version)
        .values(updated_at=now, **assignments)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError("该培训计划已被他人处理，请刷新页面后重试")
    for name, value in {**assignments, "updated_at": now}.items():
        set_committed_value(plan, name, value)
    audit.record("edit", plan, user=user, changes=changes)
    return changes


@transaction
def delete_plan(plan, *, user):
    """Delete a draft that was never submitted; anything else is refused and kept."""
    refusal = delete_refusal(plan)
    if refusal:
        raise ServiceError(refusal)
    audit.record("delete", plan, user=user)
    result = db.session.execute(
        delete(TrainingPlan)
        .where(TrainingPlan.id == plan.id, TrainingPlan.review_state == "draft",
               TrainingPlan.review_version == 0)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError("该培训计划已上报或已被他人处理，不能删除，请刷新页面后重试")
    db.session.expunge(plan)


# --- review (the moves go through app.services.review) ----------------------------------------------

def check_submittable(plan):
    """Before 上报: the institution is not 注销 and is staffed for the plan's 工种."""
    reviewable.institution_active(plan)
    require_staffed_for(plan.institution_id, plan.trade_code)


reviewable.register(reviewable.DocumentKind("training_plan", "培训计划", TrainingPlan,
                                            before={"submit": check_submittable}))
