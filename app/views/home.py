"""首页: what the signed-in account is and what waits for it."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.models import Enterprise, ExamPlan, ScoreReport, TrainingPlan
from app.security.scope import current_scope


class HomeView(IndexView):
    """Landing page: anonymous users go to the login page; others see their to-do counts."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        if g.user is None or not g.user.is_authenticated:
            return redirect(url_for("LoginView.login"))
        scope = current_scope()
        todo = []
        if scope.kind == "department":
            for label, model in (("企业资质待审核", Enterprise), ("培训计划待审核", TrainingPlan),
                                 ("考核计划待审核", ExamPlan), ("成绩待审核", ScoreReport)):
                count = db.session.query(model).filter(
                    scope.criterion(model), model.review_state.in_(("submitted", "accepted"))).count()
                todo.append((label, count))
        elif scope.kind == "institution":
            for label, model in (("审核不通过的培训计划", TrainingPlan), ("审核不通过的考核计划", ExamPlan),
                                 ("未通过的成绩报审", ScoreReport)):
                count = db.session.query(model).filter(scope.criterion(model), model.review_state == "rejected").count()
                todo.append((label, count))
        enterprise = None
        if scope.kind == "enterprise":
            enterprise = db.session.get(Enterprise, scope.enterprise_id)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, todo=todo,
                                    enterprise=enterprise, scope=scope)
