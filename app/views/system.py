"""系统管理: regions, departments, dictionaries, settings, 操作日志 and department accounts."""
import re

from flask_appbuilder import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.extensions import db
from app.models import (
    AuditLog, Department, DictItem, DictType, Enterprise, Institution, Region, SystemSetting,
)
from app.models.user import AppUser
from app.security.passwords import POLICY_HINT
from app.services import ServiceError, accounts, audit
from app.services import dictionaries
from app.services.regions import level_of_code, parent_code_of
from app.services.settings import validate_setting
from app.validators import PHONE_PATTERN
from app.views.base import CappedCountInterface, ReadOnlyScopedView, ScopedModelView, identifier, run_and_redirect
from app.views.dict_fields import (
    Check, FriendlyIntegrityMixin, ReadOnlyField, RegionSelectField, UniqueValue, enabled_field, strip,
)


# --- 行政区划 ---------------------------------------------------------------------------------------

def _check_region_code(form, code):
    parent = parent_code_of(code)
    if parent is not None and db.session.get(Region, parent) is None:
        raise ServiceError("上级区划（%s）不存在，请先添加上级区划" % parent)


class RegionView(FriendlyIntegrityMixin, ScopedModelView):
    """行政区划 (系统管理员 only). Level and parent follow from the GB/T 2260 code; the code is fixed once saved."""

    datamodel = SQLAInterface(Region)
    class_permission_name = "Region"
    list_title = _l("行政区划")
    add_title = _l("新增行政区划")
    edit_title = _l("修改行政区划")
    show_title = _l("行政区划详情")
    list_columns = ["code", "name", "level_label", "parent", "selectable"]
    add_columns = edit_columns = ["code", "name", "selectable"]
    show_columns = ["code", "name", "level_label", "parent", "selectable"]
    search_columns = ["code", "name", "parent_code"]
    order_columns = ["code", "name"]
    base_order = ("code", "asc")
    label_columns = {"code": _l("区划代码"), "name": _l("名称"), "level": _l("级别"), "level_label": _l("级别"),
                     "parent": _l("上级区划"), "parent_code": _l("上级区划代码"), "selectable": _l("可选")}
    add_form_extra_fields = {
        "code": StringField(_l("区划代码"), filters=[strip],
                            description=_l("6位国家标准行政区划代码，保存后不可修改；级别和上级区划按代码自动确定"), validators=[
            DataRequired(message=_l("请填写区划代码")),
            Regexp(r"^\d{6}$", message=_l("区划代码应为6位数字")),
            UniqueValue(Region, "code", _l("区划代码“%(value)s”已存在")),
            Check(_check_region_code)]),
        "name": StringField(_l("名称"), filters=[strip], validators=[
            DataRequired(message=_l("请填写区划名称")), Length(max=50, message=_l("名称不能超过50个字"))]),
        "selectable": enabled_field(_l("可选"), description=_l("不勾选时，企业注册等表单不再提供该区划")),
    }
    edit_form_extra_fields = {**add_form_extra_fields, "code": ReadOnlyField(_l("区划代码"))}
    add_integrity_error_message = _l("区划代码已存在")
    page_size = 50

    def pre_add(self, item):
        item.level = level_of_code(item.code)
        item.parent_code = parent_code_of(item.code)
        super().pre_add(item)

    def pre_delete(self, item):
        code = item.code
        used = [label for label, model, column in (
            ("下级区划", Region, Region.parent_code), ("主管部门", Department, Department.region_code),
            ("企业", Enterprise, Enterprise.region_code), ("培训机构", Institution, Institution.region_code),
        ) if db.session.execute(select(column).where(column == code).limit(1)).first() is not None]
        if used:
            raise ServiceError("该行政区划已被%s使用，不能删除；如不再使用请取消“可选”" % "、".join(used))
        super().pre_delete(item)


# --- 主管部门 ---------------------------------------------------------------------------------------

class DepartmentView(FriendlyIntegrityMixin, ScopedModelView):
    """主管部门: 系统管理员 creates and edits departments bound to one 行政区划."""

    datamodel = SQLAInterface(Department)
    class_permission_name = "Department"
    list_title = _l("主管部门")
    add_title = _l("新增主管部门")
    edit_title = _l("修改主管部门")
    show_title = _l("主管部门详情")
    list_columns = ["name", "region", "region_code", "contact", "phone", "enabled"]
    add_columns = edit_columns = ["name", "region_code", "contact", "phone", "enabled"]
    show_columns = ["name", "region", "region_code", "contact", "phone", "enabled", "created_at", "updated_at"]
    search_columns = ["name", "region_code", "enabled"]
    order_columns = ["name", "region_code"]
    base_order = ("region_code", "asc")
    label_columns = {"name": _l("部门名称"), "region": _l("行政区划"), "region_code": _l("区划代码"),
                     "contact": _l("联系人"), "phone": _l("联系电话"), "enabled": _l("启用"),
                     "created_at": _l("创建时间"), "updated_at": _l("修改时间")}
    _fields = {
        "name": StringField(_l("部门名称"), filters=[strip], validators=[
            DataRequired(message=_l("请填写部门名称")), Length(max=100, message=_l("部门名称不能超过100个字")),
            UniqueValue(Department, "name", _l("部门名称“%(value)s”已存在"))]),
        "region_code": RegionSelectField(_l("行政区划"), validators=[DataRequired(message=_l("请选择行政区划"))]),
        "contact": StringField(_l("联系人"), filters=[strip], validators=[
            Optional(), Length(max=50, message=_l("联系人不能超过50个字"))]),
        "phone": StringField(_l("联系电话"), filters=[strip], validators=[
            Optional(), Regexp(PHONE_PATTERN,
                               message=_l("联系电话应为11位手机号或区号+号码，如 0571-87654321"))]),
        "enabled": enabled_field(_l("启用"), description=_l("停用后，该部门的账号不能再看到任何数据")),
    }
    add_form_extra_fields = edit_form_extra_fields = _fields
    add_integrity_error_message = edit_integrity_error_message = _l("部门名称已存在，或所选行政区划无效")

    def pre_delete(self, item):
        in_use = (
            db.session.execute(select(AppUser.id).where(AppUser.department_id == item.id).limit(1)).first()
            or db.session.execute(select(Institution.id).where(Institution.department_id == item.id).limit(1)).first()
        )
        if in_use:
            raise ServiceError("该主管部门已有账号或培训机构，不能删除；如不再使用请取消“启用”")
        super().pre_delete(item)


# --- 数据字典 ---------------------------------------------------------------------------------------

VALUE_RULES = {
    # type code → (regex, message) for item values that other rules depend on
    dictionaries.TRADE: (r"^\d{3}$", _l("工种代码应为3位数字")),
}


def _edited_item(form):
    pk = getattr(form, "_id", None)  # set by FAB on the edit form
    return db.session.get(DictItem, int(pk)) if pk is not None else None


def _item_type(form):
    """The 字典类型 an item form is about: its select (or the related view's filter), else the edited item's."""
    dict_type = getattr(getattr(form, "dict_type", None), "data", None)
    if dict_type is None:
        item = _edited_item(form)
        dict_type = item.dict_type if item is not None else None
    return dict_type


def _check_item_value(form, value):
    dict_type = _item_type(form)
    rule = VALUE_RULES.get(getattr(dict_type, "code", None))
    if rule is not None:
        if not re.match(rule[0], value):
            raise ServiceError(str(rule[1]))


def _check_parent_value(form, value):
    dict_type = _item_type(form)
    if dict_type is None:
        return
    own = getattr(getattr(form, "value", None), "data", None)
    if own is None:
        item = _edited_item(form)
        own = item.value if item is not None else None
    if own is not None and value == own:
        raise ServiceError("上级值不能是本字典项自己")
    if not dictionaries.has_item(dict_type.code, value):
        raise ServiceError("上级值“%s”不是“%s”中的字典项" % (value, dict_type.name))


def _check_group_value(form, value):
    dict_type = _item_type(form)
    group_type = dictionaries.GROUP_TYPES.get(getattr(dict_type, "code", None))
    if group_type is None:
        return
    if not dictionaries.has_item(group_type, value):
        group = db.session.execute(select(DictType.name).where(DictType.code == group_type)).scalar()
        raise ServiceError("分组值“%s”不是“%s”中的字典项" % (value, group or group_type))


class _DictItemForm:
    """Shared field definitions for the item forms."""

    value = StringField(_l("值"), filters=[strip], description=_l("记录中保存的代码，保存后不可修改"), validators=[
        DataRequired(message=_l("请填写值")), Length(max=50, message=_l("值不能超过50个字符")),
        UniqueValue(DictItem, "value", _l("该字典类型下已存在值“%(value)s”"),
                    within=lambda form: [DictItem.type_id == _item_type(form).id] if _item_type(form) else None),
        Check(_check_item_value)])
    label = StringField(_l("显示名称"), filters=[strip], validators=[
        DataRequired(message=_l("请填写显示名称")), Length(max=100, message=_l("显示名称不能超过100个字"))])
    sort_order = IntegerField(_l("排序"), default=0, validators=[
        InputRequired(message=_l("请填写排序号")), NumberRange(min=0, max=99999, message=_l("排序号应为0到99999之间的整数"))])
    parent_value = StringField(_l("上级值"), filters=[strip], validators=[
        Optional(), Length(max=50, message=_l("上级值不能超过50个字符")), Check(_check_parent_value)])
    group_value = StringField(_l("分组值"), filters=[strip], description=_l("工种填写所属专业（专业字典中的值）"),
                              validators=[Optional(), Length(max=50, message=_l("分组值不能超过50个字符")),
                                          Check(_check_group_value)])


class DictionaryCacheMixin:
    """Forms read dictionaries from a cache: every saved change to a type or an item clears it."""

    def post_add(self, item):
        dictionaries.clear_cache()
        super().post_add(item)

    def post_update(self, item):
        dictionaries.clear_cache()
        super().post_update(item)

    def post_delete(self, item):
        dictionaries.clear_cache()
        super().post_delete(item)


class DictItemView(DictionaryCacheMixin, FriendlyIntegrityMixin, ScopedModelView):
    """字典项: value (fixed once saved), label, order, enabled; disabled items stay on old records."""

    datamodel = SQLAInterface(DictItem)
    class_permission_name = "DictItem"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]  # retire an item by disabling it
    list_title = _l("字典项")
    add_title = _l("新增字典项")
    edit_title = _l("修改字典项")
    show_title = _l("字典项详情")
    list_columns = ["dict_type", "value", "label", "sort_order", "enabled", "parent_value", "group_value"]
    add_columns = ["dict_type", "value", "label", "sort_order", "enabled", "parent_value", "group_value"]
    edit_columns = list(add_columns)
    show_columns = list_columns + ["updated_at"]
    search_columns = ["dict_type", "value", "label", "enabled", "group_value"]
    order_columns = ["value", "label", "sort_order"]
    base_order = ("sort_order", "asc")
    label_columns = {"dict_type": _l("字典类型"), "value": _l("值"), "label": _l("显示名称"),
                     "sort_order": _l("排序"), "enabled": _l("启用"), "parent_value": _l("上级值"),
                     "group_value": _l("分组值"), "updated_at": _l("修改时间")}
    validators_columns = {"dict_type": [DataRequired(message=_l("请选择字典类型"))]}
    add_form_extra_fields = {
        "value": _DictItemForm.value, "label": _DictItemForm.label, "sort_order": _DictItemForm.sort_order,
        "enabled": enabled_field(_l("启用"), description=_l("停用后新表单不再提供该项，已有记录仍显示其名称")),
        "parent_value": _DictItemForm.parent_value,
        "group_value": _DictItemForm.group_value,
    }
    edit_form_extra_fields = {**add_form_extra_fields, "dict_type": ReadOnlyField(_l("字典类型")),
                              "value": ReadOnlyField(_l("值"), description=_l("记录中保存的代码，不可修改；不再使用请停用"))}
    add_integrity_error_message = edit_integrity_error_message = _l("该字典类型下已存在相同的值")
    page_size = 50


class DictTypeView(DictionaryCacheMixin, FriendlyIntegrityMixin, ScopedModelView):
    """数据字典类型, with its items below. The code is what fields reference; it is fixed once saved."""

    datamodel = SQLAInterface(DictType)
    class_permission_name = "DictType"
    related_views = [DictItemView]
    list_title = _l("数据字典")
    add_title = _l("新增字典类型")
    edit_title = _l("修改字典类型")
    show_title = _l("字典类型详情")
    list_columns = ["code", "name", "description"]
    add_columns = edit_columns = show_columns = ["code", "name", "description"]
    search_columns = ["code", "name"]
    order_columns = ["code", "name"]
    base_order = ("code", "asc")
    label_columns = {"code": _l("类型编码"), "name": _l("类型名称"), "description": _l("说明")}
    formatters_columns = {"code": identifier}
    add_form_extra_fields = {
        "code": StringField(_l("类型编码"), filters=[strip],
                            description=_l("小写字母开头，只含小写字母、数字和下划线；表单字段按此编码引用，保存后不可修改"),
                            validators=[
            DataRequired(message=_l("请填写类型编码")),
            Regexp(r"^[a-z][a-z0-9_]{1,49}$", message=_l("类型编码只能包含小写字母、数字和下划线，以字母开头，2到50个字符")),
            UniqueValue(DictType, "code", _l("类型编码“%(value)s”已存在"), case_insensitive=True)]),
        "name": StringField(_l("类型名称"), filters=[strip], validators=[
            DataRequired(message=_l("请填写类型名称")), Length(max=100, message=_l("类型名称不能超过100个字"))]),
        "description": StringField(_l("说明"), filters=[strip], validators=[
            Optional(), Length(max=255, message=_l("说明不能超过255个字"))]),
    }
    edit_form_extra_fields = {**add_form_extra_fields, "code": ReadOnlyField(_l("类型编码"))}
    add_integrity_error_message = _l("类型编码已存在")

    def pre_delete(self, item):
        from app.seed import DICTIONARIES

        if item.code in DICTIONARIES:
            raise ServiceError("“%s”是系统内置的字典类型，不能删除" % item.name)
        if db.session.execute(select(DictItem.id).where(DictItem.type_id == item.id).limit(1)).first():
            raise ServiceError("该字典类型下还有字典项，不能删除；如不再使用请停用其字典项")
        super().pre_delete(item)



# --- 系统设置 ---------------------------------------------------------------------------------------

def _check_setting(form, value):
    validate_setting(form._id, value)


class SystemSettingView(ScopedModelView):
    """系统设置: rules, minimums and limits (SPEC "configurable"); only the value is editable."""

    datamodel = SQLAInterface(SystemSetting)
    class_permission_name = "SystemSetting"
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_title = _l("系统设置")
    edit_title = _l("修改系统设置")
    show_title = _l("系统设置详情")
    list_columns = ["description", "value", "updated_at"]
    edit_columns = ["description", "value"]
    show_columns = ["description", "value", "updated_at"]
    search_columns = ["description", "value"]
    order_columns = ["description", "updated_at"]
    base_order = ("key", "asc")
    label_columns = {"key": _l("参数代码"), "value": _l("值"), "description": _l("参数"), "updated_at": _l("修改时间")}
    formatters_columns = {"value": identifier}
    edit_form_extra_fields = {
        "description": ReadOnlyField(_l("参数")),
        "value": StringField(_l("值"), filters=[strip], validators=[
            DataRequired(message=_l("请填写参数值")), Length(max=500, message=_l("参数值不能超过500个字符")),
            Check(_check_setting)]),
    }

    def pre_update(self, item):
        # Backstop behind the form validator: refuse, and leave nothing pending in the session.
        try:
            validate_setting(item.key, item.value)
        except ServiceError:
            db.session.rollback()
            raise
        super().pre_update(item)


class AuditLogView(ReadOnlyScopedView):
    """操作日志 (系统管理员 only)."""

    datamodel = CappedCountInterface(AuditLog)
    class_permission_name = "AuditLog"
    list_title = _l("操作日志")
    show_title = _l("操作日志详情")
    list_columns = ["at", "username", "action", "object_type", "object_label", "ip"]
    show_columns = ["at", "username", "action", "object_type", "object_id", "object_label", "changes", "detail", "ip"]
    search_columns = ["username", "action", "object_type", "at"]
    base_order = ("id", "desc")
    formatters_columns = {"action": audit.action_label, "object_type": audit.object_type_label, "username": identifier}
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
    add_title = _l("新增主管部门账号")
    show_title = _l("账号详情")
    formatters_columns = {"username": identifier}
    add_form_extra_fields = {
        "username": StringField(_l("用户名"), filters=[strip], validators=[
            DataRequired(message=_l("请填写用户名")), Length(max=64, message=_l("用户名不能超过64个字")),
            UniqueValue(AppUser, "username", _l("用户名“%(value)s”已存在"))]),
        "password": PasswordField(_l("初始密码"), validators=[DataRequired(message=_l("请填写初始密码")),
                                                            PasswordComplexityValidator()],
                                  description=POLICY_HINT),
    }
    audit_changes = False  # accounts.prepare_new_user writes its own log row
    validators_columns = {"username": [DataRequired(message=_l("请填写用户名")), Length(max=64)],
                          "first_name": [DataRequired(message=_l("请填写姓名")), Length(max=64)]}

    @action("toggle", "启用/停用", "确定切换所选账号的启用状态？", "fa-power-off", single=False)
    def toggle(self, items):
        return run_and_redirect(lambda: accounts.toggle_accounts(items), lambda count: "已更新 %d 个账号" % count,
                                self.get_redirect())

    def pre_add(self, item):
        """Only 主管部门 accounts are created here; the service checks name and password policy."""
        if item.department is None:
            raise ServiceError("请选择主管部门")
        accounts.prepare_new_user(item, item.password, "department", chosen_by_owner=False)
