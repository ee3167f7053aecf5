"""主管部门: the administrator sets a department up for one 行政区划 (create_department)."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Department, Region
from app.security.scope import Actor
from app.services import ServiceError, audit, transaction
from app.validators import PHONE_MESSAGE, is_phone

FIELDS = ("name", "region_code", "contact", "phone", "enabled")


def _name_taken(error, *_args, **_kwargs):
    """A concurrent 新增 with the same name won the unique constraint."""
    if isinstance(error, IntegrityError):
        raise ServiceError(_("部门名称已存在，或所选行政区划无效"), field="name") from error


def _clean(data):
    values = {key: (data or {}).get(key) for key in FIELDS}
    for key in ("name", "region_code", "contact", "phone"):
        values[key] = (values[key] or "").strip() or None
    values["enabled"] = True if values["enabled"] is None else bool(values["enabled"])
    return values


def _check(values):
    """Refuse what the 新增主管部门 form refuses, with its messages."""
    name = values["name"]
    if not name:
        raise ServiceError(_("请填写部门名称"), field="name")
    if len(name) > 100:
        raise ServiceError(_("部门名称不能超过100个字"), field="name")
    if db.session.execute(select(Department.id).where(Department.name == name).limit(1)).first():
        raise ServiceError(_("部门名称“%(value)s”已存在", value=name), field="name")
    if not values["region_code"]:
        raise ServiceError(_("请选择行政区划"), field="region_code")
    if db.session.get(Region, values["region_code"]) is None:
        raise ServiceError(_("请选择有效的行政区划"), field="region_code")
    if values["contact"] and len(values["contact"]) > 50:
        raise ServiceError(_("联系人不能超过50个字"), field="contact")
    if values["phone"] and not is_phone(values["phone"]):
        raise ServiceError(_(PHONE_MESSAGE), field="phone")


@transaction(on_error=_name_taken)
def create_department(data, *, user=None):
    """新增主管部门 by the 系统管理员, for code without a form (the demo loader, the test factories).

    The 系统管理员's own screen (views.system.DepartmentView) stays FAB's model form: its validators refuse
    the same input with the same messages and ScopedModelView.pre_add writes the same 操作日志 row, so
    routing it through here would only replace FAB's add flow without changing what is written.
    """
    user, scope = Actor.of(user)
    if scope.kind != "admin":
        raise ServiceError(_("只有系统管理员可以新增主管部门"))
    values = _clean(data)
    _check(values)
    department = Department(**values)
    db.session.add(department)
    db.session.flush()
    audit.record("add", department, user=user,
                 changes={key: [None, value] for key, value in values.items() if value is not None})
    return department
