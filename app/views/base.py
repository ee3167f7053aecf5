"""ScopedModelView: every FAB model view goes through the scope module and caps its page size."""
import datetime
import re
from urllib.parse import urlencode

from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_order_args
from sqlalchemy.orm import RelationshipProperty

from app.extensions import db
from app.security.scope import INT_MAX, INT_MIN, current_scope
from app.views.list_preload import preload_many_to_one
from app.services import audit


def display_value(value):
    """How a cell reads: nothing for None, 是/否 for booleans, dates as 2026-11-28 and times 24h."""
    if value is None:
        return ""
    if value is True:
        return gettext("是")
    if value is False:
        return gettext("否")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


def queue_notice(subject):
    """The notice for a job whose task the broker could not take yet (the sweep sends it); None once queued."""
    from app.services import task_queue

    return gettext("后台任务服务暂不可用，任务已记录，将自动重试") if task_queue.waiting(subject) else None


def flash_queue_notice(subject):
    """Flash queue_notice() as a warning when there is one; True when flashed."""
    notice = queue_notice(subject)
    if notice:
        flash(notice, "warning")
    return bool(notice)
def identifier(value):
    """An identifier typed or copied as is (account name, dictionary code, rule template): not words to translate."""
    return Markup('<span class="identifier" translate="no">%s</span>') % display_value(value)


class ScopeFilter(BaseFilter):
    """FAB filter that applies the current user's scope to the view's model."""

    name = "数据范围"
    arg_name = None

    def apply(self, query, value):
        return query.filter(current_scope().criterion(self.model))


SCOPE = [["id", ScopeFilter, None]]


class ScopedModelView(ModelView):
    """A ModelView whose lists, details, edits, deletes, actions and dropdowns are all scoped."""

    page_size = 20
    audit_changes = True
    # Without an order PostgreSQL may split pages differently on every request: newest first unless a view says.
    base_order = ("id", "desc")

    def __init__(self, **kwargs):
        self.base_filters = list(self.base_filters or []) + SCOPE
        super().__init__(**kwargs)

    def _list(self, **kwargs):
        """FAB's list. A sort column or filter index FAB cannot resolve (a crafted link) would be a 500: such
        arguments are dropped with a redirect, like app.web drops malformed page arguments (every scoped list)."""
        searchable = self._filters.get_search_filters()
        bad = set()
        for arg in request.args:
            found = re.findall(r"_flt_(\d)_(.*)", arg)  # FAB's own pattern (urltools.get_filter_args)
            if found and found[0][1] in searchable and int(found[0][0]) >= len(searchable[found[0][1]]):
                bad.add(arg)
        order = get_order_args().get(self.__class__.__name__)
        if order and order[0] not in self.order_columns:
            bad |= {"_oc_" + self.__class__.__name__, "_od_" + self.__class__.__name__}
        if bad:
            kept = [(k, v) for k, v in request.args.items(multi=True) if k not in bad]
            abort(redirect(request.path + ("?" + urlencode(kept) if kept else "")))
        return super()._list(**kwargs)

    def _init_properties(self):
        relations = self._relation_names()
        if not self.search_columns:
            # Relation filters would load whole related tables into the search form.
            self.search_columns = [c for c in self.datamodel.get_search_columns_list() if c not in relations]
        scoped = {name: SCOPE for name in relations}
        self.add_form_query_rel_fields = {**scoped, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**scoped, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**scoped, **(self.search_form_query_rel_fields or {})}
        shown = set(self.list_columns or []) | set(self.show_columns or [])
        self.formatters_columns = {**{c: display_value for c in shown}, **(self.formatters_columns or {})}
        super()._init_properties()

    def _init_forms(self):
        """FAB's forms; an optional relation select reads 请选择 (FAB's blank option showed its value, __None)."""
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for unbound in vars(form).values():
                if getattr(unbound, "field_class", None) is QuerySelectField and unbound.kwargs.get("allow_blank"):
                    unbound.kwargs.setdefault("blank_text", lazy_gettext("请选择"))

    def _relation_names(self):
        mapper = self.datamodel.obj.__mapper__
        return {p.key for p in mapper.iterate_properties if isinstance(p, RelationshipProperty)}

    def _get_list_widget(self, filters, page_size=None, **kwargs):
        limit = current_app.config.get("LIST_PAGE_SIZE_MAX", 100)
        page_size = page_size or self.page_size
        page_size = max(1, min(int(page_size), limit))
        widgets = super()._get_list_widget(filters, page_size=page_size, **kwargs)
        preload_many_to_one(db.session, self.datamodel.obj, widgets["list"].template_args.get("pks"), self.list_columns)
        return widgets

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        """FAB's FileColumn download sends any file of UPLOAD_FOLDER by name, with no scope at all.

        Uploads are served by FileView (/files/<pk>), which checks the owner's scope; here: 404.
        """
        abort(404)

    # --- FAB's show/edit/delete: an id no integer column can hold is a 404, not a database error ---

    def _check_pk(self, pk):
        column = self.datamodel.obj.__mapper__.primary_key[0]
        if column.type.python_type is int:
            try:
                value = int(pk)
            except (TypeError, ValueError):
                abort(404)
            if not INT_MIN <= value <= INT_MAX:
                abort(404)

    def _show(self, pk):
        self._check_pk(pk)
        return super()._show(pk)

    def _edit(self, pk):
        self._check_pk(pk)
        return super()._edit(pk)

    def _delete(self, pk):
        self._check_pk(pk)
        return super()._delete(pk)

    # --- actions: FAB loads their rows without base filters, so re-check the scope here ----------

    def scoped_get(self, pk):
        """One row of this view's model through the scope; 404 when out of scope."""
        return current_scope().get_or_404(db.session, self.datamodel.obj, pk)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if not self.is_get_mutation_allowed():
            abort(405)
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        item = self.scoped_get(pk)
        # A list-only action (single=False) iterates its argument: give it a list, not a 500.
        return self.actions[name].func(item if self.actions[name].single else [item])

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        items = [self.scoped_get(pk) for pk in request.form.getlist("rowid")]
        if not items:
            flash("请先勾选记录", "warning")
            return redirect(self.get_redirect())
        return self.actions[name].func(items)

    # --- 操作日志 for every add/edit/delete through FAB's forms ------------------------------------

    def pre_add(self, item):
        if self.audit_changes:
            changes = audit.changes_of(item)  # before the flush, which clears the history
            db.session.add(item)
            db.session.flush()
            audit.record("add", item, changes=changes)

    def pre_update(self, item):
        if self.audit_changes:
            audit.record("edit", item, changes=audit.changes_of(item))

    def pre_delete(self, item):
        if self.audit_changes:
            audit.record("delete", item)


class ReadOnlyScopedView(ScopedModelView):
    """List and detail only."""

    base_permissions = ["can_list", "can_show"]
