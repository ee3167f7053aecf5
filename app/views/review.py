"""Department review screens (未审核 / 已审核 / 全部) and the owner's 上报/撤回, all through services.review."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.security.decorators import has_access, permission_name

from app.extensions import db
from app.security.scope import current_scope
from app.services import ServiceError
from app.services import review as review_service
from app.views.base import ScopedModelView
from app.workflow import state_label


class ReviewMixin:
    """Detail panel with the moves the user may make, 查看审核记录, and bulk 受理 / 审核通过."""

    show_template = "review/show.html"
    method_permission_name = {
        "review": "review", "bulk_accept": "review", "bulk_approve": "review",
        "workflow": "workflow", "records": "records",
    }

    def _flash_result(self, done, refused, verb):
        if done:
            flash("已%s %d 条记录" % (verb, done), "success")
        for document, message in refused:
            flash("%s：%s" % (document, message), "danger")

    @action("bulk_accept", "受理", "确定受理所选记录？", "fa-inbox", single=False)
    def bulk_accept(self, items):
        self._flash_result(*review_service.move_many(items, "accept"), "受理")
        return redirect(self.get_redirect())

    @action("bulk_approve", "审核通过", "确定将所选记录审核通过？", "fa-check", single=False)
    def bulk_approve(self, items):
        self._flash_result(*review_service.move_many(items, "approve"), "审核通过")
        return redirect(self.get_redirect())

    def _move_from_form(self, pk):
        document = self.scoped_get(pk)
        try:
            review_service.move(
                document, request.form.get("move", ""), opinion=request.form.get("opinion"),
                expected_version=request.form.get("version"),
            )
        except ServiceError as refused:
            flash(refused.message, "danger")
        else:
            flash("操作成功：%s（当前状态：%s）" % (document, state_label(document.review_state)), "success")
        # The record may have left this tab (e.g. 未审核 → 已审核): show it where it still is.
        return redirect(url_for((self.detail_endpoint or self.endpoint) + ".show", pk=pk))

    detail_endpoint = None

    @expose("/review/<pk>", methods=["POST"])
    @has_access
    @permission_name("review")
    def review(self, pk):
        return self._move_from_form(pk)

    @expose("/workflow/<pk>", methods=["POST"])
    @has_access
    @permission_name("workflow")
    def workflow(self, pk):
        return self._move_from_form(pk)

    @expose("/records/<pk>")
    @has_access
    @permission_name("records")
    def records(self, pk):
        document = self.scoped_get(pk)
        timeline = review_service.records_of(document)
        decisions = [item["record"] for item in timeline if item["record"].action in ("approve", "reject")]
        return self.render_template(
            "review/records.html", document=document, timeline=timeline,
            reviewer=decisions[-1].actor_name if decisions else None,
            format_duration=review_service.format_duration, back=url_for(self.endpoint + ".show", pk=pk),
            title="查看审核记录",
        )

    def show_extras(self, pk):
        document = self.scoped_get(pk)
        return {
            "document": document,
            "moves": review_service.available_actions(document),
            "move_url": url_for(self.endpoint + (".review" if self._is_review_view else ".workflow"), pk=pk),
            "records_url": url_for(self.endpoint + ".records", pk=pk),
        }

    _is_review_view = True

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        widgets = self._show(pk)
        return self.render_template(
            self.show_template, pk=pk, title=self.show_title, widgets=widgets,
            related_views=self._related_views, **self.show_extras(pk),
        )


def review_tabs(base, permission, labels):
    """Three department views over one document type: 未审核, 已审核 and 全部."""
    from flask_appbuilder.models.sqla.filters import FilterInFunction

    def pending():
        return ["submitted", "accepted"]

    def reviewed():
        return ["approved", "rejected"]

    def submitted_any():
        return ["submitted", "accepted", "approved", "rejected"]

    views = []
    for suffix, states, title in (("Pending", pending, "未审核"), ("Reviewed", reviewed, "已审核"),
                                  ("All", submitted_any, "全部")):
        attrs = {
            "class_permission_name": permission,
            "base_filters": [["review_state", FilterInFunction, states]],
            "list_title": "%s（%s）" % (labels, title),
            "route_base": "/%s/%s" % (permission.lower(), suffix.lower()),
            "base_permissions": ["can_list", "can_show", "can_review", "can_records"],
            "detail_endpoint": base.__name__ + "All",
        }
        views.append(type(base.__name__ + suffix, (base,), attrs))
    return views
