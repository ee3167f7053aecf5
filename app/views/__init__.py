"""Every menu in one place, laid out as the seed describes; labels are Chinese, names stable English."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder):
    """Register views and menus, in menu order; which role sees which is decided in app.security.roles."""
    menu = _Menu(appbuilder)
    _organisation_menus(menu)
    _training_and_exam_menus(menu)
    _system_menus(menu)
    from app.views.api import register_api; register_api(appbuilder)  # noqa: E702


class _Menu:
    """Adds a view under a menu category: menu(view, name, label, category, category_label, …)."""

    def __init__(self, appbuilder):
        self.appbuilder = appbuilder

    def __call__(self, view, name, label, category, category_label, icon="fa-angle-right", category_icon="fa-folder"):
        self.appbuilder.add_view(view, name, label=label, icon=icon, category=category,
                                 category_label=category_label, category_icon=category_icon)

    def no_menu(self, view):
        self.appbuilder.add_view_no_menu(view)


def _organisation_menus(menu):
    """主管部门's 企业资质审核, the enterprise's own pages, 培训机构."""
    from app.views.enrollment import EnrollPlanView, WorkerRosterView
    from app.views.institutions import InstitutionAccountView, InstitutionView, MyInstitutionView, StaffView
    from app.views.org import (
        EnterpriseReviewAll, EnterpriseReviewPending, EnterpriseReviewReviewed, EnterpriseView, MyEnterpriseView,
    )

    menu(EnterpriseReviewPending, "EnterpriseReviewPending", _l("未审核"), "EnterpriseReviewMenu", _l("企业资质审核"),
         category_icon="fa-building")
    menu(EnterpriseReviewReviewed, "EnterpriseReviewReviewed", _l("已审核"), "EnterpriseReviewMenu", _l("企业资质审核"))
    menu(EnterpriseReviewAll, "EnterpriseReviewAll", _l("全部"), "EnterpriseReviewMenu", _l("企业资质审核"))
    menu(EnterpriseView, "EnterpriseList", _l("企业列表"), "EnterpriseReviewMenu", _l("企业资质审核"))
    menu(MyEnterpriseView, "MyEnterprise", _l("企业信息"), "EnterpriseMenu", _l("企业信息"), category_icon="fa-building")
    menu(WorkerRosterView, "WorkerList", _l("学员管理"), "EnterpriseMenu", _l("企业信息"))
    menu(EnrollPlanView, "EnrollPlanList", _l("培训报名"), "EnterpriseMenu", _l("企业信息"))
    menu(InstitutionView, "InstitutionList", _l("培训机构管理"), "InstitutionMenu", _l("培训机构"),
         category_icon="fa-university")
    menu(MyInstitutionView, "MyInstitution", _l("本机构信息"), "InstitutionMenu", _l("培训机构"))
    menu(StaffView, "StaffList", _l("师资及考评员"), "InstitutionMenu", _l("培训机构"))
    menu(InstitutionAccountView, "InstitutionAccountList", _l("管理人员账号"), "InstitutionMenu", _l("培训机构"))


def _training_and_exam_menus(menu):
    """培训计划, 报名, 考核计划, 成绩证书, 报名人员 and the 行业数据看板."""
    from app.views.dashboard import DashboardView
    from app.views.enrollees import EnrollmentView, ExportJobView
    from app.views.enrollment import EnrollmentManageView
    from app.views.exams import (
        ExamDocumentView, ExamPlanReviewAll, ExamPlanReviewPending, ExamPlanReviewReviewed, ExamPlanView,
        ExamTicketView,
    )
    from app.views.plans import (
        TrainingPlanReviewAll, TrainingPlanReviewPending, TrainingPlanReviewReviewed, TrainingPlanView,
    )
    from app.views.scores import (
        CertificateView, ScoreImportView, ScoreReportReviewAll, ScoreReportReviewPending, ScoreReportReviewReviewed,
        ScoreReportView,
    )

    menu(TrainingPlanReviewPending, "TrainingPlanPending", _l("未审核"), "TrainingPlanMenu", _l("培训计划"),
         category_icon="fa-calendar")
    menu(TrainingPlanReviewReviewed, "TrainingPlanReviewed", _l("已审核"), "TrainingPlanMenu", _l("培训计划"))
    menu(TrainingPlanReviewAll, "TrainingPlanAll", _l("全部"), "TrainingPlanMenu", _l("培训计划"))
    menu(TrainingPlanView, "TrainingPlanManage", _l("培训计划管理"), "TrainingPlanMenu", _l("培训计划"))
    menu(EnrollmentManageView, "EnrollmentManage", _l("报名管理"), "EnrollmentManageMenu", _l("报名管理"),
         category_icon="fa-list-alt")
    menu(ExamPlanReviewPending, "ExamPlanPending", _l("未审核"), "ExamPlanMenu", _l("考核计划"),
         category_icon="fa-pencil-square-o")
    menu(ExamPlanReviewReviewed, "ExamPlanReviewed", _l("已审核"), "ExamPlanMenu", _l("考核计划"))
    menu(ExamPlanReviewAll, "ExamPlanAll", _l("全部"), "ExamPlanMenu", _l("考核计划"))
    menu(ExamPlanView, "ExamPlanManage", _l("考核计划管理"), "ExamPlanMenu", _l("考核计划"))
    menu(ExamTicketView, "ExamTicketList", _l("准考证下载"), "EnterpriseMenu", _l("企业信息"))
    menu.no_menu(ExamDocumentView)
    menu(ScoreReportReviewPending, "ScoreReportPending", _l("未审核"), "ScoreMenu", _l("成绩证书"),
         category_icon="fa-certificate")
    menu(ScoreReportReviewReviewed, "ScoreReportReviewed", _l("已审核"), "ScoreMenu", _l("成绩证书"))
    menu(ScoreReportReviewAll, "ScoreReportAll", _l("全部"), "ScoreMenu", _l("成绩证书"))
    menu(ScoreImportView, "ScoreImport", _l("成绩导入"), "ScoreMenu", _l("成绩证书"))
    menu(ScoreReportView, "ScoreReportManage", _l("成绩报审"), "ScoreMenu", _l("成绩证书"))
    menu(CertificateView, "CertificateList", _l("证书"), "ScoreMenu", _l("成绩证书"))
    menu(EnrollmentView, "EnrollmentQuery", _l("报名人员查询"), "EnrollmentMenu", _l("报名人员"),
         category_icon="fa-users")
    menu.no_menu(ExportJobView)
    menu(DashboardView, "IndustryDashboard", _l("行业数据看板"), "StatsMenu", _l("统计分析"), category_icon="fa-bar-chart")


def _system_menus(menu):
    """系统管理员's 系统管理, and the pages every account reaches without a menu."""
    from app.views.account import ChangePasswordView
    from app.views.files import FileView
    from app.views.public import PublicView
    from app.views.system import (
        AccountView, AuditLogView, DepartmentView, DictItemView, DictTypeView, RegionView, SystemSettingView,
    )

    menu(DepartmentView, "DepartmentList", _l("主管部门"), "SystemMenu", _l("系统管理"), category_icon="fa-cogs")
    menu(AccountView, "AccountList", _l("账号管理"), "SystemMenu", _l("系统管理"))
    menu(RegionView, "RegionList", _l("行政区划"), "SystemMenu", _l("系统管理"))
    menu(DictTypeView, "DictTypeList", _l("数据字典"), "SystemMenu", _l("系统管理"))
    menu.no_menu(DictItemView)
    menu(SystemSettingView, "SettingList", _l("系统设置"), "SystemMenu", _l("系统管理"))
    menu(AuditLogView, "AuditLogList", _l("操作日志"), "SystemMenu", _l("系统管理"))
    menu.no_menu(ChangePasswordView)
    menu.no_menu(FileView)
    menu.no_menu(PublicView)
