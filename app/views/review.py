"""Department review screens (未审核 / 已审核 / 全部) and the owner's 上报/撤回, all through services.review."""
import functools
from urllib.parse import urlsplit, urlunsplit

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.utils.base import is_safe_redirect_url
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Institution
from app.services import ServiceError
from app.services import review as review_service
from app.services.reviewable import states_in_group
from app.views.base import run_and_redirect
from app.workflow import state_label
from app.web import local_path
from app.workflow.engine import OPINION_MAX_LENGTH

# The columns every reviewable document has (培训计划, 考核计划, 成绩报审), as their pages name them.
REVIEW_LABELS = {
    "review_state_label": _l("审核状态"), "review_state": _l("审核状态"), "review_opinion": _l("审核意见"),
    "submitted_at": _l("上报时间"), "accepted_at": _l("受理时间"), "reviewed_at": _l("审核时间"),
}


def same_site_referrer():
    """The page the user came from when it is one of ours (keeps the list's filters and page)."""
    referrer = request.referrer
    if referrer and urlsplit(referrer).netloc and is_safe_redirect_url(referrer):  # FAB's check: this host only
        parts = urlsplit(referrer)
        return local_path(urlunsplit(("", "", parts.path, parts.query, "")))
    return None


class ReviewMixin:
    """Detail panel with the moves the user may make, 查看审核记录, and bulk 受理 / 审核通过."""

    show_template = "review/show.html"
    method_permission_name = {
        "review": "review", "bulk_accept": "review", "bulk_approve": "review",
        "workflow": "workflow", "records": "records",
    }

    def _flash_result(self, done, refused, verb):
        """One success line with the count, and one line per refused row naming it and why (bulk moves)."""
        if done:
            flash(gettext("已%(verb)s %(count)d 条记录", verb=gettext(verb), count=done), "success")
        for document, message in refused:
            flash(gettext("%(document)s：%(message)s", document=document, message=message), "danger")

    def _list_url(self, candidate=None):
        """`candidate` when it is this view's list (with its filters), else the plain list."""
        plain = url_for(self.endpoint + ".list")
        if candidate and candidate.startswith(plain.split("?")[0]) and "//" not in candidate:
            return candidate
        return plain

    @action("bulk_accept", "受理", "确定受理所选记录？", "fa-inbox", single=False)
    def bulk_accept(self, items):
        self._flash_result(*review_service.move_many(items, "accept"), "受理")
        return redirect(self._list_url(same_site_referrer()))

    @action("bulk_approve", "审核通过", "确定将所选记录审核通过？", "fa-check", single=False)
    def bulk_approve(self, items):
        self._flash_result(*review_service.move_many(items, "approve"), "审核通过")
        return redirect(self._list_url(same_site_referrer()))

    def _move_from_form(self, pk):
        document = self.scoped_get(pk)
        try:
            review_service.move(
                document, request.form.get("move", ""), opinion=request.form.get("opinion"),
                expected_version=request.form.get("version"),
            )
        except ServiceError as refused:
            flash(refused.message, "danger")
            if self.detail_states is not None and document.review_state not in self.detail_states:
                # Another user moved it out of the detail page's tab too: say so, once (a stale-page refusal
                # already says what happened; a forged or stale version's refusal does not).
                happened = _what_happened(document)
                if not refused.message.startswith(happened):
                    flash(gettext("%(happened)s，已不在本列表中", happened=happened), "warning")
                return redirect(url_for(self.detail_endpoint + ".list"))
        else:
            flash(gettext("操作成功：%(document)s（当前状态：%(state)s）", document=document,
                          state=gettext(state_label(document.review_state))), "success")
        # The record may have left this tab (e.g. 未审核 → 已审核): show it where it still is.
        return redirect(url_for((self.detail_endpoint or self.endpoint) + ".show", pk=pk))

    detail_endpoint = None
    tab_states = None  # the review states this tab lists (review_tabs sets them; None: this view lists every state)
    detail_states = None  # those of the tab detail_endpoint names

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

    def show_extras(self, document):
        """What the detail template shows besides FAB's fields, for the document loaded once by show()."""
        return {
            "document": document,
            "moves": review_service.available_actions(document),
            "move_url": url_for(self.endpoint + (".review" if self._is_review_view else ".workflow"), pk=document.id),
            "records_url": url_for(self.endpoint + ".records", pk=document.id),
        }

    _is_review_view = True

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        document = self.scoped_get(pk)  # out of scope: 404, as ever; loaded once for the whole page
        if self.tab_states is not None and document.review_state not in self.tab_states:
            # In scope but no longer in this tab (e.g. 撤回 while a reviewer had it open): say what happened.
            flash(gettext("%(happened)s，已不在本列表中", happened=_what_happened(document)), "warning")
            return redirect(url_for(self.endpoint + ".list"))
        return self.render_show(document, **self.show_extras(document))


def _what_happened(document):
    """Who moved the document last and where it is now, or at least its state (for a record that left a tab)."""
    return review_service.what_happened(document) or gettext(
        "该记录当前状态为“%(state)s”", state=gettext(state_label(document.review_state)))


class BulkRejectMixin(ReviewMixin):
    """The department's tabs with bulk 审核不通过 too: one opinion for every selected row.

    The 操作 menu's 审核不通过 opens a form listing the rows (with the version each was seen at); its POST
    re-loads every row through the scope (404 for a forged id: nothing changes), refuses an empty opinion
    (nothing changes), then moves each row through the review engine in its own transaction and reports
    the refused rows one by one.
    """

    document_label = None  # e.g. _l("培训计划"): shown in the form's hint
    method_permission_name = {**ReviewMixin.method_permission_name, "bulk_reject": "review",
                              "bulk_reject_confirm": "review"}

    @action("bulk_reject", "审核不通过", None, "fa-times", single=False)
    def bulk_reject(self, items):
        """Ask for the one opinion that goes to every selected row."""
        return self._bulk_reject_form(items, opinion="", error=None, back=same_site_referrer())

    def _bulk_reject_form(self, items, opinion, error, back=None):
        return self.render_template(
            "review/bulk_reject.html", items=items, opinion=opinion, error=error, title=gettext("批量审核不通过"),
            document_label=self.document_label, post_url=url_for(self.endpoint + ".bulk_reject_confirm"),
            back=self._list_url(back),
        )

    @expose("/bulk_reject", methods=["POST"])
    @has_access
    @permission_name("review")
    def bulk_reject_confirm(self):
        back = self._list_url(request.form.get("next"))
        items = [self.scoped_get(pk) for pk in request.form.getlist("rowid")]
        if not items:
            flash(gettext("请先勾选记录"), "warning")
            return redirect(back)
        opinion = (request.form.get("opinion") or "").strip()
        if not opinion:
            return self._bulk_reject_form(items, opinion, gettext("审核不通过时必须填写审核意见"), back)
        if len(opinion) > OPINION_MAX_LENGTH:  # once for the form, not once per selected row from the engine
            return self._bulk_reject_form(items, opinion, gettext(
                "审核意见不能超过%(n)d个字（现有%(m)d个字）", n=OPINION_MAX_LENGTH, m=len(opinion)), back)
        done, refused = 0, []
        for document in items:
            seen = (request.form.get("version_%d" % document.id) or "").strip() or None
            try:
                if seen is not None and not (seen.isascii() and seen.isdigit()):
                    raise ServiceError(gettext("该记录已被他人处理，请刷新页面后重试"))
                review_service.move(document, "reject", opinion=opinion, expected_version=seen)
                done += 1
            except ServiceError as error:
                refused.append((document, error.message))
        self._flash_result(done, refused, "审核不通过")
        return redirect(back)


def review_tabs(base, permission, labels):
    """Three department views over one document type: 未审核, 已审核 (STATE_GROUPS) and 全部."""
    from flask_appbuilder.models.sqla.filters import FilterInFunction

    views = []
    for suffix, group in (("Pending", "未审核"), ("Reviewed", "已审核"), ("All", None)):  # None: every group
        attrs = {
            "class_permission_name": permission,
            "base_filters": [["review_state", FilterInFunction, functools.partial(states_in_group, group)]],
            "tab_states": frozenset(states_in_group(group)), "detail_states": frozenset(states_in_group()),
            "list_title": "%s（%s）" % (labels, group or "全部"),
            "route_base": "/%s/%s" % (permission.lower(), suffix.lower()),
            "base_permissions": ["can_list", "can_show", "can_review", "can_records"],
            "detail_endpoint": base.__name__ + "All",
        }
        views.append(type(base.__name__ + suffix, (base,), attrs))
    return views


class ReviewListWidget(ListWidget):
    """FAB's list, with 修改/删除 only on rows that allow them and the 审核不通过 opinion under the state."""

    template = "review/list.html"


class RowInfoListMixin:
    """Hands the list template per-row facts ({pk: {state, opinion, editable, deletable}}), in one query a page."""

    list_widget = ReviewListWidget
    row_prefix = "row"  # rows are <tr id="{row_prefix}-row-{pk}">

    def editable_states(self):
        """The review states in which the owner may still edit a row (of an active institution)."""
        raise NotImplementedError

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        widget = widgets["list"]
        widget.template_args["row_info"] = self._row_info(widget.template_args.get("pks") or [])
        widget.template_args["row_prefix"] = self.row_prefix
        return widgets

    def _row_info(self, pks):
        if not pks:
            return {}
        model = self.datamodel.obj
        rows = db.session.execute(
            select(model.id, model.review_state, model.review_version, model.review_opinion, Institution.status)
            .join(Institution, model.institution_id == Institution.id)
            .where(model.id.in_(pks))
        ).all()
        editable = self.editable_states()
        info = {}
        for pk, state, version, opinion, status in rows:
            active = status == "active"
            info[pk] = {
                "state": state,
                "opinion": opinion if state == "rejected" else None,
                "editable": active and state in editable,
                "deletable": active and state == "draft" and not version,
            }
        return info


class DraftDeleteMixin:
    """删除 (POST only): the view names its service verb; the service refuses all but a never-submitted draft."""

    deleted_message = None  # lazy msgid with %(name)s

    def delete_document(self, document, user):
        raise NotImplementedError

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        document = self.scoped_get(pk)
        if request.method != "POST":
            abort(405)
        return run_and_redirect(lambda: self.delete_document(document, g.user),
                                self.deleted_message % {"name": document.name}, url_for(self.endpoint + ".list"),
                                refused_back=url_for(self.endpoint + ".show", pk=pk))
