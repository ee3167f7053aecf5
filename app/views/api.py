"""REST API (SPEC §3: the scope applies to the REST API too).

ScopedModelRestApi adds the scope filter of app.views.base to FAB's ModelRestApi. FAB 5.3 applies
`_base_filters` in get_list, get (datamodel.get(pk, self._base_filters)), put and delete, so an
out-of-scope id answers 404 exactly like a missing one. The APIs below are read-only and expose
plain columns only: with a relationship in add/edit/show/list columns FAB's `_info` would list the
rows of the whole related table (`add_columns.values`), and related objects would be serialised.
"""
import json

import prison
from flask import current_app, jsonify, make_response, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema
from sqlalchemy.orm import RelationshipProperty

from app.models import Enrollment, Enterprise, TrainingPlan
from app.security.filters import SENSITIVE_MESSAGE, is_sensitive
from app.security.scope import INT_MAX, INT_MIN
from app.views.base import SCOPE

READ_ONLY = ["can_get", "can_info"]

LABELS = {
    "id": "编号", "institution_id": "培训机构编号", "name": "名称", "trade_code": "工种", "skill_level": "技能等级",
    "training_type": "培训类型", "capacity": "计划人数", "fee": "培训费用（元）", "hours": "学时",
    "enroll_start": "报名开始", "enroll_end": "报名截止", "train_start": "培训开始", "train_end": "培训结束",
    "location": "培训地点", "contact_person": "联系人", "contact_phone": "联系电话", "review_state": "审核状态",
    "review_opinion": "审核意见", "submitted_at": "上报时间", "accepted_at": "受理时间", "reviewed_at": "审核时间",
    "plan_id": "培训计划编号", "worker_id": "学员编号", "enterprise_id": "企业编号", "exam_plan_id": "考核计划编号",
    "worker_name": "姓名", "masked_id_number": "身份证号", "id_number": "身份证号", "mobile": "手机号",
    "masked_mobile": "手机号", "masked_contact_mobile": "联系人手机",
    "enterprise_name": "企业名称", "institution_name": "培训机构名称", "plan_name": "培训计划名称",
    "exam_plan_name": "考核计划名称", "exam_status": "考核计划", "score_status": "成绩报审", "cert_status": "培训证书",
    "enrolled_at": "报名时间", "paid_at": "缴费时间", "in_class": "已开班", "attendance_result": "考勤结果",
    "cancelled_at": "取消时间", "uscc": "统一社会信用代码", "region_code": "区划代码", "address": "地址",
    "legal_representative": "法定代表人", "contact_mobile": "联系人手机", "qualification_category": "资质类别",
    "qualification_grade": "资质等级", "qualification_cert_no": "资质证书编号", "created_at": "注册时间",
}


class PlainColumnConverter(Model2SchemaConverter):
    """FAB's converter, with foreign-key columns (institution_id, region_code …) allowed as plain values."""

    def _meta_schema_factory(self, columns, model, class_mixin, parent_schema_name=None):
        if not columns:
            return super()._meta_schema_factory(columns, model, class_mixin, parent_schema_name)
        _model, _parent_schema_name = model, parent_schema_name

        class MetaSchema(SQLAlchemyAutoSchema, class_mixin):
            class Meta:
                model = _model
                fields = columns
                include_fk = True
                load_instance = True
                sqla_session = current_app.appbuilder.session
                parent_schema_name = _parent_schema_name

        return MetaSchema


class ScopedModelRestApi(ModelRestApi):
    """A ModelRestApi whose list, get, put and delete only ever see rows in the user's scope."""

    allow_browser_login = True
    base_permissions = READ_ONLY
    model2schemaconverter = PlainColumnConverter
    page_size = 20
    base_order = ("id", "desc")  # newest first, and pages that split the same way on every request

    def __init__(self):
        self.base_filters = list(self.base_filters or []) + SCOPE
        self.label_columns = {**LABELS, **(self.label_columns or {})}  # FAB adds to it: one dict per API
        super().__init__()

    def _init_properties(self):
        relations = {p.key for p in self.datamodel.obj.__mapper__.iterate_properties
                     if isinstance(p, RelationshipProperty)}
        for attr in ("list_columns", "show_columns", "add_columns", "edit_columns", "search_columns",
                     "order_columns"):
            named = sorted(c for c in getattr(self, attr, None) or [] if c.split(".")[0] in relations)
            if named:
                raise ValueError("%s.%s must not name relationships (they leak related rows): %s"
                                 % (type(self).__name__, attr, named))
        # Any form/info field that still reached a related table is filtered through the scope too.
        scoped = {name: SCOPE for name in relations}
        self.add_query_rel_fields = {**scoped, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**scoped, **(self.edit_query_rel_fields or {})}
        super()._init_properties()

    def _sanitize_page_args(self, page, page_size):
        """Page index ≥ 0; page size 1…LIST_PAGE_SIZE_MAX (100), whatever FAB_API_MAX_PAGE_SIZE says (-1 too)."""
        limit = int(current_app.config.get("LIST_PAGE_SIZE_MAX", 100))
        try:
            page = max(int(page or 0), 0)
            page_size = int(page_size or self.page_size)
        except (TypeError, ValueError):
            page, page_size = 0, self.page_size
        if page_size < 1 or page_size > limit:
            page_size = limit
        return min(page, INT_MAX // limit), page_size  # an OFFSET the database accepts

    def _handle_filters_args(self, rison_args):
        """Integer filter values the database cannot hold are a 400, not a 500; 身份证号 and 手机号 take only a
        whole-value `eq` (the only filter they have): any other operator is a 400, not silently ignored."""
        for flt in rison_args.get("filters", []) or []:
            if is_sensitive(flt.get("col", "")) and flt.get("opr") != "eq":
                raise FABException(str(SENSITIVE_MESSAGE))
            column = getattr(self.datamodel.obj, str(flt.get("col", "")), None)
            python_type = getattr(getattr(column, "type", None), "python_type", None) if column is not None else None
            if python_type is int:
                values = flt.get("value") if isinstance(flt.get("value"), list) else [flt.get("value")]
                for value in values:
                    try:
                        ok = INT_MIN <= int(value) <= INT_MAX
                    except (TypeError, ValueError):
                        ok = False
                    if not ok:
                        raise FABException("筛选值“%s”不是有效的编号" % value)
        return super()._handle_filters_args(rison_args)

    def response_400(self, message=None):
        """FAB's refusals of a `q` its schema does not accept are English: the person gets the Chinese message."""
        if message is None or str(message).startswith("Not a valid rison"):
            message = _("查询参数 q 的格式不正确")
        return super().response_400(message=message)

    # An id no integer column can hold answers 404 (FAB would hand it to the database: a 500).
    def _pk_possible(self, pk):
        try:
            return INT_MIN <= int(pk) <= INT_MAX
        except (TypeError, ValueError):
            return False

    def get_headless(self, pk, **kwargs):
        return super().get_headless(pk, **kwargs) if self._pk_possible(pk) else self.response_404()

    def put_headless(self, pk):
        return super().put_headless(pk) if self._pk_possible(pk) else self.response_404()

    def delete_headless(self, pk):
        return super().delete_headless(pk) if self._pk_possible(pk) else self.response_404()

    def _get_fields_info(self, cols, model_schema, filter_rel_fields, **kwargs):
        """`_info`'s add_columns/edit_columns: empty, these APIs are read-only (no form to describe).

        FAB fills them with every row of each related table (`values`) and, for fields without a
        description, with gettext("") — the catalogue header. (merge_add_field_info cannot be
        overridden: FAB binds it to `info` when the class is defined.)
        """
        return []


PLAN_COLUMNS = ["id", "institution_id", "name", "trade_code", "skill_level", "training_type", "capacity", "fee",
                "hours", "enroll_start", "enroll_end", "train_start", "train_end", "location", "contact_person",
                "contact_phone", "review_state", "review_opinion", "submitted_at", "accepted_at", "reviewed_at"]


class TrainingPlanApi(ScopedModelRestApi):
    """培训计划 (read-only)."""

    resource_name = "trainingplan"
    class_permission_name = "TrainingPlanApi"
    list_title = show_title = "培训计划"
    datamodel = SQLAInterface(TrainingPlan)
    list_columns = show_columns = PLAN_COLUMNS
    add_columns = edit_columns = ["name"]
    search_columns = ["name", "trade_code", "skill_level", "review_state", "institution_id", "enroll_start"]
    order_columns = ["id", "name", "enroll_start", "submitted_at"]


ENROLLMENT_COLUMNS = ["id", "plan_id", "worker_id", "enterprise_id", "institution_id", "exam_plan_id", "worker_name",
                      "masked_id_number", "masked_mobile", "enterprise_name", "institution_name", "plan_name",
                      "exam_plan_name", "exam_status", "score_status", "cert_status", "enrolled_at", "paid_at",
                      "in_class", "attendance_result", "cancelled_at"]


class EnrollmentApi(ScopedModelRestApi):
    """报名 (read-only; 身份证号 and 手机号 masked, searched only by the whole number)."""

    resource_name = "enrollment"
    class_permission_name = "EnrollmentApi"
    list_title = show_title = "报名人员"
    datamodel = SQLAInterface(Enrollment)
    list_columns = show_columns = ENROLLMENT_COLUMNS
    add_columns = edit_columns = ["worker_name"]
    search_columns = ["worker_name", "id_number", "mobile", "enterprise_name", "institution_name", "plan_name",
                      "exam_plan_name", "exam_status", "score_status", "cert_status"]
    order_columns = ["id", "enrolled_at"]


ENTERPRISE_COLUMNS = ["id", "name", "uscc", "region_code", "address", "legal_representative", "contact_person",
                      "masked_contact_mobile", "qualification_category", "qualification_grade", "qualification_cert_no",
                      "review_state", "review_opinion", "submitted_at", "reviewed_at", "created_at"]


class EnterpriseApi(ScopedModelRestApi):
    """企业 (read-only)."""

    resource_name = "enterprise"
    class_permission_name = "EnterpriseApi"
    list_title = show_title = "企业"
    datamodel = SQLAInterface(Enterprise)
    list_columns = show_columns = ENTERPRISE_COLUMNS
    add_columns = edit_columns = ["name"]
    search_columns = ["name", "uscc", "region_code", "review_state"]
    order_columns = ["id", "name", "created_at"]


APIS = [TrainingPlanApi, EnrollmentApi, EnterpriseApi]


def register_api(appbuilder):
    """Register the REST APIs under /api/v1/; their grants live in app.security.roles."""
    for api in APIS:
        appbuilder.add_api(api)
    current_app.before_request(refuse_malformed_queries)  # register_views runs in the app context


MAX_QUERY_LENGTH = 4000


def refuse_malformed_queries():
    """A `?q=` that is neither rison nor JSON is a 400 with a Chinese message before FAB parses it: FAB's
    parser recurses on `((((…` until Python gives up (a 500), and its own refusals are in English."""
    value = request.args.get("q") if request.path.startswith("/api/") else None
    if not value:
        return None
    try:
        if len(value) > MAX_QUERY_LENGTH:
            raise ValueError("too long")
        try:
            prison.loads(value)
        except prison.decoder.ParserException:
            json.loads(value)
    except Exception:  # RecursionError included
        return make_response(jsonify(message=_("查询参数 q 的格式不正确")), 400)
    return None
