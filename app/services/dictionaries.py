"""数据字典 lookups: fields bound to a type code read its enabled items at render time.

Nothing here caches across requests, so a type or item added or disabled by 系统管理员 is used by
the next form rendered, without a code change or restart. Only label() keeps a per-request cache
(flask.g, kept by app.models.dictionary so a model's DictLabel reads it too), cleared whenever a
DictItem/DictType row is written or explicitly with clear_cache().
"""
from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.models import DictItem, DictType
from app.models.dictionary import clear_cache, label  # noqa: F401  (the lookups every caller knows by these names)

TRADE = "trade"
SPECIALTY = "specialty"

# Types whose items are grouped by the values of another type (DictItem.group_value).
GROUP_TYPES = {TRADE: SPECIALTY}


# Built once, the type bound per call (the statement and its cache key are not rebuilt for every select rendered).
_ITEMS = (select(DictItem.value, DictItem.label, DictItem.enabled).join(DictType, DictItem.type_id == DictType.id)
          .where(DictType.code == bindparam("type_code")).order_by(DictItem.sort_order, DictItem.value))


def items(type_code, include=None):
    """Enabled items of a type as (value, label), ordered.

    `include` (one value or a collection of values) keeps those values even when disabled: the
    current value of the record being edited stays selectable for that record only.
    """
    if include is None or isinstance(include, str):
        keep = {include} if include not in (None, "") else set()
    else:
        keep = {value for value in include if value not in (None, "")}
    rows = db.session.execute(_ITEMS, {"type_code": type_code}).all()
    return [(value, label) for value, label, enabled in rows if enabled or value in keep]


def has_item(type_code, value, enabled_only=False):
    """True when `value` is an item of the type (an enabled one when enabled_only)."""
    if value in (None, ""):
        return False
    query = (select(DictItem.id).join(DictType, DictItem.type_id == DictType.id)
             .where(DictType.code == type_code, DictItem.value == value))
    if enabled_only:
        query = query.where(DictItem.enabled.is_(True))
    return db.session.execute(query.limit(1)).first() is not None


# --- 工种 and 专业 (staffing rule: examiners per 专业, theory teachers per 工种) ---------------------

def trades_of_specialty(specialty, enabled_only=True):
    """Codes of the 工种 grouped under a 专业 value, in list order (enabled ones unless told)."""
    query = (select(DictItem.value).join(DictType, DictItem.type_id == DictType.id)
             .where(DictType.code == TRADE, DictItem.group_value == specialty)
             .order_by(DictItem.sort_order, DictItem.value))
    if enabled_only:
        query = query.where(DictItem.enabled.is_(True))
    return list(db.session.execute(query).scalars())


def specialty_of_trade(trade_code):
    """The 专业 value of a 工种 code (disabled 工种 too, for old records); None when unknown."""
    if not trade_code:
        return None
    return db.session.execute(
        select(DictItem.group_value).join(DictType, DictItem.type_id == DictType.id)
        .where(DictType.code == TRADE, DictItem.value == trade_code)
    ).scalar_one_or_none()


def trade_specialties(trade_codes=None):
    """{工种 code: 专业 value} for the given codes (all 工种 when None), in one query."""
    query = (select(DictItem.value, DictItem.group_value).join(DictType, DictItem.type_id == DictType.id)
             .where(DictType.code == TRADE))
    if trade_codes is not None:
        codes = [code for code in trade_codes if code]
        if not codes:
            return {}
        query = query.where(DictItem.value.in_(codes))
    return dict(db.session.execute(query).all())


# --- form field ----------------------------------------------------------------------------------

def edited_record():
    """On a POST that edits a record (FAB edit: /<view>/edit/<pk>), that record as stored, else None.

    FAB builds the edit form from request.form only, so fields lose their object data on POST;
    the record is loaded through the view's own (scoped) datamodel, once per request. A custom
    view may name the record itself with g.dict_form_record.
    """
    if not has_request_context() or request.method != "POST":
        return None
    record = g.get("dict_form_record")
    if record is None:
        if _RECORD_KEY not in request.environ:
            request.environ[_RECORD_KEY] = _record_of_view()
        record = request.environ[_RECORD_KEY]
    return record


def _edited_record_value(name):
    record = edited_record()
    return getattr(record, name, None) if record is not None else None


_RECORD_KEY = "app.dict_form_record"


def _record_of_view():
    pk = (request.view_args or {}).get("pk")
    if pk is None or not request.blueprint:
        return None
    appbuilder = getattr(current_app, "appbuilder", None)
    view = next((v for v in getattr(appbuilder, "baseviews", [])
                 if getattr(v, "blueprint", None) is not None and v.blueprint.name == request.blueprint), None)
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return None
    return datamodel.get(pk, getattr(view, "_base_filters", None))


class FreshChoicesSelectField(SelectField):
    """A select whose subclass reads its choices in _load_choices() on every render and check.

    An empty choice becomes None; pair with DataRequired(message=...) when the field is required.
    """

    def _load_choices(self):
        raise NotImplementedError

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data == "":
            self.data = None

    def iter_choices(self):
        self._load_choices()
        return super().iter_choices()

    def pre_validate(self, form):
        if self.data in ("", None):
            return
        super().pre_validate(form)  # iterates the choices, read afresh


class DictSelectField(FreshChoicesSelectField):
    """A select whose choices come from a dictionary type, read on every render (no restart needed).

    New records are offered the enabled items only; a record whose current value is a disabled
    item keeps that item selectable (and valid on save) for that record only. An empty choice
    becomes None; make the field required with DataRequired(message=...).
    """

    def __init__(self, label=None, validators=None, dict_type=None, blank_text=_l("请选择"), **kwargs):
        self.dict_type = dict_type
        self.blank_text = blank_text
        kwargs.setdefault("invalid_choice_message", _l("所选项不存在或已停用，请重新选择"))
        super().__init__(label, validators, choices=[], validate_choice=True, **kwargs)

    def current_value(self):
        """The value stored on the record behind the form (None for a new record)."""
        if self.object_data not in (None, ""):
            return self.object_data
        return _edited_record_value(self.short_name)

    def _load_choices(self):
        self.choices = [SelectChoice("", self.blank_text)] + [
            SelectChoice(value, text) for value, text in items(self.dict_type, include=self.current_value())
        ]

