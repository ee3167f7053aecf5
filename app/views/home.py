"""首页: who is signed in and what waits for them, each to-do linked to where it is done."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.models import Enterprise
from app.security.scope import current_scope
from app.services import todo as todo_service

# to-do key → (endpoint of one record, its id argument, endpoint of the whole list or None)
LINKS = {
    "enterprise_submitted": ("EnterpriseReviewBasePending.show", "pk", "EnterpriseReviewBasePending.list"),
    "enterprise_accepted": ("EnterpriseReviewBasePending.show", "pk", "EnterpriseReviewBasePending.list"),
    "training_plan_submitted": ("TrainingPlanReviewBasePending.show", "pk", "TrainingPlanReviewBasePending.list"),
    "training_plan_accepted": ("TrainingPlanReviewBasePending.show", "pk", "TrainingPlanReviewBasePending.list"),
    "exam_plan_submitted": ("ExamPlanReviewBasePending.show", "pk", "ExamPlanReviewBasePending.list"),
    "exam_plan_accepted": ("ExamPlanReviewBasePending.show", "pk", "ExamPlanReviewBasePending.list"),
    "score_report_submitted": ("ScoreReportReviewBasePending.show", "pk", "ScoreReportReviewBasePending.list"),
    "score_report_accepted": ("ScoreReportReviewBasePending.show", "pk", "ScoreReportReviewBasePending.list"),
    "plan_rejected": ("TrainingPlanView.show", "pk", "TrainingPlanView.list"),
    "class_to_open": ("EnrollmentManageView.show", "pk", "EnrollmentManageView.list"),
    "attendance_to_confirm": ("EnrollmentManageView.show", "pk", "EnrollmentManageView.list"),
    "exam_rejected": ("ExamPlanView.show", "pk", "ExamPlanView.list"),
    "scores_to_import": ("ScoreImportView.exam", "exam_id", "ScoreImportView.index"),
    "scores_to_report": ("ScoreImportView.exam", "exam_id", "ScoreImportView.index"),
    "report_rejected": ("ScoreImportView.exam", "exam_id", "ScoreImportView.index"),
    "plans_enrolling": ("EnrollPlanView.show", "pk", "EnrollPlanView.list"),
}


def linked(todo):
    """A to-do with the URL of each record and of the list where all of them are."""
    record_endpoint, argument, list_endpoint = LINKS[todo.key]
    todo.records = [(name, url_for(record_endpoint, **{argument: pk})) for pk, name in todo.records]
    todo.url = url_for(list_endpoint)
    return todo


class HomeView(IndexView):
    """Landing page: anonymous users go to the login page; others see their to-dos with links."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        if g.user is None or not g.user.is_authenticated:
            return redirect(url_for("LoginView.login"))
        scope = current_scope()
        todos, enterprise = [], None
        if scope.kind == "department":
            todos = todo_service.department_todos(scope)
        elif scope.kind == "institution":
            todos = todo_service.institution_todos(scope)
        elif scope.kind == "enterprise":
            enterprise = db.session.get(Enterprise, scope.enterprise_id)
            if enterprise is not None and enterprise.review_state == "approved":
                todos = todo_service.enterprise_todos(scope)
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, todos=[linked(t) for t in todos],
            enterprise=enterprise, next_step=todo_service.ENTERPRISE_NEXT_STEP, scope=scope)
