"""Roles as data (SPEC §1): each role's permissions per view, synced into FAB's tables at start-up.

Permission and view names are stable English identifiers; the Chinese lives in labels/catalogues.
"""
READ = ("can_list", "can_show")
WRITE = ("can_add", "can_edit")
CRUD = READ + WRITE + ("can_delete",)
REVIEW = READ + ("can_review", "can_records")
OWN_DOC = READ + WRITE + ("can_delete", "can_workflow", "can_records")
API_READ = ("can_get", "can_info")  # the read-only REST APIs of app.views.api

ACCOUNT_ROLE = {
    "admin": "SystemAdmin",
    "department": "Department",
    "institution": "Institution",
    "enterprise": "Enterprise",
}

ROLE_LABELS = {
    "SystemAdmin": "系统管理员",
    "Department": "主管部门",
    "Institution": "培训机构",
    "Enterprise": "企业",
}

ROLE_PERMISSIONS = {
    "SystemAdmin": {
        "Region": CRUD,
        "Department": CRUD,
        "Account": READ + ("can_add", "can_toggle"),
        "DictType": CRUD,
        "DictItem": CRUD,
        "SystemSetting": READ + ("can_edit",),
        "AuditLog": READ,
        "UserDBModelView": READ,
        "RoleModelView": READ,
        "Enterprise": READ + ("can_download",),
        "Institution": READ,
        "Staff": READ,
        "TrainingPlanReview": READ + ("can_records",),
        "ExamPlanReview": READ + ("can_records",),
        "ExamDocument": ("can_download",),
        "ScoreReportReview": READ + ("can_records",),
        "Scores": ("can_list",),
        "EnterpriseReview": READ + ("can_records",),
        "Enrollment": READ,
        "Worker": READ,
        "EnrollmentManage": READ,  # 报名管理 (read-only)
        "Certificate": READ,
        "ChangePassword": ("can_this_form_get", "can_this_form_post"),
        "UploadedFile": ("can_download",),
        "TrainingPlanApi": API_READ,
        "EnrollmentApi": API_READ,
        "EnterpriseApi": API_READ,
    },
    "Department": {
        "Enterprise": READ + ("can_download",),
        "EnterpriseReview": REVIEW,
        "Institution": READ + WRITE + ("can_cancel", "can_restore"),
        "Staff": CRUD,
        "InstitutionAccount": READ + ("can_add", "can_toggle", "can_resetpassword"),
        "TrainingPlanReview": REVIEW,
        "ExamPlanReview": REVIEW,
        "ExamDocument": ("can_download",),  # 准考证, 桌贴, 签到表, 汇总表 of exam plans in scope
        "ScoreReportReview": REVIEW,
        "Scores": ("can_list", "can_certificate"),  # 成绩与证书: 生成证书, 拉取证书, 推送, 撤销
        "Enrollment": READ + ("can_export",),  # 报名人员查询, 详情, 导出
        "EnrollmentManage": READ + ("can_reopen",),  # 报名管理: read-only; 退回考勤 (institutions it set up)
        "ExportJob": ("can_list", "can_show", "can_download"),  # own background exports
        "Dashboard": ("can_list", "can_export"),  # 统计分析 → 行业数据看板
        "Certificate": READ,
        "ChangePassword": ("can_this_form_get", "can_this_form_post"),
        "UploadedFile": ("can_download",),
        "TrainingPlanApi": API_READ,
        "EnrollmentApi": API_READ,
        "EnterpriseApi": API_READ,
    },
    "Institution": {
        "MyInstitution": READ + ("can_edit",),
        "Staff": CRUD,
        "TrainingPlan": OWN_DOC,
        "ExamPlan": OWN_DOC,  # 考核计划管理: 新增, 修改, 删除 (从未上报的), 上报/撤回 (also in bulk), 审核记录
        "ExamDocument": ("can_download",),
        "ScoreReport": READ + ("can_workflow", "can_records"),
        "Scores": ("can_list", "can_import"),  # 成绩导入: 模板下载, 导入, 上报/撤回
        "Enrollment": READ + ("can_export",),  # 报名人员查询, 详情, 导出
        "EnrollmentManage": READ + ("can_pay", "can_open", "can_attendance"),  # 报名管理: 缴费, 开班, 确认考勤
        "ExportJob": ("can_list", "can_show", "can_download"),  # own background exports
        "Certificate": READ,
        "ChangePassword": ("can_this_form_get", "can_this_form_post"),
        "UploadedFile": ("can_download",),
        "TrainingPlanApi": API_READ,
        "EnrollmentApi": API_READ,
    },
    "Enterprise": {
        "MyEnterprise": READ + ("can_edit", "can_workflow", "can_records", "can_download"),
        "Worker": CRUD + ("can_import", "can_transfer"),  # 学员管理: roster, 批量导入, 转入本企业
        "EnrollPlan": READ + ("can_enroll", "can_cancel"),  # 培训报名
        "Enrollment": READ + ("can_export",),  # 报名人员查询, 详情, 导出
        "ExportJob": ("can_list", "can_show", "can_download"),  # own background exports
        "Certificate": READ,
        "ChangePassword": ("can_this_form_get", "can_this_form_post"),
        "UploadedFile": ("can_download",),
        "EnrollmentApi": API_READ,
        "ExamTicket": READ,  # 准考证下载: its own workers only
        "ExamDocument": ("can_download",),
    },
}


def role_for_account_type(account_type):
    return ACCOUNT_ROLE[account_type]


def sync_roles(appbuilder):
    """Create the roles and set exactly the permissions declared above, plus their menus."""
    sm = appbuilder.sm
    menu_views = _menu_view_names(appbuilder.menu.get_list())
    for role_name, grants in ROLE_PERMISSIONS.items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted = set()
        for view_name, permissions in grants.items():
            for permission in permissions:
                pv = sm.find_permission_view_menu(permission, view_name)
                if pv is None:
                    pv = sm.add_permission_view_menu(permission, view_name)
                wanted.add(pv)
        for category, children in menu_views.items():
            visible = [name for name, view_name in children if view_name in grants]
            for name in visible:
                wanted.add(sm.find_permission_view_menu("menu_access", name)
                           or sm.add_permission_view_menu("menu_access", name))
            if visible and category:
                wanted.add(sm.find_permission_view_menu("menu_access", category)
                           or sm.add_permission_view_menu("menu_access", category))
        role.permissions = sorted(wanted, key=lambda pv: pv.id)
    appbuilder.session.commit()


def _menu_view_names(items):
    """{category name: [(menu item name, permission view name)]} from the registered menu."""
    result = {}
    for item in items:
        children = item.childs or [item]
        category = item.name if item.childs else None
        for child in children:
            view = child.baseview
            if view is not None:
                result.setdefault(category, []).append((child.name, view.class_permission_name))
    return result
