"""Exam plans, score reports, enrollments, workers and certificates (lists + review); training plans: app.views.plans."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import Certificate, ExamPlan, ScoreReport, Worker
from app.views.base import ReadOnlyScopedView
from app.views.review import ReviewMixin, review_tabs

EXAM_LABELS = {
    "institution": _l("培训机构"), "plan": _l("培训计划"), "name": _l("考核计划名称"), "theory_start": _l("理论考试开始"),
    "theory_end": _l("理论考试结束"), "practical_start": _l("实操考试开始"), "practical_end": _l("实操考试结束"),
    "site_address": _l("考核地点"), "rooms": _l("考场数"), "seats_per_room": _l("每考场座位数"),
    "pass_line": _l("合格线"), "review_state_label": _l("审核状态"), "review_state": _l("审核状态"),
    "review_opinion": _l("审核意见"), "submitted_at": _l("上报时间"), "accepted_at": _l("受理时间"),
    "reviewed_at": _l("审核时间"),
}
EXAM_SHOW = ["institution", "plan", "name", "theory_start", "theory_end", "practical_start", "practical_end",
             "site_address", "rooms", "seats_per_room", "pass_line", "review_state_label", "review_opinion",
             "submitted_at", "accepted_at", "reviewed_at"]


class ExamPlanReviewBase(ReviewMixin, ReadOnlyScopedView):
    """考核计划 as the department reviews it."""

    datamodel = SQLAInterface(ExamPlan)
    show_title = _l("考核计划详情")
    list_columns = ["name", "institution", "plan", "theory_start", "review_state_label", "submitted_at"]
    show_columns = EXAM_SHOW
    search_columns = ["name", "review_state", "theory_start"]
    label_columns = EXAM_LABELS
    base_order = ("submitted_at", "desc")


ExamPlanReviewPending, ExamPlanReviewReviewed, ExamPlanReviewAll = review_tabs(
    ExamPlanReviewBase, "ExamPlanReview", "考核计划")


class ExamPlanView(ReviewMixin, ReadOnlyScopedView):
    """考核计划 as the institution manages it."""

    datamodel = SQLAInterface(ExamPlan)
    class_permission_name = "ExamPlan"
    base_permissions = ["can_list", "can_show", "can_workflow", "can_records"]
    list_title = _l("考核计划")
    show_title = _l("考核计划详情")
    list_columns = ["name", "plan", "theory_start", "review_state_label"]
    show_columns = EXAM_SHOW
    search_columns = ["name", "review_state"]
    label_columns = EXAM_LABELS
    _is_review_view = False


SCORE_LABELS = {"exam_plan": _l("考核计划"), "institution": _l("培训机构"), "review_state_label": _l("审核状态"),
                "review_state": _l("审核状态"), "review_opinion": _l("审核意见"), "imported_at": _l("成绩导入时间"),
                "submitted_at": _l("上报时间"), "accepted_at": _l("受理时间"), "reviewed_at": _l("审核时间")}
SCORE_SHOW = ["exam_plan", "institution", "imported_at", "review_state_label", "review_opinion", "submitted_at",
              "accepted_at", "reviewed_at"]


class ScoreReportReviewBase(ReviewMixin, ReadOnlyScopedView):
    """成绩证书 (成绩报审) as the department reviews it."""

    datamodel = SQLAInterface(ScoreReport)
    show_title = _l("成绩报审详情")
    list_columns = ["exam_plan", "institution", "review_state_label", "submitted_at", "reviewed_at"]
    show_columns = SCORE_SHOW
    search_columns = ["review_state", "submitted_at"]
    label_columns = SCORE_LABELS
    base_order = ("submitted_at", "desc")


ScoreReportReviewPending, ScoreReportReviewReviewed, ScoreReportReviewAll = review_tabs(
    ScoreReportReviewBase, "ScoreReportReview", "成绩证书")


class ScoreReportView(ReviewMixin, ReadOnlyScopedView):
    """成绩报审 as the institution manages it."""

    datamodel = SQLAInterface(ScoreReport)
    class_permission_name = "ScoreReport"
    base_permissions = ["can_list", "can_show", "can_workflow", "can_records"]
    list_title = _l("成绩报审")
    show_title = _l("成绩报审详情")
    list_columns = ["exam_plan", "imported_at", "review_state_label", "review_opinion"]
    show_columns = SCORE_SHOW
    search_columns = ["review_state"]
    label_columns = SCORE_LABELS
    _is_review_view = False


class WorkerView(ReadOnlyScopedView):
    """学员."""

    datamodel = SQLAInterface(Worker)
    class_permission_name = "Worker"
    list_title = _l("学员管理")
    list_columns = ["name", "masked_id_number", "gender", "mobile", "education_label", "enterprise"]
    show_columns = ["name", "masked_id_number", "gender", "birth_date", "mobile", "education_label", "enterprise"]
    search_columns = ["name", "id_number", "mobile"]
    label_columns = {"name": _l("姓名"), "masked_id_number": _l("身份证号"), "id_number": _l("身份证号"),
                     "gender": _l("性别"), "birth_date": _l("出生日期"), "mobile": _l("手机号"),
                     "education": _l("学历"), "education_label": _l("学历"), "enterprise": _l("所属企业")}


class CertificateView(ReadOnlyScopedView):
    """证书."""

    datamodel = SQLAInterface(Certificate)
    class_permission_name = "Certificate"
    list_title = _l("证书")
    list_columns = ["number", "worker", "trade_label", "skill_level_label", "institution", "issue_date", "status_label"]
    show_columns = ["number", "worker", "trade_label", "skill_level_label", "institution", "issue_date", "valid_until",
                    "status_label", "revoked", "revoke_reason"]
    search_columns = ["number", "trade_code", "status", "issue_date"]
    label_columns = {"number": _l("证书编号"), "worker": _l("学员"), "trade_code": _l("工种"), "trade_label": _l("工种"),
                     "skill_level": _l("技能等级"), "skill_level_label": _l("技能等级"), "institution": _l("发证机构"), "issue_date": _l("发证日期"),
                     "valid_until": _l("有效期至"), "status_label": _l("证书状态"), "status": _l("证书状态"),
                     "revoked": _l("已撤销"), "revoke_reason": _l("撤销原因")}
