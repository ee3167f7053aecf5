"""系统管理: regions, departments, dictionaries, settings, 操作日志 and department accounts."""
from flask import flash, redirect
from flask_appbuilder import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.extensions import db
from app.models import AuditLog, Department, DictItem, DictType, Region, SystemSetting
from app.security.models import AppUser
from app.services import ServiceError, accounts
from app.validators import Mobile
from app.views.base import ReadOnlyScopedView, ScopedModelView


class RegionView(ScopedModelView):
    """行政区划."""

    datamodel = SQLAInterface(Region)
    class_permission_name = "Region"
    list_title = _l("行政区划")
    list_columns = ["code", "name", "level_label", "parent", "selectable"]
    add_columns = edit_columns = ["code", "name", "level", "parent", "selectable"]
    show_columns = ["code", "name", "level_label", "parent", "selectable"]
    search_columns = ["code", "name", "level"]
    order_columns = ["code", "name"]
    base_order = ("code", "asc")
    label_columns = {"code": _l("区划代码"), "name": _l("名称"), "level": _l("级别"), "level_label": _l("级别"),
                     "parent": _l("上级区划"), "selectable": _l("可选")}
    validators_columns = {"code": [Regexp(r"^\d{6}$", message=_l("区划代码应为6位数字"))]}
    page_size = 50


class DepartmentView(ScopedModelView):
    """主管部门."""

    datamodel = SQLAInterface(Department)
    class_permission_name = "Department"
    list_title = _l("主管部门")
    list_columns = ["name", "region", "contact", "phone", "enabled"]
    add_columns = edit_columns = ["name", "region", "contact", "phone", "enabled"]
    show_columns = ["name", "region", "contact", "phone", "enabled", "created_at"]
    search_columns = ["name", "region_code", "enabled"]
    label_columns = {"name": _l("部门名称"), "region": _l("行政区划"), "region_code": _l("区划代码"),
                     "contact": _l("联系人"), "phone": _l("联系电话"), "enabled": _l("启用"), "created_at": _l("创建时间")}
    validators_columns = {"name": [DataRequired(message=_l("请填写部门名称"))],
                          "region": [DataRequired(message=_l("请选择行政区划"))]}


class DictItemView(ScopedModelView):
    """字典项."""

    datamodel = SQLAInterface(DictItem)
    class_permission_name = "DictItem"
    list_title = _l("字典项")
    list_columns = ["dict_type", "value", "label", "sort_order", "enabled", "parent_value", "group_value"]
    add_columns = edit_columns = ["dict_type", "value", "label", "sort_order", "enabled", "parent_value", "group_value"]
    show_columns = list_columns
    search_columns = ["value", "label", "enabled"]
    base_order = ("sort_order", "asc")
    label_columns = {"dict_type": _l("字典类型"), "value": _l("值"), "label": _l("显示名称"),
                     "sort_order": _l("排序"), "enabled": _l("启用"), "parent_value": _l("上级值"),
                     "group_value": _l("分组值")}
    validators_columns = {"value": [DataRequired(message=_l("请填写值"))],
                          "label": [DataRequired(message=_l("请填写显示名称"))],
                          "dict_type": [DataRequired(message=_l("请选择字典类型"))]}
    page_size = 50


class DictTypeView(ScopedModelView):
    """数据字典类型, with its items below."""

    datamodel = SQLAInterface(DictType)
    class_permission_name = "DictType"
    related_views = [DictItemView]
    list_title = _l("数据字典")
    list_columns = ["code", "name", "description"]
    add_columns = edit_columns = show_columns = ["code", "name", "description"]
    search_columns = ["code", "name"]
    label_columns = {"code": _l("类型编码"), "name": _l("类型名称"), "description": _l("说明")}
    validators_columns = {
        "code": [DataRequired(message=_l("请填写类型编码")),
                 Regexp(r"^[a-z][a-z0-9_]{1,49}$", message=_l("类型编码只能包含小写字母、数字和下划线，以字母开头"))],
        "name": [DataRequired(message=_l("请填写类型名称"))],
    }


class SystemSettingView(ScopedModelView):
    """系统设置: rules, minimums and limits (SPEC "configurable")."""

    datamodel = SQLAInterface(SystemSetting)
    class_permission_name = "SystemSetting"
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_title = _l("系统设置")
    list_columns = ["key", "value", "description"]
    edit_columns = ["value"]
    show_columns = ["key", "value", "description", "updated_at"]
    label_columns = {"key": _l("参数"), "value": _l("值"), "description": _l("说明"), "updated_at": _l("修改时间")}

    def pre_update(self, item):
        from app.services.settings import validate_setting

        try:
            validate_setting(item.key, item.value)
        except ServiceError as refused:
            raise ValueError(refused.message)
        super().pre_update(item)


class AuditLogView(ReadOnlyScopedView):
    """操作日志 (系统管理员 only)."""

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    list_title = _l("操作日志")
    list_columns = ["at", "username", "action", "object_type", "object_label", "ip"]
    show_columns = ["at", "username", "action", "object_type", "object_id", "object_label", "changes", "detail", "ip"]
    search_columns = ["username", "action", "object_type", "at"]
    base_order = ("id", "desc")
    label_columns = {"at": _l("时间"), "username": _l("用户"), "action": _l("操作"), "object_type": _l("对象类型"),
                     "object_id": _l("对象编号"), "object_label": _l("对象"), "changes": _l("变更内容（修改前/修改后）"),
                     "detail": _l("说明"), "ip": _l("IP地址")}


class AccountView(ScopedModelView):
    """账号管理: 系统管理员 creates department accounts; departments see their institutions' accounts."""

    datamodel = SQLAInterface(AppUser)
    class_permission_name = "Account"
    base_permissions = ["can_list", "can_show", "can_add", "can_toggle"]
    list_title = _l("账号管理")
    list_columns = ["username", "first_name", "account_type_label", "department", "institution", "enterprise",
                    "active", "last_login"]
    show_columns = ["username", "first_name", "account_type_label", "department", "institution", "enterprise",
                    "active", "last_login", "login_count", "created_on"]
    search_columns = ["username", "first_name", "account_type", "active"]
    add_columns = ["username", "first_name", "department", "password"]
    label_columns = {"username": _l("用户名"), "first_name": _l("姓名"), "account_type_label": _l("账号类型"),
                     "account_type": _l("账号类型"), "department": _l("主管部门"), "institution": _l("培训机构"),
                     "enterprise": _l("企业"), "active": _l("启用"), "last_login": _l("最近登录"),
                     "login_count": _l("登录次数"), "created_on": _l("创建时间"), "password": _l("初始密码")}
    add_form_extra_fields = {
        "password": PasswordField(_l("初始密码"), validators=[DataRequired(message=_l("请填写初始密码"))],
                                  description=_l("至少8位，须同时包含字母和数字")),
    }
    audit_changes = False  # accounts.prepare_new_user writes its own log row
    validators_columns = {"username": [DataRequired(message=_l("请填写用户名")), Length(max=64)],
                          "first_name": [DataRequired(message=_l("请填写姓名")), Length(max=64)]}

    @action("toggle", "启用/停用", "确定切换所选账号的启用状态？", "fa-power-off", single=False)
    def toggle(self, items):
        from app.services import audit

        for user in items:
            user.active = not user.active
            audit.record("enable_user" if user.active else "disable_user", user)
        db.session.commit()
        flash("已更新 %d 个账号" % len(items), "success")
        return redirect(self.get_redirect())

    def pre_add(self, item):
        """Only 主管部门 accounts are created here; the service checks name and password policy."""
        if item.department is None:
            raise ServiceError("请选择主管部门")
        accounts.prepare_new_user(item, item.password, "department")
