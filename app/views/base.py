"""ScopedModelView (every FAB model view goes through the scope and caps its page size) and the seam to services."""
import datetime
import re
from urllib.parse import urlencode

from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.sqla import filters as sqla_filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from sqlalchemy import select
from sqlalchemy.orm import RelationshipProperty

from app.extensions import db
from app.models import Institution
from app.security.filters import contains
from app.security.scope import INT_MAX, INT_MIN, current_scope
from app.services import ServiceError, audit
from app.services.list_queries import COUNT_CAP, SEARCH_COUNT_CAP, capped_count, guard
from app.views.list_preload import preload_many_to_one


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


# --- the seam between views and services: a refusal onto a form, a verb run from a button ----------------

def refusal_errors(error):
    """{field name or None: message} of a service refusal (its .errors when it carries several)."""
    return dict(getattr(error, "errors", None) or {error.field: error.message})


def attach_refusal(form, error, default_field=None):
    """Put a service refusal next to its field(s) of `form`; a message no field of the form holds is flashed."""
    for name, message in refusal_errors(error).items():
        name = name or default_field
        if name and name in form:
            if message not in form[name].errors:
                form[name].errors = list(form[name].errors) + [message]
        else:
            flash(message, "danger")


def run_and_redirect(verb, done, back, refused_back=None):
    """Run a service verb; flash `done` (a message, or a function of the verb's result; None flashes nothing) or
    the refusal, then redirect to `back` (to `refused_back` after a refusal when given)."""
    try:
        result = verb()
    except ServiceError as refused:
        flash(refused.message, "danger")
        return redirect(refused_back or back)
    message = done(result) if callable(done) else done
    if message:
        flash(message, "success")
    return redirect(back)


class RelatedNameContains(BaseFilter):
    """A related row's name contains the text (a typed % or _ is literal): a sub-select on that name, never a
    list of the related rows in the search form."""

    name = lazy_gettext("包含")
    arg_name = "ct"
    related = None  # the related model, e.g. Institution
    foreign_key = None  # this model's column pointing at it, e.g. "institution_id"
    max_length = None

    def apply(self, query, value):
        text = (value or "").strip()[:self.max_length]
        if not text:
            return query
        return query.filter(getattr(self.model, self.foreign_key).in_(
            select(self.related.id).where(contains(self.related.name, text))))


class FilterInstitutionName(RelatedNameContains):
    """培训机构名称 contains the text."""

    related, foreign_key = Institution, "institution_id"


class NameContains(BaseFilter):
    """The row's own name column contains the text (a typed % or _ is literal), through its gram / trigram index."""

    name = lazy_gettext("包含")
    arg_name = "ct"
    column = None  # the model's column, e.g. "worker_name"
    max_length = None

    def apply(self, query, value):
        text = (value or "").strip()[:self.max_length]
        if not text:
            return query
        return query.filter(contains(getattr(self.model, self.column), text))


class FilterWorkerName(NameContains):
    """姓名 contains the text: the name the row carries (a certificate's copy follows the worker's)."""

    column, max_length = "worker_name", 50


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


# The name searches of the lists (包含 / 开头是 / 结尾是 and their negations, and the lists' own name filters).
TEXT_SEARCHES = (sqla_filters.FilterContains, sqla_filters.FilterNotContains, sqla_filters.FilterStartsWith,
                 sqla_filters.FilterNotStartsWith, sqla_filters.FilterEndsWith, sqla_filters.FilterNotEndsWith,
                 RelatedNameContains, NameContains)


class CappedCountInterface(SQLAInterface):
    """FAB's interface whose list count stops after COUNT_CAP + 1 rows (app.services.list_queries).

    For the lists of big tables (证书: 518,000 rows at province scope, which FAB's exact count(*) read on every
    page: 636 ms on a cold start, ~60 ms of a 91 ms page when warm). FAB gets cap + 1 when there are more, so
    its pager still reaches the first rows up to the cap; the list header (appbuilder/general/widgets/list.html)
    then reads 超过 N 条, like 报名人员查询. A name search counts to SEARCH_COUNT_CAP (cap_for).
    """

    count_cap = COUNT_CAP
    search_count_cap = SEARCH_COUNT_CAP

    @staticmethod
    def searched(filters):
        """Whether `filters` hold a name search (TEXT_SEARCHES with a value)."""
        return any(isinstance(flt, TEXT_SEARCHES) and value not in (None, "")
                   for flt, value in (filters.get_filters_values() if filters is not None else ()))

    def cap_for(self, filters):
        """The count's cap for these filters: a name search counts less far (list_queries.SEARCH_COUNT_CAP)."""
        return self.search_count_cap if self.searched(filters) else self.count_cap

    def query(self, filters=None, *args, **kwargs):
        """FAB's count and page — under the statement-timeout guard when a name is searched: a search that still
        cannot be fast shows the Chinese notice asking for a longer term and an empty page, not a minute's query."""
        if not self.searched(filters):
            return super().query(filters, *args, **kwargs)
        try:
            return guard(self.session, lambda: super(CappedCountInterface, self).query(filters, *args, **kwargs))
        except ServiceError as refused:
            flash(refused.message, "warning")
            return 0, []

    def query_count(self, query, filters=None, select_columns=None):
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        number, exact = capped_count(self.session, inner.with_entities(*self.obj.__mapper__.primary_key),
                                     self.cap_for(filters))
        return number if exact else number + 1


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
        cap_for = getattr(self.datamodel, "cap_for", None)
        widgets["list"].template_args["count_cap"] = cap_for(filters) if cap_for else None
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

    def render_show(self, item, **context):
        """The detail page of `item`, a row scoped_get() loaded and checked (FAB's _show would load it again),
        with `context` for the view's show_template."""
        widgets = self._get_show_widget(item.id, item)
        self.update_redirect()
        widgets = self._get_related_views_widgets(item, orders=get_order_args(), pages=get_page_args(),
                                                  page_sizes=get_page_size_args(), widgets=widgets)
        return self.render_template(self.show_template, pk=item.id, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, **context)

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
