"""Chinese display names for the stable English role, permission and view identifiers (the identifiers stay)."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.security.roles import ROLE_LABELS

BUILTIN_ROLE_LABELS = {"Admin": _l("超级管理员"), "Public": _l("公开访问")}

PERMISSION_LABELS = {
    "can_list": _l("列表"), "can_show": _l("查看"), "can_add": _l("新增"), "can_edit": _l("修改"),
    "can_delete": _l("删除"), "menu_access": _l("菜单"), "can_review": _l("受理/审核"),
    "can_records": _l("审核记录"), "can_workflow": _l("上报/撤回"), "can_download": _l("下载"),
    "can_export": _l("导出"), "can_import": _l("导入"), "can_toggle": _l("启用/停用"), "can_cancel": _l("注销/取消"),
    "can_restore": _l("恢复"), "can_resetpassword": _l("重置密码"), "can_certificate": _l("生成/拉取/推送/撤销证书"),
    "can_pay": _l("确认缴费"), "can_open": _l("开班"), "can_attendance": _l("确认考勤"), "can_reopen": _l("退回考勤"),
    "can_enroll": _l("报名"), "can_transfer": _l("转入本企业"), "can_this_form_get": _l("打开表单"),
    "can_this_form_post": _l("提交表单"), "can_get": _l("接口读取"), "can_info": _l("接口说明"),
    "can_userinfo": _l("个人信息"), "copyrole": _l("复制角色"), "can_copyrole": _l("复制角色"),
    "resetmypassword": _l("重置本人密码"), "resetpasswords": _l("重置密码"), "userinfoedit": _l("编辑个人信息"),
    "toggle": _l("启用/停用"), "can_chart": _l("图表"), "can_put": _l("接口修改"), "can_post": _l("接口新增"),
    "can_read": _l("读取"), "can_write": _l("写入"), "can_userinfo_edit": _l("编辑个人信息"),
}

# Permission view names (view classes' class_permission_name); menu item names come from the menu itself.
VIEW_LABELS = {
    "Region": _l("行政区划"), "Department": _l("主管部门"), "Account": _l("账号管理"), "DictType": _l("数据字典"),
    "DictItem": _l("字典项"), "SystemSetting": _l("系统设置"), "AuditLog": _l("操作日志"),
    "UserDBModelView": _l("用户"), "RoleModelView": _l("角色"), "Enterprise": _l("企业"),
    "Institution": _l("培训机构"), "Staff": _l("师资及考评员"), "TrainingPlanReview": _l("培训计划审核"),
    "ExamPlanReview": _l("考核计划审核"), "ExamDocument": _l("准考证、桌贴、签到表、汇总表"),
    "ScoreReportReview": _l("成绩审核"), "Scores": _l("成绩与证书"), "EnterpriseReview": _l("企业资质审核"),
    "Enrollment": _l("报名人员查询"), "Worker": _l("学员管理"), "EnrollmentManage": _l("报名管理"),
    "Certificate": _l("证书"), "ChangePassword": _l("修改密码"), "UploadedFile": _l("附件"),
    "TrainingPlanApi": _l("培训计划接口"), "EnrollmentApi": _l("报名人员接口"), "EnterpriseApi": _l("企业接口"),
    "InstitutionAccount": _l("管理人员账号"), "ExportJob": _l("导出任务"), "Dashboard": _l("行业数据看板"),
    "MyInstitution": _l("本机构信息"), "TrainingPlan": _l("培训计划管理"), "ExamPlan": _l("考核计划管理"),
    "ScoreReport": _l("成绩报审"), "MyEnterprise": _l("企业信息"), "EnrollPlan": _l("培训报名"),
    "ExamTicket": _l("准考证下载"), "Security": _l("安全"), "List Users": _l("用户列表"),
    "List Roles": _l("角色列表"), "AppUserView": _l("用户"), "MenuApi": _l("菜单接口"),
    "ResetMyPasswordView": _l("重置本人密码"), "ResetPasswordView": _l("重置密码"), "UserGroupModelView": _l("用户组"),
    "UserInfoEditView": _l("编辑个人信息"), "UserStatsChartView": _l("用户统计"), "AppRoleView": _l("角色"),
    "PermissionModelView": _l("权限"), "ViewMenuModelView": _l("视图/菜单"), "PermissionViewModelView": _l("视图权限"),
    "SecurityApi": _l("登录接口"), "OpenApi": _l("接口文档"), "SwaggerView": _l("接口文档"),
}


def role_label(name):
    """系统管理员 for SystemAdmin …; an unknown role keeps its own name."""
    if name in ROLE_LABELS:
        return _(ROLE_LABELS[name])
    return str(BUILTIN_ROLE_LABELS.get(name, name))


def view_label(name):
    """A view or menu name in the operator's words: menu entries as the side menu shows them."""
    if name in VIEW_LABELS:
        return str(VIEW_LABELS[name])
    for item in current_app.appbuilder.menu.get_list():
        if item.name == name:
            return _(str(item.label))
        for child in item.childs or []:
            if child and child.name == name:
                return "%s · %s" % (_(str(item.label)), _(str(child.label)))
    return name


def permissions_markup(permission_views):
    """A role's permissions as a Chinese list, grouped by view, for the 角色 pages."""
    grouped = {}
    for pv in permission_views or []:
        view = view_label(pv.view_menu.name) if pv.view_menu else ""
        permission = pv.permission.name if pv.permission else ""
        grouped.setdefault(view, []).append(str(PERMISSION_LABELS.get(permission, permission)))
    if not grouped:
        return _("（无）")
    items = "".join("<li><strong>%s</strong>：%s</li>" % (escape(view), escape("、".join(dict.fromkeys(names))))
                    for view, names in sorted(grouped.items()))
    return Markup('<ul class="role-permissions list-unstyled">%s</ul>' % items)
