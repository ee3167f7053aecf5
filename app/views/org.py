"""Enterprises, institutions and staff as departments, institutions and enterprises see them."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import Enterprise, Institution, Staff
from app.views.base import ReadOnlyScopedView
from app.views.review import ReviewMixin, review_tabs

ENTERPRISE_LABELS = {
    "name": _l("企业名称"), "uscc": _l("统一社会信用代码"), "region": _l("所属地区"), "region_code": _l("区划代码"),
    "address": _l("地址"), "legal_representative": _l("法定代表人"), "contact_person": _l("联系人"),
    "contact_mobile": _l("联系人手机"), "qualification_category": _l("资质类别"), "qualification_category_label": _l("资质类别"), "qualification_grade": _l("资质等级"),
    "qualification_cert_no": _l("资质证书编号"), "review_state_label": _l("资质审核状态"),
    "review_state": _l("资质审核状态"), "review_opinion": _l("审核意见"), "submitted_at": _l("上报时间"),
    "reviewed_at": _l("审核时间"), "created_at": _l("注册时间"),
}
ENTERPRISE_COLUMNS = ["name", "uscc", "region", "address", "legal_representative", "contact_person",
                      "contact_mobile", "qualification_category_label", "qualification_grade", "qualification_cert_no",
                      "review_state_label", "review_opinion", "submitted_at", "reviewed_at"]


class EnterpriseView(ReadOnlyScopedView):
    """企业列表 within the department's jurisdiction."""

    datamodel = SQLAInterface(Enterprise)
    class_permission_name = "Enterprise"
    list_title = _l("企业列表")
    show_title = _l("企业详情")
    list_columns = ["name", "uscc", "region", "contact_person", "contact_mobile", "review_state_label", "created_at"]
    show_columns = ENTERPRISE_COLUMNS
    search_columns = ["name", "uscc", "region_code", "review_state"]
    label_columns = ENTERPRISE_LABELS


class EnterpriseReviewBase(ReviewMixin, ReadOnlyScopedView):
    """企业资质审核."""

    datamodel = SQLAInterface(Enterprise)
    show_title = _l("企业资质审核")
    list_columns = ["name", "uscc", "region", "review_state_label", "submitted_at", "reviewed_at"]
    show_columns = ENTERPRISE_COLUMNS
    search_columns = ["name", "uscc", "region_code"]
    label_columns = ENTERPRISE_LABELS
    base_order = ("submitted_at", "desc")


EnterpriseReviewPending, EnterpriseReviewReviewed, EnterpriseReviewAll = review_tabs(
    EnterpriseReviewBase, "EnterpriseReview", "企业资质审核")


class MyEnterpriseView(ReviewMixin, ReadOnlyScopedView):
    """企业信息: the enterprise's own record and qualification state."""

    datamodel = SQLAInterface(Enterprise)
    class_permission_name = "MyEnterprise"
    base_permissions = ["can_list", "can_show", "can_workflow", "can_records", "can_download"]
    list_title = show_title = _l("企业信息")
    list_columns = ["name", "uscc", "region", "review_state_label", "review_opinion"]
    show_columns = ENTERPRISE_COLUMNS
    label_columns = ENTERPRISE_LABELS
    search_columns = ["name"]
    _is_review_view = False


INSTITUTION_LABELS = {
    "code": _l("机构代码"), "name": _l("机构名称"), "uscc": _l("统一社会信用代码"), "institution_type": _l("机构类型"), "institution_type_label": _l("机构类型"),
    "region": _l("所属地区"), "region_code": _l("区划代码"), "address": _l("地址"),
    "legal_representative": _l("法定代表人"), "contact_person": _l("联系人"), "contact_phone": _l("联系电话"),
    "department": _l("设立部门"), "status_label": _l("状态"), "status": _l("状态"), "cancel_reason": _l("注销原因"),
    "cancelled_at": _l("注销时间"), "created_at": _l("设立时间"),
}


class InstitutionView(ReadOnlyScopedView):
    """培训机构管理 (set-up, 注销 and staff screens come with the institutions issue)."""

    datamodel = SQLAInterface(Institution)
    class_permission_name = "Institution"
    list_title = _l("培训机构")
    show_title = _l("培训机构详情")
    list_columns = ["code", "name", "institution_type_label", "region", "department", "status_label"]
    show_columns = ["code", "name", "uscc", "institution_type_label", "region", "address", "legal_representative",
                    "contact_person", "contact_phone", "department", "status_label", "cancel_reason",
                    "cancelled_at", "created_at"]
    search_columns = ["code", "name", "uscc", "region_code", "status"]
    label_columns = INSTITUTION_LABELS


class StaffView(ReadOnlyScopedView):
    """师资及考评员."""

    datamodel = SQLAInterface(Staff)
    class_permission_name = "Staff"
    list_title = _l("师资及考评员")
    list_columns = ["institution", "name", "category_label", "trade_label", "specialty", "title", "mobile"]
    show_columns = ["institution", "name", "id_number", "mobile", "category_label", "trade_label", "specialty",
                    "title", "certificate_no"]
    search_columns = ["name", "category", "trade_code", "specialty"]
    label_columns = {"institution": _l("培训机构"), "name": _l("姓名"), "id_number": _l("身份证号"),
                     "mobile": _l("手机号"), "category": _l("类别"), "category_label": _l("类别"),
                     "trade_code": _l("工种"), "trade_label": _l("工种"), "specialty": _l("专业"), "title": _l("职称"),
                     "certificate_no": _l("证书编号")}
